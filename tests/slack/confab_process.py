"""``confab run`` as a real process in Slack HTTP mode against the loopback fakes (the stop and crash tests)."""

from __future__ import annotations

import asyncio
import os
import socket
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace

from tests.fakes.openai_server import FakeOpenAI
from tests.fakes.slack import SECRET, FakeSlackAPI, free_port, payload, post_event

PROGRESS = "Working on it"


async def start_confab(tmp_path: Path, fake_api: FakeSlackAPI, fake_openai: FakeOpenAI, grace_s: float,
                       **env_extra: str) -> tuple[asyncio.subprocess.Process, int]:
    port = free_port()
    (tmp_path / "knowledge").mkdir(exist_ok=True)
    env = {**os.environ, "SLACK_BOT_TOKEN": "xoxb-test", "SLACK_MODE": "http", "SLACK_SIGNING_SECRET": SECRET,
           "SLACK_HTTP_PORT": str(port), "SLACK_API_BASE_URL": fake_api.base + "/api/",
           "CONFAB_MODEL": "openai:gpt-4.1-mini", "OPENAI_API_KEY": "sk-test", "OPENAI_BASE_URL": fake_openai.base_url,
           "CONFAB_DATA_DIR": str(tmp_path / "data"), "CONFAB_KNOWLEDGE_DIR": str(tmp_path / "knowledge"),
           "CONFAB_KNOWLEDGE_WATCH": "false", "CONFAB_SHUTDOWN_GRACE_S": str(grace_s), "HF_HUB_OFFLINE": "1",
           **env_extra}
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


async def mentions_in_flight(port: int, fake_openai: FakeOpenAI, count: int) -> None:
    mention = payload("app_mention")
    for i in range(count):
        ts = f"1700000200.{i:06d}"
        event = {**mention, "user": f"U0PERSON{i:02d}", "ts": ts, "event_ts": ts, "client_msg_id": f"c{i}",
                 "text": f"<@UBOT00001> question {i}: what is step {i} of the release?"}
        status, _ = await post_event(SimpleNamespace(http_port=port), event, event_id=f"EvSTOP{i:05d}")
        assert status == 200
    await until(lambda: len(fake_openai.requests_to("/v1/chat/completions")) >= count, 60)
    assert len(fake_openai.requests_to("/v1/chat/completions")) == count  # all of them are being answered


async def until(condition: Callable[[], bool], timeout_s: float) -> None:
    for _ in range(int(timeout_s * 10)):
        if condition():
            return
        await asyncio.sleep(0.1)


def notes_mode(fake_api: FakeSlackAPI) -> dict[str, str]:
    """The "Working on it…" notes instead of thread statuses (the workspace refuses them) and whole answers
    instead of streamed ones: ``start_confab(..., **notes_mode(fake_api))``."""
    fake_api.errors["assistant.threads.setStatus"] = "missing_scope"
    return {"CONFAB_STREAM_ANSWERS": "false"}


def answers_given(fake_api: FakeSlackAPI, prefix: str = "answer number") -> list[str]:
    """Every answer that reached Slack: posted, put in a progress note's place, or streamed to its end."""
    posted = [str(c.params.get("text", "")) for c in fake_api.calls if c.method in ("chat.postMessage", "chat.update")]
    streamed = [str(s["text"]) for s in fake_api.streams.values() if s["state"] == "stopped"]
    return [text.strip() for text in posted + streamed if text.strip().startswith(prefix)]


def statuses_showing(fake_api: FakeSlackAPI) -> int:
    """Threads whose last status is not cleared."""
    last: dict[str, str] = {}
    for call in fake_api.calls_to("assistant.threads.setStatus"):
        last[str(call.params.get("thread_ts"))] = str(call.params.get("status") or "")
    return sum(bool(status) for status in last.values())


def notes_left(fake_api: FakeSlackAPI) -> int:
    """Progress notes neither replaced by their answer (chat.update) nor removed (chat.delete)."""
    notes = [c for c in fake_api.calls_to("chat.postMessage") if PROGRESS in c.params["text"]]
    return len(notes) - len(fake_api.calls_to("chat.update")) - len(fake_api.calls_to("chat.delete"))
