"""Bolt listeners: Slack events, slash commands and the message shortcut -> the EventHandler.

A message event is acknowledged (bolt answers when the listener returns: ``process_before_response``)
only once the pipeline has stored it with the answer it is owed, so a crash after the acknowledgement
loses nothing (the answer is resumed at the next start) and a crash before it gets Slack's retry. The
answering itself runs in a task the adapter tracks, so Slack gets its acknowledgement well inside 3 s.
A redelivered message is a duplicate of the stored one (the insert is the dedupe); other events are
deduplicated by ``event_id`` (persisted through the store). Commands and the shortcut are
:mod:`bot.slack.commands` (recorded as owed, then acknowledged). Every reply goes out through the outbox.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.response import BoltResponse

from agent.state.profiles import Profiles
from bot.adapter import NOTE_POSTING, HandlesReactions
from bot.delivery import FirstDelivery
from bot.events import Accepted, Author, IncomingMessage, MessageDelete, MessageEdit, Reaction
from bot.reactions import acted_on
from bot.slack.authors import SlackAuthors
from bot.slack.commands import SlackCommands
from bot.slack.convert import (
    HUMAN_SUBTYPES,
    event_from_payload,
    event_text,
    message_from_payload,
    reaction_from_payload,
    team_of,
    unnamed_mentions,
)
from bot.slack.format import PROGRESS_TEXT
from bot.slack.http_edge import DeliveryAbandoned, abandoned
from bot.slack.notes import after
from bot.slack.ports import SlackEdge

log = logging.getLogger(__name__)

SLASH_COMMANDS = ("summarize", "ask", "imagine", "brainstorm", "recall", "confab", "digest")
SHORTCUT = "summarize_thread"
AUTHOR_WAIT_S = 1.0  # users.info before acknowledging a message: at most this long
HISTORY_PEOPLE = 100  # people looked up for one read of a conversation's history; past that, ids stay


class SlackListeners:
    """Registers on ``app`` and hands what arrives to ``adapter``'s handler."""

    def __init__(self, adapter: SlackEdge, app: AsyncApp, profiles: Profiles | None = None) -> None:
        """``profiles``: the authors' profiles shared by the replicas (Redis), if any."""
        self.adapter = adapter
        self.first_delivery = FirstDelivery("slack", lambda: adapter.handler)
        self.authors = SlackAuthors(lambda: adapter.client, profiles)
        app.middleware(self._dedupe)
        app.event("app_mention")(self._on_event)
        app.event("message")(self._on_event)
        app.event("reaction_added")(self._on_reaction)  # ❌: a help channel's opt-out (bot/pipeline/helpdesk.py)
        self.commands = SlackCommands(adapter, self.author)
        for name in SLASH_COMMANDS:
            app.command(f"/{name}")(self.commands.on_command)
        app.shortcut(SHORTCUT)(self.commands.on_command)

    # --- dedupe -------------------------------------------------------------------------------

    async def _dedupe(self, body: dict[str, Any], next_: Callable[[], Awaitable[None]]) -> BoltResponse | None:
        if body.get("type") == "app_rate_limited":  # Slack is dropping our events for a minute
            log.warning("slack rate-limited this app's events", extra={"minute": body.get("minute_rate_limited")})
            return BoltResponse(status=200, body="")
        event_id = body.get("event_id") if body.get("type") == "event_callback" else None
        if event_id and not _is_new_message(body.get("event")) and not await self.first_delivery(str(event_id)):
            log.info("duplicate slack delivery dropped", extra={"event_id": event_id})
            return BoltResponse(status=200, body="")
        await next_()
        return None

    # --- people -------------------------------------------------------------------------------

    async def author(self, fallback: Author) -> Author:
        """The author with display name and admin flag from users.info (cached), or ``fallback``."""
        return await self.authors.author(fallback)

    # --- events -------------------------------------------------------------------------------

    async def _on_event(self, body: dict[str, Any], event: dict[str, Any]) -> None:
        a = self.adapter
        team = team_of(body)
        converted = event_from_payload(event, team, a.bot_user_id, a.bot_id, a.settings.bot_name)
        handler = a.handler
        if converted is None or handler is None:
            return
        if not isinstance(converted, IncomingMessage):
            a.spawn(self._deliver(converted, event, team))
            return
        if abandoned():  # Slack stopped waiting (3 s) and retries: the retry is stored, not this delivery
            raise DeliveryAbandoned
        author, names = await asyncio.gather(self._author_soon(converted.author), self._names(event, AUTHOR_WAIT_S))
        named = event_from_payload(event, team, a.bot_user_id, a.bot_id, a.settings.bot_name, names) if names \
            else converted
        message = dataclasses.replace(named if isinstance(named, IncomingMessage) else converted, author=author)
        if abandoned():
            raise DeliveryAbandoned
        accepted = await handler.accept(message)  # raises if it could not be stored: no acknowledgement then
        if accepted is not None:
            a.spawn(self._process(accepted))

    async def _on_reaction(self, body: dict[str, Any], event: dict[str, Any]) -> None:
        reaction = reaction_from_payload(event, team_of(body))
        if reaction is not None and acted_on(reaction.emoji) and reaction.user.id != self.adapter.bot_user_id:
            self.adapter.spawn(self._react(reaction))

    async def _react(self, reaction: Reaction) -> None:
        handler = self.adapter.handler
        if isinstance(handler, HandlesReactions):  # never raises
            await handler.handle_reaction(dataclasses.replace(reaction, user=await self.author(reaction.user)))

    async def _author_soon(self, fallback: Author) -> Author:
        """:meth:`author`, or ``fallback`` if users.info is slow (the acknowledgement waits for it)."""
        known = self.authors.known(fallback)
        if known is not None:  # most messages: no timer and no task to set up
            return known
        try:
            return await asyncio.wait_for(self.author(fallback), AUTHOR_WAIT_S)
        except TimeoutError:
            log.info("users.info too slow; the message is stored under the user id")
            return fallback

    async def _names(self, event: dict[str, Any], wait_s: float | None = None) -> dict[str, str]:
        """Display names (users.info, cached) of the people the event's text mentions by bare id, so that what
        is remembered, quoted and summarized reads ``@bob``, not ``@U0BOB0001``; with ``wait_s``, the lookups
        not done by then keep the id (the acknowledgement waits for them)."""
        ids = unnamed_mentions(event_text(event), self.adapter.bot_user_id)
        if not ids:
            return {}
        looked = [self.author(Author(uid, uid)) for uid in ids]
        try:
            found = await asyncio.wait_for(asyncio.gather(*looked), wait_s) if wait_s else await asyncio.gather(*looked)
        except TimeoutError:
            known = (self.authors.known(Author(uid, uid)) for uid in ids)  # what came in time
            found = [k for k in known if k is not None]
        return {p.id: p.name for p in found if p.name and p.name != p.id}

    async def named_history(self, messages: list[IncomingMessage]) -> list[IncomingMessage]:
        """Messages read from a conversation's history (which carries no profiles) with their authors' display
        names and admin flags, and the people they mention by name: users.info once per person (cached), so a
        first /summarize in a channel Confab just joined reads "alice", not "U0ALICE01"."""
        raw_of = {m.id: m.raw if isinstance(m.raw, dict) else {} for m in messages}
        ids = [m.author.id for m in messages if not m.author.is_bot]
        bot_user = self.adapter.bot_user_id
        ids += [uid for m in messages for uid in unnamed_mentions(_str(raw_of[m.id].get("text")), bot_user)]
        people = list(dict.fromkeys(ids))[:HISTORY_PEOPLE]
        found = {p.id: p for p in await asyncio.gather(*(self.author(Author(uid, uid)) for uid in people))}
        names = {uid: p.name for uid, p in found.items() if p.name and p.name != uid}
        named: list[IncomingMessage] = []
        for message in messages:
            raw = raw_of[message.id]
            again = message_from_payload(raw, message.channel.workspace, self.adapter.bot_user_id,
                                         self.adapter.settings.bot_name, names=names) \
                if names and unnamed_mentions(_str(raw.get("text")), bot_user) else None
            author = message.author if message.author.is_bot else found.get(message.author.id, message.author)
            named.append(dataclasses.replace(again or message, author=author))
        return named

    async def _deliver(self, event: MessageEdit | MessageDelete, raw: dict[str, Any], team: str) -> None:
        handler = self.adapter.handler
        if handler is None:
            return
        try:
            if isinstance(event, MessageEdit) and (names := await self._names(raw)):
                a = self.adapter
                named = event_from_payload(raw, team, a.bot_user_id, a.bot_id, a.settings.bot_name, names)
                event = named if isinstance(named, MessageEdit) else event
            if isinstance(event, MessageDelete):
                await handler.handle_delete(event)
            else:
                await handler.handle_edit(dataclasses.replace(event, author=await self.author(event.author)))
        except Exception:
            log.exception("slack event handling failed", extra={"message_id": event.id})

    async def _process(self, accepted: Accepted) -> None:
        """Answer (when due) in the background; if an answer is due and slow and its thread shows no status
        (bot.slack.status: a DM, or the status failed), show a note the answer will replace, and record it
        with the owed answer so a restarted process can replace or remove it."""
        handler = self.adapter.handler
        assert handler is not None
        message = accepted.message
        delay = self.adapter.progress_after_s
        if not (message.mentions_bot or message.is_direct) or not delay:
            await handler.process(accepted)
            return
        posted = False

        async def note() -> None:
            nonlocal posted
            if await self.adapter.statuses.shown(message.id) or self.adapter.streams.showing(message.id):
                return  # the thread's status shows Confab at work, or the answer is already being written
            await handler.progress_shown(accepted, NOTE_POSTING)  # so a crash right after posting can find it
            posted = await self.adapter.notes.post(message.channel, message.id, PROGRESS_TEXT)
            reference = self.adapter.notes.reference(message.id) if posted else None
            if reference is not None:
                await handler.progress_shown(accepted, reference)

        try:
            await after(delay, handler.process(accepted), note)
        finally:
            if posted:  # the answer normally took the note's place; if none came, remove it
                await self.adapter.notes.drop(message.id)


def _is_new_message(event: Any) -> bool:
    """A person's new message (or a mention of the bot): deduplicated by its own id when stored, not by the
    event id, which would be recorded before the message is (and a crash in between would lose it)."""
    return isinstance(event, dict) and event.get("type") in ("message", "app_mention") \
        and event.get("subtype") in HUMAN_SUBTYPES


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""
