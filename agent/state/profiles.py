"""Profiles looked up on a platform (a Slack ``users.info`` answer, as a small JSON object), kept for a while so
one lookup serves many messages: in process memory (a bounded map), or in Redis, shared by every replica, with a
TTL per entry (``{prefix}profile:{key}``).

The cache is an optimisation: a Redis that cannot be reached reads as a miss and a write that fails is
dropped (the caller looks the profile up on the platform as it would without a cache), each logged.
"""

from __future__ import annotations

import json
import logging
import time
from collections import OrderedDict
from typing import Any, Protocol

from redis.asyncio import Redis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

MAX_PROFILES = 20_000  # in process memory


class Profiles(Protocol):
    async def get(self, key: str) -> dict[str, Any] | None:
        """The profile kept under ``key``, or None (never kept, expired, or the cache out of reach)."""
        ...

    async def put(self, key: str, profile: dict[str, Any], ttl_s: float) -> None:
        """Keep ``profile`` (JSON-serialisable) for ``ttl_s`` seconds."""
        ...


class MemoryProfiles:
    """This process's profiles: the least recently kept are dropped beyond ``max_entries``."""

    def __init__(self, max_entries: int = MAX_PROFILES) -> None:
        self.max_entries = max_entries
        self._entries: OrderedDict[str, tuple[float, dict[str, Any]]] = OrderedDict()

    async def get(self, key: str) -> dict[str, Any] | None:
        found = self._entries.get(key)
        if found is None:
            return None
        if found[0] <= time.monotonic():
            del self._entries[key]
            return None
        return found[1]

    async def put(self, key: str, profile: dict[str, Any], ttl_s: float) -> None:
        self._entries[key] = (time.monotonic() + ttl_s, profile)
        self._entries.move_to_end(key)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)


class RedisProfiles:
    """Profiles in Redis, one string key each with its TTL, read by every replica."""

    def __init__(self, client: Redis, prefix: str) -> None:
        self.client = client
        self.prefix = prefix

    def _key(self, key: str) -> str:
        return f"{self.prefix}profile:{key}"

    async def get(self, key: str) -> dict[str, Any] | None:
        try:
            raw = await self.client.get(self._key(key))
        except (RedisError, OSError) as exc:
            log.warning("profile cache unreachable; looking it up instead", extra={"error": type(exc).__name__})
            return None
        if raw is None:
            return None
        try:
            found = json.loads(raw)
        except ValueError:
            log.warning("damaged profile in the cache ignored", extra={"key": key})
            return None
        return found if isinstance(found, dict) else None

    async def put(self, key: str, profile: dict[str, Any], ttl_s: float) -> None:
        try:
            await self.client.set(self._key(key), json.dumps(profile, separators=(",", ":")),
                                  px=max(1, round(ttl_s * 1000)))
        except (RedisError, OSError) as exc:
            log.warning("profile not kept in the cache", extra={"error": type(exc).__name__})
