"""Slack's assistant pane: Confab in the app's DM surface, beside the channel the person is viewing.

- ``assistant_thread_started`` (the person opened the pane): a short greeting in the new thread, carrying the
  thread's record (:mod:`bot.slack.pane_threads`: the viewed channel, kept in Slack so it survives restarts),
  and suggested prompts ("Summarize this channel today" only when a channel is being viewed).
- ``assistant_thread_context_changed`` (they switched channels): the record and the prompts follow.
- A question in the pane is an ordinary DM message (bot/slack/listeners.py, the normal pipeline: no mention
  needed, thread status and streaming as anywhere); the thread's first one also becomes its title
  (``assistant.threads.setTitle``), set in the background by a middleware that lets the message through.
- :meth:`SlackPane.viewing`: for a turn in a pane thread, the lookup a tool calls to read the viewed channel,
  which checks then (bot/slack/access.py) that the asker and Confab may both read it, or says why not.

bolt's ``Assistant`` middleware is not used: it acknowledges edits and deletions in assistant threads without
passing them on, and Confab's memory must follow them. Its thread context store interface is: bolt's
``get_thread_context`` / ``save_thread_context`` read and write the same record.

The greeting and the prompts are fixed text of Confab's own (like the progress notes, posted by the adapter,
not through the outbox); the title is the person's own words, as plain text.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError

from agent.context import Viewed, ViewedLookup
from bot.adapter import Adapter
from bot.events import Author, ChannelRef
from bot.platform_access import history_fetcher, message_linker
from bot.slack.access import readable
from bot.slack.convert import HUMAN_SUBTYPES, plain_text
from bot.slack.notes import is_dm
from bot.slack.pane_threads import PaneThreads
from bot.slack.ports import SlackEdge

log = logging.getLogger(__name__)

GREETING = ("Hi! Ask me about the team's docs, or about the channel you have open beside me: "
            "I can summarize it or recap what was decided there.")
PROMPTS_TITLE = "Try one of these:"
SUMMARIZE = {"title": "Summarize this channel today", "message": "Summarize this channel today"}
DECISIONS = {"title": "What did we decide about …", "message": "Recap what we decided in this channel since yesterday"}
ASK_DOCS = {"title": "Ask the docs …", "message": "What do the docs say about getting started?"}
TITLE_MAX = 60  # characters of the first question shown as the thread's title


def prompts_for(context: dict[str, Any]) -> list[dict[str, str]]:
    """The suggested prompts: the channel ones only when a channel is being viewed."""
    return [SUMMARIZE, DECISIONS, ASK_DOCS] if context.get("channel_id") else [ASK_DOCS]


def title_of(text: str) -> str:
    line = " ".join(text.split())
    return line if len(line) <= TITLE_MAX else line[:TITLE_MAX - 1].rstrip() + "…"


def pane_question(event: Any) -> bool:
    """A person's message in a pane thread (the app's DM, in a thread): bolt's own test, narrowed to people."""
    return isinstance(event, dict) and event.get("type") == "message" and event.get("channel_type") == "im" \
        and bool(event.get("thread_ts")) and not event.get("bot_id") and event.get("subtype") in HUMAN_SUBTYPES


class SlackPane:
    """Registers the pane's events on ``app``; ``threads`` keeps the threads' records."""

    def __init__(self, edge: SlackEdge, app: AsyncApp, threads: PaneThreads) -> None:
        self.edge = edge
        self.threads = threads
        app.middleware(self._titles)
        app.event("assistant_thread_started")(self._started)
        app.event("assistant_thread_context_changed")(self._context_changed)

    # --- events -------------------------------------------------------------------------------------

    async def _started(self, event: dict[str, Any]) -> None:
        found = _thread(event)
        if found is not None:  # greet and suggest after the acknowledgement: it never waits on them
            self.edge.spawn(self._greet(*found))

    async def _greet(self, channel_id: str, thread_ts: str, context: dict[str, Any]) -> None:
        await self._try("greeting", self.threads.greet(channel_id, thread_ts, GREETING, context))
        await self._suggest(channel_id, thread_ts, context)

    async def _context_changed(self, event: dict[str, Any]) -> None:
        found = _thread(event)
        if found is not None:
            self.edge.spawn(self._moved(*found))

    async def _moved(self, channel_id: str, thread_ts: str, context: dict[str, Any]) -> None:
        await self._try("saving the viewed channel",
                        self.threads.save(channel_id=channel_id, thread_ts=thread_ts, context=context))
        await self._suggest(channel_id, thread_ts, context)

    async def _suggest(self, channel_id: str, thread_ts: str, context: dict[str, Any]) -> None:
        await self._try("suggested prompts", self.edge.client.assistant_threads_setSuggestedPrompts(
            channel_id=channel_id, thread_ts=thread_ts, prompts=prompts_for(context), title=PROMPTS_TITLE))

    async def _titles(self, body: dict[str, Any], next_: Callable[[], Awaitable[None]]) -> None:
        event = body.get("event") if body.get("type") == "event_callback" else None
        if pane_question(event):
            assert isinstance(event, dict)
            self.edge.spawn(self._title(str(event.get("channel")), str(event.get("thread_ts")),
                                        str(event.get("text") or "")))
        await next_()

    async def _title(self, channel_id: str, thread_ts: str, raw_text: str) -> None:
        """The first question of a pane thread becomes its title."""
        if await self.threads.titled(channel_id, thread_ts) is not False:
            return  # titled already, or no pane thread (a DM thread from before the pane)
        title = title_of(plain_text(raw_text, self.edge.bot_user_id, self.edge.settings.bot_name))
        if title and await self._try("the thread's title", self.edge.client.assistant_threads_setTitle(
                channel_id=channel_id, thread_ts=thread_ts, title=title)):
            await self._try("marking the title", self.threads.mark_titled(channel_id, thread_ts))

    async def _try(self, what: str, call: Awaitable[Any]) -> bool:
        try:
            await call
            return True
        except SlackApiError as exc:
            log.warning("assistant pane call failed", extra={"what": what, "error": exc.response.get("error")})
        except Exception:
            log.exception("assistant pane call failed", extra={"what": what})
        return False

    # --- the viewed channel -----------------------------------------------------------------------------

    def viewing(self, adapter: Adapter, channel: ChannelRef, author: Author) -> ViewedLookup | None:
        """For a turn in a pane thread (a thread of the app's DM): the lookup of the channel ``author`` views."""
        if not channel.thread or not is_dm(channel.channel):
            return None
        dm, thread = channel.channel, channel.thread

        async def lookup() -> Viewed | str | None:
            context = await self.threads.context(dm, thread)
            if context is None:
                return None  # a DM thread that is no pane thread: "this channel" is the DM's own
            found = await readable(self.edge.client, context.get("channel_id", ""), author.id)
            if isinstance(found, str):
                return found
            viewed = ChannelRef(channel.platform, channel.workspace, found.channel_id)
            return Viewed(viewed.key, found.label, history_fetcher(adapter, viewed), message_linker(adapter, viewed))

        return lookup


def _thread(event: dict[str, Any]) -> tuple[str, str, dict[str, Any]] | None:
    """(DM channel, thread ts, viewed context) of an ``assistant_thread_*`` event."""
    thread = event.get("assistant_thread")
    if not isinstance(thread, dict) or not thread.get("channel_id") or not thread.get("thread_ts"):
        log.info("assistant event without its thread", extra={"type": event.get("type")})
        return None
    context = thread.get("context")
    return str(thread["channel_id"]), str(thread["thread_ts"]), context if isinstance(context, dict) else {}
