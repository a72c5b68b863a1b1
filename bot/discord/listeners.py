"""Gateway events -> the EventHandler: messages, edits, deletes and AutoMod actions.

Each handler returns at once and the work runs in a task the adapter tracks. Bots' and the bot's
own messages are remembered but never answered (the pipeline checks ``is_bot``); repeated
deliveries (a RESUME replaying events) are dropped by the pipeline's insert-is-dedupe.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any

import discord

from bot.conversation import expects_answer
from bot.discord.convert import channel_ref, delete_to_events, edit_to_event, message_to_event
from bot.discord.ports import DiscordEdge
from bot.events import IncomingMessage, PlatformFlag

log = logging.getLogger(__name__)

TYPING_EVERY_S = 8.0  # Discord shows "is typing…" for about 10 s after each trigger


class Listeners:
    """Registers on the adapter's client and hands what arrives to its handler."""

    def __init__(self, adapter: DiscordEdge) -> None:
        self.adapter = adapter
        client = adapter.client
        for handler in (self.on_ready, self.on_resumed, self.on_message, self.on_raw_message_edit,
                        self.on_raw_message_delete, self.on_raw_bulk_message_delete, self.on_automod_action):
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
            self.adapter.spawn(self._deliver(event, message.channel))

    async def _deliver(self, event: IncomingMessage, channel: Any) -> None:
        handler = self.adapter.handler
        if handler is None:
            return
        try:
            work = handler.handle_message(event)
            if (event.mentions_bot or event.is_direct or (event.replies_to_bot and expects_answer(event.text))) \
                    and not event.author.is_bot:
                await _typing_while(channel, work)
            else:
                await work
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


async def _typing_while(channel: Any, work: Coroutine[Any, Any, None]) -> None:
    """Show "Confab is typing…" until ``work`` ends; a failing indicator never costs the answer."""
    async def keep_typing() -> None:
        while True:
            try:
                await channel.typing()
            except (discord.HTTPException, discord.RateLimited) as exc:
                log.info("typing indicator failed", extra={"error": type(exc).__name__})
                return
            await asyncio.sleep(TYPING_EVERY_S)

    typing = asyncio.create_task(keep_typing())
    try:
        await work
    finally:
        typing.cancel()
