"""Client-side pacing for Slack Web API methods by rate-limit tier.

Slack publishes per-method tiers (Tier 1 ≈ 1/min … Tier 4 ≈ 100+/min, per workspace). 429s are
still honoured by slack_sdk's retry handler; pacing keeps bulk reads such as history pagination from
hitting them in the first place. A token bucket per method: a small burst, then the tier's rate.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

# requests per minute by tier (https://api.slack.com/apis/rate-limits)
TIER_PER_MINUTE = {1: 1.0, 2: 20.0, 3: 50.0, 4: 100.0}
METHOD_TIER = {
    "conversations.history": 3, "conversations.replies": 3, "conversations.info": 3,
    "users.info": 4, "reactions.add": 3, "chat.update": 3, "chat.delete": 3, "chat.getPermalink": 4,
}


@dataclass
class _Bucket:
    per_second: float
    capacity: float
    tokens: float
    updated: float = field(default_factory=time.monotonic)

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

    async def wait(self, method: str) -> float:
        tier = METHOD_TIER.get(method, 4)
        async with self._lock:
            bucket = self._buckets.get(method)
            if bucket is None:
                rate = self.tiers[tier] / 60.0
                bucket = self._buckets[method] = _Bucket(rate, float(self.burst), float(self.burst))
            delay = bucket.wait_time()
        if delay > 0:
            await asyncio.sleep(delay)
        return delay
