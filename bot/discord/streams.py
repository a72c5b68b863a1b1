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
from typing import Any

import discord

from bot.discord.format import MAX_CHARS
from bot.discord.sending import NO_PINGS
from bot.events import ChannelRef

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

    async def finish(self, content: str, view: discord.ui.View | None) -> bool:
        """The final answer's first part (and its buttons) in the message; True: it is there."""
        await self.edit(content, view=view)
        return True

    def reference(self) -> str | None:
        """The message's id, kept with the owed answer: a process restarted after a crash puts the answer there
        (:class:`LeftoverStreams`) instead of leaving half an answer as if whole."""
        return str(self.message.id) if self.message is not None else None

    async def reset(self) -> None:
        message, self.message = self.message, None
        if message is not None:
            await message.delete()


class LeftoverStreams:
    """Messages a stopped process was writing answers into (their ids kept with the owed answers): the resumed
    answer takes the message's place, and one let go has it deleted. The Discord :class:`bot.adapter.ProgressKeeper`."""

    def __init__(self, destination: Callable[[ChannelRef], Awaitable[Any]]) -> None:
        self.destination = destination  # the adapter's: the channel or thread an answer goes to
        self._left: dict[str, str] = {}

    def restore(self, channel: ChannelRef, reply_to: str, note: str) -> None:
        if note.isdigit():
            self._left[reply_to] = note

    def take(self, reply_to: str | None) -> str | None:
        return self._left.pop(reply_to, None) if reply_to else None

    async def drop(self, channel: ChannelRef, reply_to: str) -> None:
        left = self.take(reply_to)
        if left is not None:
            target = await self.destination(channel)
            await target.get_partial_message(int(left)).delete()

    async def recover(self, channel: ChannelRef, reply_to: str) -> None:
        """Nothing to look for: a streamed message's id is recorded once it is posted (no "posting" marker)."""
