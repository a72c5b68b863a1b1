"""The port every platform adapter implements, and the handler it forwards events to.

An adapter owns one platform connection. It converts payloads into :mod:`bot.events` values and
hands them to an :class:`EventHandler` (the pipeline). Messages are answered by the pipeline
calling :meth:`Adapter.send`; commands return their replies so the adapter can answer through the
platform's interaction mechanism (Discord follow-ups, Slack ``respond``) after acknowledging fast.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, runtime_checkable

from bot.events import (
    ChannelRef,
    Command,
    IncomingMessage,
    MessageDelete,
    MessageEdit,
    Reply,
    SentRef,
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
    async def handle_message(self, message: IncomingMessage) -> None: ...

    async def handle_edit(self, edit: MessageEdit) -> None: ...

    async def handle_delete(self, delete: MessageDelete) -> None: ...

    async def handle_command(self, command: Command) -> Sequence[Reply]: ...


@runtime_checkable
class Adapter(Protocol):
    name: str
    capabilities: Capabilities

    async def start(self, handler: EventHandler) -> None:
        """Connect and deliver events to ``handler`` until :meth:`close`."""

    async def send(self, reply: Reply) -> SentRef: ...

    async def fetch_history(
        self, channel: ChannelRef, since: datetime | None = None, limit: int = 200
    ) -> list[IncomingMessage]:
        """Messages from the platform's history API (oldest first), for what predates the bot."""

    async def react(self, channel: ChannelRef, message_id: str, emoji: str) -> None: ...

    async def delete(self, channel: ChannelRef, message_id: str) -> None: ...

    async def timeout_user(self, channel: ChannelRef, user_id: str, seconds: int) -> None: ...

    async def close(self, grace_s: float = 0.0) -> None:
        """Stop taking events, let work in flight finish for ``grace_s`` seconds, remove progress notes."""
        ...
