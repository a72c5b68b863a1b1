"""Slack fixtures: the loopback fake Web API / Socket Mode server and a running SlackAdapter."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from tests.fakes.harness import BotFactory, start_adapter, stop_adapter
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
    """``adapter = await start_slack(handler, mode="http")``: a running SlackAdapter against the fakes,
    delivering to ``handler`` (a recording handler; a bot is ``slack_bot``). Drained and closed at teardown."""
    from bot.outbox import Outbox
    from bot.slack.adapter import SlackAdapter

    running: list[tuple[Any, asyncio.Task[None]]] = []

    async def start(handler: Any, mode: str = "http", progress_after_s: float | None = None,
                    settings: Any = None, **overrides: Any) -> Any:
        adapter = SlackAdapter(settings or slack_settings(tmp_path, fake_api, mode, **overrides),
                               http_host="127.0.0.1", progress_after_s=progress_after_s)
        task = await start_adapter(adapter, handler, Outbox(None, "confab"))
        running.append((adapter, task))
        return adapter

    yield start
    for adapter, task in reversed(running):
        await stop_adapter(adapter, task)


@pytest.fixture
def slack_bot(tmp_path: Path, fake_api: FakeSlackAPI, bot_factory: BotFactory
              ) -> Callable[..., Awaitable[tuple[Any, Any]]]:
    """``adapter, pipeline = await slack_bot(model, progress_after_s=None, mode="http", **settings)``:
    a bot (``bot_factory``) around ``model`` on a SlackAdapter against the fakes (``file_hosts``: where it may
    download attachments from, e.g. ``tests.fakes.file_host.LOOPBACK_FILES``)."""
    from bot.slack.adapter import SlackAdapter

    async def build(model: Any = None, progress_after_s: float | None = None, mode: str = "http",
                    file_hosts: Any = None, **overrides: Any) -> tuple[Any, Any]:
        settings = slack_settings(tmp_path, fake_api, mode, **overrides)
        hosts = {"file_hosts": file_hosts} if file_hosts is not None else {}
        adapter = SlackAdapter(settings, http_host="127.0.0.1", progress_after_s=progress_after_s, **hosts)
        bot = await bot_factory(model, settings=settings, adapter=adapter)
        return bot.adapter, bot.pipeline

    return build
