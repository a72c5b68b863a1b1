"""Streamed answers on Slack: a configured model's answer goes out through chat.startStream /
appendStream / stopStream (the SDK's chat_stream helper) in the answer's thread, paced, neutralised
chunk by chunk, finished with the final answer and its citations; a stream that breaks ends with a note."""

from __future__ import annotations

import itertools
import json
import logging
import re
from pathlib import Path
from typing import Any

import pytest

from tests.fakes.harness import BotFactory
from tests.fakes.openai_server import FakeOpenAI, garbage_reply, text_reply
from tests.fakes.slack import BOT_USER_ID, FakeSlackAPI, payload, post_event, settle, slack_settings

MENTION_TS = "1700000100.000200"
PING = re.compile(r"<[!@#]|(?<![\w@\u2060\u200b])@(channel|here|everyone)\b", re.I)
STREAM_METHODS = ("chat.startStream", "chat.appendStream", "chat.stopStream")


async def llm_slack_bot(tmp_path: Path, fake_api: FakeSlackAPI, fake_openai: FakeOpenAI, bot_factory: BotFactory,
                        **overrides: Any) -> Any:
    from bot.slack.adapter import SlackAdapter

    settings = slack_settings(tmp_path, fake_api, "http", model="openai:gpt-4.1-mini",
                              openai_base_url=fake_openai.base_url, openai_api_key="sk-test-secret", **overrides)
    adapter = SlackAdapter(settings, http_host="127.0.0.1", progress_after_s=None)
    bot = await bot_factory(None, settings=settings, adapter=adapter)
    return bot.adapter


def stream_calls(fake_api: FakeSlackAPI) -> list[Any]:
    return [c for c in fake_api.calls if c.method in STREAM_METHODS]


def sent_markdown(call: Any) -> str:
    return str(call.params.get("markdown_text") or "") + "".join(
        str(c.get("text", "")) for c in call.params.get("chunks") or [])


async def test_a_streamed_answer_grows_in_the_thread_paced_and_ends_as_the_answer(
        tmp_path: Path, fake_api: FakeSlackAPI, fake_openai: FakeOpenAI, bot_factory: BotFactory) -> None:
    answer = "Deploy with `make deploy` from the repository root, then watch the logs for a minute or two."
    fake_openai.chat.append(text_reply(answer, chunk_delay_s=0.12))
    adapter = await llm_slack_bot(tmp_path, fake_api, fake_openai, bot_factory)
    await post_event(adapter, payload("app_mention"))
    await settle(adapter)
    calls = stream_calls(fake_api)
    start, *appends, _stop = calls
    assert [c.method for c in calls] == ["chat.startStream", *["chat.appendStream"] * len(appends), "chat.stopStream"]
    assert start.params["thread_ts"] == MENTION_TS and start.params["channel"] == "C0GENERAL"
    assert start.params["recipient_user_id"] == "U0ALICE01" and start.params["recipient_team_id"] == "T0TEAM001"
    assert appends, "the answer grew in more than one step"
    shown_while_written = [c.at for c in calls[:-1]]
    assert all(b - a >= 0.9 for a, b in itertools.pairwise(shown_while_written))
    [stream] = fake_api.streams.values()
    assert stream["state"] == "stopped" and stream["text"].strip() == answer
    assert stream["metadata"]["event_payload"]  # tagged like every answer part (replies once)
    assert fake_api.calls_to("chat.postMessage") == []  # the stream is the answer: nothing posted twice
    assert "is thinking…" in fake_api.statuses(MENTION_TS)
    blocks = _stop.params["blocks"]  # its 👍/👎 below it, keyed by the streamed message itself
    blocks = json.loads(blocks) if isinstance(blocks, str) else blocks
    [actions] = blocks
    assert actions["type"] == "context_actions" and actions["elements"][0]["type"] == "feedback_buttons"
    assert actions["elements"][0]["positive_button"]["value"] == "up"


async def test_a_mention_or_link_split_across_chunks_never_goes_out_whole(
        tmp_path: Path, fake_api: FakeSlackAPI, fake_openai: FakeOpenAI, bot_factory: BotFactory) -> None:
    hostile = ("Sure thing <!subteam^S1|@dev team> and <@U0BOB0001|bob smith> see "
               "[discord.com login page](https://disc0rd.example/a) for more details everyone")
    fake_openai.chat.append(text_reply(hostile, chunk_delay_s=0.35))
    adapter = await llm_slack_bot(tmp_path, fake_api, fake_openai, bot_factory)
    await post_event(adapter, payload("app_mention"))
    await settle(adapter)
    sent = [sent_markdown(c) for c in stream_calls(fake_api)]
    assert len(sent) >= 3
    assert not any(PING.search(piece) for piece in sent), sent  # no piece carries even half a mention
    assert not any("disc0rd.example/a)" in piece and "(disc0rd.example)]" not in piece for piece in sent)
    [stream] = fake_api.streams.values()
    assert not PING.search(stream["text"]) and "(disc0rd.example)" in stream["text"]


async def test_a_stream_that_breaks_ends_with_a_clear_note(
        tmp_path: Path, fake_api: FakeSlackAPI, fake_openai: FakeOpenAI, bot_factory: BotFactory) -> None:
    fake_openai.chat.append(text_reply("The first steps are these and then some more words follow here",
                                       chunk_delay_s=0.3, cut_after=6))
    adapter = await llm_slack_bot(tmp_path, fake_api, fake_openai, bot_factory)
    await post_event(adapter, payload("app_mention"))
    await settle(adapter)
    [stream] = fake_api.streams.values()
    assert stream["state"] == "stopped"
    assert stream["text"].startswith("The first steps")
    assert "cut off" in stream["text"] and "incomplete" in stream["text"]
    assert "more words follow" not in stream["text"]


async def test_the_offline_model_answers_whole(slack_bot: Any, fake_api: FakeSlackAPI) -> None:
    adapter, _ = await slack_bot(None)
    await post_event(adapter, payload("app_mention"))
    await settle(adapter)
    assert stream_calls(fake_api) == []
    [answer] = fake_api.calls_to("chat.postMessage")
    assert answer.params["thread_ts"] == MENTION_TS


async def test_a_stream_that_stalls_ends_with_a_note_saying_so(
        tmp_path: Path, fake_api: FakeSlackAPI, fake_openai: FakeOpenAI, bot_factory: BotFactory) -> None:
    from agent.errors import ModelTimeout

    fake_openai.chat.append(text_reply("Step one is done then step two follows later", chunk_delay_s=0.7))
    adapter = await llm_slack_bot(tmp_path, fake_api, fake_openai, bot_factory, agent_model_timeout_s=1.6)
    await post_event(adapter, payload("app_mention"))
    await settle(adapter)
    [stream] = fake_api.streams.values()
    assert stream["state"] == "stopped" and stream["text"].startswith("Step one")
    assert ModelTimeout.user_message in stream["text"] and "later" not in stream["text"]


async def test_a_garbage_stream_is_a_short_clear_reply(
        tmp_path: Path, fake_api: FakeSlackAPI, fake_openai: FakeOpenAI, bot_factory: BotFactory,
        caplog: pytest.LogCaptureFixture) -> None:
    from agent.errors import ModelGarbage, ModelUnavailable

    fake_openai.chat.append(garbage_reply(b"data: {not json\n\n"))
    adapter = await llm_slack_bot(tmp_path, fake_api, fake_openai, bot_factory)
    with caplog.at_level(logging.WARNING, logger="agent.core"):
        await post_event(adapter, payload("app_mention"))
        await settle(adapter)
    assert fake_api.streams == {}  # nothing was shown as if it were an answer
    [reply] = fake_api.calls_to("chat.postMessage")
    assert reply.params["text"] in (ModelGarbage.user_message, ModelUnavailable.user_message)
    assert any("agent turn failed" in r.getMessage() for r in caplog.records)


async def test_the_stream_ends_with_the_sources_of_the_final_answer(
        tmp_path: Path, fake_api: FakeSlackAPI, fake_openai: FakeOpenAI, bot_factory: BotFactory) -> None:
    from tests.fakes.openai_server import call, tool_reply

    (tmp_path / "knowledge").mkdir(exist_ok=True)
    (tmp_path / "knowledge" / "deploy.md").write_text(
        "# Deploy\n\nTo deploy Confab, run docker compose up on the server.\n", "utf-8")
    fake_openai.chat.append(tool_reply(call("search_knowledge", {"query": "how do I deploy confab with docker"})))
    fake_openai.chat.append(text_reply("Run docker compose up on the server [1].", chunk_delay_s=0.1))
    adapter = await llm_slack_bot(tmp_path, fake_api, fake_openai, bot_factory)
    await post_event(adapter, {**payload("app_mention"), "text": f"<@{BOT_USER_ID}> how do I deploy confab?"})
    await settle(adapter)
    [stream] = fake_api.streams.values()
    assert stream["state"] == "stopped" and stream["text"].startswith("Run docker compose up on the server [1].")
    [stop] = fake_api.calls_to("chat.stopStream")
    assert "Sources: [1] deploy.md" in sent_markdown(stop)  # from our records, added as the stream stopped
    assert fake_api.calls_to("chat.update") == [] and fake_api.calls_to("chat.postMessage") == []


async def test_a_final_answer_that_differs_from_the_stream_replaces_it(
        tmp_path: Path, fake_api: FakeSlackAPI, fake_openai: FakeOpenAI, bot_factory: BotFactory) -> None:
    """An invented citation [7] was streamed; the final answer drops it, so the message is replaced."""
    fake_openai.chat.append(text_reply("See [7] for the details on how to deploy everything today, step by step.",
                                       chunk_delay_s=0.15))
    adapter = await llm_slack_bot(tmp_path, fake_api, fake_openai, bot_factory)
    await post_event(adapter, payload("app_mention"))
    await settle(adapter)
    [(ts, stream)] = fake_api.streams.items()
    assert "[7]" in stream["text"] and stream["state"] == "stopped"
    [update] = fake_api.calls_to("chat.update")
    assert update.params["ts"] == ts and update.params["text"].startswith("See for the details")
    assert "[7]" not in update.params["text"] and fake_api.calls_to("chat.postMessage") == []


async def test_a_process_that_dies_mid_stream_leaves_no_half_answer(
        tmp_path: Path, fake_api: FakeSlackAPI, fake_openai: FakeOpenAI, bot_factory: BotFactory,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The streamed message is kept with the owed answer like a progress note: the answer resumed after a
    crash takes its place, so the half of an answer the dead process streamed does not stay as if whole."""
    from bot.streaming import OutStream
    from tests.fakes.waiting import until

    fake_openai.chat.append(text_reply("Half of this answer is streamed before the process dies for good",
                                       chunk_delay_s=0.4))
    adapter = await llm_slack_bot(tmp_path, fake_api, fake_openai, bot_factory)
    pipeline = adapter.handler
    await post_event(adapter, payload("app_mention"))
    await until(lambda: any(s["text"] for s in fake_api.streams.values()), 10.0, "the stream")

    async def kept() -> bool:  # the stream is kept with its owed answer once its first text shows (one write)
        owed = await pipeline.store.pending.owed()
        return any(o.note is not None and o.note.endswith(tuple(fake_api.streams)) for o in owed)

    await until(kept, 10.0, "the streamed message kept with its owed answer")

    async def killed(self: OutStream) -> None:
        return None  # kill -9: nothing is cleaned up

    monkeypatch.setattr(OutStream, "abandon", killed)
    await adapter._work.stop(0)  # the turn ends unfinished
    [(half_ts, half)] = fake_api.streams.items()
    assert half["state"] == "streaming"
    [owed] = await pipeline.store.pending.owed()
    assert owed.note is not None and owed.note.endswith(half_ts)

    fake_openai.chat.append(text_reply("The whole answer."))
    assert await pipeline.resume() == 1
    await pipeline.drain()
    await settle(adapter)
    deleted = {c.params["ts"] for c in fake_api.calls_to("chat.delete")}
    updated = {c.params["ts"]: c.params["text"] for c in fake_api.calls_to("chat.update")}
    assert half_ts in deleted or updated.get(half_ts) == "The whole answer."
    finished = [s["text"].strip() for ts, s in fake_api.streams.items() if ts != half_ts and s["state"] == "stopped"]
    assert finished == ["The whole answer."] or updated.get(half_ts) == "The whole answer."
    assert await pipeline.store.pending.owed() == []


def answers_shown(fake_api: FakeSlackAPI) -> list[str]:
    """The answers in the mention's thread, as people see them there (finished streams and posts)."""
    return [str(m.get("text", "")).strip() for m in fake_api.replies.get(("C0GENERAL", MENTION_TS), [])]


async def test_an_answer_streamed_whole_before_a_crash_is_not_given_again(
        tmp_path: Path, fake_api: FakeSlackAPI, fake_openai: FakeOpenAI, bot_factory: BotFactory) -> None:
    """kill -9 after the stream was finished and before its delivery was recorded: the answer stays owed and
    its reply claimed. The answer given again (a restart's resume) streamed a second copy below the first;
    a claimed reply is now given without a stream, which looks for its earlier parts first."""
    fake_api.keep_posts = True  # as Slack does: the finished stream is in the thread, with its metadata
    fake_openai.chat.append(text_reply("The first and only answer.", chunk_delay_s=0.05))
    adapter = await llm_slack_bot(tmp_path, fake_api, fake_openai, bot_factory)
    pipeline = adapter.handler
    ledger = pipeline.outbox.replies
    real = ledger.delivered

    async def died_before_recording(*args: Any, **kwargs: Any) -> None:
        return None  # kill -9 right after chat.stopStream: neither the delivery nor the settling is written

    ledger.delivered = died_before_recording
    await post_event(adapter, payload("app_mention"))
    await settle(adapter)
    ledger.delivered = real
    assert answers_shown(fake_api) == ["The first and only answer."]
    assert len(await pipeline.store.pending.owed()) == 1

    fake_openai.chat.append(text_reply("A second copy of the answer."))
    assert await pipeline.resume() == 1
    await pipeline.drain()
    await settle(adapter)
    assert answers_shown(fake_api) == ["The first and only answer."]
    assert await pipeline.store.pending.owed() == []


async def test_an_answer_job_run_again_after_its_worker_died_mid_stream_replaces_the_half(
        tmp_path: Path, fake_api: FakeSlackAPI, fake_openai: FakeOpenAI, bot_factory: BotFactory,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The scaled mode's ``answer`` job, run again after its worker died mid-stream, started a new stream and
    left the dead worker's half answer in the thread; it now takes the half's place, as a restart's resume does."""
    from bot.streaming import OutStream
    from tests.fakes.waiting import until

    fake_api.keep_posts = True
    fake_openai.chat.append(text_reply("Half of this answer is streamed before the worker dies for good",
                                       chunk_delay_s=0.4))
    adapter = await llm_slack_bot(tmp_path, fake_api, fake_openai, bot_factory)
    pipeline = adapter.handler
    await post_event(adapter, payload("app_mention"))

    async def kept() -> bool:
        owed = await pipeline.store.pending.owed()
        return any(o.note is not None and o.note.endswith(tuple(fake_api.streams)) for o in owed)

    await until(kept, 10.0, "the streamed message kept with its owed answer")

    async def killed(self: OutStream) -> None:
        return None

    monkeypatch.setattr(OutStream, "abandon", killed)
    await adapter._work.stop(0)
    [owed] = await pipeline.store.pending.owed()

    fake_openai.chat.append(text_reply("The whole answer."))
    await pipeline.run_answer_job({"channel_key": owed.channel_key, "message_id": owed.message_id})
    await pipeline.drain()
    await settle(adapter)
    assert answers_shown(fake_api) == ["The whole answer."]
    assert await pipeline.store.pending.owed() == []
