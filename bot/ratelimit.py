"""Sliding-window rate limits per user and per channel, with one friendly notice per window."""

from __future__ import annotations

import time
from collections import defaultdict, deque
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Verdict:
    allowed: bool
    retry_after_s: float = 0.0
    notify: bool = False  # True for the first refusal in a window, so the user hears it once
    scope: str = ""


class SlidingWindow:
    def __init__(self, limit: int, window_s: float = 60.0) -> None:
        self.limit = limit
        self.window_s = window_s
        self._hits: dict[str, deque[float]] = defaultdict(deque)
        self._notified: dict[str, float] = {}

    def check(self, key: str, now: float) -> tuple[bool, float, bool]:
        hits = self._hits[key]
        while hits and now - hits[0] >= self.window_s:
            hits.popleft()
        if len(hits) < self.limit:
            hits.append(now)
            self._notified.pop(key, None)
            return True, 0.0, False
        retry = self.window_s - (now - hits[0])
        first = key not in self._notified or now - self._notified[key] >= self.window_s
        if first:
            self._notified[key] = now
        return False, retry, first


class RateLimiter:
    def __init__(self, per_user_per_min: int, per_channel_per_min: int) -> None:
        self.users = SlidingWindow(per_user_per_min)
        self.channels = SlidingWindow(per_channel_per_min)

    def check(self, user_key: str, channel_key: str, now: float | None = None) -> Verdict:
        now = time.monotonic() if now is None else now
        ok, retry, notify = self.users.check(user_key, now)
        if not ok:
            return Verdict(False, retry, notify, "user")
        ok, retry, notify = self.channels.check(channel_key, now)
        if not ok:
            return Verdict(False, retry, notify, "channel")
        return Verdict(True)
