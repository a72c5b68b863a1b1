"""Sliding-window rate limits per user and per channel, with one friendly notice per blocked period.

The windows are moving windows (exact: the last N hits, not fixed buckets): the ``limits`` library's in
Redis, and the same rule in process memory (:class:`InProcessLimiter`), behind one API. The notice is a flag
that lives until a slot frees (``SET NX PX`` in Redis), so however many replicas refuse a person, one of
them tells them.
"""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass
from typing import Any, Protocol

from limits import RateLimitItem, RateLimitItemPerSecond, WindowStats
from limits.aio.storage import RedisStorage
from limits.aio.strategies import MovingWindowRateLimiter
from redis.asyncio import Redis

MIN_NOTICE_S = 0.05  # a refusal right at the window's edge still gets its notice flag


@dataclass(frozen=True, slots=True)
class Verdict:
    allowed: bool
    retry_after_s: float = 0.0
    notify: bool = False  # True for the first refusal in a blocked period, so the person hears it once
    scope: str = ""  # "user" | "channel" when refused


class Notices(Protocol):
    async def first(self, key: str, ttl_s: float) -> bool:
        """True when ``key`` was not flagged; it then stays flagged for ``ttl_s`` seconds."""
        ...


class MemoryNotices:
    def __init__(self, max_keys: int = 100_000) -> None:
        self._until: dict[str, float] = {}
        self.max_keys = max_keys

    async def first(self, key: str, ttl_s: float) -> bool:
        now = time.monotonic()
        if self._until.get(key, 0.0) > now:
            return False
        if len(self._until) >= self.max_keys:  # forget expired flags before growing further
            self._until = {k: t for k, t in self._until.items() if t > now}
        self._until[key] = now + ttl_s
        return True


class RedisNotices:
    def __init__(self, client: Redis, prefix: str) -> None:
        self.client = client
        self.prefix = prefix

    async def first(self, key: str, ttl_s: float) -> bool:
        return bool(await self.client.set(f"{self.prefix}{key}", b"1", nx=True, px=max(1, round(ttl_s * 1000))))


class Limiter(Protocol):
    async def hit(self, item: RateLimitItem, *identifiers: str) -> bool: ...

    async def get_window_stats(self, item: RateLimitItem, *identifiers: str) -> WindowStats: ...


class InProcessLimiter:
    """Moving windows in process memory, counted as ``limits``' moving window counts them: per key, the
    times of the hits inside the window; a hit is refused when it holds ``amount`` of them, and the window
    resets when its oldest hit leaves. Not ``limits``' own memory storage: that one expires entries in a
    timer thread it starts anew 10 ms after each run, so a busy bot started a thread every few messages
    (and waited for each to start), and its async twin yields to the event loop on every call. Here a
    key's old hits go when it is next checked, and idle keys once a window (``sweep_every_s``)."""

    def __init__(self, sweep_every_s: float = 60.0) -> None:
        self._hits: dict[str, tuple[int, deque[float]]] = {}  # key -> (expiry, hit times, oldest first)
        self._sweep_every_s = sweep_every_s
        self._next_sweep = time.monotonic() + sweep_every_s

    async def hit(self, item: RateLimitItem, *identifiers: str) -> bool:
        now = time.time()
        hits = self._window(item.key_for(*identifiers), item.get_expiry(), now)
        if len(hits) >= item.amount:
            return False
        hits.append(now)
        return True

    async def get_window_stats(self, item: RateLimitItem, *identifiers: str) -> WindowStats:
        now = time.time()
        hits = self._window(item.key_for(*identifiers), item.get_expiry(), now)
        return WindowStats((hits[0] if hits else now) + item.get_expiry(), item.amount - len(hits))

    def _window(self, key: str, expiry: int, now: float) -> deque[float]:
        """The key's hits still inside its window (those that left it are dropped)."""
        if time.monotonic() >= self._next_sweep:
            self._sweep(now)
        kept = self._hits.get(key)
        if kept is None:
            kept = self._hits[key] = (expiry, deque())
        hits, start = kept[1], now - expiry
        while hits and hits[0] <= start:
            hits.popleft()
        return hits

    def _sweep(self, now: float) -> None:
        """Forget the keys whose every hit has left its window."""
        self._next_sweep = time.monotonic() + self._sweep_every_s
        self._hits = {key: kept for key, kept in self._hits.items() if kept[1] and kept[1][-1] > now - kept[0]}


class RateWindows:
    """``check`` counts a request against the person's window, then the channel's (as before: a request
    the channel refuses still counts for the person)."""

    def __init__(self, limiter: Limiter, notices: Notices, per_user: int, per_channel: int,
                 window_s: int = 60) -> None:
        self.limiter = limiter
        self.notices = notices
        self.window_s = window_s
        self.items = {"user": RateLimitItemPerSecond(per_user, window_s),
                      "channel": RateLimitItemPerSecond(per_channel, window_s)}

    async def check(self, user_key: str, channel_key: str) -> Verdict:
        for scope, key in (("user", user_key), ("channel", channel_key)):
            item = self.items[scope]
            if await self.limiter.hit(item, scope, key):
                continue
            stats = await self.limiter.get_window_stats(item, scope, key)
            retry = min(float(self.window_s), max(0.0, stats.reset_time - time.time()))
            notify = await self.notices.first(f"{scope}:{key}", max(retry, MIN_NOTICE_S))
            return Verdict(False, retry, notify, scope)
        return Verdict(True)


def memory_windows(per_user: int, per_channel: int, window_s: int = 60) -> RateWindows:
    return RateWindows(InProcessLimiter(), MemoryNotices(), per_user, per_channel, window_s)


def redis_windows(client: Redis, url: str, prefix: str, per_user: int, per_channel: int,
                  window_s: int = 60) -> RateWindows:
    """Windows in Redis under ``{prefix}rate:``, on ``client``'s connection pool."""
    shared: dict[str, Any] = {"connection_pool": client.connection_pool}  # typed as URL options by limits
    storage = RedisStorage(_limits_uri(url), implementation="redispy", key_prefix=f"{prefix}rate", **shared)
    return RateWindows(MovingWindowRateLimiter(storage), RedisNotices(client, f"{prefix}rate-notice:"), per_user,
                       per_channel, window_s)


def _limits_uri(url: str) -> str:
    """``limits`` names its async Redis schemes ``async+redis://``, ``async+rediss://``, ``async+redis+unix://``."""
    if url.startswith("unix://"):
        return "async+redis+unix://" + url.removeprefix("unix://")
    return "async+" + url
