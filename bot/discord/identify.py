"""discord.py clients whose ``before_identify_hook`` waits for an :class:`~agent.state.IdentifyGate`:
in one process discord.py's own pacing, across processes a turn per ``max_concurrency`` bucket in Redis
(:mod:`agent.state.identify`), so gateway processes never IDENTIFY faster than Discord allows. The bot's
``max_concurrency`` is read once from ``GET /gateway/bot`` before the first IDENTIFY."""

from __future__ import annotations

import logging
from typing import Any

import discord

from agent.state.identify import IdentifyGate

log = logging.getLogger(__name__)


class IdentifyTurns:
    """Mixed into a discord.py client: each IDENTIFY first waits for ``identify``'s turn."""

    http: Any  # the discord.py client's

    def __init__(self, *, identify: IdentifyGate, **options: Any) -> None:
        super().__init__(**options)  # the discord.py client after this class in the MRO
        self.identify_gate = identify
        self._limits_read = False

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        if not self._limits_read:
            self._limits_read = True
            try:
                _, _, limits = await self.http.get_bot_gateway()
                self.identify_gate.learn(int(limits["max_concurrency"]))
            except Exception as exc:  # one bucket is always allowed: identifying is only slower
                log.warning("IDENTIFY limits not read; one shard at a time", extra={"error": repr(exc)[:200]})
        await self.identify_gate.wait(shard_id, initial=initial)


class GatedClient(IdentifyTurns, discord.Client):
    pass


class GatedShardedClient(IdentifyTurns, discord.AutoShardedClient):
    pass
