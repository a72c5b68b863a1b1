"""Which Slack conversations a person may have searched (conversation search, agent/recall/access.py).

Asked of Slack at query time, per conversation, with the checks of the assistant pane (bot/slack/access.py):
``conversations.info`` says Confab is in it (or it is the person's own DM with Confab) and how private it is;
``conversations.members`` says the person is in it. Answers are cached briefly (:data:`INFO_TTL_S`,
:data:`MEMBER_TTL_S`), refusals and failures are not: any error refuses that conversation (fails closed).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from agent.recall.access import Visibility
from bot.adapter import Adapter
from bot.recall_access import LinkingAccess
from bot.slack.access import is_member

log = logging.getLogger(__name__)

INFO_TTL_S = 300.0  # what a conversation is (and that Confab is in it)
MEMBER_TTL_S = 60.0  # that a person is in it: someone who leaves is refused within a minute
CONCURRENT = 8


@dataclass
class SlackAccessCache:
    """Shared by an adapter's checks: conversation facts and memberships confirmed lately."""

    info: dict[str, tuple[float, dict[str, Any]]] = field(default_factory=dict)
    members: dict[tuple[str, str], float] = field(default_factory=dict)  # (channel, user) -> confirmed at


class SlackRecallAccess(LinkingAccess):
    def __init__(self, adapter: Adapter, client: AsyncWebClient, user_id: str, cache: SlackAccessCache) -> None:
        super().__init__(adapter)
        self.client, self.user_id, self.cache = client, user_id, cache
        self._gate = asyncio.Semaphore(CONCURRENT)

    async def visibility(self, channel_keys: Sequence[str]) -> Mapping[str, Visibility | None]:
        keys = list(dict.fromkeys(channel_keys))
        found = await asyncio.gather(*(self._one(key) for key in keys))
        return dict(zip(keys, found, strict=True))

    async def _one(self, key: str) -> Visibility | None:
        parts = key.split(":", 2)
        if len(parts) != 3 or parts[0] != "slack" or not self.user_id:
            return None
        channel_id = parts[2]
        try:
            async with self._gate:
                info = await self._info(channel_id)
                if info is None:
                    return None
                if info.get("is_im"):
                    # Confab's DM with this person only: Confab is one side, the person the other
                    return "dm" if info.get("user") == self.user_id else None
                if not info.get("is_member") or not await self._member(channel_id):
                    return None
        except Exception:
            log.exception("checking a Slack conversation for conversation search failed; refusing it")
            return None
        private = info.get("is_private") or info.get("is_group") or info.get("is_mpim")
        return "private" if private else "public"

    def label(self, channel_key: str) -> str | None:
        """``#name`` from the conversation's facts the check read (Slack shows ``<#C…>`` escaped)."""
        cached = self.cache.info.get(channel_key.split(":", 2)[-1])
        name = cached[1].get("name") if cached is not None else None
        return f"#{name}" if isinstance(name, str) and name else None

    async def _info(self, channel_id: str) -> dict[str, Any] | None:
        cached = self.cache.info.get(channel_id)
        if cached is not None and time.monotonic() - cached[0] < INFO_TTL_S:
            return cached[1]
        try:
            info = (await self.client.conversations_info(channel=channel_id)).get("channel")
        except SlackApiError as exc:
            log.info("conversation not readable by Confab", extra={"error": str(exc.response.get("error") or "")})
            return None
        if not isinstance(info, dict):
            return None
        self.cache.info[channel_id] = (time.monotonic(), info)
        return info

    async def _member(self, channel_id: str) -> bool:
        confirmed = self.cache.members.get((channel_id, self.user_id))
        if confirmed is not None and time.monotonic() - confirmed < MEMBER_TTL_S:
            return True
        if await is_member(self.client, channel_id, self.user_id) is not True:  # None (unconfirmed) refuses too
            return False
        self.cache.members[(channel_id, self.user_id)] = time.monotonic()
        return True
