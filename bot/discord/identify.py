"""discord.py clients whose ``before_identify_hook`` waits for an :class:`~agent.state.IdentifyGate`:
in one process discord.py's own pacing, across processes a turn per ``max_concurrency`` bucket in Redis
(:mod:`agent.state.identify`), so gateway processes never IDENTIFY faster than Discord allows."""

from __future__ import annotations

from typing import Any

import discord

from agent.state.identify import IdentifyGate


class GatedClient(discord.Client):
    def __init__(self, *, identify: IdentifyGate, **options: Any) -> None:
        super().__init__(**options)
        self.identify_gate = identify

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        await self.identify_gate.wait(shard_id, initial=initial)


class GatedShardedClient(discord.AutoShardedClient):
    def __init__(self, *, identify: IdentifyGate, **options: Any) -> None:
        super().__init__(**options)
        self.identify_gate = identify

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        await self.identify_gate.wait(shard_id, initial=initial)
