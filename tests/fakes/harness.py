"""A chat harness in which tests read like transcripts: ``await chat.say("@confab hi")`` returns the
bot's reply text. It drives the real pipeline through a recording adapter on a ``test`` platform."""

from __future__ import annotations

import asyncio
import itertools
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from bot.adapter import Capabilities
from bot.events import (
    Author,
    ChannelRef,
    Command,
    IncomingMessage,
    MessageDelete,
    MessageEdit,
    Reply,
    SentRef,
)
from bot.pipeline import Pipeline


@dataclass
class RecordingAdapter:
    name: str = "test"
    capabilities: Capabilities = field(default_factory=lambda: Capabilities(max_chars=4000, ephemeral=True,
                                                                             delete=True, timeout=True))
    sent: list[Reply] = field(default_factory=list)
    reactions: list[tuple[str, str]] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    timeouts: list[tuple[str, int]] = field(default_factory=list)
    history: list[IncomingMessage] = field(default_factory=list)
    ready: asyncio.Event = field(default_factory=asyncio.Event)
    _ids: Any = field(default_factory=lambda: itertools.count(1))

    async def start(self, inbox: Any, outbox: Any) -> None:
        outbox.attach(self)
        self.ready.set()

    async def send(self, reply: Reply) -> SentRef:
        self.sent.append(reply)
        return SentRef(reply.channel, f"bot-{next(self._ids)}")

    async def fetch_history(self, channel: ChannelRef, since: datetime | None = None,
                            limit: int = 200) -> list[IncomingMessage]:
        return [m for m in self.history if m.channel.channel == channel.channel][-limit:]

    async def react(self, channel: ChannelRef, message_id: str, emoji: str) -> None:
        self.reactions.append((message_id, emoji))

    async def delete(self, channel: ChannelRef, message_id: str) -> None:
        self.deleted.append(message_id)

    async def timeout_user(self, channel: ChannelRef, user_id: str, seconds: int) -> None:
        self.timeouts.append((user_id, seconds))

    async def close(self, grace_s: float = 0.0) -> None:
        return None


class Chat:
    def __init__(self, pipeline: Pipeline, adapter: RecordingAdapter, bot_name: str = "confab") -> None:
        self.pipeline = pipeline
        self.adapter = adapter
        self.bot_name = bot_name
        self._ids = itertools.count(1)

    def channel(self, name: str = "general", thread: str | None = None) -> ChannelRef:
        return ChannelRef("test", "T1", name, thread)

    def message(self, text: str, user: str = "alice", channel: str = "general", thread: str | None = None,
                admin: bool = False, direct: bool = False, id: str | None = None, bot: bool = False
                ) -> IncomingMessage:
        mentions = re.search(rf"(?i)@{re.escape(self.bot_name)}\b", text) is not None
        return IncomingMessage(
            id=id or f"m{next(self._ids)}", channel=self.channel(channel, thread),
            author=Author(user, user, is_bot=bot, is_admin=admin), text=text, mentions_bot=mentions,
            is_direct=direct, created_at=datetime.now(UTC),
        )

    async def say(self, text: str, **kwargs: Any) -> str:
        """Deliver one message; return what the bot said in response (empty string for nothing)."""
        before = len(self.adapter.sent)
        await self.pipeline.handle_message(self.message(text, **kwargs))
        return "\n".join(r.text for r in self.adapter.sent[before:])

    async def deliver(self, message: IncomingMessage) -> list[Reply]:
        before = len(self.adapter.sent)
        await self.pipeline.handle_message(message)
        return self.adapter.sent[before:]

    async def command(self, name: str, args: str = "", user: str = "alice", channel: str = "general",
                      admin: bool = False, thread: str | None = None, target: str | None = None) -> list[Reply]:
        cmd = Command(name=name, args=args, channel=self.channel(channel, thread),
                      author=Author(user, user, is_admin=admin), target=target)
        return list(await self.pipeline.handle_command(cmd))

    async def edit(self, message_id: str, text: str, user: str = "alice", channel: str = "general") -> None:
        await self.pipeline.handle_edit(MessageEdit(message_id, self.channel(channel), Author(user, user), text))

    async def delete(self, message_id: str, channel: str = "general") -> None:
        await self.pipeline.handle_delete(MessageDelete(message_id, self.channel(channel)))
