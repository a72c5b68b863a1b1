"""Where an assistant pane thread keeps what it must remember across restarts and replicas: the channel the
person is viewing, and whether the thread has its title yet.

Like bolt's default :class:`AsyncAssistantThreadContextStore`, the record lives in Slack, in the metadata of
the bot's first message in the thread (event type ``assistant_thread_context``, what bolt's store writes);
unlike it, that message is always Confab's greeting (:meth:`PaneThreads.greet` posts it carrying the record),
found by that event type, so no answer's own metadata (the reply ledger's, bot/slack/earlier.py) is ever
overwritten. Nothing is kept in the database (no migration), and every replica reads the same record.

What the viewed channel is, is read from Slack at each use (another replica may have seen it change); that a
thread has its title only ever becomes true, so it is also remembered in-process.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from slack_bolt.context.assistant.thread_context import AssistantThreadContext
from slack_bolt.context.assistant.thread_context_store.async_store import AsyncAssistantThreadContextStore
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.earlier import tagged_messages
from bot.slack.pacing import Pacer

log = logging.getLogger(__name__)

EVENT_TYPE = "assistant_thread_context"  # bolt's metadata event type for a thread's context
TITLED = "confab_titled"  # in the record: the thread got its title from the first question
CONTEXT_KEYS = ("channel_id", "team_id", "enterprise_id")  # what Slack's thread context holds


@dataclass(frozen=True, slots=True)
class Record:
    ts: str  # the greeting's
    text: str
    payload: dict[str, Any]


class PaneThreads(AsyncAssistantThreadContextStore):
    """The pane threads' records, in their greetings' metadata."""

    def __init__(self, client: AsyncWebClient, bot_user_id: Callable[[], str | None], pacer: Pacer) -> None:
        self.client = client
        self.bot_user_id = bot_user_id  # known once the adapter connected
        self.pacer = pacer
        self._titled: set[tuple[str, str]] = set()

    async def greet(self, channel_id: str, thread_ts: str, text: str, context: dict[str, Any]) -> None:
        """Post the thread's greeting, carrying its record (the viewed channel, no title yet)."""
        await self.client.chat_postMessage(
            channel=channel_id, thread_ts=thread_ts, text=text, unfurl_links=False, unfurl_media=False,
            metadata={"event_type": EVENT_TYPE, "event_payload": {**clean(context), TITLED: False}})

    # --- bolt's store interface (also what bolt's get_thread_context / save_thread_context use) ------------

    async def save(self, *, channel_id: str, thread_ts: str, context: dict[str, str]) -> None:
        """The viewed channel changed: rewrite the record (its title mark kept)."""
        record = await self._record(channel_id, thread_ts)
        if record is None:
            log.info("no greeting to keep a pane thread's context in")
            return
        await self._write(channel_id, record, {**clean(context), TITLED: bool(record.payload.get(TITLED))})

    async def find(self, *, channel_id: str, thread_ts: str) -> AssistantThreadContext | None:
        context = await self.context(channel_id, thread_ts)
        return AssistantThreadContext(context) if context and "channel_id" in context else None

    async def context(self, channel_id: str, thread_ts: str) -> dict[str, str] | None:
        """The thread's viewed context (``{}`` when no channel is in view); None when it is no pane thread
        (no greeting carries a record: a DM thread from before the pane, or Slack could not be asked)."""
        record = await self._record(channel_id, thread_ts)
        return None if record is None else clean(record.payload)

    # --- the title ------------------------------------------------------------------------------------

    async def titled(self, channel_id: str, thread_ts: str) -> bool | None:
        """Whether the thread has its title; None when it is no pane thread (no record)."""
        if (channel_id, thread_ts) in self._titled:
            return True
        record = await self._record(channel_id, thread_ts)
        if record is None:
            return None
        if record.payload.get(TITLED):
            self._titled.add((channel_id, thread_ts))
            return True
        return False

    async def mark_titled(self, channel_id: str, thread_ts: str) -> None:
        self._titled.add((channel_id, thread_ts))
        record = await self._record(channel_id, thread_ts)
        if record is not None:
            await self._write(channel_id, record, {**record.payload, TITLED: True})

    # --- the greeting's metadata --------------------------------------------------------------------------

    async def _write(self, channel_id: str, record: Record, payload: dict[str, Any]) -> None:
        await self.client.chat_update(channel=channel_id, ts=record.ts, text=record.text,
                                      metadata={"event_type": EVENT_TYPE, "event_payload": payload})

    async def _record(self, channel_id: str, thread_ts: str) -> Record | None:
        """The greeting's record; None when there is none (or Slack could not be asked)."""
        try:
            tagged = await tagged_messages(self.client, self.pacer, channel_id, thread_ts, None, EVENT_TYPE)
        except Exception as exc:  # the network (Slack's refusal and the pace are logged there): no record known
            log.warning("reading a pane thread's record failed", extra={"error": type(exc).__name__})
            return None
        greeting = next((m for m in tagged if m.get("user") == self.bot_user_id()), None)
        if greeting is None:
            return None
        return Record(str(greeting["ts"]), str(greeting.get("text") or ""), dict(greeting["metadata"]["event_payload"]))


def clean(context: dict[str, Any]) -> dict[str, str]:
    """Slack's thread context without anything else (the title mark, unknown keys)."""
    return {k: v for k, v in context.items() if k in CONTEXT_KEYS and isinstance(v, str) and v}
