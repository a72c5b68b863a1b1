"""Where a Slack reply goes, and the "working on it" notes that hold its place (:func:`after` a delay).

:func:`thread_for` is the one rule for a reply's thread. A slow answer first gets a progress note
(:class:`ProgressNotes`), posted by that rule; the note records its thread, and the answer that
replaces it goes to the same place (see :meth:`bot.slack.adapter.SlackAdapter.send`). Each request
owns its note, keyed by the message it answers, so several questions in one thread each get theirs.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, TypeVar

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.events import ChannelRef
from bot.slack.earlier import tagged
from bot.slack.pacing import Pacer

log = logging.getLogger(__name__)

T = TypeVar("T")


def is_dm(channel_id: str) -> bool:
    return channel_id.startswith("D")


def thread_for(channel: ChannelRef, reply_to: str | None) -> str | None:
    """Where a reply goes: the channel's thread, else a thread on the message answered (not in DMs)."""
    if channel.thread:
        return channel.thread
    return None if is_dm(channel.channel) else reply_to


async def after(delay: float | None, work: Coroutine[Any, Any, T], on_slow: Callable[[], Awaitable[None]]) -> T:
    """Await ``work``; if it is still running after ``delay`` seconds, call ``on_slow`` (show a note) once."""
    task = asyncio.ensure_future(work)
    try:
        if delay:
            done, _ = await asyncio.wait({task}, timeout=delay)
            if not done:
                try:
                    await on_slow()
                except Exception:  # a progress note is a nicety; never lose the answer over it
                    log.exception("posting a progress note failed")
        return await task
    except asyncio.CancelledError:
        task.cancel()
        raise


NOTE_EVENT = "confab_note"


def note_metadata(reply_to: str) -> dict[str, Any]:
    """What a progress note says it stands for: the message it answers."""
    return {"event_type": NOTE_EVENT, "event_payload": {"reply_to": reply_to}}


@dataclass(frozen=True, slots=True)
class Note:
    channel_id: str
    thread: str | None
    ts: str  # "" while the note is still being posted


def note_reference(note: Note) -> str:
    """A message standing in for an answer (a note, a streamed answer) as :meth:`ProgressNotes.restore` reads it."""
    return f"{note.channel_id}|{note.thread or ''}|{note.ts}"


class ProgressNotes:
    """Progress notes by the message they answer."""

    def __init__(self, client: AsyncWebClient) -> None:
        self.client = client
        self._notes: dict[str, Note] = {}

    async def post(self, channel: ChannelRef, reply_to: str, text: str) -> bool:
        """Post a note the answer to ``reply_to`` will replace; True if posted.

        The key is taken before the post so concurrent requests can't overwrite and lose each other's notes.
        """
        if reply_to in self._notes:
            return False
        thread = thread_for(channel, reply_to)
        self._notes[reply_to] = Note(channel.channel, thread, "")
        try:
            resp = await self.client.chat_postMessage(channel=channel.channel, text=text, thread_ts=thread,
                                                      unfurl_links=False, unfurl_media=False,
                                                      metadata=note_metadata(reply_to))
        except SlackApiError as exc:
            log.info("could not post a progress note", extra={"error": exc.response.get("error")})
            self._notes.pop(reply_to, None)
            return False
        ts = str(resp["ts"])
        if reply_to not in self._notes:  # the answer went out while the note was being posted
            await self.remove(channel.channel, ts)
            return False
        self._notes[reply_to] = Note(channel.channel, thread, ts)
        return True

    def showing(self) -> Mapping[str, Note]:
        """The notes showing or being posted, by the message they answer (read-only)."""
        return MappingProxyType(self._notes)

    def take(self, reply_to: str | None) -> Note | None:
        """The note for ``reply_to``, now the answer's to replace (a note still being posted removes itself)."""
        return self._notes.pop(reply_to, None) if reply_to else None

    async def drop(self, reply_to: str) -> None:
        """Remove the note for ``reply_to`` if no answer took its place."""
        note = self._notes.pop(reply_to, None)
        if note is not None and note.ts:
            await self.remove(note.channel_id, note.ts)

    async def drop_all(self) -> None:
        """Remove every note still showing (answers cut short at shutdown)."""
        notes, self._notes = list(self._notes.values()), {}
        for note in notes:
            if note.ts:
                await self.remove(note.channel_id, note.ts)

    async def replace(self, note: Note, text: str, metadata: dict[str, Any] | None = None,
                      blocks: list[dict[str, Any]] | None = None) -> bool:
        """Put ``text`` (and ``metadata``, ``blocks``) in place of the note; if Slack refuses, drop the note instead
        (False)."""
        try:
            await self.client.chat_update(channel=note.channel_id, ts=note.ts, text=text, metadata=metadata,
                                          blocks=blocks)
            return True
        except SlackApiError as exc:
            log.info("could not update the progress note", extra={"error": exc.response.get("error")})
        try:
            await self.client.chat_delete(channel=note.channel_id, ts=note.ts)
        except SlackApiError as exc:
            log.info("could not remove the progress note", extra={"error": exc.response.get("error")})
        return False

    def reference(self, reply_to: str) -> str | None:
        """The showing note of ``reply_to`` as a string a later process can :meth:`restore`."""
        note = self._notes.get(reply_to)
        return note_reference(note) if note is not None and note.ts else None

    def restore(self, channel: ChannelRef, reply_to: str, note: str) -> None:
        """Take back a note a previous process showed (its :meth:`reference`), for the answer to replace."""
        channel_id, _, rest = note.partition("|")
        thread, _, ts = rest.partition("|")
        if channel_id and ts:
            self.adopt(reply_to, Note(channel_id, thread or None, ts))

    def adopt(self, reply_to: str, note: Note) -> None:
        """Make a note posted earlier (by a previous process) the one the answer to ``reply_to`` replaces."""
        self._notes[reply_to] = note

    async def remove(self, channel_id: str, ts: str) -> None:
        try:
            await self.client.chat_delete(channel=channel_id, ts=ts)
        except SlackApiError as exc:
            log.info("could not remove a progress note", extra={"error": exc.response.get("error")})
        except Exception:
            log.exception("could not remove a progress note")


class NoteKeeper:
    """The notes as the outbox's :class:`~bot.adapter.ProgressKeeper` (answers resumed after a restart)."""

    def __init__(self, notes: ProgressNotes, pacer: Pacer) -> None:
        self.notes = notes
        self.pacer = pacer

    def restore(self, channel: ChannelRef, reply_to: str, note: str) -> None:
        self.notes.restore(channel, reply_to, note)

    async def recover(self, channel: ChannelRef, reply_to: str) -> None:
        """Find a note a previous process posted for ``reply_to`` but died before recording (its metadata
        names the message), and take it back like a recorded one."""
        thread = thread_for(channel, reply_to)
        for payload, ts in await tagged(self.notes.client, self.pacer, channel.channel, thread, reply_to, NOTE_EVENT):
            if payload.get("reply_to") == reply_to:
                self.notes.adopt(reply_to, Note(channel.channel, thread, ts))
                log.info("found a progress note the last process did not record", extra={"ts": ts})
                return

    async def drop(self, channel: ChannelRef, reply_to: str) -> None:
        await self.notes.drop(reply_to)
