"""Gateway events -> the EventHandler: messages, edits, deletes, reactions (a help channel's ❌) and AutoMod actions.

Each handler returns at once and the work runs in a task the adapter tracks. Bots' and the bot's
own messages are remembered but never answered (the pipeline checks ``is_bot``); repeated
deliveries (a RESUME replaying events) are dropped by the pipeline's insert-is-dedupe.
"""

from __future__ import annotations

import logging

import discord

from bot.adapter import HandlesReactions
from bot.discord.convert import channel_ref, delete_to_events, edit_to_event, message_to_event, reaction_to_event
from bot.discord.ports import DiscordEdge
from bot.events import IncomingMessage, PlatformFlag
from bot.reactions import acted_on

log = logging.getLogger(__name__)


class Listeners:
    """Registers on the adapter's client and hands what arrives to its handler."""

    def __init__(self, adapter: DiscordEdge) -> None:
        self.adapter = adapter
        client = adapter.client
        for handler in (self.on_ready, self.on_resumed, self.on_message, self.on_raw_message_edit,
                        self.on_raw_message_delete, self.on_raw_bulk_message_delete, self.on_automod_action,
                        self.on_raw_reaction_add):
            client.event(handler)

    def parent_of(self, channel_id: int) -> int | None:
        channel = self.adapter.client.get_channel(channel_id)
        return channel.parent_id if isinstance(channel, discord.Thread) else None

    async def on_ready(self) -> None:
        log.info("discord connected", extra={"guilds": len(self.adapter.client.guilds)})
        self.adapter.ready.set()

    async def on_resumed(self) -> None:
        log.info("discord session resumed")

    async def on_message(self, message: discord.Message) -> None:
        event = message_to_event(message, self.adapter.bot_user_id, self.adapter.settings.bot_name)
        if event is not None:
            self.adapter.spawn(self._deliver(event))

    async def _deliver(self, event: IncomingMessage) -> None:
        handler = self.adapter.handler
        if handler is None:
            return
        try:  # "Confab is typing…" shows while a turn answers it (the adapter's progress, bot.discord.indicator)
            await handler.handle_message(event)
        except Exception:
            log.exception("discord message handling failed", extra={"message_id": event.id})

    async def on_raw_message_edit(self, payload: discord.RawMessageUpdateEvent) -> None:
        a = self.adapter
        edit = edit_to_event(payload, self.parent_of, a.bot_user_id, a.settings.bot_name)
        if edit is not None and a.handler is not None:
            a.spawn(a.handler.handle_edit(edit))

    async def on_raw_message_delete(self, payload: discord.RawMessageDeleteEvent) -> None:
        self._deleted({payload.message_id}, payload.channel_id, payload.guild_id)

    async def on_raw_bulk_message_delete(self, payload: discord.RawBulkMessageDeleteEvent) -> None:
        self._deleted(payload.message_ids, payload.channel_id, payload.guild_id)

    def _deleted(self, ids: set[int], channel_id: int, guild_id: int | None) -> None:
        handler = self.adapter.handler
        if handler is None:
            return
        for delete in delete_to_events(ids, channel_id, guild_id, self.parent_of):
            self.adapter.spawn(handler.handle_delete(delete))

    async def on_raw_reaction_add(self, payload: discord.RawReactionActionEvent) -> None:
        if payload.user_id != self.adapter.bot_user_id and acted_on(str(payload.emoji)) \
                and isinstance(self.adapter.handler, HandlesReactions):
            self.adapter.spawn(self._react(payload))

    async def _react(self, payload: discord.RawReactionActionEvent) -> None:
        handler = self.adapter.handler
        if not isinstance(handler, HandlesReactions):
            return
        reaction = reaction_to_event(payload, await self._parent(payload.channel_id, payload.guild_id))
        if reaction is not None:
            await handler.handle_reaction(reaction)  # never raises

    async def _parent(self, channel_id: int, guild_id: int | None) -> int | None:
        """The thread's parent; a thread not in the cache (one Confab opened for an answer) is fetched."""
        if guild_id is None or self.adapter.client.get_channel(channel_id) is not None:
            return self.parent_of(channel_id)
        try:
            fetched = await self.adapter.client.fetch_channel(channel_id)
        except discord.HTTPException as exc:
            log.info("reaction in an unknown channel", extra={"status": exc.status})
            return None
        return fetched.parent_id if isinstance(fetched, discord.Thread) else None

    async def on_automod_action(self, execution: discord.AutoModAction) -> None:
        """Discord's own filter acted: recorded as a spam flag so moderators see it with Confab's."""
        handler = self.adapter.handler
        if handler is None or execution.message_id is None:
            return
        where = channel_ref(execution.channel_id or 0, execution.guild_id, self.parent_of(execution.channel_id or 0))
        reason = f"Discord AutoMod ({execution.rule_trigger_type.name}" + (
            f": {execution.matched_keyword})" if execution.matched_keyword else ")")
        self.adapter.spawn(handler.handle_platform_flag(PlatformFlag(
            where, str(execution.message_id), str(execution.user_id), execution.content or "", reason,
            f"automod {execution.action.type.name}")))
