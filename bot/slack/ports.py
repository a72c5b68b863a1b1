"""What the Slack listeners use of the adapter, as a Protocol (no import of the adapter itself).

:class:`bot.slack.adapter.SlackAdapter` implements :class:`SlackEdge`; :mod:`bot.slack.listeners`
depends only on this module, so the adapter can own the listeners without an import circle.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, Protocol

from slack_sdk.web.async_client import AsyncWebClient

from bot.adapter import Capabilities, EventHandler, Outgoing
from bot.events import Reply, SentRef
from bot.settings import Settings
from bot.slack.notes import ProgressNotes
from bot.slack.status import Statuses
from bot.slack.streams import SlackStreams


class SlackEdge(Protocol):
    settings: Settings
    capabilities: Capabilities
    client: AsyncWebClient
    notes: ProgressNotes
    statuses: Statuses
    streams: SlackStreams
    handler: EventHandler | None
    outbox: Outgoing | None  # both set when the adapter starts
    progress_after_s: float | None
    bot_user_id: str | None  # who the bot is, known once connected
    bot_id: str | None

    def spawn(self, work: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        """Run ``work`` in a task the adapter tracks (drained on close)."""
        ...

    async def send(self, reply: Reply) -> SentRef: ...
