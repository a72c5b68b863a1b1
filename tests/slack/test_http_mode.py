"""The real AsyncApp in HTTP mode: signed requests to bolt's /slack/events, Web API calls to the fake."""

from __future__ import annotations

import json
import time
from typing import Any

from bot.events import Attachment, Reply
from bot.outbox import Outbox
from tests.fakes.slack import (
    FakeSlackAPI,
    RecordingHandler,
    command_form,
    event_body,
    payload,
    post,
    post_event,
    post_form,
    settle,
)


async def test_signed_app_mention_is_delivered_with_a_resolved_author(start_slack: Any, fake_api: FakeSlackAPI
                                                                       ) -> None:
    fake_api.users["U0ALICE01"] = {"id": "U0ALICE01", "name": "alice", "is_admin": True,
                                   "profile": {"display_name": "Alice A."}}
    handler = RecordingHandler()
    adapter = await start_slack(handler)
    status, _ = await post_event(adapter, payload("app_mention"))
    assert status == 200
    await settle(adapter)
    [message] = handler.messages
    assert message.mentions_bot and message.text.startswith("@confab how do we deploy")
    assert message.author.name == "Alice A." and message.author.is_admin
    assert message.channel.workspace == "T0TEAM001"


async def test_bad_signature_and_stale_timestamp_are_rejected(start_slack: Any) -> None:
    handler = RecordingHandler()
    adapter = await start_slack(handler)
    status, _ = await post_event(adapter, payload("app_mention"), secret="not-the-secret")
    assert status == 401
    status, _ = await post_event(adapter, payload("app_mention"), timestamp=int(time.time()) - 6 * 60)
    assert status == 401
    await settle(adapter)
    assert handler.messages == []


async def test_the_same_event_delivered_four_times_is_handled_once(start_slack: Any) -> None:
    handler = RecordingHandler()
    adapter = await start_slack(handler)
    for attempt in range(4):
        retry = {"X-Slack-Retry-Num": str(attempt), "X-Slack-Retry-Reason": "http_timeout"} if attempt else {}
        status, _ = await post_event(adapter, payload("app_mention"), event_id="Ev0SAME0001", headers=retry)
        assert status == 200
    await settle(adapter)
    assert len(handler.messages) == 1


async def test_url_verification_challenge_is_answered(start_slack: Any) -> None:
    adapter = await start_slack(RecordingHandler())
    body = json.dumps({"token": "x", "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P",
                       "type": "url_verification"})
    status, text = await post(adapter, body, "application/json")
    assert status == 200 and "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P" in text


async def test_edits_deletes_dms_and_thread_replies_are_delivered_bots_are_not(start_slack: Any) -> None:
    handler = RecordingHandler()
    adapter = await start_slack(handler)
    for name in ("message_channels", "message_thread_reply", "message_im", "message_changed", "message_deleted",
                 "bot_message"):
        status, _ = await post_event(adapter, payload(name))
        assert status == 200
    await settle(adapter)
    assert [m.id for m in handler.messages] == ["1700000200.000300", "1700000300.000400", "1700000400.000500"]
    assert handler.messages[1].channel.thread == "1700000100.000200" and handler.messages[2].is_direct
    assert [e.text for e in handler.edits] == ["Hello world, edited"]
    assert [d.id for d in handler.deletes] == ["1700000200.000300"]


async def test_slash_command_is_acked_then_answered_through_the_response_url(start_slack: Any,
                                                                            fake_api: FakeSlackAPI) -> None:
    handler = RecordingHandler(delay_s=0.3)
    adapter = await start_slack(handler)
    status, text = await post_form(adapter, command_form("/ask", "how do I deploy?", fake_api.response_url()))
    assert status == 200 and text == ""
    assert fake_api.responses == []  # the answer comes after the ack
    await settle(adapter)
    [command] = handler.commands
    assert command.name == "ask" and command.args == "how do I deploy?"
    assert fake_api.responses == [{"text": "did ask: how do I deploy?", "response_type": "ephemeral",
                                   "unfurl_links": False, "unfurl_media": False}]


async def test_public_command_reply_is_posted_with_unfurls_off(start_slack: Any, fake_api: FakeSlackAPI) -> None:
    handler = RecordingHandler(command_replies=lambda c: [Reply(c.channel, "**Summary** <!channel>")])
    adapter = await start_slack(handler)
    await post_form(adapter, command_form("/summarize", "public", fake_api.response_url()))
    await settle(adapter)
    [call] = fake_api.calls_to("chat.postMessage")
    # the outbox defuses the broadcast on every path out
    assert call.params["channel"] == "C0GENERAL" and call.params["text"] == "*Summary* @\u200bchannel"
    assert call.params["unfurl_links"] is False and call.params["unfurl_media"] is False


async def test_not_in_channel_falls_back_to_the_response_url(start_slack: Any, fake_api: FakeSlackAPI) -> None:
    fake_api.errors["chat.postMessage"] = "not_in_channel"
    handler = RecordingHandler(command_replies=lambda c: [Reply(c.channel, "public answer")])
    adapter = await start_slack(handler)
    await post_form(adapter, command_form("/confab", "help", fake_api.response_url()))
    await settle(adapter)
    assert [r["response_type"] for r in fake_api.responses] == ["in_channel"]


async def test_message_shortcut_becomes_a_command_aimed_at_the_thread(start_slack: Any, fake_api: FakeSlackAPI
                                                                     ) -> None:
    handler = RecordingHandler()
    adapter = await start_slack(handler)
    shortcut = {**payload("message_shortcut"), "response_url": fake_api.response_url()}
    status, _ = await post_form(adapter, {"payload": json.dumps(shortcut)})
    assert status == 200
    await settle(adapter)
    [command] = handler.commands
    assert command.name == "summarize_thread" and command.target == "1700000100.000200"
    assert fake_api.responses[0]["response_type"] == "ephemeral"


async def test_send_threads_replies_splits_long_ones_and_uploads_files(start_slack: Any, fake_api: FakeSlackAPI
                                                                      ) -> None:
    adapter = await start_slack(RecordingHandler())
    from bot.events import ChannelRef

    channel = ChannelRef("slack", "T0TEAM001", "C0GENERAL")
    image = Attachment("cat.png", b"\x89PNG fake bytes", "image/png", alt_text="a cat on a keyboard")
    sent = await adapter.send(Reply(channel, "word " * 2000, (image,), reply_to="1700000100.000200"))
    posts = fake_api.calls_to("chat.postMessage")
    assert len(posts) == 3 and all(len(p.params["text"]) <= adapter.capabilities.max_chars for p in posts)
    assert {p.params["thread_ts"] for p in posts} == {"1700000100.000200"}
    assert sent.channel.thread == "1700000100.000200" and sent.message_id.startswith("17")
    [url_call] = fake_api.calls_to("files.getUploadURLExternal")
    assert url_call.params["alt_txt"] == "a cat on a keyboard" and url_call.params["filename"] == "cat.png"
    assert list(fake_api.uploads.values()) == [b"\x89PNG fake bytes"]
    [complete] = fake_api.calls_to("files.completeUploadExternal")
    assert complete.params["channel_id"] == "C0GENERAL" and complete.params["thread_ts"] == "1700000100.000200"


async def test_ephemeral_send_and_dm_replies_stay_out_of_threads(start_slack: Any, fake_api: FakeSlackAPI) -> None:
    adapter = await start_slack(RecordingHandler())
    from bot.events import ChannelRef

    await adapter.send(Reply(ChannelRef("slack", "T", "C0GENERAL"), "slow down", ephemeral=True, user_id="U0ALICE01"))
    [eph] = fake_api.calls_to("chat.postEphemeral")
    assert eph.params["user"] == "U0ALICE01"
    await adapter.send(Reply(ChannelRef("slack", "T", "C0GENERAL"), "private, but for whom?", ephemeral=True))
    assert len(fake_api.calls_to("chat.postEphemeral")) == 1 and fake_api.calls_to("chat.postMessage") == []
    await adapter.send(Reply(ChannelRef("slack", "T", "D0DMALICE"), "hi", reply_to="1700000400.000500"))
    [dm] = fake_api.calls_to("chat.postMessage")
    assert "thread_ts" not in dm.params


async def test_history_is_paged_oldest_first_and_bounded(start_slack: Any, fake_api: FakeSlackAPI) -> None:
    from bot.events import ChannelRef

    fake_api.history["C0GENERAL"] = [
        {"type": "message", "user": "U0ALICE01", "text": f"message {i}", "ts": f"17000000{i:02d}.000100"}
        for i in range(9, 0, -1)
    ] + [{"type": "message", "subtype": "bot_message", "bot_id": "B1", "text": "ci", "ts": "1699999999.000100"}]
    adapter = await start_slack(RecordingHandler())
    adapter.history_pages = 3
    found = await adapter.fetch_history(ChannelRef("slack", "T0TEAM001", "C0GENERAL"), limit=100)
    assert [m.text for m in found] == ["message 4", "message 5", "message 6", "message 7", "message 8", "message 9"]
    assert len(fake_api.calls_to("conversations.history")) == 3  # bounded by history_pages
    fake_api.replies[("C0GENERAL", "1700000001.000100")] = [
        {"type": "message", "user": "U1", "text": "root", "ts": "1700000001.000100"},
        {"type": "message", "user": "U2", "text": "reply", "ts": "1700000002.000100",
         "thread_ts": "1700000001.000100"}]
    thread = await adapter.fetch_history(ChannelRef("slack", "T0TEAM001", "C0GENERAL", "1700000001.000100"))
    assert [m.text for m in thread] == ["root", "reply"]
    assert fake_api.calls_to("conversations.replies")[0].params["ts"] == "1700000001.000100"


async def test_rate_limited_call_is_retried_after_retry_after(start_slack: Any, fake_api: FakeSlackAPI) -> None:
    from bot.events import ChannelRef

    adapter = await start_slack(RecordingHandler())
    fake_api.rate_limit_once.add("reactions.add")
    await adapter.react(ChannelRef("slack", "T", "C0GENERAL"), "1700000200.000300", "🚩")
    assert [c.method for c in fake_api.calls if c.method.startswith("reactions")] == ["reactions.add#429",
                                                                                     "reactions.add"]
    assert fake_api.calls_to("reactions.add")[0].params["name"] == "triangular_flag_on_post"


async def test_message_links_point_at_the_workspace(start_slack: Any) -> None:
    from bot.events import ChannelRef

    adapter = await start_slack(RecordingHandler())
    link = adapter.message_link(ChannelRef("slack", "T", "C0GENERAL", "1700000100.000200"), "1700000300.000400")
    assert link == ("https://confab-test.slack.com/archives/C0GENERAL/p1700000300000400"
                    "?thread_ts=1700000100.000200&cid=C0GENERAL")


async def test_malformed_and_unknown_requests_get_clear_errors_not_crashes(start_slack: Any) -> None:
    handler = RecordingHandler()
    adapter = await start_slack(handler)
    assert (await post(adapter, "not json {", "application/json"))[0] == 400
    assert (await post(adapter, "payload=%7Bbroken", "application/x-www-form-urlencoded"))[0] == 400
    odd = event_body({"type": "message", "text": ["not", "text"], "ts": 5, "channel": None})
    assert (await post(adapter, json.dumps(odd), "application/json"))[0] == 200
    assert (await post(adapter, "\x00\xff" * 10, "application/octet-stream"))[0] == 404
    await settle(adapter)
    assert handler.messages == []  # and the adapter still works:
    assert (await post_event(adapter, payload("message_channels")))[0] == 200
    await settle(adapter)
    assert len(handler.messages) == 1


async def test_a_rejected_token_is_a_clear_config_error(tmp_path: Any, fake_api: FakeSlackAPI) -> None:
    import pytest

    from bot.errors import ConfigError
    from bot.slack.adapter import SlackAdapter
    from tests.fakes.slack import slack_settings

    fake_api.errors["auth.test"] = "invalid_auth"
    adapter = SlackAdapter(slack_settings(tmp_path, fake_api, "http"), http_host="127.0.0.1")
    with pytest.raises(ConfigError, match="invalid_auth"):
        await adapter.start(RecordingHandler(), Outbox(None, "confab"))
    await adapter.close()


async def test_slow_command_tells_the_user_it_is_working(start_slack: Any, fake_api: FakeSlackAPI) -> None:
    adapter = await start_slack(RecordingHandler(delay_s=0.4), progress_after_s=0.05)
    await post_form(adapter, command_form("/summarize", "", fake_api.response_url()))
    await settle(adapter)
    note, answer = fake_api.responses
    assert "Working on it" in note["text"] and note["response_type"] == "ephemeral"
    assert answer["text"] == "did summarize: "


async def test_app_rate_limited_notice_is_acknowledged(start_slack: Any) -> None:
    adapter = await start_slack(RecordingHandler())
    body = json.dumps({"token": "x", "type": "app_rate_limited", "team_id": "T0TEAM001",
                       "minute_rate_limited": 1518467820, "api_app_id": "A0TEST"})
    assert (await post(adapter, body, "application/json"))[0] == 200


async def test_private_replies_never_upload_files(start_slack: Any, fake_api: FakeSlackAPI) -> None:
    image = Attachment("x.png", b"png", "image/png")
    handler = RecordingHandler(command_replies=lambda c: [Reply(c.channel, "here", (image,), ephemeral=True)])
    adapter = await start_slack(handler)
    await post_form(adapter, command_form("/imagine", "a cat", fake_api.response_url()))
    await settle(adapter)
    [private] = fake_api.responses
    assert private["text"].startswith("here") and "privately" in private["text"]
    assert fake_api.calls_to("files.getUploadURLExternal") == []
