"""Acting calls waiting for an admin, on both storage backends: kept with their arguments, taken once even by two
replicas at the same moment (each with its own lock: the shared event ledger decides), gone after the window."""

from __future__ import annotations

import asyncio

from agent.mcp.confirm import PENDING_KEY, Confirmations, PendingCall
from agent.storage.ports import Storage
from tests.storage.conftest import Opener, replica, settings, store

__all__ = ["replica", "settings", "store"]

KEY = "test:T1:general"
ARGS = {"title": "Drucker kaputt 🖨️", "labels": ["ops", "urgent"], "meta": {"floor": 3}}


def confirmations(storage: Storage, window_s: float = 600) -> Confirmations:
    return Confirmations(storage.channel_settings, storage.events, window_s)


async def test_a_call_is_kept_with_its_arguments_and_taken_once(store: Storage) -> None:
    pending = confirmations(store)
    asked = await pending.ask(KEY, "tickets", "create_ticket", ARGS, "U1", thread="t1")
    assert await pending.claim("test:T1:random", asked.code) == "unknown"  # another channel
    taken = await pending.claim(KEY, asked.code.lower())
    assert isinstance(taken, PendingCall) and taken.args == ARGS and taken.thread == "t1"
    assert taken.tool == "create_ticket" and taken.asked_by == "U1"
    assert await pending.claim(KEY, asked.code) == "unknown"


async def test_two_replicas_confirming_at_once_take_it_once(store: Storage, replica: Opener) -> None:
    asked = await confirmations(store).ask(KEY, "tickets", "create_ticket", ARGS, "U1")
    here, there = confirmations(store), confirmations(await replica())
    results = await asyncio.gather(here.claim(KEY, asked.code), there.claim(KEY, asked.code))
    assert sum(isinstance(r, PendingCall) for r in results) == 1


async def test_a_call_past_its_window_is_expired_and_dropped(store: Storage) -> None:
    pending = confirmations(store, window_s=600)
    old = await pending.ask(KEY, "tickets", "create_ticket", {"title": "old"}, "U1")
    stored = await store.channel_settings.get(KEY, PENDING_KEY)
    stored[old.code]["at"] -= 601
    await store.channel_settings.set(KEY, PENDING_KEY, stored)
    fresh = await pending.ask(KEY, "tickets", "create_ticket", {"title": "new"}, "U1")
    assert set(await store.channel_settings.get(KEY, PENDING_KEY)) == {fresh.code}  # pruned on the next ask
    assert await pending.claim(KEY, old.code) == "unknown"
    assert isinstance(await pending.claim(KEY, fresh.code), PendingCall)


async def test_garbage_in_the_setting_is_nothing_waiting(store: Storage) -> None:
    pending = confirmations(store)
    await store.channel_settings.set(KEY, PENDING_KEY, {"ABC234": {"tool": "x"}, "ZZZ": "nonsense"})
    assert await pending.claim(KEY, "ABC234") == "unknown"
    await store.channel_settings.set(KEY, PENDING_KEY, ["not", "a", "dict"])
    assert await pending.claim(KEY, "ABC234") == "unknown"
    asked = await pending.ask(KEY, "tickets", "create_ticket", {}, "U1")
    assert set(await store.channel_settings.get(KEY, PENDING_KEY)) == {asked.code}
