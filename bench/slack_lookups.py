"""What an author lookup costs the process that makes it, in CPU (this process's user + system time, so other
work on a shared machine does not count): ``users.info`` against the loopback fake Slack with slack_sdk's
default (a new aiohttp session, so a new TCP connection, per call) next to one shared session; and Confab's
:class:`~bot.slack.authors.SlackAuthors` for a person not seen before (users.info, plus a Redis GET and SET
with the shared cache) and for one another replica already looked up (one Redis GET).

The fake runs in a process of its own, so its CPU is not counted. Loopback has no TLS: against slack.com each
new connection also costs a TLS handshake, which the shared session saves as well.

    python -m bench.slack_lookups [--calls 2000]
"""

from __future__ import annotations

import argparse
import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
from slack_sdk.web.async_client import AsyncWebClient

from bench.replicas import REDIS_URL, Fakes, drop_keys


async def cpu_ms_per_call(calls: int, one: Callable[[int], Awaitable[Any]]) -> float:
    for i in range(20):  # warm-up
        await one(-1 - i)
    started = time.process_time()
    for i in range(calls):
        await one(i)
    return (time.process_time() - started) * 1000 / calls


async def run(args: argparse.Namespace) -> dict[str, float]:
    from redis.asyncio import Redis

    from agent.state.profiles import RedisProfiles
    from bot.events import Author
    from bot.slack.authors import SlackAuthors

    fakes = Fakes()
    await fakes.start()
    base = fakes.slack_base + "/api/"
    out: dict[str, float] = {}
    redis = Redis.from_url(REDIS_URL)
    prefix = f"confab-bench:{uuid.uuid4().hex[:8]}:"
    try:
        fresh = AsyncWebClient(token="xoxb-bench", base_url=base)  # noqa: S106 (the fake's)
        out["users.info, a new session per call (slack_sdk's default)"] = await cpu_ms_per_call(
            args.calls, lambda i: fresh.users_info(user=f"U0A{i:07d}"))
        async with aiohttp.ClientSession() as session:
            shared = AsyncWebClient(token="xoxb-bench", base_url=base, session=session)  # noqa: S106
            out["users.info, one shared session"] = await cpu_ms_per_call(
                args.calls, lambda i: shared.users_info(user=f"U0B{i:07d}"))
            alone = SlackAuthors(lambda: shared)
            out["new author, no shared cache (users.info)"] = await cpu_ms_per_call(
                args.calls, lambda i: alone.author(Author(f"U0C{i:07d}", "x")))
            first = SlackAuthors(lambda: shared, RedisProfiles(redis, prefix))
            out["new author, Redis cache (GET miss, users.info, SET)"] = await cpu_ms_per_call(
                args.calls, lambda i: first.author(Author(f"U0D{i:07d}", "x")))
            second = SlackAuthors(lambda: shared, RedisProfiles(redis, prefix))  # another replica
            out["author another replica looked up (Redis GET hit)"] = await cpu_ms_per_call(
                args.calls, lambda i: second.author(Author(f"U0D{i:07d}", "x")))
            out["author this process looked up (its own map)"] = await cpu_ms_per_call(
                args.calls, lambda i: second.author(Author(f"U0D{i:07d}", "x")))
    finally:
        await redis.aclose()
        await drop_keys(prefix)
        await fakes.stop()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=2000)
    args = parser.parse_args()
    for name, ms in asyncio.run(run(args)).items():
        print(f"{ms:6.3f} CPU ms  {name}")


if __name__ == "__main__":
    main()
