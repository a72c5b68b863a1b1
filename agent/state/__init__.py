"""Short-lived shared state: rate windows, the spam signals' author history, Discord IDENTIFY turns,
the published version of the knowledge index (:mod:`agent.state.versions`) (and, used by the Slack
adapter, a shared pace for bulk reads: :mod:`agent.state.pacing`).

:func:`open_state` picks the backend from the settings: process memory when ``CONFAB_REDIS_URL`` is
unset (one process, the default), Redis when it is set, so replicas share it. Every Redis key starts
with ``CONFAB_REDIS_PREFIX``. The API is the same either way.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from redis.asyncio import Redis

from agent.settings import Settings
from agent.state.history import AuthorHistory, MemoryAuthorHistory, RedisAuthorHistory, Seen
from agent.state.identify import IdentifyGate, LocalIdentifyGate, RedisIdentifyGate
from agent.state.rates import RateWindows, Verdict, memory_windows, redis_windows
from agent.state.versions import MemoryVersionBoard, RedisVersionBoard, VersionBoard

__all__ = ["AuthorHistory", "IdentifyGate", "RateWindows", "Seen", "State", "Verdict", "VersionBoard",
           "open_identify_gate", "open_state"]


@dataclass
class State:
    rates: RateWindows
    authors: AuthorHistory
    identify: IdentifyGate
    versions: VersionBoard = field(default_factory=MemoryVersionBoard)
    client: Redis | None = field(default=None, repr=False)  # None: in process memory

    @property
    def shared(self) -> bool:
        return self.client is not None

    async def close(self) -> None:
        await self.authors.close()
        if self.client is not None:
            await self.client.aclose()


def redis_client(settings: Settings) -> Redis | None:
    """A client for ``CONFAB_REDIS_URL`` (no connection until first used), or None when unset."""
    if settings.redis_url is None:
        return None
    return Redis.from_url(settings.redis_url.get_secret_value(), socket_connect_timeout=5, socket_timeout=5,
                          health_check_interval=30)


def open_state(settings: Settings, *, rate_window_s: int = 60) -> State:
    client = redis_client(settings)
    per_user, per_channel = settings.rate_user_per_min, settings.rate_channel_per_min
    if client is None:
        return State(memory_windows(per_user, per_channel, rate_window_s), MemoryAuthorHistory(),
                     LocalIdentifyGate())
    assert settings.redis_url is not None
    prefix = settings.redis_prefix
    return State(redis_windows(client, settings.redis_url.get_secret_value(), prefix, per_user, per_channel,
                               rate_window_s),
                 RedisAuthorHistory(client, prefix), RedisIdentifyGate(client, prefix),
                 RedisVersionBoard(client, prefix), client)


def open_identify_gate(settings: Settings) -> tuple[IdentifyGate, Redis | None]:
    """The gate alone (the Discord adapter is built before the rest), with the client to close, if any."""
    client = redis_client(settings)
    if client is None:
        return LocalIdentifyGate(), None
    return RedisIdentifyGate(client, settings.redis_prefix), client
