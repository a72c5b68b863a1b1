"""Published versions of a shared artefact (the knowledge index): one process publishes, replicas follow.

In Redis a version is a key holding the current one (``<prefix>versions:<name>``) plus a message on the
channel ``<prefix>versions:<name>:published``. A follower subscribes, then reads the key (so nothing
published while it subscribed is missed), then waits for messages, reading the key again every
``every_s`` seconds: a replica that missed a message, started later or lost its connection catches up at
the next check. While Redis is unreachable the follower keeps what it has and retries; that is logged
once when it starts and once when it ends, not at every check. In process memory (one process) the
board is a variable and an event.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Protocol

from redis.asyncio import Redis
from redis.asyncio.client import PubSub
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

CHECK_S = 30.0  # how often a follower reads the current version when no message arrives
OnVersion = Callable[[str], Awaitable[None]]


class VersionBoard(Protocol):
    shared: bool  # True when other processes see what is published (Redis)

    async def publish(self, name: str, version: str) -> None:
        """Make ``version`` the current one of ``name`` and tell the followers. Raises when unreachable."""
        ...

    async def current(self, name: str) -> str | None:
        """The current version of ``name``, None when none was published. Raises when unreachable."""
        ...

    async def follow(self, name: str, on_version: OnVersion, every_s: float = CHECK_S) -> None:
        """Call ``on_version`` with every version learned (the current one first; repeats are possible,
        the callee compares), until cancelled. Never raises for an unreachable backend: it retries."""
        ...


class MemoryVersionBoard:
    shared = False

    def __init__(self) -> None:
        self._versions: dict[str, str] = {}
        self._changed: dict[str, asyncio.Event] = {}

    async def publish(self, name: str, version: str) -> None:
        self._versions[name] = version
        if (changed := self._changed.pop(name, None)) is not None:
            changed.set()

    async def current(self, name: str) -> str | None:
        return self._versions.get(name)

    async def follow(self, name: str, on_version: OnVersion, every_s: float = CHECK_S) -> None:
        while True:
            changed = self._changed.setdefault(name, asyncio.Event())  # taken before reading: no change is missed
            if (version := self._versions.get(name)) is not None:
                await on_version(version)
            try:
                await asyncio.wait_for(changed.wait(), every_s)
            except TimeoutError:
                pass
            still_cancelled()


class RedisVersionBoard:
    shared = True

    def __init__(self, client: Redis, prefix: str) -> None:
        self.client = client
        self.prefix = prefix

    def key(self, name: str) -> str:
        return f"{self.prefix}versions:{name}"

    def channel(self, name: str) -> str:
        return f"{self.prefix}versions:{name}:published"

    async def publish(self, name: str, version: str) -> None:
        async with self.client.pipeline(transaction=True) as pipe:
            pipe.set(self.key(name), version)
            pipe.publish(self.channel(name), version)
            await pipe.execute()

    async def current(self, name: str) -> str | None:
        raw = await self.client.get(self.key(name))
        return None if raw is None else _text(raw)

    async def follow(self, name: str, on_version: OnVersion, every_s: float = CHECK_S) -> None:
        loop = asyncio.get_running_loop()
        pubsub: PubSub | None = None
        down = False
        try:
            while True:
                try:
                    if pubsub is None:
                        pubsub = self.client.pubsub(ignore_subscribe_messages=True)
                        await pubsub.subscribe(self.channel(name))
                    version = await self.current(name)
                except (RedisError, OSError) as exc:
                    down = _unreachable(name, down, exc)
                    await _close(pubsub)
                    pubsub = None
                    await asyncio.sleep(every_s)
                    continue
                if down:
                    log.info("versions reachable again", extra={"versions": name})
                    down = False
                if version is not None:
                    await on_version(version)
                deadline = loop.time() + every_s
                while (left := deadline - loop.time()) > 0:
                    try:
                        message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=left)
                    except (RedisError, OSError) as exc:
                        down = _unreachable(name, down, exc)
                        await _close(pubsub)
                        pubsub = None
                        await asyncio.sleep(max(0.0, deadline - loop.time()))
                        break
                    still_cancelled()
                    if message is not None and message.get("type") == "message":
                        await on_version(_text(message["data"]))
        finally:
            await _close(pubsub)


def still_cancelled() -> None:
    """Raise the cancellation a timed wait swallowed: on Python 3.11 a cancel that arrives as the wait's
    own timeout expires comes out of ``asyncio.timeout`` / ``wait_for`` as a timeout (a read returning
    nothing, or an error), and the task would go on following."""
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError


def _unreachable(name: str, down: bool, exc: BaseException) -> bool:
    still_cancelled()
    if not down:
        log.warning("versions unreachable; keeping the current version and retrying",
                    extra={"versions": name, "error": repr(exc)[:300]})
    return True


async def _close(pubsub: PubSub | None) -> None:
    if pubsub is not None:
        try:
            await pubsub.aclose()  # type: ignore[no-untyped-call]
        except (RedisError, OSError):
            pass


def _text(raw: bytes | str) -> str:
    return raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
