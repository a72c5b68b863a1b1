"""A Slack delivery whose sender stopped waiting (Slack gives up after 3 s, closes the connection and retries)
is not worked on: neither looked up nor stored, since no one would be told it was; its retry is."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import pytest

from bot.events import Author
from tests.fakes.slack import RecordingHandler, payload, post_event, settle
from tests.fakes.waiting import until


def _request_tasks(adapter: Any) -> set[asyncio.Task[Any]]:
    """The tasks the adapter's HTTP server handles its connections' requests in (aiohttp's)."""
    return {c._task_handler for c in adapter._runner.server.connections if c._task_handler is not None}


async def test_a_delivery_its_sender_gave_up_on_is_left_to_the_retry(start_slack: Any,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    import bot.slack.listeners

    monkeypatch.setattr(bot.slack.listeners, "AUTHOR_WAIT_S", 60.0)  # the lookup outlasts the sender, not the wait
    handler = RecordingHandler()
    adapter = await start_slack(handler)
    looking, release = asyncio.Event(), asyncio.Event()

    async def slow_lookup(fallback: Author) -> Author:
        looking.set()
        await release.wait()
        return fallback

    monkeypatch.setattr(adapter.listeners.authors, "author", slow_lookup)
    first = asyncio.create_task(post_event(adapter, payload("app_mention"), event_id="Ev0GONE0001"))
    async with asyncio.timeout(30):
        await looking.wait()
        handling = _request_tasks(adapter)
        first.cancel()  # the sender stops waiting and closes the connection
        with contextlib.suppress(asyncio.CancelledError):
            await first
        await until(lambda: all(c.transport is None for c in adapter._runner.server.connections), 30,
                    "the endpoint to see the connection closed")
        release.set()
        await asyncio.wait(handling)  # the abandoned delivery's handling is over
    await settle(adapter)
    assert handler.messages == []

    retry = {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
    status, _ = await post_event(adapter, payload("app_mention"), event_id="Ev0GONE0001", headers=retry)
    assert status == 200
    await settle(adapter)
    assert len(handler.messages) == 1
