"""Slack's thread status while an answer is worked on (assistant.threads.setStatus), and how it and the
"working on it" note share the work: the status where a thread can show it, the note where it can't."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest
from langchain_core.messages import AIMessage

from bot.events import ChannelRef
from tests.fakes.scripted_model import ScriptedModel
from tests.fakes.slack import FakeSlackAPI, payload, post_event, settle
from tests.fakes.waiting import until

MENTION_TS = "1700000100.000200"  # the app_mention fixture's ts: its answer's thread


async def test_a_slow_answer_in_a_thread_shows_a_status_instead_of_a_note(slack_bot: Any,
                                                                          fake_api: FakeSlackAPI) -> None:
    adapter, _ = await slack_bot(ScriptedModel(steps=[AIMessage("the long answer")], delay_s=0.4),
                                 progress_after_s=0.05)
    await post_event(adapter, payload("app_mention"))
    await settle(adapter)
    [status, *_] = fake_api.calls_to("assistant.threads.setStatus")
    assert status.params["channel_id"] == "C0GENERAL" and status.params["thread_ts"] == MENTION_TS
    assert fake_api.statuses(MENTION_TS) == ["is thinking…", ""]  # shown while it worked, cleared after
    [answer] = fake_api.calls_to("chat.postMessage")  # no "working on it" note before it
    assert answer.params["text"] == "the long answer" and answer.params["thread_ts"] == MENTION_TS
    assert fake_api.calls_to("chat.update") == []
    posted_at = fake_api.calls.index(answer)
    assert [c.params["status"] for c in fake_api.calls[posted_at:]
            if c.method == "assistant.threads.setStatus"] == [""]  # cleared once the answer landed


async def test_a_refused_status_falls_back_to_the_note_and_is_logged_once(
        slack_bot: Any, fake_api: FakeSlackAPI, caplog: pytest.LogCaptureFixture) -> None:
    fake_api.errors["assistant.threads.setStatus"] = "missing_scope"
    adapter, _ = await slack_bot(ScriptedModel(steps=[AIMessage("one"), AIMessage("two")], delay_s=0.3),
                                 progress_after_s=0.05)
    with caplog.at_level(logging.INFO, logger="bot.slack.status"):
        await post_event(adapter, payload("app_mention"))
        await settle(adapter)
        second = {**payload("app_mention"), "ts": "1700000100.000900", "event_ts": "1700000100.000900"}
        await post_event(adapter, second)
        await settle(adapter)
    # the app can't set statuses at all: tried once, then not again in this process
    assert len(fake_api.calls_to("assistant.threads.setStatus")) == 1
    warnings = [r for r in caplog.records if r.name == "bot.slack.status" and r.levelno >= logging.WARNING]
    assert len(warnings) == 1 and getattr(warnings[0], "error", None) == "missing_scope"
    # both answers came, each replacing its note
    notes = [c for c in fake_api.calls_to("chat.postMessage") if "Working on it" in c.params["text"]]
    assert len(notes) == 2
    assert sorted(c.params["text"] for c in fake_api.calls_to("chat.update")) == ["one", "two"]


async def test_a_dm_outside_a_thread_keeps_the_note(slack_bot: Any, fake_api: FakeSlackAPI) -> None:
    adapter, _ = await slack_bot(ScriptedModel(steps=[AIMessage("dm answer")], delay_s=0.3),
                                 progress_after_s=0.05)
    await post_event(adapter, payload("message_im"))
    await settle(adapter)
    assert fake_api.calls_to("assistant.threads.setStatus") == []  # a DM's answer has no thread to show it in
    [note] = fake_api.calls_to("chat.postMessage")
    assert "Working on it" in note.params["text"]
    [update] = fake_api.calls_to("chat.update")
    assert update.params["text"] == "dm answer"


async def test_phases_are_coalesced_and_paced(start_slack: Any, fake_api: FakeSlackAPI,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """Phases reported faster than the pace: the latest wins, the ones in between are skipped."""
    from bot.slack import status as status_module
    from tests.fakes.slack import RecordingHandler

    monkeypatch.setattr(status_module, "MIN_INTERVAL_S", 0.3)
    adapter = await start_slack(RecordingHandler())
    channel = ChannelRef("slack", "T0TEAM001", "C0GENERAL")
    line = adapter.progress(channel, "1700000500.000100")
    assert line is not None
    await until(lambda: fake_api.statuses() == ["is thinking…"], 5.0, "the first status")
    for phase in ("searching the docs…", "reading 240 messages…", "drawing…"):
        line.phase(phase)
    await until(lambda: len(fake_api.statuses()) == 2, 5.0, "the latest phase")
    await asyncio.sleep(0.4)
    assert fake_api.statuses() == ["is thinking…", "is drawing…"]
    await line.end()
    await settle(adapter)
    assert fake_api.statuses("1700000500.000100") == ["is thinking…", "is drawing…", ""]
    line.phase("writing the answer…")  # after the end: nothing more
    await asyncio.sleep(0.05)
    assert len(fake_api.statuses()) == 3


async def test_a_status_that_errors_mid_turn_never_costs_the_answer(slack_bot: Any, fake_api: FakeSlackAPI) -> None:
    fake_api.errors["assistant.threads.setStatus"] = "internal_error"
    adapter, _ = await slack_bot(ScriptedModel(steps=[AIMessage("still answered")]))
    await post_event(adapter, payload("app_mention"))
    await settle(adapter)
    [answer] = fake_api.calls_to("chat.postMessage")
    assert answer.params["text"] == "still answered"
    assert len(fake_api.calls_to("assistant.threads.setStatus")) == 1  # no clearing of a status never shown
