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
from tests.slack.confab_process import PROGRESS, mentions_in_flight, notes_left, start_confab, until

pytestmark = pytest.mark.slow


def _answers(fake_api: FakeSlackAPI) -> list[str]:
    """Every answer posted, or put in a progress note's place."""
    return [str(c.params.get("text", "")) for c in fake_api.calls if c.method in ("chat.postMessage", "chat.update")
            and str(c.params.get("text", "")).startswith("answer number")]


async def test_acked_mentions_survive_sigkill_and_are_answered_once_after_restart(
        tmp_path: Path, fake_api: FakeSlackAPI, fake_openai: Any) -> None:
    count = 20
    fake_api.keep_posts = True  # as Slack does: a note posted just before the kill is found by its metadata
    fake_openai.chat.extend(text_reply("never delivered", delay_s=120) for _ in range(count))
    process, port = await start_confab(tmp_path, fake_api, fake_openai, grace_s=30)
    await mentions_in_flight(port, fake_openai, count)  # every mention acked with 200 and being answered
    await until(lambda: len([c for c in fake_api.calls_to("chat.postMessage")  # the notes come after 3 s
                             if PROGRESS in c.params["text"]]) >= count, 20)
    process.send_signal(signal.SIGKILL)
    await asyncio.wait_for(process.wait(), timeout=30)
    assert not _answers(fake_api)

    fake_openai.chat.extend(text_reply(f"answer number {i}") for i in range(count))
    process, port = await start_confab(tmp_path, fake_api, fake_openai, grace_s=30)
    try:
        await until(lambda: len(_answers(fake_api)) >= count and notes_left(fake_api) == 0, 90)
        await asyncio.sleep(1.0)  # nothing more arrives
    finally:
        process.send_signal(signal.SIGTERM)
        _, err = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode == 0, err.decode()[-2000:]
    answers = _answers(fake_api)
    assert sorted(answers) == sorted(f"answer number {i}" for i in range(count))
    assert len(fake_openai.requests_to("/v1/chat/completions")) == 2 * count  # each resumed once, none twice
    assert notes_left(fake_api) == 0
