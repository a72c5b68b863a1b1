"""Stopping loses nothing: ``confab run`` (a real process) on SIGTERM lets the answers in flight finish,
removes the progress notes of anything it had to cut short, and exits 0 without a traceback."""

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


async def test_sigterm_lets_answers_in_flight_finish_and_exits_0(tmp_path: Path, fake_api: FakeSlackAPI,
                                                                 fake_openai: Any) -> None:
    count = 20
    fake_openai.chat.extend(text_reply(f"answer number {i}", delay_s=4.5) for i in range(count))
    process, port = await start_confab(tmp_path, fake_api, fake_openai, grace_s=30)
    await mentions_in_flight(port, fake_openai, count)
    await asyncio.sleep(0.5)
    process.send_signal(signal.SIGTERM)
    _, err = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode == 0, err.decode()[-2000:]
    assert b"Traceback" not in err
    assert len(answers_given(fake_api)) == count
    assert notes_left(fake_api) == 0 and statuses_showing(fake_api) == 0


@pytest.mark.parametrize("mode", ["notes", "status"])
async def test_what_the_grace_period_cuts_short_leaves_no_progress_showing(
        tmp_path: Path, fake_api: FakeSlackAPI, fake_openai: Any, mode: str) -> None:
    count = 3
    env = notes_mode(fake_api) if mode == "notes" else {}
    fake_openai.chat.extend(text_reply(f"answer number {i}", delay_s=30) for i in range(count))
    process, port = await start_confab(tmp_path, fake_api, fake_openai, grace_s=1, **env)
    await mentions_in_flight(port, fake_openai, count)
    if mode == "notes":
        await until(lambda: len([c for c in fake_api.calls_to("chat.postMessage")  # the notes come after 3 s
                                 if PROGRESS in c.params["text"]]) >= count, 20)
    else:
        await until(lambda: statuses_showing(fake_api) >= count, 20)
    process.send_signal(signal.SIGTERM)
    _, err = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode == 0, err.decode()[-2000:]
    assert b"Traceback" not in err
    if mode == "notes":
        assert len([c for c in fake_api.calls_to("chat.postMessage") if PROGRESS in c.params["text"]]) == count
        assert len(fake_api.calls_to("chat.delete")) == count
    else:
        assert statuses_showing(fake_api) == 0 and notes_left(fake_api) == 0  # every status cleared


async def test_a_second_sigterm_stops_at_once_without_a_traceback(tmp_path: Path, fake_api: FakeSlackAPI,
                                                                  fake_openai: Any) -> None:
    fake_openai.chat.append(text_reply("answer number 0", delay_s=60))
    process, port = await start_confab(tmp_path, fake_api, fake_openai, grace_s=60)
    await mentions_in_flight(port, fake_openai, 1)
    process.send_signal(signal.SIGTERM)
    await asyncio.sleep(1.0)
    process.send_signal(signal.SIGTERM)
    _, err = await asyncio.wait_for(process.communicate(), timeout=30)
    assert process.returncode == 130, err.decode()[-2000:]
    assert b"Traceback" not in err and b"stopped without waiting" in err
