"""Stopping loses nothing: ``confab run`` (a real process) on SIGTERM lets the answers in flight finish,
removes the progress notes of anything it had to cut short, and exits 0 without a traceback."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from slack_fakes import SECRET, FakeSlackAPI, free_port, payload, post_event

from fakes.openai_server import FakeOpenAI, text_reply

pytestmark = pytest.mark.slow

PROGRESS = "Working on it"


async def _start_confab(tmp_path: Path, fake_api: FakeSlackAPI, fake_openai: FakeOpenAI, grace_s: float
                        ) -> tuple[asyncio.subprocess.Process, int]:
    port = free_port()
    (tmp_path / "knowledge").mkdir(exist_ok=True)
    env = {**os.environ, "SLACK_BOT_TOKEN": "xoxb-test", "SLACK_MODE": "http", "SLACK_SIGNING_SECRET": SECRET,
           "SLACK_HTTP_PORT": str(port), "SLACK_API_BASE_URL": fake_api.base + "/api/",
           "CONFAB_MODEL": "openai:gpt-4.1-mini", "OPENAI_API_KEY": "sk-test", "OPENAI_BASE_URL": fake_openai.base_url,
           "CONFAB_DATA_DIR": str(tmp_path / "data"), "CONFAB_KNOWLEDGE_DIR": str(tmp_path / "knowledge"),
           "CONFAB_KNOWLEDGE_WATCH": "false", "CONFAB_SHUTDOWN_GRACE_S": str(grace_s), "HF_HUB_OFFLINE": "1"}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", "run", "--platform", "slack", cwd=tmp_path, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return process, port
        if process.returncode is not None:
            break
        await asyncio.sleep(0.2)
    process.kill()
    _, err = await process.communicate()
    raise AssertionError(f"confab run did not start: {err.decode()[-2000:]}")


async def _mentions_in_flight(port: int, fake_openai: FakeOpenAI, count: int) -> None:
    mention = payload("app_mention")
    for i in range(count):
        ts = f"1700000200.{i:06d}"
        event = {**mention, "user": f"U0PERSON{i:02d}", "ts": ts, "event_ts": ts, "client_msg_id": f"c{i}",
                 "text": f"<@UBOT00001> question {i}: what is step {i} of the release?"}
        status, _ = await post_event(SimpleNamespace(http_port=port), event, event_id=f"EvSTOP{i:05d}")
        assert status == 200
    await _until(lambda: len(fake_openai.requests_to("/v1/chat/completions")) >= count, 60)
    assert len(fake_openai.requests_to("/v1/chat/completions")) == count  # all of them are being answered


async def _until(condition: Callable[[], bool], timeout_s: float) -> None:
    for _ in range(int(timeout_s * 10)):
        if condition():
            return
        await asyncio.sleep(0.1)


def _notes_left(fake_api: FakeSlackAPI) -> int:
    """Progress notes neither replaced by their answer (chat.update) nor removed (chat.delete)."""
    notes = [c for c in fake_api.calls_to("chat.postMessage") if PROGRESS in c.params["text"]]
    return len(notes) - len(fake_api.calls_to("chat.update")) - len(fake_api.calls_to("chat.delete"))


async def test_sigterm_lets_answers_in_flight_finish_and_exits_0(tmp_path: Path, fake_api: FakeSlackAPI,
                                                                 fake_openai: Any) -> None:
    count = 20
    fake_openai.chat.extend(text_reply(f"answer number {i}", delay_s=4.5) for i in range(count))
    process, port = await _start_confab(tmp_path, fake_api, fake_openai, grace_s=30)
    await _mentions_in_flight(port, fake_openai, count)
    await asyncio.sleep(0.5)
    process.send_signal(signal.SIGTERM)
    _, err = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode == 0, err.decode()[-2000:]
    assert b"Traceback" not in err
    answers = [c.params["text"] for c in fake_api.calls if c.method in ("chat.postMessage", "chat.update")
               and c.params.get("text", "").startswith("answer number")]
    assert len(answers) == count
    assert _notes_left(fake_api) == 0


async def test_what_the_grace_period_cuts_short_leaves_no_progress_note(tmp_path: Path, fake_api: FakeSlackAPI,
                                                                        fake_openai: Any) -> None:
    count = 3
    fake_openai.chat.extend(text_reply(f"answer number {i}", delay_s=30) for i in range(count))
    process, port = await _start_confab(tmp_path, fake_api, fake_openai, grace_s=1)
    await _mentions_in_flight(port, fake_openai, count)
    await _until(lambda: len([c for c in fake_api.calls_to("chat.postMessage")  # the notes come after 3 s
                              if PROGRESS in c.params["text"]]) >= count, 20)
    process.send_signal(signal.SIGTERM)
    _, err = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode == 0, err.decode()[-2000:]
    assert b"Traceback" not in err
    assert len([c for c in fake_api.calls_to("chat.postMessage") if PROGRESS in c.params["text"]]) == count
    assert len(fake_api.calls_to("chat.delete")) == count


async def test_a_second_sigterm_stops_at_once_without_a_traceback(tmp_path: Path, fake_api: FakeSlackAPI,
                                                                  fake_openai: Any) -> None:
    fake_openai.chat.append(text_reply("answer number 0", delay_s=60))
    process, port = await _start_confab(tmp_path, fake_api, fake_openai, grace_s=60)
    await _mentions_in_flight(port, fake_openai, 1)
    process.send_signal(signal.SIGTERM)
    await asyncio.sleep(1.0)
    process.send_signal(signal.SIGTERM)
    _, err = await asyncio.wait_for(process.communicate(), timeout=30)
    assert process.returncode == 130, err.decode()[-2000:]
    assert b"Traceback" not in err and b"stopped without waiting" in err
