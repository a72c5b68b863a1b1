"""Client-side pacing for Slack Web API methods by rate-limit tier.

Slack publishes per-method tiers (Tier 1 ≈ 1/min … Tier 4 ≈ 100+/min, per workspace). Every call
already honours 429 + Retry-After through slack_sdk's retry handler; pacing is for bulk reads (history
pagination, Tier 3), so one long /summarize does not burn the workspace's budget and then stall.
A token bucket per method: a small burst, then the tier's rate. Single calls (posting, reactions,
users.info) are not paced: waiting on them would only delay answers that Slack would accept.
Replicas of one app share the workspace's budget: with Redis configured, :class:`SharedPacer` keeps
the same bucket there (:mod:`agent.state.pacing`).
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

from redis.asyncio import Redis

from agent.settings import Settings
from agent.state import redis_client
from agent.state.pacing import PaceTooSlow, SharedPace
from bot.errors import PaceExceeded

# requests per minute by tier (https://api.slack.com/apis/rate-limits)
TIER_PER_MINUTE = {1: 1.0, 2: 20.0, 3: 50.0, 4: 100.0}
METHOD_TIER = {"conversations.history": 3, "conversations.replies": 3, "conversations.info": 3}


@dataclass
class _Bucket:
    per_second: float
    capacity: float
    tokens: float
    updated: float = field(default_factory=time.monotonic)

    def peek(self) -> float:
        """Seconds the next caller would wait, without reserving."""
        now = time.monotonic()
        tokens = min(self.capacity, self.tokens + (now - self.updated) * self.per_second)
        return 0.0 if tokens >= 1 else (1 - tokens) / self.per_second

    def wait_time(self) -> float:
        now = time.monotonic()
        self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.per_second)
        self.updated = now
        if self.tokens >= 1:
            self.tokens -= 1
            return 0.0
        needed = (1 - self.tokens) / self.per_second
        self.tokens -= 1  # reserve the token we are waiting for
        return needed


class Pacer:
    """``await pacer.wait("conversations.history")`` before each call of a paced method."""

    def __init__(self, burst: int = 3, tiers: dict[int, float] | None = None) -> None:
        self.burst = burst
        self.tiers = dict(tiers or TIER_PER_MINUTE)
        self._buckets: dict[str, _Bucket] = {}
        self._lock = asyncio.Lock()

    async def wait(self, method: str, max_wait_s: float | None = None) -> float:
        """Sleep until a call is within budget; raise PaceExceeded at once if that is over ``max_wait_s``."""
        tier = METHOD_TIER.get(method, 4)
        async with self._lock:
            bucket = self._buckets.get(method)
            if bucket is None:
                rate = self.tiers[tier] / 60.0
                bucket = self._buckets[method] = _Bucket(rate, float(self.burst), float(self.burst))
            if max_wait_s is not None and bucket.peek() > max_wait_s:
                raise PaceExceeded(f"{method}: Slack's rate tier is used up for the next {bucket.peek():.0f} s")
            delay = bucket.wait_time()
        if delay > 0:
            await asyncio.sleep(delay)
        return delay


class SharedPacer(Pacer):
    """:class:`Pacer` with its buckets in Redis, shared by every replica (``{prefix}pace:slack:{method}``)."""

    def __init__(self, client: Redis, prefix: str, burst: int = 3, tiers: dict[int, float] | None = None) -> None:
        super().__init__(burst, tiers)
        self.client = client
        self.pace = SharedPace(client, prefix)

    async def wait(self, method: str, max_wait_s: float | None = None) -> float:
        per_minute = self.tiers[METHOD_TIER.get(method, 4)]
        try:
            delay = await self.pace.reserve(f"slack:{method}", per_minute, self.burst, max_wait_s)
        except PaceTooSlow as exc:
            raise PaceExceeded(f"{method}: Slack's rate tier is used up for the next {exc.wait_s:.0f} s") from None
        if delay > 0:
            await asyncio.sleep(delay)
        return delay

    async def close(self) -> None:
        await self.client.aclose()


def make_pacer(settings: Settings) -> Pacer:
    """Shared by the replicas through Redis when it is configured, else this process's own."""
    client = redis_client(settings)
    return Pacer() if client is None else SharedPacer(client, settings.redis_prefix)
