"""Discord's native progress: "Confab is typing…" while an agent turn works on an answer, as the turn's
:class:`bot.adapter.TurnProgress` (phases have no words on Discord; the indicator is the whole story).

Discord shows the indicator for about 10 s after each trigger, so it is re-triggered every
``TYPING_EVERY_S`` until :meth:`Typing.end`; a trigger Discord refuses ends it (logged), never the answer.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import discord

log = logging.getLogger(__name__)

TYPING_EVERY_S = 8.0


class Typing:
    def __init__(self, channel: Any) -> None:
        self.channel = channel  # a messageable: the channel, thread or DM the answer goes to
        self._task = asyncio.create_task(self._keep())

    async def _keep(self) -> None:
        while True:
            try:
                await self.channel.typing()
            except (discord.HTTPException, discord.RateLimited) as exc:
                log.info("typing indicator failed", extra={"error": type(exc).__name__})
                return
            await asyncio.sleep(TYPING_EVERY_S)

    def phase(self, text: str) -> None:
        return None

    def partial(self, text: str) -> None:
        return None

    def discard(self) -> None:
        return None

    async def end(self) -> None:
        self._task.cancel()
        await asyncio.wait({self._task})
