"""What Confab keeps, as ports: one Protocol per kind of data, and :class:`Storage` bundling them.

The embedded implementation is :mod:`agent.storage.sqlite`; a PostgreSQL one implements the same
Protocols (the semantics below are the contract: no SQL dialect shows through them). Times are aware
``datetime`` values or POSIX seconds (``float``) where the caller computes windows; channel keys are
``platform:workspace:channel``, and "the workspace of a channel key" means every key sharing its
``platform:workspace:`` prefix.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, Protocol, runtime_checkable

import numpy as np

from agent.memory.models import StoredMessage
from agent.storage.feedback import FeedbackStore
from agent.storage.spam_ports import AuthorAsk as AuthorAsk
from agent.storage.spam_ports import AuthorRecord as AuthorRecord
from agent.storage.spam_ports import FoundMessage as FoundMessage
from agent.storage.spam_ports import Intake as Intake
from agent.storage.spam_ports import SpamFlag as SpamFlag
from agent.storage.spam_ports import SpamStore as SpamStore
from agent.storage.spam_ports import Verdict as Verdict

# a reply's record: never claimed before / claimed by an earlier attempt that may have posted it / delivered
ReplyState = Literal["new", "retry", "done"]


@runtime_checkable
class MessageStore(Protocol):
    """Every message of every channel, as remembered (deleted ones keep their place, not their text)."""

    async def add(self, message: StoredMessage, owed: PendingAnswer | None = None, screen: str | None = None) -> bool:
        """Store a message, and the answer ``owed`` to it in the same write (atomically); False when that
        (channel, id) is already stored (the insert is the dedupe; nothing is written then). ``screen``: what
        a spam screen needs beyond the row (JSON), kept until :meth:`screened` says the screen is done."""

    async def add_screened(self, message: StoredMessage, screen: str, ask: AuthorAsk,
                           unless_on: str | None = None) -> Intake:
        """:meth:`add` of a message owed nothing, with its ``screen``, and the author's record (as
        :meth:`SpamStore.author_record` in the message's channel reads it after the add) in the same round trip.
        With ``unless_on`` (a channel setting): when it is "on" there, nothing is written (``held``)."""

    async def screened(self, keys: Sequence[tuple[str, str, datetime]]) -> None:
        """The spam screen of these messages (channel key, id, created_at) is done: their ``screen`` goes."""

    async def unscreened(self, before: datetime, platforms: Sequence[str], limit: int = 100,
                         lease_s: float = 300.0) -> list[tuple[StoredMessage, str]]:
        """Messages of these platforms stored before ``before`` whose screen never finished (their process
        died), with their ``screen``, oldest first. A shared database hands each to one caller at a time
        (for ``lease_s``), until :meth:`screened`."""

    async def edit(self, channel_key: str, message_id: str, text: str, edited_at: datetime) -> bool:
        """New text for a stored, not deleted message; False when there is none."""

    async def delete(self, channel_key: str, message_id: str) -> bool:
        """Blank a message's text and mark it deleted; False when it is unknown."""

    async def get(self, channel_key: str, message_id: str) -> StoredMessage | None: ...

    async def recent(self, channel_key: str, limit: int = 20, thread: str | None = None,
                     include_deleted: bool = False) -> list[StoredMessage]:
        """The last ``limit`` messages of a channel (or one thread, root included), oldest first; among
        messages of the same time, the one stored last counts as newer."""

    async def context(self, channel_key: str, limit: int = 20, thread: str | None = None
                      ) -> tuple[list[StoredMessage], tuple[str, datetime] | None]:
        """An agent turn's context in one read: :meth:`recent` (not deleted) and the rolling summary
        (as :meth:`SummaryStore.get` returns it)."""

    async def history(self, channel_key: str, since: datetime | None = None, until: datetime | None = None,
                      thread: str | None = None, limit: int = 20000) -> list[StoredMessage]:
        """Messages in a time window (both ends included), oldest first, deleted ones left out; when more
        match, the newest ``limit`` win."""

    async def count(self, channel_key: str | None = None) -> int:
        """Messages stored (deleted ones included), in one channel or in all."""

    async def count_said(self, channel_key: str, thread: str | None = None, since: datetime | None = None,
                         until: datetime | None = None) -> int:
        """What people said in a window: not deleted, not the bot's, not empty."""

    async def deleted_ids(self, channel_key: str) -> set[str]:
        """Ids of the channel's messages that were deleted."""

    async def forget(self, channel_key: str) -> int:
        """Erase everything remembered about a channel, in every repository of the storage (threads,
        settings, summaries, spam records, ideas, images …), all or nothing; returns the messages removed."""

    async def prune(self, older_than_days: int) -> int:
        """Retention: drop messages (and delivery records, and threads idle) older than that many days; 0 keeps
        everything. Returns the messages removed."""


@runtime_checkable
class ThreadStore(Protocol):
    """Threads the bot follows (answers without a mention), by kind (``mention``, ``brainstorm``)."""

    async def follow(self, channel_key: str, thread: str, kind: str = "mention",
                     data: dict[str, Any] | None = None) -> None:
        """Start (or restart, replacing kind and data) following a thread."""

    async def followed(self, channel_key: str, thread: str) -> tuple[str, dict[str, Any], datetime] | None:
        """(kind, data, last activity) of a followed thread, or None."""

    async def touch(self, channel_key: str, thread: str, data: dict[str, Any] | None = None) -> None:
        """Record activity now (and replace the data when given)."""

    async def unfollow(self, channel_key: str, thread: str) -> bool: ...


@runtime_checkable
class ChannelSettingsStore(Protocol):
    """Per-channel settings changed in chat (``spam_policy``, ``mod_channel`` …); values are JSON-able."""

    async def get(self, channel_key: str, key: str, default: Any = None) -> Any: ...

    async def set(self, channel_key: str, key: str, value: Any) -> None: ...


@runtime_checkable
class SummaryStore(Protocol):
    """The rolling summary of a channel (or thread): its text and the time of the last message folded in."""

    async def get(self, channel_key: str, thread: str | None = None) -> tuple[str, datetime] | None: ...

    async def set(self, channel_key: str, text: str, upto: datetime, thread: str | None = None) -> None: ...


@runtime_checkable
class EventLedger(Protocol):
    """Platform event ids seen, across restarts and processes (Slack retries, gateway replays)."""

    async def first_delivery(self, event_id: str) -> bool:
        """True the first time an event id is seen, False for every repeat."""


@dataclass(frozen=True, slots=True)
class PendingAnswer:
    """An answer owed to a stored message: kept from the moment the message is accepted until it is answered.

    ``payload`` is the message as its platform edge serialised it (opaque here); ``note`` is the edge's
    reference to a progress note it showed, so a restarted process can replace or remove it."""

    channel_key: str
    message_id: str
    payload: str
    created_at: float
    note: str | None = None


@runtime_checkable
class PendingAnswers(Protocol):
    """Answers owed. They are added with their message (:meth:`MessageStore.add`, atomically); deleting the
    message (:meth:`MessageStore.delete`) or forgetting its channel lets them go."""

    async def owed(self) -> list[PendingAnswer]:
        """Every answer still owed, oldest first."""

    async def get(self, channel_key: str, message_id: str) -> PendingAnswer | None:
        """The answer owed to that message, or None when it is not (any longer) owed."""

    async def set_note(self, channel_key: str, message_id: str, note: str | None) -> None: ...

    async def settle(self, channel_key: str, message_id: str) -> bool:
        """The answer was given (or is no longer due); False if it was not owed (already settled)."""


@dataclass(frozen=True, slots=True)
class PendingCommand:
    """A command's answer owed from its acknowledgement until its replies were delivered. ``payload`` is the
    command as the bot serialised it; ``route`` is the platform's way back to the asker (a response URL, an
    interaction token: a secret, kept only here and deleted when settled). Both are opaque here."""

    channel_key: str
    command_id: str
    payload: str
    route: str
    created_at: float


@runtime_checkable
class PendingCommands(Protocol):
    """Command answers owed, by (channel key, command id); forgotten with their channel."""

    async def owe(self, command: PendingCommand) -> bool:
        """Record it; False when that command is already owed (a repeat delivery: nothing is written)."""

    async def owed(self) -> list[PendingCommand]:
        """Every command answer still owed, oldest first."""

    async def get(self, channel_key: str, command_id: str) -> PendingCommand | None:
        """That command's owed answer, or None when it is not (any longer) owed."""

    async def settle(self, channel_key: str, command_id: str) -> bool:
        """Answered (or let go): the record and its route are deleted; False if it was not owed."""


@runtime_checkable
class ReplyLedger(Protocol):
    """Replies by what they answer (``source``, e.g. ``answer:<channel key>:<message id>``): claimed before
    posting, marked delivered after, so an answer computed twice (a job run again, a restart) is posted once.
    Forgotten with their channel; pruned with retention."""

    async def claim(self, source: str, channel_key: str, now: float) -> tuple[ReplyState, str | None]:
        """``("new", None)`` the first time (now claimed); ``("retry", None)`` when an earlier attempt claimed it
        and did not record a delivery (it may have posted before it died: look on the platform first);
        ``("done", message_id)`` when it was delivered."""

    async def attempted(self, source: str) -> bool:
        """Whether an earlier attempt claimed the reply to ``source`` (delivered or not), without claiming it."""

    async def delivered(self, source: str, message_id: str, *, said: StoredMessage | None = None,
                        settles: tuple[str, str] | None = None) -> None:
        """Record the platform's id of the reply's (first) message; in the same write, all or nothing, remember
        ``said`` (the reply as :meth:`MessageStore.add` stores a message) and settle the answer owed to
        ``settles`` (channel key, message id; as :meth:`PendingAnswers.settle`, a no-op if it is not owed)."""


@dataclass(frozen=True, slots=True)
class Idea:
    """A brainstorm idea, numbered in its thread."""

    number: int
    text: str
    author: str
    message_id: str
    votes: int = 0
    merged: int = 0  # how many near-duplicates were folded into it


@runtime_checkable
class IdeaStore(Protocol):
    """Brainstorm ideas per thread, numbered from 1, each with its embedding vector."""

    async def ideas(self, channel_key: str, thread: str) -> tuple[list[Idea], np.ndarray]:
        """The thread's ideas by number and their vectors stacked (shape ``(0, 0)`` when none)."""

    async def add(self, channel_key: str, thread: str, text: str, author: str, message_id: str,
                  vector: np.ndarray) -> Idea:
        """Keep a new idea under the thread's next number, assigned here atomically (two replicas adding at
        once get distinct numbers); returns it as stored."""

    async def bump(self, channel_key: str, thread: str, number: int, what: Literal["votes", "merged"]) -> None:
        """Count one more vote, or one more near-duplicate merged into the idea."""

    async def clear(self, channel_key: str, thread: str) -> None: ...


@runtime_checkable
class ImageLog(Protocol):
    """Images generated: the per-user daily quota and the previous prompt of a thread.

    The quota is a reservation taken before generating, so concurrent requests (on any replica) cannot all
    pass one count: :meth:`reserve`, then :meth:`complete` with the file or :meth:`release` on failure. A
    reservation never completed nor released (a crash mid-generation) keeps counting: the quota errs on the
    side of the limit."""

    async def reserve(self, channel_key: str, thread: str | None, author_id: str, prompt: str, at: float,
                      since: float, limit: int) -> int | None:
        """Take one of the author's ``limit`` images counted since ``since`` (reservations included); the
        reservation's id, or None when the author already has ``limit``."""

    async def complete(self, reservation: int, prompt: str, file: str) -> None:
        """The image was generated: keep its final prompt and file name."""

    async def release(self, reservation: int) -> None:
        """Generation failed: give the reservation back (it no longer counts)."""

    async def count_since(self, author_id: str, since: float) -> int:
        """Images the author generated (or has reserved) since that time."""

    async def last_prompt(self, channel_key: str, thread: str | None, since: float) -> str | None:
        """The prompt of the newest completed image in that channel/thread since that time."""


@runtime_checkable
class SpeechQuota(Protocol):
    """Seconds of audio transcribed per person: the daily allowance, reserved before transcribing (as
    :class:`ImageLog` reserves images) so concurrent voice messages on any replica stay within it."""

    async def reserve(self, author_id: str, seconds: float, at: float, since: float, limit_s: float) -> int | None:
        """Take ``seconds`` of the author's ``limit_s`` counted since ``since``; the reservation's id, or None.
        Rows of anyone older than two days before ``since`` are removed (they no longer count)."""

    async def settle(self, reservation: int, seconds: float) -> None:
        """Transcribed: the reservation counts the seconds actually decoded."""

    async def release(self, reservation: int) -> None:
        """Not transcribed (refused, failed): the reservation no longer counts."""

    async def used_since(self, author_id: str, since: float) -> float:
        """Seconds the author transcribed (or has reserved) since that time."""


@runtime_checkable
class Storage(Protocol):
    """Everything Confab keeps, opened once (:func:`agent.storage.open_storage`) and closed once."""

    @property
    def messages(self) -> MessageStore: ...

    @property
    def threads(self) -> ThreadStore: ...

    @property
    def channel_settings(self) -> ChannelSettingsStore: ...

    @property
    def summaries(self) -> SummaryStore: ...

    @property
    def events(self) -> EventLedger: ...

    @property
    def pending(self) -> PendingAnswers: ...

    @property
    def pending_commands(self) -> PendingCommands: ...

    @property
    def replies(self) -> ReplyLedger: ...

    @property
    def spam(self) -> SpamStore: ...

    @property
    def ideas(self) -> IdeaStore: ...

    @property
    def images(self) -> ImageLog: ...

    @property
    def speech(self) -> SpeechQuota: ...

    @property
    def feedback(self) -> FeedbackStore: ...

    async def close(self) -> None: ...
