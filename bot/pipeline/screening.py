"""The spam screen is owed to every person's message until it has run, across crashes.

A platform is told an event arrived once its message is stored (ingest.py), and the screen runs after that.
A process that died in between (a crash, ``kill -9``, a lost machine) used to leave messages nobody screened:
a scam never flagged. Now each message is stored with what its screen needs beyond the row
(:func:`screen_record`: the channel and the author's standing, as JSON), and the record is cleared once the
screen has run, in batches (one write per :data:`FLUSH_S`, not one per message). What a dead process left
is screened again: at the next start (one process owns an SQLite file), and by the workers' sweep in the
scaled mode (messages older than :data:`SETTLE_S`, leased so two workers never take the same one).

A message owed an answer has no record: its answer (resumed at start, or a job) runs the screen first.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta

from agent.memory.models import StoredMessage
from agent.storage.ports import MessageStore
from bot.events import ChannelRef, IncomingMessage
from bot.pipeline.ingest import author_fields, author_from, channel_fields

log = logging.getLogger(__name__)

FLUSH_S = 0.5  # screened messages are marked in one write per this long
SETTLE_S = 300.0  # scaled mode: a message unscreened this long was left by a replica that died
SWEEP_EVERY_S = 60.0
BATCH = 100
CLOSE_WAIT_S = 10.0  # at shutdown, for the sweep's message in hand

Key = tuple[str, str, datetime]  # channel key, message id, created_at (the partition)
Screen = Callable[[IncomingMessage], Awaitable[object]]


def screen_record(message: IncomingMessage) -> str:
    """What screening ``message`` needs beyond its stored row."""
    return json.dumps({"channel": list(channel_fields(message.channel)), "author": author_fields(message.author)},
                      ensure_ascii=False, separators=(",", ":"))


def message_from(stored: StoredMessage, record: str) -> IncomingMessage:
    """The message to screen, from its row and :func:`screen_record`; ValueError (or KeyError, TypeError) when
    the record is damaged."""
    data = json.loads(record)
    return IncomingMessage(id=stored.id, channel=ChannelRef(*data["channel"]), author=author_from(data["author"]),
                           text=stored.text, created_at=stored.created_at)


def key_of(message: IncomingMessage) -> Key:
    return message.channel.key, message.id, message.created_at


class ScreenBacklog:
    """Marks screens done (batched), and screens again what a dead process left."""

    def __init__(self, messages: MessageStore, flush_s: float = FLUSH_S) -> None:
        self.messages = messages
        self.flush_s = flush_s
        self.started_at = datetime.now(UTC)
        self._in_flight: set[tuple[str, str]] = set()  # stored here, screen not yet done: never swept
        self._done: list[Key] = []
        self._flushing: asyncio.Task[None] | None = None
        self._sweeping: asyncio.Task[None] | None = None
        self._closing = asyncio.Event()  # not a cancel: a cancelled database call can surface as an ordinary error

    def owed(self, message: IncomingMessage) -> None:
        """``message`` was stored with its record by this process."""
        self._in_flight.add((message.channel.key, message.id))

    def done(self, message: IncomingMessage) -> None:
        """Its screen ran (whatever it found); a record this process stored goes with the next flush."""
        try:
            self._in_flight.remove((message.channel.key, message.id))
        except KeyError:
            return  # stored without a record (owed an answer, a bot's), or by another replica
        self._done.append(key_of(message))
        if self._flushing is None or self._flushing.done():
            self._flushing = asyncio.create_task(self._flush_soon(), name="confab-screened")

    async def _flush_soon(self) -> None:
        await asyncio.sleep(self.flush_s)
        await self.flush()

    async def flush(self) -> None:
        done, self._done = self._done, []
        if not done:
            return
        try:
            await self.messages.screened(done)
        except Exception:  # nothing is lost: those messages are screened once more after a restart
            log.exception("could not mark messages screened", extra={"count": len(done)})

    async def close(self) -> None:
        """Stop sweeping (the message in hand is finished) and write the marks still held (at shutdown)."""
        self._closing.set()
        if self._sweeping is not None:
            await asyncio.gather(asyncio.wait_for(self._sweeping, CLOSE_WAIT_S), return_exceptions=True)
        if self._flushing is not None and not self._flushing.done():
            self._flushing.cancel()
            await asyncio.gather(self._flushing, return_exceptions=True)
        await self.flush()

    async def sweep(self, screen: Screen, platforms: Sequence[str], before: datetime) -> int:
        """Screen every message of ``platforms`` stored before ``before`` whose screen never finished (its
        process died); returns how many were screened."""
        screened = 0
        while True:
            left = await self.messages.unscreened(before, platforms, limit=BATCH)
            batch = [(stored, record) for stored, record in left
                     if (stored.channel_key, stored.id) not in self._in_flight]
            if not batch:
                return screened
            for stored, record in batch:
                if self._closing.is_set():
                    break
                try:
                    message = message_from(stored, record)
                except (ValueError, KeyError, TypeError):
                    log.error("damaged screen record; message left unscreened",
                              extra={"channel": stored.channel_key, "message_id": stored.id})
                    self._done.append((stored.channel_key, stored.id, stored.created_at))
                    continue
                log.info("screening a message a stopped process had not screened",
                         extra={"channel": stored.channel_key, "message_id": stored.id})
                await screen(message)
                self._done.append(key_of(message))
                screened += 1
            await self.flush()
            if len(left) < BATCH or self._closing.is_set():
                return screened

    def sweep_forever(self, screen: Screen, platforms: Sequence[str]) -> None:
        """Scaled mode: every :data:`SWEEP_EVERY_S`, screen what replicas that died left (older than
        :data:`SETTLE_S`)."""
        every_s, settle_s = SWEEP_EVERY_S, SETTLE_S

        async def loop() -> None:
            while not self._closing.is_set():
                try:
                    count = await self.sweep(screen, platforms, datetime.now(UTC) - timedelta(seconds=settle_s))
                    if count:
                        log.info("screened messages left by a stopped replica", extra={"count": count})
                except Exception:
                    log.exception("sweeping unscreened messages failed; tried again later")
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._closing.wait(), every_s)

        if self._sweeping is None:
            self._sweeping = asyncio.create_task(loop(), name="confab-unscreened")
