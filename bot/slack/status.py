"""Slack's thread status ("confab is searching the docs…") while an answer is worked on.

``assistant.threads.setStatus`` shows a line at the foot of a thread until the app replies there (the
reply clears it) or sets an empty status; in channel threads ``chat:write`` is enough. An answer that
goes into a thread (:func:`bot.slack.notes.thread_for`: a channel thread, or a thread on a channel
mention) gets a :class:`StatusLine`; a DM answered outside a thread has none and keeps the "working on
it" note (notes.py), which is also what a thread gets when its status could not be set.

The status never holds the answer up: calls run in their own task, the latest phase wins, at most one
call per ``MIN_INTERVAL_S``; a failure is logged once per error code and ends that line (an error that
means the app can't set statuses at all turns them off for the process).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Coroutine
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from agent.progress import THINKING
from bot.events import ChannelRef
from bot.slack.notes import thread_for

log = logging.getLogger(__name__)

METHOD = "assistant.threads.setStatus"
MIN_INTERVAL_S = 1.0  # between two status calls of one answer: phases in between are skipped
FIRST_WAIT_S = 2.0  # how long the note waits to learn whether the first status went up
# errors meaning no status can be set by this app at all (not just in this thread)
APP_WIDE = frozenset({"missing_scope", "not_allowed_token_type", "unknown_method", "method_deprecated",
                      "invalid_auth", "not_authed", "account_inactive", "token_revoked", "no_permission",
                      "feature_not_enabled", "access_denied"})
MAX_STATUS = 50  # characters of a phase shown (phases are short fixed words; this only bounds a mistake)

Spawn = Callable[[Coroutine[Any, Any, Any]], "asyncio.Task[Any]"]


class Statuses:
    """The status lines of the answers being worked on, by the message they answer."""

    def __init__(self, client: AsyncWebClient, spawn: Spawn) -> None:
        self.client = client
        self.spawn = spawn  # the adapter's tracked tasks (clearing runs there, drained on close)
        self.off = False  # set by an app-wide error: no more status calls in this process
        self._logged: set[str] = set()
        self._lines: dict[str, StatusLine] = {}

    def begin(self, channel: ChannelRef, reply_to: str) -> StatusLine | None:
        """A status line for the answer to ``reply_to``, showing that Confab is thinking; None where there
        is no thread to show it in (or statuses are off)."""
        thread = thread_for(channel, reply_to)
        if self.off or thread is None:
            return None
        line = StatusLine(self, reply_to, channel.channel, thread)
        self._lines[reply_to] = line
        line.phase(THINKING)
        return line

    async def shown(self, reply_to: str) -> bool:
        """Whether the answer to ``reply_to`` shows a status (waiting briefly for its first call)."""
        line = self._lines.get(reply_to)
        if line is None:
            return False
        try:
            return await asyncio.wait_for(asyncio.shield(line.first), FIRST_WAIT_S)
        except TimeoutError:
            return False

    def failed(self, error: str) -> None:
        if error in APP_WIDE:
            self.off = True
        if error not in self._logged:
            self._logged.add(error)
            log.warning("slack thread status unavailable; progress shows as a note instead",
                        extra={"error": error, "app_wide": error in APP_WIDE})
        else:
            log.debug("slack thread status failed", extra={"error": error})

    def ended(self, line: StatusLine) -> None:
        if self._lines.get(line.reply_to) is line:
            del self._lines[line.reply_to]


class StatusLine:
    """One answer's thread status: an :class:`agent.progress.Progress` (phases only) that
    :meth:`end` clears."""

    def __init__(self, statuses: Statuses, reply_to: str, channel_id: str, thread_ts: str) -> None:
        self.statuses = statuses
        self.reply_to = reply_to
        self.channel_id = channel_id
        self.thread_ts = thread_ts
        self.first: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._wanted = ""
        self._shown = ""
        self._last_call = 0.0
        self._dead = False
        self._calling = False  # a setStatus request is on its way
        self._task: asyncio.Task[None] | None = None

    def phase(self, text: str) -> None:
        if self._dead:
            return
        self._wanted = ("is " + text.strip())[:MAX_STATUS]
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run())

    def partial(self, text: str) -> None:
        return None  # a streamed answer shows itself

    def discard(self) -> None:
        return None

    async def _run(self) -> None:
        while not self._dead and self._wanted != self._shown:
            pause = self._last_call + MIN_INTERVAL_S - time.monotonic()
            if pause > 0:
                await asyncio.sleep(pause)
            status = self._wanted
            self._last_call = time.monotonic()
            self._calling = True
            try:
                done = await self._set(status)
            finally:
                self._calling = False
            if not done:
                self._dead = True
                self._settle_first(False)
                return
            self._shown = status
            self._settle_first(True)

    async def _set(self, status: str) -> bool:
        try:
            await self.statuses.client.assistant_threads_setStatus(
                channel_id=self.channel_id, thread_ts=self.thread_ts, status=status)
            return True
        except SlackApiError as exc:
            self.statuses.failed(str(exc.response.get("error") or "unknown"))
        except Exception as exc:  # a network error: the status is a nicety
            self.statuses.failed(type(exc).__name__)
        return False

    def _settle_first(self, shown: bool) -> None:
        if not self.first.done():
            self.first.set_result(shown)

    async def end(self) -> None:
        """Stop updating; clear the status if one went up (a reply in the thread clears it too, but an
        answer that failed or went elsewhere would leave it), in the adapter's background."""
        self._dead = True
        self.statuses.ended(self)
        task = self._task
        in_flight = task is not None and not task.done()
        if task is not None and in_flight and not self._calling:
            task.cancel()  # only waiting for its turn
        self._settle_first(False)
        if self._shown or in_flight:
            self.statuses.spawn(self._clear_after(task if in_flight else None))

    async def _clear_after(self, task: asyncio.Task[None] | None) -> None:
        """Clear the status once a request on its way has landed: a clear sent beside it could arrive first
        and leave "is thinking…" under the answer (seen in the graceful-stop test)."""
        if task is not None:
            await asyncio.gather(task, return_exceptions=True)
        await self._set("")
