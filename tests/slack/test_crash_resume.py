"""Durable delivery: ``confab run`` (a real process, Slack HTTP mode) acknowledges 20 mentions, is killed
with SIGKILL before answering any of them, and answers each exactly once after a restart, replacing or
removing the progress notes the killed process had posted."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path
from typing import Any

import pytest

from tests.fakes.openai_server import text_reply
from tests.fakes.slack import FakeSlackAPI
from tests.slack.confab_process import (
    PROGRESS,
    answers_given,
    mentions_in_flight,
    notes_left,
    notes_mode,
    start_confab,
    statuses_showing,
    until,
)

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("mode", ["notes", "status and stream"])
async def test_acked_mentions_survive_sigkill_and_are_answered_once_after_restart(
        tmp_path: Path, fake_api: FakeSlackAPI, fake_openai: Any, mode: str) -> None:
    """``notes``: a workspace that refuses thread statuses sees "Working on it…" notes, replaced after the
    restart; ``status and stream`` (the default): thread statuses while answering, answers streamed."""
    count = 20
    fake_api.keep_posts = True  # as Slack does: a note posted just before the kill is found by its metadata
    env = notes_mode(fake_api) if mode == "notes" else {}
    fake_openai.chat.extend(text_reply("never delivered", delay_s=120) for _ in range(count))
    process, port = await start_confab(tmp_path, fake_api, fake_openai, grace_s=30, **env)
    await mentions_in_flight(port, fake_openai, count)  # every mention acked with 200 and being answered
    if mode == "notes":
        await until(lambda: len([c for c in fake_api.calls_to("chat.postMessage")  # the notes come after 3 s
                                 if PROGRESS in c.params["text"]]) >= count, 20)
    else:
        await until(lambda: statuses_showing(fake_api) >= count, 20)
        assert statuses_showing(fake_api) == count and notes_left(fake_api) == 0  # a status, not a note
    process.send_signal(signal.SIGKILL)
    await asyncio.wait_for(process.wait(), timeout=30)
    assert not answers_given(fake_api)

    fake_openai.chat.extend(text_reply(f"answer number {i}") for i in range(count))
    process, port = await start_confab(tmp_path, fake_api, fake_openai, grace_s=30, **env)
    try:
        await until(lambda: len(answers_given(fake_api)) >= count and notes_left(fake_api) == 0, 90)
        await asyncio.sleep(1.0)  # nothing more arrives
    finally:
        process.send_signal(signal.SIGTERM)
        _, err = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode == 0, err.decode()[-2000:]
    answers = answers_given(fake_api)
    assert sorted(answers) == sorted(f"answer number {i}" for i in range(count))
    assert len(fake_openai.requests_to("/v1/chat/completions")) == 2 * count  # each resumed once, none twice
    assert notes_left(fake_api) == 0
    if mode != "notes":
        assert fake_api.streams and all(s["state"] == "stopped" for s in fake_api.streams.values())
