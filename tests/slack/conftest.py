"""Slack fixtures: the loopback fake Web API / Socket Mode server and a running SlackAdapter."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from tests.fakes.slack import FakeSlackAPI, FakeSocketMode, slack_settings


@pytest.fixture
async def fake_api() -> AsyncIterator[FakeSlackAPI]:
    api = FakeSlackAPI()
    await api.start()
    yield api
    await api.stop()


@pytest.fixture
async def fake_socket(fake_api: FakeSlackAPI) -> AsyncIterator[FakeSocketMode]:
    server = FakeSocketMode()
    fake_api.ws_url = await server.start()
    yield server
    await server.stop()


StartSlack = Callable[..., Awaitable[Any]]


@pytest.fixture
async def start_slack(tmp_path: Path, fake_api: FakeSlackAPI) -> AsyncIterator[StartSlack]:
    """``adapter = await start_slack(handler, mode="http")``: a running SlackAdapter against the fakes."""
    from bot.slack.adapter import SlackAdapter

    running: list[tuple[Any, asyncio.Task[None]]] = []

    async def start(handler: Any, mode: str = "http", progress_after_s: float | None = None,
                    settings: Any = None, **overrides: Any) -> Any:
        adapter = SlackAdapter(settings or slack_settings(tmp_path, fake_api, mode, **overrides),
                               http_host="127.0.0.1", progress_after_s=progress_after_s)
        from bot.outbox import Outbox

        outbox = getattr(handler, "outbox", None) or Outbox(None, "confab")  # the pipeline's, or one of its own
        task = asyncio.create_task(adapter.start(handler, outbox))
        running.append((adapter, task))
        ready = asyncio.create_task(adapter.ready.wait())
        await asyncio.wait({task, ready}, timeout=10, return_when=asyncio.FIRST_COMPLETED)
        if task.done():
            ready.cancel()
            task.result()
        assert adapter.ready.is_set(), "the slack adapter did not start"
        return adapter

    yield start
    for adapter, task in running:
        await adapter.close()
        await asyncio.wait_for(task, 10)


@pytest.fixture
async def slack_bot(tmp_path: Path, fake_api: FakeSlackAPI, start_slack: StartSlack
                    ) -> AsyncIterator[Callable[..., Awaitable[tuple[Any, Any]]]]:
    """``adapter, pipeline = await slack_bot(model, progress_after_s=None, **settings)``: bot.app's
    pipeline around ``model`` wired to a SlackAdapter in HTTP mode."""
    from bot.app import build_app
    from tests.fakes.settings import make_settings
    from tests.fakes.slack import SECRET, free_port

    opened: list[tuple[Any, Any]] = []

    async def build(model: Any, progress_after_s: float | None = None, **overrides: Any) -> tuple[Any, Any]:
        settings = make_settings(tmp_path, slack_bot_token="xoxb-test", slack_mode="http",
                                 slack_signing_secret=SECRET, slack_http_port=free_port(),
                                 slack_api_base_url=fake_api.base + "/api/", **overrides)
        deps, pipeline = await build_app(settings, chat_model=model)
        opened.append((deps, pipeline))
        adapter = await start_slack(pipeline, settings=settings, progress_after_s=progress_after_s)
        return adapter, pipeline

    yield build
    for deps, pipeline in opened:
        await pipeline.drain()
        await deps.close()
