"""Start-up errors on Discord are clear and never show the token."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from bot.errors import ConfigError
from tests.fakes.discord import FakeDiscord, discord_settings


async def test_a_rejected_token_fails_fast_with_a_clear_message(tmp_path: Path, fake_discord: FakeDiscord,
                                                                caplog: pytest.LogCaptureFixture) -> None:
    from bot.discord.adapter import DiscordAdapter
    from bot.outbox import Outbox

    fake_discord.invalid_token = True
    adapter = DiscordAdapter(discord_settings(tmp_path, fake_discord, discord_token="not-a-real-token"))
    caplog.set_level(logging.DEBUG)
    with pytest.raises(ConfigError, match="Discord rejected DISCORD_TOKEN") as error:
        await adapter.start(None, Outbox(None, "confab"))  # type: ignore[arg-type]
    await adapter.close()
    assert "not-a-real-token" not in str(error.value) and "not-a-real-token" not in caplog.text


def test_no_token_is_a_config_error(tmp_path: Path) -> None:
    from bot.discord.adapter import DiscordAdapter
    from tests.fakes.settings import make_settings

    with pytest.raises(ConfigError, match="DISCORD_TOKEN is not set"):
        DiscordAdapter(make_settings(tmp_path))


def test_sharding_uses_the_auto_sharded_client(tmp_path: Path, fake_discord: FakeDiscord) -> None:
    import discord

    from bot.discord.adapter import DiscordAdapter

    adapter = DiscordAdapter(discord_settings(tmp_path, fake_discord, discord_shard_count=2))
    assert isinstance(adapter.client, discord.AutoShardedClient) and adapter.client.shard_count == 2
    assert adapter.client.intents.message_content and not adapter.client.intents.members


def test_a_process_runs_only_its_shard_ids(tmp_path: Path, fake_discord: FakeDiscord) -> None:
    from bot.discord.adapter import DiscordAdapter

    adapter = DiscordAdapter(discord_settings(tmp_path, fake_discord, discord_shard_count=4, discord_shard_ids="1,3"))
    assert adapter.client.shard_count == 4 and adapter.client.shard_ids == [1, 3]


def test_the_api_base_url_moves_this_client_only(tmp_path: Path, fake_discord: FakeDiscord) -> None:
    import discord

    from bot.discord.adapter import DiscordAdapter
    from bot.discord.rest import RebasedHTTPClient, rebase

    default = discord.http.Route.BASE
    adapter = DiscordAdapter(discord_settings(tmp_path, fake_discord, discord_shard_count=2))
    other = discord.Client(intents=discord.Intents.none())
    route = discord.http.Route("GET", "/channels/{channel_id}", channel_id=7)
    assert discord.http.Route.BASE == default and route.url == default + "/channels/7"
    assert isinstance(adapter.client.http, RebasedHTTPClient) and adapter.client.http is adapter.client._connection.http
    assert type(other.http) is discord.http.HTTPClient
    assert rebase(route.url, fake_discord.api_base) == fake_discord.api_base + "/channels/7"
