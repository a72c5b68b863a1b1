"""Pure payload -> event conversion on fixtures shaped like Slack's documented payloads."""

from __future__ import annotations

from typing import Any

from bot.events import IncomingMessage, MessageDelete, MessageEdit
from bot.slack.convert import (
    author_from_user_info,
    command_from_payload,
    event_from_payload,
    plain_text,
    shortcut_from_payload,
    team_of,
)
from tests.fakes.slack import payload

TEAM, BOT_USER, BOT_ID = "T0TEAM001", "UBOT00001", "BBOT00001"


def convert(event: dict[str, Any]) -> Any:
    return event_from_payload(event, TEAM, BOT_USER, BOT_ID, "confab")


def test_app_mention_becomes_an_addressed_message_with_readable_text() -> None:
    message = convert(payload("app_mention"))
    assert isinstance(message, IncomingMessage)
    assert message.mentions_bot and not message.is_direct
    assert message.id == "1700000100.000200"
    assert message.channel.key == "slack:T0TEAM001:C0GENERAL" and message.channel.thread is None
    assert message.text == ("@confab how do we deploy to staging? cc @bob see the wiki "
                            "(https://wiki.example.com/deploy) & #deploys")
    assert message.author.id == "U0ALICE01" and not message.author.is_bot
    assert message.mention_count == 2 and not message.mentions_everyone
    assert message.created_at.timestamp() == 1700000100.0002


def test_plain_channel_message_is_remembered_and_flags_broadcasts() -> None:
    message = convert(payload("message_channels"))
    assert isinstance(message, IncomingMessage)
    assert not message.mentions_bot and not message.is_direct
    assert message.mentions_everyone
    assert message.text == "Hello world @here and @oncall"


def test_message_mentioning_the_bot_counts_as_a_mention_even_without_app_mention() -> None:
    event = {**payload("message_channels"), "text": "<@UBOT00001> hi"}
    message = convert(event)
    assert message.mentions_bot and message.text == "@confab hi"


def test_thread_reply_keeps_its_thread_root() -> None:
    message = convert(payload("message_thread_reply"))
    assert message.channel.thread == "1700000100.000200"
    assert message.channel.key == "slack:T0TEAM001:C0GENERAL"


def test_direct_message_is_direct() -> None:
    message = convert(payload("message_im"))
    assert message.is_direct and message.channel.channel == "D0DMALICE"


def test_message_changed_becomes_an_edit_of_the_original() -> None:
    edit = convert(payload("message_changed"))
    assert isinstance(edit, MessageEdit)
    assert edit.id == "1700000200.000300" and edit.text == "Hello world, edited"
    assert edit.edited_at.timestamp() == 1700000500.0


def test_unfurl_only_change_is_not_an_edit() -> None:
    event = payload("message_changed")
    event["message"]["text"] = event["previous_message"]["text"]
    assert convert(event) is None


def test_message_deleted_becomes_a_delete() -> None:
    delete = convert(payload("message_deleted"))
    assert isinstance(delete, MessageDelete)
    assert delete.id == "1700000200.000300" and delete.channel.channel == "C0GENERAL"


def test_bot_messages_and_our_own_are_ignored() -> None:
    assert convert(payload("bot_message")) is None
    own = {**payload("message_channels"), "user": BOT_USER}
    assert convert(own) is None
    own_edit = payload("message_changed")
    own_edit["message"]["bot_id"] = BOT_ID
    assert convert(own_edit) is None


def test_non_chat_subtypes_and_malformed_events_are_ignored() -> None:
    assert convert({**payload("message_channels"), "subtype": "channel_join"}) is None
    assert convert({"type": "message"}) is None
    assert convert({"type": "reaction_added", "user": "U1"}) is None
    assert convert({"type": "message", "subtype": "message_changed", "channel": "C1"}) is None
    assert convert({"type": "message", "subtype": "message_deleted"}) is None


def test_slash_command_form() -> None:
    command = command_from_payload(payload("slash_command"))
    assert command is not None
    assert command.name == "summarize" and command.args == "last 50 public"
    assert command.channel.key == "slack:T0TEAM001:C0GENERAL"
    assert command.author.id == "U0ALICE01" and command.author.name == "alice"
    assert command.id == "13345224609.738474920.8088930838d88f008e0"
    assert not command.is_direct
    assert command_from_payload({"command": "/ask"}) is None
    in_dm = command_from_payload({**payload("slash_command"), "channel_id": "D0ALICE01",
                                  "channel_name": "directmessage"})
    assert in_dm is not None and in_dm.is_direct  # /forget there is the person's own


def test_message_shortcut_targets_the_thread_root() -> None:
    command = shortcut_from_payload(payload("message_shortcut"))
    assert command is not None
    assert command.name == "summarize_thread" and command.target == "1700000100.000200"
    assert command.channel.channel == "C0GENERAL" and command.author.id == "U0ALICE01"
    top_level = payload("message_shortcut")
    del top_level["message"]["thread_ts"]
    shortcut = shortcut_from_payload(top_level)
    assert shortcut is not None and shortcut.target == "1700000300.000400"
    assert shortcut_from_payload({"type": "message_action", "callback_id": "x"}) is None


def test_team_of_reads_every_body_shape() -> None:
    assert team_of({"team_id": "T1"}) == "T1"
    assert team_of({"team": {"id": "T2"}}) == "T2"
    assert team_of({"user": {"team_id": "T3"}}) == "T3"
    assert team_of({}) == "unknown"


def test_users_info_gives_name_and_admin_flag() -> None:
    author = author_from_user_info({"id": "U1", "name": "spengler", "is_admin": False, "is_owner": True,
                                    "profile": {"display_name": "", "real_name": "Egon Spengler"}})
    assert author.name == "Egon Spengler" and author.is_admin


def test_plain_text_survives_odd_input() -> None:
    assert plain_text(None) == ""
    assert plain_text("<mailto:a@b.c|write us> &lt;tag&gt;") == "write us (mailto:a@b.c) <tag>"
    assert plain_text("<!date^1392734382^{date}|Feb 18> <!everyone>") == "Feb 18 @everyone"
