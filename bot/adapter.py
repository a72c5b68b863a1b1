"""The port every platform adapter implements, and the handler it forwards events to.

An adapter owns one platform connection. It converts payloads into :mod:`bot.events` values and
hands them to an :class:`EventHandler` (the pipeline, its inbox). Everything said goes out through the
outbox (:class:`bot.outbox.Outbox`), which the adapter gets when it starts: the pipeline's answers reach
:meth:`Adapter.send` through it, and commands return their replies so the adapter can send them through
it its platform's way (Discord follow-ups, Slack ``respond``) after acknowledging fast. An adapter that
acknowledges events (Slack) does so only after :meth:`EventHandler.accept` has stored them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Protocol, runtime_checkable

from agent.context import ViewedLookup
from agent.progress import Progress
from bot.events import (
    Accepted,
    Attachment,
    Author,
    ChannelRef,
    Command,
    IncomingMessage,
    MessageDelete,
    MessageEdit,
    PlatformFlag,
    Reaction,
    Reply,
    SentRef,
    Vote,
)


@dataclass(frozen=True, slots=True)
class Capabilities:
    max_chars: int = 4000
    threads: bool = True
    files: bool = True
    ephemeral: bool = False
    reactions: bool = True
    history: bool = True
    delete: bool = False
    timeout: bool = False
    markdown: str = "markdown"  # "markdown" (Discord, console) or "mrkdwn" (Slack)
    replies_in_thread: bool = False  # answering a top-level message starts a thread (Slack)


@runtime_checkable
class EventHandler(Protocol):
    async def handle_message(self, message: IncomingMessage) -> None:
        """:meth:`accept` then :meth:`process`."""

    async def accept(self, message: IncomingMessage) -> Accepted | None:
        """Store the message (and the answer it may be owed); None for a repeat delivery. Raises if it could
        not be stored, so the platform is not told it arrived."""

    async def process(self, accepted: Accepted) -> None: ...

    async def progress_shown(self, accepted: Accepted, note: str) -> None:
        """The adapter showed a progress note for ``accepted`` (``note``: its own reference to it)."""

    async def handle_platform_flag(self, flag: PlatformFlag) -> None: ...

    async def handle_edit(self, edit: MessageEdit) -> None: ...

    async def handle_delete(self, delete: MessageDelete) -> None: ...

    async def handle_command(self, command: Command) -> Sequence[Reply]: ...

    async def handle_vote(self, vote: Vote) -> str:
        """Record a 👍/👎 on an answer; what to tell the voter (a bad or unknown vote too: never raises)."""

    async def owe_command(self, command: Command, route: str) -> bool:
        """Record the answer ``command`` is owed with the platform's way back to the asker (``route``: a
        response URL, an interaction token) before acknowledging it; False for a repeat delivery. Raises if
        it could not be stored (the command may still be answered, just not after a restart)."""

    async def command_answered(self, command: Command) -> None:
        """The replies to an owed command were delivered (or it ended otherwise): settle the record."""

    @property
    def commands_queued(self) -> bool:
        """True when recording an owed command also queued it as a job (the scaled mode): a worker answers
        it through its route, so the adapter that acknowledged it does not."""
        ...


@runtime_checkable
class HandlesReactions(Protocol):
    """A handler that takes people's emoji reactions (the pipeline: the help-channel opt-out); adapters deliver
    them only to one that does."""

    async def handle_reaction(self, reaction: Reaction) -> None:
        """Never raises: errors are logged."""


@runtime_checkable
class DeletesOwn(Protocol):
    """An adapter whose :meth:`Adapter.delete` checks a moderator's permission that deleting Confab's own
    message does not need (Discord's Manage Messages)."""

    async def delete_own(self, channel: ChannelRef, message_id: str) -> None: ...


@runtime_checkable
class NamesChannels(Protocol):
    """An adapter that can tell which channel of a workspace a name is (``mods``, as ``#mods`` is typed, or as a
    message's text shows a channel mention it had: Discord's ``<#id>`` reads ``#mods`` there)."""

    async def channel_named(self, workspace: str, name: str) -> str | None:
        """The channel's id; None when no channel, or more than one, has that name."""

    async def channel_name(self, workspace: str, channel: str) -> str | None:
        """The name of the channel with id ``channel`` (without ``#``); None when it can't be told."""


# what an owed answer's note reference holds while the note is being posted: a process that dies before it
# records the posted note's own reference leaves this, and the next one looks for the note (ProgressKeeper.recover)
NOTE_POSTING = "posting"


class ProgressKeeper(Protocol):
    """An adapter's "working on it" notes (Slack), for the answers a restarted process resumes."""

    def restore(self, channel: ChannelRef, reply_to: str, note: str) -> None:
        """Take back a note shown before a restart (``note``: the adapter's own reference to it), for the
        answer to ``reply_to`` to replace."""

    async def drop(self, channel: ChannelRef, reply_to: str) -> None:
        """Remove the note of ``reply_to`` if no answer took its place."""

    async def recover(self, channel: ChannelRef, reply_to: str) -> None:
        """Find a note for ``reply_to`` that a process posted but died before recording, like :meth:`restore`."""


class TurnProgress(Progress, Protocol):
    """What an adapter shows while an agent turn works on an answer (:class:`agent.progress.Progress`:
    Slack's thread status, Discord's typing indicator), until :meth:`end`."""

    async def end(self) -> None:
        """The turn is over (its answer went out, or none is coming): stop showing it. Never raises."""


class ShowsProgress(Protocol):
    """Optional for an adapter (looked up like ``message_link``): progress for the turn answering
    ``reply_to`` in ``channel``, or None where it has none to show."""

    def progress(self, channel: ChannelRef, reply_to: str) -> TurnProgress | None: ...


class ShowsViewed(Protocol):
    """Optional for an adapter (looked up like ``progress``): for a turn in ``channel`` that is a side pane beside
    another channel (Slack's assistant pane), the lookup of the channel ``author`` is viewing there
    (bot.platform_access.viewed_lookup); None elsewhere."""

    def viewing(self, channel: ChannelRef, author: Author) -> ViewedLookup | None: ...


class AnswerStream(Protocol):
    """An answer shown while it is written (Slack chat streaming, Discord edits). The outbox feeds it
    (:class:`bot.streaming.OutStream`: neutralised, settled text, at most once per ``min_interval_s``);
    the reply to the same message, sent through the outbox as usual, finishes it in :meth:`Adapter.send`
    (the final text, citations and files)."""

    min_interval_s: float  # the platform's pace for updates of one message

    async def show(self, text: str) -> None:
        """The answer so far (neutralised; it only grows until :meth:`reset`); the first call posts it."""

    async def reset(self) -> None:
        """What was shown was not the answer (the model went on to call tools): take it away."""

    def reference(self) -> str | None:
        """Once shown, the message as the adapter's progress-note reference (:class:`ProgressKeeper`), kept
        with the owed answer so a process restarted mid-stream replaces it; None where there are no notes."""


class StreamsAnswers(Protocol):
    """Optional for an adapter: a stream for the answer to ``reply_to`` (asked by ``user_id``), or None
    where answers can't be streamed there (a Slack DM outside a thread)."""

    def stream(self, channel: ChannelRef, reply_to: str, user_id: str) -> AnswerStream | None: ...


class CommandsOwed(Protocol):
    """An adapter's way back to commands acknowledged before a restart (the ``route`` it gave
    :meth:`EventHandler.owe_command`), for the answers a restarted process still owes."""

    @property
    def max_age_s(self) -> float:
        """How old an owed command may be and still be run again (its route must outlive the answer)."""
        ...

    async def resume(self, command: Command, route: str) -> None:
        """Run ``command`` again and answer through ``route``, settling it when delivered; returns when it
        was answered (the work runs in the adapter's tracked tasks, so a stopping adapter drains it)."""

    async def let_go(self, command: Command, route: str, age_s: float, text: str | None = None) -> None:
        """Not run again (too old, or its job gave up): tell the asker so, with ``text`` (default: it was cut
        short by a restart), while ``route`` still works (else nothing)."""


class Outgoing(Protocol):
    """What an adapter uses of the outbox (:class:`bot.outbox.Outbox`), the one way out."""

    def attach(self, adapter: Adapter) -> None: ...

    def keep_progress(self, platform: str, keeper: ProgressKeeper) -> None: ...

    def keep_commands(self, platform: str, owed: CommandsOwed) -> None: ...

    async def send(self, reply: Reply, via: Callable[[Reply], Awaitable[SentRef | None]] | None = None
                   ) -> SentRef | None:
        """Neutralise, deliver (through the adapter, or ``via`` the platform's own reply mechanism), remember."""


@runtime_checkable
class Adapter(Protocol):
    name: str
    capabilities: Capabilities
    ready: asyncio.Event  # set once connected

    async def start(self, inbox: EventHandler, outbox: Outgoing) -> None:
        """Connect, deliver events to ``inbox`` and say everything through ``outbox``, until :meth:`close`."""

    async def send(self, reply: Reply) -> SentRef: ...

    async def fetch_history(
        self, channel: ChannelRef, since: datetime | None = None, limit: int = 200
    ) -> list[IncomingMessage]:
        """Messages from the platform's history API (oldest first), for what predates the bot."""

    async def fetch_file(self, attachment: Attachment, *, max_bytes: int) -> Path:
        """Stream an incoming message's file to a private temporary folder and return its path (the caller
        removes it: :func:`bot.downloads.discard`). Raises :class:`bot.errors.FileRefused` with a short reason
        for the person: not on the platform's own file hosts, over ``max_bytes``, empty, the host's error."""

    async def react(self, channel: ChannelRef, message_id: str, emoji: str) -> None: ...

    async def delete(self, channel: ChannelRef, message_id: str) -> None: ...

    async def timeout_user(self, channel: ChannelRef, user_id: str, seconds: int) -> None: ...

    async def close(self, grace_s: float = 0.0) -> None:
        """Stop taking events, let work in flight finish for ``grace_s`` seconds, remove progress notes."""
        ...
