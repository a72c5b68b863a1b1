"""Every Web API call of a running Slack adapter goes over one HTTP session (one connection pool), in HTTP mode,
in Socket Mode and in a worker that only sends; the session is closed with the adapter."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from bot.events import ChannelRef, Reply
from bot.outbox import Outbox
from bot.slack.adapter import SlackAdapter
from tests.fakes.harness import start_adapter, stop_adapter
from tests.fakes.slack import (
    TEAM_ID,
    FakeSlackAPI,
    FakeSocketMode,
    RecordingHandler,
    event_body,
    payload,
    post_event,
    settle,
    slack_settings,
)


async def test_author_lookups_reuse_one_connection(start_slack: Any, fake_api: FakeSlackAPI) -> None:
    adapter = await start_slack(RecordingHandler())
    for i in range(4):  # four people: four users.info calls
        event = {**payload("message_channels"), "user": f"U0PERSON{i}", "ts": f"1700000300.{i:06d}",
                 "client_msg_id": f"s{i}"}
        assert (await post_event(adapter, event))[0] == 200
    await settle(adapter)
    lookups = fake_api.calls_to("users.info")
    assert len(lookups) == 4
    assert len({c.peer for c in fake_api.calls}) == 1  # auth.test and every lookup: one TCP connection
    session = adapter.client.session
    assert session is not None and not session.closed


async def test_a_sending_only_worker_shares_one_session_and_closes_it(tmp_path: Path, fake_api: FakeSlackAPI
                                                                       ) -> None:
    adapter = SlackAdapter(slack_settings(tmp_path, fake_api, "http"), listen=False)
    task = await start_adapter(adapter, RecordingHandler(), Outbox(None, "confab"))
    channel = ChannelRef("slack", TEAM_ID, "C0GENERAL")
    for i in range(3):
        await adapter.send(Reply(channel, f"answer {i}"))
    session = adapter.client.session
    await stop_adapter(adapter, task)
    posts = fake_api.calls_to("chat.postMessage")
    assert len(posts) == 3 and len({c.peer for c in fake_api.calls}) == 1
    assert session is not None and session.closed


async def test_socket_mode_web_api_calls_share_one_session(fake_api: FakeSlackAPI, fake_socket: FakeSocketMode,
                                                           start_slack: Any) -> None:
    adapter = await start_slack(RecordingHandler(), mode="socket")
    await asyncio.wait_for(fake_socket.connected.wait(), 5)
    for i in range(3):
        event = {**payload("message_channels"), "user": f"U0SOCKET{i}", "ts": f"1700000500.{i:06d}",
                 "client_msg_id": f"k{i}"}
        await fake_socket.wait_ack(await fake_socket.push("events_api", event_body(event)))
    await adapter.drain()
    assert len(fake_api.calls_to("users.info")) == 3
    # auth.test, apps.connections.open and the lookups: one TCP connection
    assert len({c.peer for c in fake_api.calls}) == 1
