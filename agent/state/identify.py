"""When a Discord shard may IDENTIFY: one per ``max_concurrency`` bucket (``shard_id % max_concurrency``)
every 5 seconds, for the whole bot, whichever process runs the shard.

In one process discord.py's own pacing holds (it connects the shards one after another and waits 5 s
before each but the first). Across processes a Redis key per bucket, set with ``NX PX``, is the
turn: whoever sets it identifies, the others wait for it to expire and try again.
"""

from __future__ import annotations

import asyncio
import logging
import os
from typing import Protocol

from redis.asyncio import Redis

log = logging.getLogger(__name__)

IDENTIFY_INTERVAL_S = 5.0
POLL_S = 0.25  # the longest a waiting shard sleeps before trying again


class IdentifyGate(Protocol):
    async def wait(self, shard_id: int | None, *, initial: bool = False) -> None:
        """Return when ``shard_id`` may send its IDENTIFY."""
        ...

    def learn(self, max_concurrency: int) -> None:
        """The bot's ``max_concurrency`` as Discord reports it (``GET /gateway/bot``)."""
        ...


class LocalIdentifyGate:
    """discord.py's default ``before_identify_hook``."""

    def __init__(self, interval_s: float = IDENTIFY_INTERVAL_S) -> None:
        self.interval_s = interval_s

    async def wait(self, shard_id: int | None, *, initial: bool = False) -> None:
        if not initial:
            await asyncio.sleep(self.interval_s)

    def learn(self, max_concurrency: int) -> None:
        """discord.py paces one process itself."""


class RedisIdentifyGate:
    def __init__(self, client: Redis, prefix: str, max_concurrency: int = 1,
                 interval_s: float = IDENTIFY_INTERVAL_S, poll_s: float = POLL_S) -> None:
        self.client = client
        self.prefix = prefix
        self.max_concurrency = max(1, max_concurrency)
        self.interval_s = interval_s
        self.poll_s = poll_s
        self.token = f"{os.getpid()}:{id(self)}".encode()

    def learn(self, max_concurrency: int) -> None:
        """Large bots get more than one bucket (16, 32 …): shards of different buckets identify together."""
        if max_concurrency >= 1 and max_concurrency != self.max_concurrency:
            log.info("IDENTIFY buckets", extra={"max_concurrency": max_concurrency})
            self.max_concurrency = max_concurrency

    async def wait(self, shard_id: int | None, *, initial: bool = False) -> None:
        bucket = (shard_id or 0) % self.max_concurrency
        key = f"{self.prefix}discord:identify:{bucket}"
        ttl_ms = max(1, round(self.interval_s * 1000))
        waited = False
        try:
            while not await self.client.set(key, self.token, nx=True, px=ttl_ms):
                if not waited:
                    log.info("waiting for this shard's IDENTIFY turn", extra={"shard_id": shard_id, "bucket": bucket})
                    waited = True
                left_ms = await self.client.pttl(key)  # -2: it just expired
                await asyncio.sleep(min(self.poll_s, left_ms / 1000) if left_ms > 0 else
                                    0.01 if left_ms == -2 else self.poll_s)
        except Exception as exc:  # connecting late beats not connecting: Discord only delays an early IDENTIFY
            log.warning("IDENTIFY turns unavailable; waiting the interval instead",
                        extra={"shard_id": shard_id, "error": type(exc).__name__})
            await asyncio.sleep(self.interval_s)
