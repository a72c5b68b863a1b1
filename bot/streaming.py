"""A streamed answer on its way out: the outbox's side of :class:`bot.adapter.AnswerStream`.

The agent core hands the answer as written so far to :meth:`OutStream.partial` (it is the turn's
:class:`agent.progress.Progress` for text). Only what more text can't change goes out, neutralised
(:func:`bot.text.settled`: a mention or a disguised link split across chunks waits until it is whole),
in one task per answer, at most once per the adapter's ``min_interval_s`` (the latest text wins), so
chat.appendStream / Discord edits stay inside their rate limits. The final reply, sent through the
outbox as usual, finishes the stream; :meth:`close` first stops the updates.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

from bot.adapter import AnswerStream
from bot.text import settled

log = logging.getLogger(__name__)


class OutStream:
    def __init__(self, target: AnswerStream) -> None:
        self.target = target
        # told the target's reference once something shows (kept with the owed answer, for a restart)
        self.on_shown: Callable[[str], Awaitable[None]] | None = None
        self.raw = ""  # the model's text so far (not neutralised: never sent as it is)
        self._wanted = ""  # settled and neutralised: what the platform should show
        self._shown = ""
        self._reset = False
        self._closed = False
        self._broken = False
        self._calling = False
        self._last = 0.0
        self._task: asyncio.Task[None] | None = None

    @property
    def shown(self) -> bool:
        """Whether some of the answer is showing on the platform."""
        return bool(self._shown)

    def phase(self, text: str) -> None:
        return None  # phases are the adapter's progress, not the stream's

    def partial(self, text: str) -> None:
        if self._closed or self._broken:
            return
        self.raw = text
        wanted = settled(text)
        if len(wanted) > len(self._wanted) and wanted.startswith(self._wanted):
            self._wanted = wanted
            self._kick()

    def discard(self) -> None:
        if self._closed or self._broken:
            return
        self.raw = self._wanted = ""
        if self._shown or self._calling:
            self._reset = True
            self._kick()

    def _kick(self) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        while not self._closed and not self._broken and (self._reset or self._wanted != self._shown):
            pause = self._last + self.target.min_interval_s - time.monotonic()
            if pause > 0:
                await asyncio.sleep(pause)
                continue  # the text may have changed (or the stream closed) meanwhile
            self._last = time.monotonic()
            self._calling = True
            try:
                if self._reset:
                    self._reset = False
                    await self.target.reset()
                    self._shown = ""
                else:
                    text, first = self._wanted, not self._shown
                    await self.target.show(text)
                    self._shown = text
                    if first:
                        await self._tell_shown()
            except Exception as exc:  # the final reply still goes out in full; updates stop here
                self._broken = True
                log.warning("streaming an answer failed; it will arrive whole", extra={"error": type(exc).__name__})
            finally:
                self._calling = False

    async def _tell_shown(self) -> None:
        if self.on_shown is None:
            return
        try:
            reference = self.target.reference()
            if reference is not None:
                await self.on_shown(reference)
        except Exception:  # a restart would then post the answer anew instead of replacing this
            log.exception("recording a streamed answer's message failed")

    async def close(self) -> None:
        """No more updates; waits for one in flight (so the final reply finds the stream as shown)."""
        self._closed = True
        task = self._task
        if task is None or task.done():
            return
        if not self._calling:
            task.cancel()  # it only waits for its turn
        await asyncio.wait({task})

    async def abandon(self) -> None:
        """The turn ended without a reply: take away what was shown, so no half answer stays as if whole."""
        await self.close()
        if self._shown:
            try:
                await self.target.reset()
            except Exception as exc:
                log.warning("removing a cut-short streamed answer failed", extra={"error": type(exc).__name__})
