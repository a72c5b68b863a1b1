"""Durable slash commands: ``confab run`` (a real process, Slack HTTP mode) acknowledges 20 ``/ask`` commands,
is killed with SIGKILL before answering any of them, and after a restart answers each exactly once through
its own ``response_url`` (Confab is not in the channel here, so the response URL is the only way back)."""

from __future__ import annotations

import asyncio
import json
import signal
from collections import Counter
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from aiohttp import web

from tests.fakes.loopback import serve_on_loopback
from tests.fakes.openai_server import text_reply
from tests.fakes.slack import FakeSlackAPI, command_form, post_form
from tests.slack.confab_process import PROGRESS, start_confab, until

pytestmark = pytest.mark.slow

COUNT = 20  # each asker is a different user: the per-user rate limit stays out of the way


class ResponseURLs:
    """Slack's response URLs, one per command: what was posted to each."""

    def __init__(self) -> None:
        self.posted: list[tuple[str, dict[str, Any]]] = []
        self.base = ""
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/commands/{key}", self._post)
        self._runner, self.base = await serve_on_loopback(app)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _post(self, request: web.Request) -> web.Response:
        self.posted.append((request.match_info["key"], json.loads(await request.read())))
        return web.Response(text="ok")

    def answers(self) -> Counter[str]:
        return Counter(key for key, body in self.posted if "answer number" in str(body.get("text", "")))

    def notes(self) -> int:
        return sum(PROGRESS in str(body.get("text", "")) for _, body in self.posted)


async def test_acked_commands_survive_sigkill_and_are_answered_once_through_their_response_urls(
        tmp_path: Path, fake_api: FakeSlackAPI, fake_openai: Any) -> None:
    urls = ResponseURLs()
    await urls.start()
    fake_api.errors["chat.postMessage"] = "not_in_channel"
    fake_openai.chat.extend(text_reply("never delivered", delay_s=120) for _ in range(COUNT))
    process, port = await start_confab(tmp_path, fake_api, fake_openai, grace_s=30)
    try:
        for i in range(COUNT):
            form = command_form("/ask", f"what is step {i} of the release?", f"{urls.base}/commands/c{i}",
                                user_id=f"U0PERSON{i:02d}")
            status, _ = await post_form(SimpleNamespace(http_port=port), form)
            assert status == 200  # acknowledged: recorded first
        await until(lambda: len(fake_openai.requests_to("/v1/chat/completions")) >= COUNT, 60)
        await until(lambda: urls.notes() >= COUNT, 20)  # "Working on it…" after 3 s, each through its URL
        assert len(fake_openai.requests_to("/v1/chat/completions")) == COUNT
        process.send_signal(signal.SIGKILL)
        await asyncio.wait_for(process.wait(), timeout=30)
        assert not urls.answers()

        fake_openai.chat.extend(text_reply(f"answer number {i}") for i in range(COUNT))
        process, port = await start_confab(tmp_path, fake_api, fake_openai, grace_s=30)
        try:
            await until(lambda: len(urls.answers()) >= COUNT, 90)
            await asyncio.sleep(1.0)  # nothing more arrives
        finally:
            process.send_signal(signal.SIGTERM)
            _, err = await asyncio.wait_for(process.communicate(), timeout=60)
        assert process.returncode == 0, err.decode()[-2000:]
    finally:
        await urls.stop()
    assert urls.answers() == Counter({f"c{i}": 1 for i in range(COUNT)})  # each command, exactly once
    answered = sorted(str(body["text"]).split("\n")[-1] for _, body in urls.posted if "answer number" in body["text"])
    assert answered == sorted(f"answer number {i}" for i in range(COUNT))
    assert len(fake_openai.requests_to("/v1/chat/completions")) == 2 * COUNT  # each resumed once, none twice
    assert all(body.get("response_type") == "in_channel" for _, body in urls.posted if "answer number" in body["text"])
