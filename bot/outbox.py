"""The one way out: everything Confab says goes through :class:`Outbox`.

neutralise (no pings, but for a help channel's checked helper-group ping: :mod:`bot.pings`; no disguised links;
an answer to be rated gets its key if it is private, or loses its buttons when there is no feedback store)
-> claim in the reply ledger (a reply with a ``source`` is posted once: a repeated attempt finds it delivered,
or looks on the platform first) -> deliver (the channel's
adapter, or the platform's own reply mechanism for a command: Slack ``respond``, a Discord interaction's
follow-ups) -> record it delivered, remember what was said (unless it was private) and settle the answer
owed that it gives, in one write; an answer people can rate is recorded with the platform's id of its message
(:mod:`bot.feedback`). Adapters get the outbox when they start; nothing posts around it.
"""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import UTC, datetime

from agent.core import AgentResult
from agent.memory.models import StoredMessage
from agent.storage.feedback import FeedbackStore, RatedAnswer
from agent.storage.ports import MessageStore, PendingAnswers, ReplyLedger
from bot.adapter import Adapter, AnswerStream, CommandsOwed, ProgressKeeper
from bot.events import Attachment, ChannelRef, Reply, SentRef
from bot.pings import valid_group
from bot.platform_access import STORE_MAX_CHARS
from bot.streaming import OutStream
from bot.text import neutralize_mentions

log = logging.getLogger(__name__)

BOT_AUTHOR_ID = "confab-bot"

Deliver = Callable[[Reply], Awaitable[SentRef | None]]


def reply_for(result: AgentResult, channel: ChannelRef, reply_to: str | None = None, ephemeral: bool = False,
              user_id: str | None = None) -> Reply:
    """The reply carrying an agent turn's answer (and its files). When the answer is one tool's ready output
    that has a structure (offline, "@confab summarize this channel"), it carries that layout too, as the
    command's reply does: a platform that renders layouts shows the same card either way."""
    files = tuple(Attachment(f.filename, f.data, f.mime, f.alt_text) for f in result.files)
    layout = next((o.layout for o in result.outputs
                   if o.layout is not None and o.ok and o.for_user.strip() == result.text.strip()), None)
    return Reply(channel, result.text, files, ephemeral=ephemeral, reply_to=reply_to, user_id=user_id, layout=layout)


def neutralized(reply: Reply) -> Reply:
    """``reply`` with every @everyone/@here/user mention and disguised link defused: in its text, layout, poll and
    alt texts."""
    layout = reply.layout.map_text(neutralize_mentions) if reply.layout is not None else None
    poll = reply.poll
    if poll is not None:
        poll = replace(poll, question=neutralize_mentions(poll.question),
                       options=tuple(neutralize_mentions(o) for o in poll.options))
    return replace(reply, text=neutralize_mentions(reply.text),
                   attachments=tuple(replace(a, alt_text=neutralize_mentions(a.alt_text)) for a in reply.attachments),
                   layout=layout, poll=poll)


def checked_group(reply: Reply) -> Reply:
    """``reply`` keeping its helper-group ping (the only ping Confab means, bot/pings.py) only when it names a
    group of the reply's platform and the reply is public; the adapter puts it before the text."""
    group = reply.mention_group
    if group is None:
        return reply
    if reply.ephemeral or not valid_group(reply.channel.platform, group):
        log.warning("helper-group ping dropped: not a group of this platform",
                    extra={"platform": reply.channel.platform, "channel": reply.channel.key})
        return replace(reply, mention_group=None)
    return reply


class Outbox:
    def __init__(self, messages: MessageStore | None, bot_name: str, replies: ReplyLedger | None = None,
                 pending: PendingAnswers | None = None, feedback: FeedbackStore | None = None) -> None:
        self.messages = messages  # None: nothing is remembered (an adapter tested on its own)
        self.replies = replies  # None: no reply ledger (an adapter tested on its own)
        self.pending = pending  # None: answers owed are not settled here (see :meth:`send`'s ``settles``)
        self.feedback = feedback  # None: answers carry no 👍/👎 (nowhere to keep the votes)
        self.bot_name = bot_name
        self.adapters: dict[str, Adapter] = {}
        self._progress: dict[str, ProgressKeeper] = {}
        self.commands_owed: dict[str, CommandsOwed] = {}  # by platform: answering commands after a restart

    def attach(self, adapter: Adapter) -> None:
        self.adapters[adapter.name] = adapter

    def keep_progress(self, platform: str, keeper: ProgressKeeper) -> None:
        """An adapter that shows progress notes registers them when it starts."""
        self._progress[platform] = keeper

    def keep_commands(self, platform: str, owed: CommandsOwed) -> None:
        """An adapter that records owed commands registers its way back to them when it starts."""
        self.commands_owed[platform] = owed

    def adapter_for(self, channel: ChannelRef) -> Adapter | None:
        return self.adapters.get(channel.platform)

    async def send(self, reply: Reply, via: Deliver | None = None,
                   settles: tuple[str, str] | None = None) -> SentRef | None:
        """Say ``reply`` through the channel's adapter (None if that failed: it is logged), or ``via`` the
        platform's own mechanism for answering a command (its errors are the caller's to handle).

        ``settles`` (channel key, message id): the answer owed that this reply gives, settled once the reply
        went out or could not (when delivered, in the write that records it and remembers the reply); an
        error raised by ``via`` leaves it owed."""
        safe = self._rateable(checked_group(neutralized(reply)), via is not None)
        ledger = self.replies if safe.source and not safe.ephemeral else None
        if ledger is not None:
            assert safe.source is not None
            try:
                state, earlier = await ledger.claim(safe.source, safe.channel.key, time.time())
            except Exception:  # the ledger prevents repeats; without it the answer still goes out
                log.exception("reply ledger unavailable; posting without it", extra={"channel": safe.channel.key})
                state, earlier, ledger = "new", None, None
            if state == "done":
                log.info("reply already delivered; not posted again", extra={"channel": safe.channel.key})
                await self._settle(settles)
                return SentRef(safe.channel, earlier or "")
            if state == "retry":
                safe = replace(safe, resend=True)
        sent = await self._deliver(safe, via)
        if sent is not None and safe.rated is not None:
            await self._record_rated(safe, sent)
        said = self._said(safe, sent) if sent is not None and sent.message_id and not safe.ephemeral else None
        if sent is not None and sent.message_id and ledger is not None:
            assert safe.source is not None
            try:
                await ledger.delivered(safe.source, sent.message_id, said=said, settles=settles)
                return sent
            except Exception:  # then each on its own, as far as they go
                log.exception("could not record a delivered reply", extra={"channel": safe.channel.key})
        if said is not None:
            await self._remember(said)
        await self._settle(settles)
        return sent

    async def attempted(self, source: str) -> bool:
        """Whether an earlier attempt at the reply to ``source`` claimed it (it may be in the channel already: a
        process died after posting it, before recording that). True when the ledger can't say."""
        if self.replies is None:
            return False
        try:
            return await self.replies.attempted(source)
        except Exception:
            log.exception("reply ledger unavailable; answering as a repeat", extra={"source": source[:80]})
            return True

    def stream(self, channel: ChannelRef, reply_to: str, user_id: str) -> OutStream | None:
        """A stream for the answer to ``reply_to`` where the channel's adapter can show one (None otherwise):
        the answer goes out neutralised as it is written (:mod:`bot.streaming`), and the reply sent
        through :meth:`send` finishes it."""
        make = getattr(self.adapter_for(channel), "stream", None)
        if make is None:
            return None
        try:
            target: AnswerStream | None = make(channel, reply_to, user_id)
        except Exception:
            log.exception("opening an answer stream failed", extra={"channel": channel.key})
            return None
        return OutStream(target) if target is not None else None

    def _rateable(self, reply: Reply, via: bool) -> Reply:
        """An answer to rate keeps its buttons only where votes can be kept; a private one, or one delivered ``via``
        a command's own way back, gets a key of its own for them to carry (its platform id may stay unknown, e.g.
        Slack's ``respond``)."""
        if reply.rated is None:
            return reply
        if self.feedback is None:
            return replace(reply, rated=None)
        if (reply.ephemeral or via) and reply.rated.key is None:
            return replace(reply, rated=replace(reply.rated, key="p" + secrets.token_hex(8)))
        return reply

    async def _record_rated(self, reply: Reply, sent: SentRef) -> None:
        """Keep the answer as it was sent, under its buttons' key or the platform's id of its message."""
        assert reply.rated is not None and self.feedback is not None
        key = reply.rated.key or sent.message_id
        if not key:
            return
        rated = reply.rated
        try:
            await self.feedback.record(RatedAnswer(
                reply.channel.key, key, rated.question, reply.text, rated.citations, rated.model, time.time(),
                thread=sent.channel.thread or reply.channel.thread))
        except Exception:  # the answer is out; only its votes will find nothing
            log.exception("could not record an answer for feedback", extra={"channel": reply.channel.key})

    async def _deliver(self, reply: Reply, via: Deliver | None) -> SentRef | None:
        if via is not None:
            return await via(reply)
        adapter = self.adapter_for(reply.channel)
        if adapter is None:
            log.error("no adapter for platform", extra={"platform": reply.channel.platform})
            return None
        try:
            return await adapter.send(reply)
        except Exception:
            log.exception("sending a reply failed", extra={"channel": reply.channel.key})
            return None

    async def react(self, channel: ChannelRef, message_id: str, emoji: str) -> bool:
        adapter = self.adapter_for(channel)
        if adapter is None or not adapter.capabilities.reactions:
            return False
        try:
            await adapter.react(channel, message_id, emoji)
            return True
        except Exception:
            log.exception("reacting failed", extra={"channel": channel.key})
            return False

    def restore_progress(self, channel: ChannelRef, reply_to: str, note: str) -> None:
        """Hand a progress note shown before a restart back to its adapter, for the answer to replace."""
        keeper = self._progress.get(channel.platform)
        if keeper is not None:
            keeper.restore(channel, reply_to, note)

    async def recover_progress(self, channel: ChannelRef, reply_to: str) -> None:
        """Find a progress note shown before a restart but never recorded (the process died right after
        posting it), for the answer to replace."""
        keeper = self._progress.get(channel.platform)
        if keeper is not None:
            try:
                await keeper.recover(channel, reply_to)
            except Exception:
                log.exception("looking for an unrecorded progress note failed", extra={"channel": channel.key})

    async def drop_progress(self, channel: ChannelRef, reply_to: str) -> None:
        """Remove the progress note of a request that ends without an answer."""
        keeper = self._progress.get(channel.platform)
        if keeper is not None:
            try:
                await keeper.drop(channel, reply_to)
            except Exception:
                log.exception("removing a progress note failed", extra={"channel": channel.key})

    def _said(self, reply: Reply, sent: SentRef) -> StoredMessage | None:
        """What the bot said, as it is remembered (None when nothing is remembered)."""
        if self.messages is None:
            return None
        return StoredMessage(
            channel_key=reply.channel.key, id=sent.message_id, author_id=BOT_AUTHOR_ID, author_name=self.bot_name,
            text=reply.text[:STORE_MAX_CHARS], created_at=datetime.now(UTC),
            thread=sent.channel.thread or reply.channel.thread, is_bot=True,
        )

    async def _remember(self, said: StoredMessage) -> None:
        assert self.messages is not None
        try:
            await self.messages.add(said)
        except Exception:
            log.exception("remembering a reply failed", extra={"channel": said.channel_key})

    async def _settle(self, owed: tuple[str, str] | None) -> None:
        if owed is None or self.pending is None:
            return
        try:
            await self.pending.settle(*owed)
        except Exception:
            log.exception("could not settle an owed answer", extra={"message_id": owed[1]})
