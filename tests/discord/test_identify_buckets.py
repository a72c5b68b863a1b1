"""Discord IDENTIFY buckets: a gateway process reads its bot's ``max_concurrency`` from the (fake) REST API."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from tests.fakes.discord import TOKEN
from tests.fakes.settings import make_settings
from tests.services import RedisTarget

INTERVAL_S = 0.3



async def test_the_gateway_process_learns_its_buckets_from_discord(tmp_path: Path, redis_target: RedisTarget,
                                                                   fake_discord: Any) -> None:
    """A large bot gets several IDENTIFY buckets (max_concurrency 16): read once from GET /gateway/bot,
    so shards of different buckets identify together across processes."""
    from bot.discord.adapter import DiscordAdapter

    fake_discord.max_concurrency = 16
    settings = make_settings(tmp_path, discord_token=TOKEN, redis_url=redis_target.url,
                             redis_prefix=redis_target.prefix, discord_api_base_url=fake_discord.api_base)
    adapters = [DiscordAdapter(settings), DiscordAdapter(settings)]
    try:
        for adapter in adapters:  # as discord.py does before it connects to the gateway
            await adapter.client.login(TOKEN)
        started = time.monotonic()
        for adapter, shard_id in zip(adapters, (0, 1), strict=True):  # buckets 0 and 1: no waiting
            adapter.client.identify_gate.interval_s = INTERVAL_S  # type: ignore[attr-defined]
            await adapter.client.before_identify_hook(shard_id, initial=True)
        assert time.monotonic() - started < INTERVAL_S
        assert [a.client.identify_gate.max_concurrency for a in adapters] == [16, 16]  # type: ignore[attr-defined]
        assert sum(r.path.endswith("/gateway/bot") for r in fake_discord.requests) == 2  # once per process
        await adapters[0].client.before_identify_hook(16, initial=False)  # bucket 0 again: its turn is taken
        assert time.monotonic() - started >= INTERVAL_S - 0.01
        assert sum(r.path.endswith("/gateway/bot") for r in fake_discord.requests) == 2
    finally:
        for adapter in adapters:
            await adapter.close(grace_s=0)
