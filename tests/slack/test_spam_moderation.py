"""Spam moderation on Slack end to end (issue 19, items 5 and 6): half an emoji in a message or a
name never lets spam through, and with no moderators' channel the note lands in the message's
thread with the ``@confab /spam not-spam <permalink>`` a moderator can use as it is."""

from __future__ import annotations

from typing import Any

from langchain_core.messages import AIMessage

from tests.fakes.scripted_model import ScriptedModel
from tests.fakes.slack import BOT_USER_ID, FakeSlackAPI, payload, post_event, settle
from tests.stored_rows import table_rows

PHISHING = "FREE NITRO giveaway!!! claim it at https://dlscord-gift.com/abc"


async def test_half_an_emoji_never_lets_spam_through(slack_bot: Any, fake_api: FakeSlackAPI) -> None:
    fake_api.users["U0SPAM001"] = {"id": "U0SPAM001", "name": "spam", "profile": {"display_name": "Nitro\ud83d"}}
    adapter, pipeline = await slack_bot(ScriptedModel(steps=[AIMessage("I should never answer this")]))
    spam = {**payload("message_channels"), "user": "U0SPAM001",
            "text": f"<@{BOT_USER_ID}> {PHISHING} \ud83d"}  # JSON carries the lone "\ud83d" escape
    await post_event(adapter, spam)
    await settle(adapter)
    posted = fake_api.calls_to("chat.postMessage")
    assert all("never answer" not in call.params["text"] for call in posted)  # the agent never saw it
    rows = await table_rows(pipeline.deps, "SELECT message_id, action FROM spam_flags")
    assert rows == [(spam["ts"], "flagged")]
    stored = await pipeline.deps.store.messages.get("slack:T0TEAM001:C0GENERAL", spam["ts"])
    assert stored is not None and stored.author_name == "Nitro\ufffd" and stored.text.endswith("\ufffd")


async def test_without_a_mod_channel_the_note_is_a_thread_reply(slack_bot: Any, fake_api: FakeSlackAPI) -> None:
    adapter, _ = await slack_bot(ScriptedModel(steps=[]))
    spam = {**payload("message_channels"), "text": PHISHING}
    await post_event(adapter, spam)
    await settle(adapter)
    [note] = fake_api.calls_to("chat.postMessage")
    assert note.params["channel"] == "C0GENERAL" and note.params["thread_ts"] == spam["ts"]
    permalink = "https://confab-test.slack.com/archives/C0GENERAL/p1700000200000300"
    assert f"@confab /spam not-spam {permalink}" in note.params["text"] and "phishing" in note.params["text"]


async def test_a_mod_channel_set_by_its_mention_is_confirmed_by_name(slack_bot: Any, fake_api: FakeSlackAPI) -> None:
    """Slack shows ``<`` in Confab's replies as typed, so the confirmation names the channel (``#mods``), not the
    mention's raw ``<#C0MODS001>``; the setting keeps the id, and the next flag's note goes there."""
    from tests.fakes.slack import command_form, post_form

    fake_api.users["U0ALICE01"] = {"id": "U0ALICE01", "name": "alice", "is_admin": True, "profile": {}}
    adapter, pipeline = await slack_bot(ScriptedModel(steps=[]))
    await post_form(adapter, command_form("/confab", "settings mod_channel <#C0MODS001|mods>", fake_api.response_url()))
    await settle(adapter)
    [confirmed] = fake_api.responses
    assert "Set `mod_channel` to #mods:" in confirmed["text"] and "C0MODS001" not in confirmed["text"]
    assert await pipeline.deps.store.channel_settings.get("slack:T0TEAM001:C0GENERAL", "mod_channel") == "C0MODS001"
    await post_event(adapter, {**payload("message_channels"), "text": PHISHING, "user": "U0SPAM001"})
    await settle(adapter)
    [note] = fake_api.calls_to("chat.postMessage")
    assert note.params["channel"] == "C0MODS001" and "phishing" in note.params["text"]


async def test_a_mod_channel_typed_by_name_is_the_channel_confab_is_in(slack_bot: Any, fake_api: FakeSlackAPI) -> None:
    """``/confab settings mod_channel #mods`` (Slack sends the name as typed) keeps #mods' id, so a renamed channel
    still gets the notes; a name Confab is in no channel of (a typo, or not invited) is refused, not kept for notes
    that would never arrive."""
    from tests.fakes.slack import command_form, post_form
    from tests.fakes.slack_pane import channel

    fake_api.users["U0ALICE01"] = {"id": "U0ALICE01", "name": "alice", "is_admin": True, "profile": {}}
    fake_api.channels = {"C0MODS001": channel("C0MODS001", "mods", ["U0ALICE01"], private=True),
                         "C0SECRET1": channel("C0SECRET1", "secret-mods", ["U0ALICE01"], private=True,
                                              bot_member=False)}
    adapter, pipeline = await slack_bot(ScriptedModel(steps=[]))
    for typed in ("#mods", "#mdos", "#secret-mods"):
        await post_form(adapter, command_form("/confab", f"settings mod_channel {typed}", fake_api.response_url()))
        await settle(adapter)
    kept, typo, not_in = (r["text"] for r in fake_api.responses)
    assert "Set `mod_channel` to #mods:" in kept
    assert "not in a channel called `#mdos`" in typo and "not in a channel called `#secret-mods`" in not_in
    assert await pipeline.deps.store.channel_settings.get("slack:T0TEAM001:C0GENERAL", "mod_channel") == "C0MODS001"
    # the settings show the channel by its name, as people know it, not by the id kept
    for asked in ("settings", "settings mod_channel"):
        await post_form(adapter, command_form("/confab", asked, fake_api.response_url()))
        await settle(adapter)
        shown = fake_api.responses[-1]["text"]
        assert "• `mod_channel` = #mods" in shown and "C0MODS001" not in shown, shown
