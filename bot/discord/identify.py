"""discord.py clients whose ``before_identify_hook`` waits for an :class:`~agent.state.IdentifyGate`:
in one process discord.py's own pacing, across processes a turn per ``max_concurrency`` bucket in Redis
(:mod:`agent.state.identify`), so gateway processes never IDENTIFY faster than Discord allows."""

from __future__ import annotations

from typing import Any

import discord

from agent.state.identify import IdentifyGate


class IdentifyTurns:
    """Mixed into a discord.py client: each IDENTIFY first waits for ``identify``'s turn."""

    def __init__(self, *, identify: IdentifyGate, **options: Any) -> None:
        super().__init__(**options)  # the discord.py client after this class in the MRO
        self.identify_gate = identify

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        await self.identify_gate.wait(shard_id, initial=initial)


class GatedClient(IdentifyTurns, discord.Client):
    pass


class GatedShardedClient(IdentifyTurns, discord.AutoShardedClient):
    pass
