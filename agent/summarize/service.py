"""Collecting what to summarize, and choosing how.

The source is the bot's memory plus the platform's history API (through the adapter, for what predates
the bot; rate-limited per channel), merged and de-duplicated by message id. The bot's own messages and
deleted ones are left out; edited messages count with their latest text. At most
:data:`~agent.summarize.model.MAX_MESSAGES` messages are read (the newest), and the coverage says so.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING

from agent.embeddings import Embedder
from agent.intents import is_request_to_bot
from agent.memory.models import StoredMessage
from agent.settings import Settings
from agent.storage.ports import MessageStore
from agent.summarize.extractive import describe_coverage, summarize_extractive
from agent.summarize.model import MAX_MESSAGES, Summary
from agent.summarize.mood import describe_mood
from agent.summarize.scope import DEFAULT_CHANNEL_HOURS, DEFAULT_CHANNEL_MIN, Scope
from agent.text import without_quotes

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

log = logging.getLogger(__name__)

HistoryFetcher = Callable[[datetime | None, int], Awaitable[list[StoredMessage]]]
FETCH_INTERVAL_S = 30.0  # at most one platform-history read per channel per this many seconds
FETCH_TIMEOUT_S = 15.0

class Summarizer:
    """Collect a window of messages (memory plus the platform's history) and summarize it."""

    def __init__(self, settings: Settings, messages: MessageStore, chat_model: BaseChatModel,
                 embedder: Callable[[], Embedder], mood_embedder: Callable[[], Embedder] | None = None) -> None:
        self.settings = settings
        self.messages = messages
        self.chat_model = chat_model
        self._embedder = embedder  # created on first use
        self._mood_embedder = mood_embedder or embedder  # the local model the sentiment classifier reads
        self._last_fetch: dict[tuple[str, str | None], float] = {}

    async def collect(self, channel_key: str, thread: str | None, scope: Scope,
                      fetch_history: HistoryFetcher | None = None, asking: str | None = None
                      ) -> tuple[list[StoredMessage], dict[str, object]]:
        """Messages in scope (oldest first) and coverage facts: available, left_out_bot, from_platform, notes.
        ``asking``: the id of the message that asked for the summary, in whatever words ("can you summarize what
        we talked about?" in a DM names no one): never part of it."""
        memory = self.messages
        since, limit = scope.since, min(scope.limit, MAX_MESSAGES)
        if scope.default and thread is None:
            since = datetime.now(UTC) - timedelta(hours=DEFAULT_CHANNEL_HOURS)
        # "last N" reads a few more rows than N: the bot's own messages and requests to it are left out
        rows = MAX_MESSAGES + 1 if scope.limit >= MAX_MESSAGES else min(MAX_MESSAGES + 1, 3 * scope.limit + 100)
        stored = await memory.history(channel_key, since=since, until=scope.until, thread=thread, limit=rows)
        if scope.default and thread is None and len(stored) < DEFAULT_CHANNEL_MIN:
            # a quiet channel: its last messages, however old
            stored = await memory.recent(channel_key, limit=DEFAULT_CHANNEL_MIN)
            since, limit = None, DEFAULT_CHANNEL_MIN
        notes: list[str] = []
        platform = await self._platform_history(channel_key, thread, since, limit, fetch_history, notes)
        deleted = await memory.deleted_ids(channel_key)
        merged: dict[str, StoredMessage] = {m.id: m for m in platform if m.id not in deleted}
        from_platform = len(merged)
        for message in stored:  # memory wins: it has edits and knows our own messages
            from_platform -= message.id in merged
            merged[message.id] = message
        ordered = sorted(merged.values(), key=lambda m: m.created_at)
        if scope.until is not None:
            ordered = [m for m in ordered if m.created_at <= scope.until]
        people = [m for m in ordered if not m.is_bot and not m.deleted and m.text.strip() and m.id != asking
                  and not is_request_to_bot(m.text, self.settings.bot_name)]
        left_out_bot = sum(1 for m in ordered if m.is_bot)
        to_bot = answered_by_bot(ordered)
        available = len(people)
        if len(stored) > MAX_MESSAGES:  # memory holds more than we read: count them for the coverage note
            available = max(available, await self._count(channel_key, thread, since, scope.until))
        people = people[-limit:]
        if available > len(people) and scope.limit >= MAX_MESSAGES:
            notes.append(f"capped at the newest {MAX_MESSAGES:,} messages")
        if left_out_bot:
            notes.append(f"{left_out_bot:,} of my own messages left out")
        return people, {"available": available if scope.limit >= MAX_MESSAGES else None,
                        "left_out_bot": left_out_bot, "from_platform": from_platform, "notes": tuple(notes),
                        "to_bot": to_bot}

    async def _count(self, channel_key: str, thread: str | None, since: datetime | None,
                     until: datetime | None) -> int:
        return await self.messages.count_said(channel_key, thread, since, until)

    async def _platform_history(self, channel_key: str, thread: str | None, since: datetime | None, limit: int,
                                fetch_history: HistoryFetcher | None, notes: list[str]) -> list[StoredMessage]:
        if fetch_history is None:
            return []
        now = time.monotonic()
        if now - self._last_fetch.get((channel_key, thread), -FETCH_INTERVAL_S) < FETCH_INTERVAL_S:
            notes.append("platform history was read moments ago, so only my memory was used this time")
            return []
        self._last_fetch[(channel_key, thread)] = now
        try:
            async with asyncio.timeout(FETCH_TIMEOUT_S):
                found = await fetch_history(since, min(limit, MAX_MESSAGES))
        except Exception as exc:  # platform errors, rate limits, timeouts: use memory alone
            log.warning("platform history unavailable", extra={"channel": channel_key, "error": repr(exc)[:200]})
            notes.append("the platform's history was unavailable, so only my memory was used")
            return []
        # adapters should give aware UTC times; a naive one would break sorting against memory's
        found = [m if m.created_at.tzinfo else replace(m, created_at=m.created_at.replace(tzinfo=UTC))
                 for m in found]
        if thread is not None:
            found = [m for m in found if m.thread == thread or m.id == thread]
        return [m for m in found if since is None or m.created_at >= since]

    async def summarize(self, messages: Sequence[StoredMessage], facts: dict[str, object] | None = None,
                        use_llm: bool | None = None, topic: str | None = None) -> Summary:
        """``topic``: only what was said about it (``/summarize about …``)."""
        facts = dict(facts or {})
        to_bot = facts.pop("to_bot", None)
        to_bot = to_bot if isinstance(to_bot, frozenset) else frozenset()
        coverage = describe_coverage(messages, **facts)
        # what people quote ("> …", Confab's answer among them) was said before, and not in the quoter's words
        messages = [m if text == m.text else replace(m, text=text) for m in messages
                    if (text := without_quotes(m.text))]
        if use_llm is None:
            use_llm = not self.settings.is_offline
        summary: Summary | None = None
        if messages and use_llm:
            from agent.summarize.llm import summarize_with_llm

            try:
                summary = await summarize_with_llm(messages, self.chat_model, coverage,
                                                   timeout_s=self.settings.agent_model_timeout_s, topic=topic)
            except* Exception as group:  # any provider failure: fall back, never crash
                log.warning("llm summary failed; using the offline summarizer", extra={
                    "error": repr(group.exceptions[0])[:200]})
                coverage = replace(coverage, notes=(*coverage.notes, "the language model failed, so this "
                                                    "is the offline summary"))
        if summary is None:
            embedder = self._embedder()
            summary = await asyncio.to_thread(partial(summarize_extractive, bot_name=self.settings.bot_name,
                                                      topic=topic, to_bot=to_bot), messages, embedder, coverage)
        summary.mood = await asyncio.to_thread(describe_mood, [m.text for m in messages],
                                               self._mood_embedder()) if messages else summary.mood
        return summary


def answered_by_bot(ordered: Sequence[StoredMessage]) -> frozenset[str]:
    """Ids of the people's messages the bot spoke right after in their thread: put to it though they may not
    name it (a follow-up in the thread of its answer), so not a question left open, nor said to someone else."""
    last: dict[str | None, StoredMessage] = {}  # the latest message of each thread (None: the channel)
    answered = set()
    for message in ordered:
        previous = last.get(message.thread)
        if message.is_bot and previous is not None and not previous.is_bot:
            answered.add(previous.id)
        last[message.thread] = message
    return frozenset(answered)
