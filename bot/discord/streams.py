"""A streamed answer on Discord: one message, posted with the first text and edited as the answer grows
(a :class:`bot.adapter.AnswerStream`), then finished with the final answer by
:meth:`bot.discord.adapter.DiscordAdapter.send`.

Every post and edit carries ``allowed_mentions`` none and suppresses embeds; edits of the message are at
least ``EDIT_EVERY_S`` apart, the final one included (Discord's per-channel limit is 5 per 5 s, and the
message is one of several answers being written). Text past Discord's limit waits for the final answer,
which is split like any other.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

import discord

from bot.discord.format import MAX_CHARS
from bot.discord.sending import NO_PINGS

EDIT_EVERY_S = 1.0
MORE = " …"  # ends a message the answer has outgrown while it is written

Post = Callable[[str], Awaitable[discord.Message]]


class DiscordStream:
    min_interval_s = EDIT_EVERY_S

    def __init__(self, post: Post) -> None:
        self._post = post  # posts the first text where the answer goes (thread, reply reference)
        self.message: discord.Message | None = None
        self._last = 0.0

    async def show(self, text: str) -> None:
        content = text if len(text) <= MAX_CHARS else text[:MAX_CHARS - len(MORE)].rstrip() + MORE
        if not content.strip():
            return
        if self.message is None:
            self.message = await self._post(content)
            self._last = time.monotonic()
        else:
            await self.edit(content)

    async def edit(self, content: str, view: discord.ui.View | None = None) -> None:
        """Put ``content`` (and ``view``: the final answer's buttons) in the message, no sooner than
        ``EDIT_EVERY_S`` after the last edit."""
        assert self.message is not None
        wait = self._last + EDIT_EVERY_S - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)
        self.message = await self.message.edit(content=content, allowed_mentions=NO_PINGS, suppress=True,
                                               view=view or discord.utils.MISSING)
        self._last = time.monotonic()

    def reference(self) -> str | None:
        return None  # Discord keeps no progress notes across restarts

    async def reset(self) -> None:
        message, self.message = self.message, None
        if message is not None:
            await message.delete()
