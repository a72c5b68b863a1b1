"""Which Slack conversations a person may have searched (conversation search, agent/recall/access.py).

Two lists from Slack's ``users.conversations``, whatever the number of channels searched: Confab's own
conversations (the ones it is in, with their names and how private they are) and the asker's (Slack lists a
private one only when Confab shares it). A channel is searchable when it is on both; a DM only when it is the
asker's own DM with Confab. Checking channel by channel (``conversations.info`` and ``conversations.members``
for each) met Slack's rate limits in a workspace of a few hundred channels. The lists are cached briefly
(:data:`BOT_TTL_S`, :data:`MEMBER_TTL_S`); any error refuses every channel of that search (fails closed), and a
list longer than :data:`LIST_PAGES` pages confirms only what it read.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from agent.recall.access import Visibility
from bot.adapter import Adapter
from bot.recall_access import LinkingAccess

log = logging.getLogger(__name__)

BOT_TTL_S = 300.0  # Confab's conversations: what each is, and that Confab is in it
MEMBER_TTL_S = 60.0  # a person's conversations: someone who leaves a channel is refused within a minute
TYPES = "public_channel,private_channel,mpim,im"
LIST_PAGE = 200  # Slack's advice for users.conversations
LIST_PAGES = 50  # 10,000 conversations; past that, the rest are not confirmed (refused)


@dataclass
class SlackAccessCache:
    """Shared by an adapter's checks: the conversation lists read lately."""

    bot: tuple[float, dict[str, dict[str, Any]]] | None = None  # (read at, channel id -> conversation)
    people: dict[str, tuple[float, frozenset[str]]] = field(default_factory=dict)  # user -> (read at, channel ids)
    bot_lock: asyncio.Lock = field(default_factory=asyncio.Lock)


class SlackRecallAccess(LinkingAccess):
    def __init__(self, adapter: Adapter, client: AsyncWebClient, user_id: str, cache: SlackAccessCache) -> None:
        super().__init__(adapter)
        self.client, self.user_id, self.cache = client, user_id, cache

    async def visibility(self, channel_keys: Sequence[str]) -> Mapping[str, Visibility | None]:
        keys = list(dict.fromkeys(channel_keys))
        if not self.user_id:
            return dict.fromkeys(keys)
        try:
            confab, asker = await asyncio.gather(self._confab(), self._asker())
        except Exception:
            log.exception("listing Slack conversations for conversation search failed; refusing them all")
            return dict.fromkeys(keys)
        return {key: self._one(key, confab, asker) for key in keys}

    def _one(self, key: str, confab: Mapping[str, dict[str, Any]], asker: frozenset[str]) -> Visibility | None:
        parts = key.split(":", 2)
        if len(parts) != 3 or parts[0] != "slack" or (info := confab.get(channel_id := parts[2])) is None:
            return None
        if info.get("is_im"):  # Confab's DM with this person only: Confab is one side, the person the other
            return "dm" if info.get("user") == self.user_id else None
        if channel_id not in asker:
            return None
        private = info.get("is_private") or info.get("is_group") or info.get("is_mpim")
        return "private" if private else "public"

    def label(self, channel_key: str) -> str | None:
        """``#name`` from Confab's conversation list (Slack shows ``<#C…>`` escaped)."""
        listed = self.cache.bot[1] if self.cache.bot is not None else {}
        name = listed.get(channel_key.split(":", 2)[-1], {}).get("name")
        return f"#{name}" if isinstance(name, str) and name else None

    async def channel_named(self, name: str) -> str | None:
        """The id of the one conversation Confab is in whose name (or id) is ``name``: its cached list."""
        listed = await self._confab()
        found = [cid for cid, c in listed.items() if name.lower() in (str(c.get("name", "")).lower(), cid.lower())]
        return found[0] if len(found) == 1 else None

    async def channel_name(self, channel_id: str) -> str | None:
        """The name of the conversation ``channel_id`` Confab is in: its cached list."""
        name = (await self._confab()).get(channel_id, {}).get("name")
        return name if isinstance(name, str) and name else None

    async def _confab(self) -> dict[str, dict[str, Any]]:
        async with self.cache.bot_lock:  # one listing at a time, however many searches start together
            cached = self.cache.bot
            if cached is None or time.monotonic() - cached[0] >= BOT_TTL_S:
                listed = await self._list(None)
                cached = self.cache.bot = (time.monotonic(), {c["id"]: c for c in listed})
            return cached[1]

    async def _asker(self) -> frozenset[str]:
        cached = self.cache.people.get(self.user_id)
        if cached is None or time.monotonic() - cached[0] >= MEMBER_TTL_S:
            ids = frozenset(c["id"] for c in await self._list(self.user_id))
            cached = self.cache.people[self.user_id] = (time.monotonic(), ids)
        return cached[1]

    async def _list(self, user: str | None) -> list[dict[str, Any]]:
        """``users.conversations`` of ``user`` (None: Confab's own), every page up to LIST_PAGES; raises on an
        error, so that nothing is confirmed from a list Slack did not give."""
        found: list[dict[str, Any]] = []
        cursor: str | None = None
        for _ in range(LIST_PAGES):
            args: dict[str, Any] = {"types": TYPES, "limit": LIST_PAGE, "exclude_archived": True}
            if user is not None:
                args["user"] = user
            if cursor:
                args["cursor"] = cursor
            page = await self.client.users_conversations(**args)
            found.extend(c for c in page.get("channels") or [] if isinstance(c, dict) and isinstance(c.get("id"), str))
            cursor = (page.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                return found
        log.warning("more Slack conversations than conversation search reads; the rest are refused",
                    extra={"pages": LIST_PAGES, "user": user or "confab"})
        return found
