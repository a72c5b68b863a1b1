"""A chat harness in which tests read like transcripts: ``await chat.say("@confab hi")`` returns the
bot's reply text. It drives the real pipeline through a recording adapter on a ``test`` platform.

``open_bot`` is the one way tests build a bot: deps and pipeline from ``bot.app.build_app`` (model,
embedder, settings overrides), an adapter attached and started (the recording one unless a platform's
is given), and on exit the adapter's in-flight work and the pipeline's background work drained before
the adapter and the deps close. The ``bot_factory`` fixture (tests/conftest.py) opens bots with it.
"""

from __future__ import annotations

import asyncio
import io
import itertools
import re
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
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
        channel = reply.channel
        if self.capabilities.replies_in_thread and channel.thread is None and reply.reply_to:
            channel = channel.in_thread(reply.reply_to)  # as Slack does: the answer starts the message's thread
        return SentRef(channel, f"bot-{next(self._ids)}")

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
                      admin: bool = False, thread: str | None = None, target: str | None = None,
                      direct: bool = False) -> list[Reply]:
        cmd = Command(name=name, args=args, channel=self.channel(channel, thread),
                      author=Author(user, user, is_admin=admin), target=target, is_direct=direct)
        return list(await self.pipeline.handle_command(cmd))

    async def edit(self, message_id: str, text: str, user: str = "alice", channel: str = "general") -> None:
        await self.pipeline.handle_edit(MessageEdit(message_id, self.channel(channel), Author(user, user), text))

    async def delete(self, message_id: str, channel: str = "general") -> None:
        await self.pipeline.handle_delete(MessageDelete(message_id, self.channel(channel)))


# --- the one way to build a bot ------------------------------------------------------------------

DRAIN_TIMEOUT_S = 60.0  # work still running this long after a test is a hang, reported as an error
READY_TIMEOUT_S = 15.0
_KEEP = object()


async def drain(adapter: Any, pipeline: Any = None) -> None:
    """Wait until nothing is in flight: the adapter's event and command work (including work spawned
    meanwhile), then the pipeline's resumed answers and rolling summaries. ``pipeline`` defaults to the
    handler the adapter delivers to, when that has a ``drain`` (a recording handler has none)."""
    if hasattr(adapter, "drain"):
        await adapter.drain()
    if pipeline is None:
        pipeline = getattr(adapter, "handler", None)
    if hasattr(pipeline, "drain"):
        await pipeline.drain()


async def start_adapter(adapter: Any, inbox: Any, outbox: Any) -> asyncio.Task[None]:
    """``adapter.start(inbox, outbox)`` in a task, returned once the adapter is ready (or raising what
    stopped it from starting)."""
    task = asyncio.create_task(adapter.start(inbox, outbox), name=f"test-adapter-{adapter.name}")
    ready = asyncio.create_task(adapter.ready.wait())
    try:
        await asyncio.wait({task, ready}, timeout=READY_TIMEOUT_S, return_when=asyncio.FIRST_COMPLETED)
    finally:
        ready.cancel()
    if task.done():
        task.result()  # an adapter that could not start says why
    assert adapter.ready.is_set(), f"the {adapter.name} adapter did not become ready"
    return task


async def stop_adapter(adapter: Any, task: asyncio.Task[None]) -> None:
    """Let the adapter's work in flight finish (bounded), then close it and wait for its task to end."""
    try:
        if hasattr(adapter, "drain"):
            async with asyncio.timeout(DRAIN_TIMEOUT_S):
                await adapter.drain()
    finally:
        await adapter.close()
        await asyncio.wait_for(task, 10)


class Bot(Chat):
    """A running bot: ``deps`` and ``pipeline`` (bot.app.build_app), ``adapter`` attached, ``settings``.
    With the recording adapter it is also a :class:`Chat` (``await bot.say("@confab hi")``)."""

    def __init__(self, deps: Any, pipeline: Pipeline, adapter: Any, settings: Any) -> None:
        super().__init__(pipeline, adapter, settings.bot_name)
        self.deps = deps
        self.settings = settings

    async def drain(self) -> None:
        await drain(self.adapter, self.pipeline)


@asynccontextmanager
async def open_bot(tmp_path: Any, chat_model: Any = None, *, embedder: Any = None, settings: Any = None,
                   adapter: Any = None, moderator: Any = _KEEP, start: bool = True, **overrides: Any
                   ) -> AsyncIterator[Bot]:
    """The bot around ``chat_model`` (when None the configured one: offline unless ``model=`` says) and
    ``embedder`` (the configured one when None), with ``settings`` or ``make_settings(tmp_path, **overrides)``,
    behind ``adapter`` (a :class:`RecordingAdapter` when None). ``moderator`` replaces the spam moderator
    (None: no screen). ``start=False`` attaches the adapter without starting it (a console the test runs).

    On exit: drain (adapter work, then pipeline background), close the adapter, close the deps."""
    from bot.app import build_app
    from tests.fakes.settings import make_settings

    if settings is None:
        settings = make_settings(tmp_path, **overrides)
    elif overrides:
        raise TypeError(f"settings given: pass {sorted(overrides)} in them")
    deps, pipeline = await build_app(settings, chat_model=chat_model, embedder=embedder)
    task: asyncio.Task[None] | None = None
    try:
        if moderator is not _KEEP:
            pipeline.moderator = moderator
        adapter = adapter if adapter is not None else RecordingAdapter()
        pipeline.attach(adapter)
        bot = Bot(deps, pipeline, adapter, settings)
        if start:
            task = await start_adapter(adapter, pipeline, pipeline.outbox)
            await pipeline.start_jobs()
        yield bot
        async with asyncio.timeout(DRAIN_TIMEOUT_S):
            await bot.drain()
    finally:  # also after a failed test: nothing of this bot outlives it
        try:
            await pipeline.stop_jobs(DRAIN_TIMEOUT_S)
            if task is not None:
                await stop_adapter(adapter, task)
        finally:
            try:
                async with asyncio.timeout(DRAIN_TIMEOUT_S):
                    await pipeline.drain()
            finally:
                await deps.close()


@asynccontextmanager
async def typed_console(tmp_path: Any, lines: list[str], *, settings: Any, chat_model: Any = None,
                        user: str = "alice", width: int = 300, **open_kwargs: Any
                        ) -> AsyncIterator[tuple[Bot, io.StringIO]]:
    """The console adapter with ``lines`` typed in it as ``user``, run to the end: yields the bot (still open)
    and the screen (read it after the block: the bot's close may still print)."""
    from rich.console import Console

    from bot.console.adapter import ConsoleAdapter

    screen = io.StringIO()
    adapter = ConsoleAdapter(settings.data_dir, user=user, stdin=io.StringIO("".join(f"{line}\n" for line in lines)),
                             console=Console(file=screen, force_terminal=False, width=width))
    async with open_bot(tmp_path, chat_model, settings=settings, adapter=adapter, start=False, **open_kwargs) as bot:
        await adapter.start(bot.pipeline, bot.pipeline.outbox)
        await bot.drain()
        yield bot, screen


async def console_says(tmp_path: Any, lines: list[str], **kwargs: Any) -> str:
    """What the console shows after ``lines`` are typed in it (``typed_console``'s arguments)."""
    async with typed_console(tmp_path, lines, **kwargs) as (_, screen):
        pass
    return screen.getvalue()


class BotFactory:
    """``bot = await bot_factory(chat_model, **settings)``: :func:`open_bot` for a test's ``tmp_path``; every bot
    it opened is drained and closed (newest first) by :meth:`aclose` (the fixture's teardown)."""

    def __init__(self, tmp_path: Any) -> None:
        self.tmp_path = tmp_path
        self._opened = AsyncExitStack()

    async def __call__(self, chat_model: Any = None, **kwargs: Any) -> Bot:
        return await self._opened.enter_async_context(open_bot(self.tmp_path, chat_model, **kwargs))

    async def aclose(self) -> None:
        await self._opened.aclose()
