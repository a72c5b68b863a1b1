"""What every incoming event goes through.

message: clean -> dedupe + store (one step: the insert is the dedupe, so it survives restarts)
-> spam screen (every message) -> route (command / mention / DM / followed thread) -> rate limit
-> agent or follower -> reply through the adapter -> remember the reply.
Anything else is only remembered. Errors in one message never stop the next.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol

from agent.context import TurnContext
from agent.core import AgentResult
from agent.memory.models import StoredMessage
from bot import messages as say
from bot.adapter import Adapter
from bot.commands import CommandContext, load_commands
from bot.conversation import expects_answer
from bot.events import (
    Attachment,
    Author,
    ChannelRef,
    Command,
    IncomingMessage,
    MessageDelete,
    MessageEdit,
    Reply,
    SentRef,
)
from bot.platform_access import STORE_MAX_CHARS, history_fetcher, message_linker, to_stored
from bot.ratelimit import RateLimiter, Verdict
from bot.text import clean_incoming, neutralize_mentions, scrub

if TYPE_CHECKING:
    from agent.deps import Deps

log = logging.getLogger(__name__)



class Moderator(Protocol):
    async def screen(self, message: IncomingMessage, adapter: Adapter | None) -> bool: ...

    async def rescreen_edit(self, edit: MessageEdit, adapter: Adapter | None) -> None: ...


class ThreadFollower(Protocol):
    async def on_thread_message(self, message: IncomingMessage, data: dict[str, Any],
                                adapter: Adapter | None) -> list[Reply]: ...


class Pipeline:
    def __init__(self, deps: Deps, moderator: Moderator | None = None,
                 followers: Mapping[str, ThreadFollower] | None = None) -> None:
        self.deps = deps
        self.settings = deps.settings
        self.store = deps.store
        self.moderator = moderator
        self.followers = dict(followers or {})
        self.adapters: dict[str, Adapter] = {}
        self.commands = load_commands()
        self.limiter = RateLimiter(self.settings.rate_user_per_min, self.settings.rate_channel_per_min)
        self._background: set[asyncio.Task[Any]] = set()
        self._unrolled: dict[tuple[str, str | None], int] = {}  # messages since the last summary attempt

    def attach(self, adapter: Adapter) -> None:
        self.adapters[adapter.name] = adapter

    def adapter_for(self, channel: ChannelRef) -> Adapter | None:
        return self.adapters.get(channel.platform)

    # --- messages ----------------------------------------------------------------------

    async def handle_message(self, message: IncomingMessage) -> None:
        try:
            await self._handle_message(message)
        except Exception:
            log.exception("failed to handle a message", extra={"channel": message.channel.key,
                                                               "message_id": message.id})

    async def _handle_message(self, message: IncomingMessage) -> None:
        message = scrub(message)  # adapters clean at the edge; this holds for any other caller too
        text = clean_incoming(message.text)
        if not await self.store.messages.add(to_stored(message, text)):
            log.debug("duplicate delivery dropped", extra={"message_id": message.id})
            return
        where = (message.channel.key, message.channel.thread)
        self._unrolled[where] = self._unrolled.get(where, 0) + 1
        if message.author.is_bot:
            return
        adapter = self.adapter_for(message.channel)
        if self.moderator is not None and await self.moderator.screen(message, adapter):
            return
        addressed = message.mentions_bot or message.is_direct
        body = _strip_bot_mention(text, self.settings.bot_name) if addressed else text
        if addressed and body.startswith("/"):
            name, _, args = body[1:].partition(" ")
            command = Command(name=name.lower(), args=args.strip(), channel=message.channel,
                              author=message.author, id=message.id)
            for reply in await self.handle_command(command):
                await self.send(reply)
            return
        follow = await self._followed(message.channel) if message.channel.thread else None
        continues = message.replies_to_bot or (follow is not None and follow[0] == "mention")
        if addressed or (continues and expects_answer(body, self.settings.bot_name)):
            await self._answer(message, body)
        elif follow is not None and follow[0] in self.followers:
            await self._follow(message, follow[0], follow[1])

    async def _followed(self, channel: ChannelRef) -> tuple[str, dict[str, Any]] | None:
        assert channel.thread is not None
        threads = self.store.threads
        found = await threads.followed(channel.key, channel.thread)
        if found is None:
            # a thread under one of the bot's own messages continues that conversation
            root = await self.store.messages.get(channel.key, channel.thread)
            if root is None or not root.is_bot:
                return None
            await threads.follow(channel.key, channel.thread, kind="mention")
            return "mention", {}
        kind, data, last = found
        idle = timedelta(minutes=self.settings.brainstorm_idle_minutes)
        if datetime.now(UTC) - last > idle:
            await threads.unfollow(channel.key, channel.thread)
            log.info("stopped following an idle thread", extra={"channel": channel.key, "kind": kind})
            return None
        await threads.touch(channel.key, channel.thread)
        return kind, data

    async def _follow(self, message: IncomingMessage, kind: str, data: dict[str, Any]) -> None:
        if not await self._allowed(message.author, message.channel, message.id):
            return
        try:
            replies = await self.followers[kind].on_thread_message(message, data, self.adapter_for(message.channel))
        except Exception:
            log.exception("thread follower failed", extra={"kind": kind})
            return
        for reply in replies:
            await self.send(reply)

    async def _answer(self, message: IncomingMessage, body: str) -> None:
        if not await self._allowed(message.author, message.channel, message.id):
            return
        where = message.channel
        if len(body) > self.settings.max_message_chars:
            log.info("message too long for the agent", extra={"length": len(body)})
            await self.send(Reply(where, say.TOO_LONG.format(length=len(body), limit=self.settings.max_message_chars),
                                  reply_to=message.id))
            return
        result = await self.ask(where, message.author, body, exclude_id=message.id)
        adapter = self.adapter_for(where)
        thread = where.thread
        if thread is None and adapter is not None and getattr(adapter.capabilities, "replies_in_thread", False):
            thread = message.id
        threads = self.store.threads
        # a thread already followed for another reason (e.g. a brainstorm) keeps its kind
        if thread is not None and not message.is_direct and await threads.followed(where.key, thread) is None:
            await threads.follow(where.key, thread, kind="mention")
        await self.send(self.reply_for(result, where, reply_to=message.id))
        if self._unrolled.get((where.key, where.thread), 0) >= self.settings.context_messages:
            self._unrolled[(where.key, where.thread)] = 0
            self._in_background(self.deps.assistant.roll_summary(where.key, where.thread))

    def _in_background(self, work: Any) -> None:
        task = asyncio.create_task(work)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def drain(self) -> None:
        """Wait for background work (rolling summaries) to finish; used at shutdown and in tests."""
        while self._background:
            await asyncio.gather(*list(self._background), return_exceptions=True)

    async def ask(self, channel: ChannelRef, author: Author, text: str, exclude_id: str | None = None) -> AgentResult:
        """Run one agent turn for ``text`` in ``channel`` with the channel's memory as context."""
        adapter = self.adapter_for(channel)
        context = TurnContext(
            channel_key=channel.key, platform=channel.platform, author_id=author.id, author_name=author.name,
            thread=channel.thread, is_admin=author.is_admin,
            fetch_history=history_fetcher(adapter, channel),
            message_link=message_linker(adapter, channel),
        )
        return await self.deps.assistant.ask(context, text, exclude_id)

    @staticmethod
    def reply_for(result: AgentResult, channel: ChannelRef, reply_to: str | None = None,
                  ephemeral: bool = False, user_id: str | None = None) -> Reply:
        files = tuple(Attachment(f.filename, f.data, f.mime, f.alt_text) for f in result.files)
        return Reply(channel, result.text, files, ephemeral=ephemeral, reply_to=reply_to, user_id=user_id)

    async def _allowed(self, author: Author, channel: ChannelRef, message_id: str) -> bool:
        """Check the rate limit for a message; a refusal is always visible (a note, then a reaction)."""
        verdict = self._rate_verdict(author, channel)
        if verdict.allowed:
            return True
        adapter = self.adapter_for(channel)
        if not verdict.notify and adapter is not None and adapter.capabilities.reactions:
            try:
                await adapter.react(channel, message_id, say.RATE_LIMITED_REACTION)
                return False
            except Exception:
                log.exception("could not react to a rate-limited message")
        await self.send(_rate_limit_reply(verdict, channel, author, reply_to=message_id))
        return False

    def _rate_verdict(self, author: Author, channel: ChannelRef) -> Verdict:
        verdict = self.limiter.check(f"{channel.platform}:{author.id}", channel.key)
        if not verdict.allowed:
            log.info("rate limited", extra={"scope": verdict.scope, "user": author.id, "channel": channel.key})
        return verdict

    # --- replies ------------------------------------------------------------------------

    async def send(self, reply: Reply) -> SentRef | None:
        adapter = self.adapter_for(reply.channel)
        if adapter is None:
            log.error("no adapter for platform", extra={"platform": reply.channel.platform})
            return None
        safe = Reply(reply.channel, neutralize_mentions(reply.text),
                     tuple(Attachment(a.filename, a.data, a.mime, neutralize_mentions(a.alt_text), a.url)
                           for a in reply.attachments),
                     reply.ephemeral, reply.reply_to, reply.user_id)
        try:
            sent = await adapter.send(safe)
        except Exception:
            log.exception("sending a reply failed", extra={"channel": reply.channel.key})
            return None
        if not safe.ephemeral:
            await self.remember_own(safe, sent)
        return sent

    async def remember_own(self, reply: Reply, sent: SentRef) -> None:
        """Keep what the bot said in memory (adapters call it for replies they post themselves)."""
        thread = sent.channel.thread or reply.channel.thread
        await self.store.messages.add(StoredMessage(
            channel_key=reply.channel.key, id=sent.message_id, author_id="confab-bot",
            author_name=self.settings.bot_name, text=reply.text[:STORE_MAX_CHARS],
            created_at=datetime.now(UTC), thread=thread, is_bot=True,
        ))

    # --- edits and deletes ----------------------------------------------------------------

    async def handle_edit(self, edit: MessageEdit) -> None:
        try:
            edit = scrub(edit)
            text = clean_incoming(edit.text)[:STORE_MAX_CHARS]
            await self.store.messages.edit(edit.channel.key, edit.id, text, edit.edited_at)
            if self.moderator is not None and not edit.author.is_bot:
                await self.moderator.rescreen_edit(edit, self.adapter_for(edit.channel))
        except Exception:
            log.exception("failed to handle an edit", extra={"message_id": edit.id})

    async def handle_delete(self, delete: MessageDelete) -> None:
        try:
            await self.store.messages.delete(delete.channel.key, delete.id)
        except Exception:
            log.exception("failed to handle a delete", extra={"message_id": delete.id})

    # --- commands -----------------------------------------------------------------------

    async def handle_command(self, command: Command) -> Sequence[Reply]:
        started = time.monotonic()
        command = scrub(command)
        spec = self.commands.get(command.name)
        ctx = CommandContext(command, self.deps, self, self.adapter_for(command.channel))
        if spec is None:
            log.info("unknown command", extra={"command": command.name[:40]})
            return [ctx.reply(say.UNKNOWN_COMMAND.format(name=command.name[:40]), ephemeral=True)]
        if spec.admin_only and not command.author.is_admin:
            return [ctx.reply(say.admin_only(spec.name, command.channel.platform, command.author.name),
                              ephemeral=True)]
        if spec.rate_limited and not (verdict := self._rate_verdict(command.author, command.channel)).allowed:
            return [_rate_limit_reply(verdict, command.channel, command.author, reply_to=command.channel.thread)]
        try:
            async with asyncio.timeout(self.settings.agent_deadline_s):
                replies = await spec.handler(ctx)
        except TimeoutError:
            log.warning("command timed out", extra={"command": spec.name, "seconds": self.settings.agent_deadline_s})
            return [ctx.reply(say.COMMAND_TIMED_OUT.format(name=spec.name, seconds=self.settings.agent_deadline_s),
                              ephemeral=True)]
        except Exception:
            log.exception("command failed", extra={"command": spec.name})
            return [ctx.reply(say.COMMAND_FAILED.format(name=spec.name), ephemeral=True)]
        log.info("command handled", extra={"command": spec.name, "seconds": round(time.monotonic() - started, 3)})
        return replies


def _rate_limit_reply(verdict: Verdict, channel: ChannelRef, author: Author, reply_to: str | None) -> Reply:
    template = say.RATE_LIMITED_USER if verdict.scope == "user" else say.RATE_LIMITED_CHANNEL
    return Reply(channel, template.format(seconds=max(1, round(verdict.retry_after_s))), ephemeral=True,
                 reply_to=reply_to, user_id=author.id)


def _strip_bot_mention(text: str, bot_name: str) -> str:
    import re

    return re.sub(rf"(?i)(^|\s)@{re.escape(bot_name)}\b[:,]?", " ", text).strip()

