"""A pace shared by replicas: at most ``per_minute`` calls a minute after a burst of ``burst``, for
work such as bulk reads of a platform's history, whichever replica makes the call.

It is the generic cell rate algorithm (GCRA: the token bucket as one timestamp, the "theoretical
arrival time"), run as one Lua script on Redis's own clock, so replicas agree without trusting each
other's clocks. A call either reserves its slot and learns how long to sleep, or, when that would be
longer than the caller will wait, reserves nothing.
"""

from __future__ import annotations

from redis.asyncio import Redis

# KEYS[1]: the theoretical arrival time (ms); ARGV: emission interval ms, burst tolerance ms, max wait ms (-1: any)
_GCRA = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local interval, tolerance, max_wait = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local wait = tat - tolerance - now
if wait < 0 then wait = 0 end
if max_wait >= 0 and wait > max_wait then return {0, wait} end
redis.call('SET', KEYS[1], tat + interval, 'PX', tat + interval - now + 1000)
return {1, wait}
"""


class PaceTooSlow(Exception):
    def __init__(self, wait_s: float) -> None:
        super().__init__(f"the next slot is {wait_s:.1f} s away")
        self.wait_s = wait_s


class SharedPace:
    def __init__(self, client: Redis, prefix: str) -> None:
        self.client = client
        self.prefix = prefix
        self._script = client.register_script(_GCRA)

    async def reserve(self, name: str, per_minute: float, burst: int, max_wait_s: float | None = None) -> float:
        """Reserve the next slot of ``name``; return the seconds to sleep before using it. Raises
        :class:`PaceTooSlow` (reserving nothing) when that is over ``max_wait_s``."""
        interval_ms = 60_000.0 / per_minute
        tolerance_ms = (max(1, burst) - 1) * interval_ms
        limit = -1 if max_wait_s is None else round(max_wait_s * 1000)
        allowed, wait_ms = await self._script(keys=[f"{self.prefix}pace:{name}"],
                                              args=[round(interval_ms), round(tolerance_ms), limit])
        if not allowed:
            raise PaceTooSlow(int(wait_ms) / 1000)
        return int(wait_ms) / 1000
