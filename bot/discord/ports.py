"""What the Discord listeners and interactions use of the adapter, as a Protocol.

:class:`bot.discord.adapter.DiscordAdapter` implements :class:`DiscordEdge`; :mod:`bot.discord.listeners`
and :mod:`bot.discord.interactions` depend only on this module, so the adapter owns them without an
import circle.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, Protocol

import discord
from discord.webhook.async_ import AsyncWebhookAdapter

from bot.adapter import EventHandler, Outgoing
from bot.events import ChannelRef
from bot.settings import Settings


class DiscordEdge(Protocol):
    settings: Settings
    client: discord.Client
    handler: EventHandler | None
    outbox: Outgoing | None  # both set when the adapter starts
    ready: asyncio.Event  # set when the gateway says READY
    webhooks: AsyncWebhookAdapter | None  # where interaction webhooks go with DISCORD_API_BASE_URL, else None

    @property
    def bot_user_id(self) -> int:
        """The bot's user id once logged in, else 0."""
        ...

    async def react(self, channel: ChannelRef, message_id: str, emoji: str) -> None: ...

    def spawn(self, work: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        """Run ``work`` in a task the adapter tracks (drained on close)."""
        ...
