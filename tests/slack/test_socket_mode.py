"""The real AsyncApp over Socket Mode: slack_sdk's client connects to a loopback websocket server
found through apps.connections.open on the fake Web API, and speaks the envelope protocol."""

from __future__ import annotations

import asyncio
from typing import Any

from tests.fakes.slack import FakeSlackAPI, FakeSocketMode, RecordingHandler, command_form, event_body, payload
from tests.fakes.waiting import until as wait_for


async def test_events_arrive_over_the_websocket_and_are_acked(fake_api: FakeSlackAPI, fake_socket: FakeSocketMode,
                                                             start_slack: Any) -> None:
    handler = RecordingHandler()
    adapter = await start_slack(handler, mode="socket")
    await asyncio.wait_for(fake_socket.connected.wait(), 5)
    assert fake_api.calls_to("apps.connections.open")
    envelope_id = await fake_socket.push("events_api", event_body(payload("app_mention")))
    ack = await fake_socket.wait_ack(envelope_id)
    assert ack["envelope_id"] == envelope_id
    await wait_for(lambda: handler.messages)
    await adapter.drain()
    assert handler.messages[0].mentions_bot and handler.messages[0].channel.channel == "C0GENERAL"


async def test_redelivered_envelopes_are_acked_but_handled_once(fake_socket: FakeSocketMode, start_slack: Any
                                                                ) -> None:
    handler = RecordingHandler()
    adapter = await start_slack(handler, mode="socket")
    await asyncio.wait_for(fake_socket.connected.wait(), 5)
    body = event_body(payload("message_im"), event_id="Ev0SOCKET01")
    ids = [await fake_socket.push("events_api", body, retry_attempt=attempt) for attempt in range(4)]
    for envelope_id in ids:
        await fake_socket.wait_ack(envelope_id)  # acked once the listener returned (process_before_response)
    await adapter.drain()
    assert len(handler.messages) == 1 and handler.messages[0].is_direct


async def test_slash_command_envelope_is_acked_first_and_answered_later(fake_api: FakeSlackAPI,
                                                                       fake_socket: FakeSocketMode,
                                                                       start_slack: Any) -> None:
    handler = RecordingHandler(delay_s=0.5)
    adapter = await start_slack(handler, mode="socket")
    await asyncio.wait_for(fake_socket.connected.wait(), 5)
    envelope_id = await fake_socket.push("slash_commands", command_form("/brainstorm", "CI speed-ups",
                                                                        fake_api.response_url()))
    await fake_socket.wait_ack(envelope_id)
    assert fake_api.responses == []  # acked before the (slow) handler finished
    await wait_for(lambda: fake_api.responses)
    await adapter.drain()
    assert handler.commands[0].name == "brainstorm" and fake_api.responses[0]["text"] == "did brainstorm: CI speed-ups"


async def test_shortcut_envelope(fake_api: FakeSlackAPI, fake_socket: FakeSocketMode, start_slack: Any) -> None:
    handler = RecordingHandler()
    adapter = await start_slack(handler, mode="socket")
    await asyncio.wait_for(fake_socket.connected.wait(), 5)
    shortcut = {**payload("message_shortcut"), "response_url": fake_api.response_url()}
    await fake_socket.wait_ack(await fake_socket.push("interactive", shortcut))
    await wait_for(lambda: handler.commands)
    await adapter.drain()
    assert handler.commands[0].target == "1700000100.000200"


async def test_reconnects_when_slack_asks(fake_api: FakeSlackAPI, fake_socket: FakeSocketMode, start_slack: Any
                                          ) -> None:
    handler = RecordingHandler()
    adapter = await start_slack(handler, mode="socket")
    await asyncio.wait_for(fake_socket.connected.wait(), 5)
    await fake_socket.ask_to_reconnect()
    await wait_for(lambda: len(fake_socket.connections) == 2, 10)
    assert len(fake_api.calls_to("apps.connections.open")) == 2
    envelope_id = await fake_socket.push("events_api", event_body(payload("message_channels")))
    await fake_socket.wait_ack(envelope_id)
    await wait_for(lambda: handler.messages)
    await adapter.drain()
