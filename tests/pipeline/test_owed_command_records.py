"""What an owed command's record keeps: the command round-trips through its JSON (no platform payload),
and a Discord interaction's route keeps its token out of its repr."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.discord.owed import InteractionRoute
from bot.events import Author, ChannelRef, Command
from bot.pipeline.owed_commands import command_from_json, command_to_json, owed_command


def test_a_command_survives_its_record() -> None:
    command = Command(
        name="summarize_thread", args="since monday ✓", channel=ChannelRef("slack", "T1", "C1", "1700000000.000100"),
        author=Author("U1", "Ada", is_admin=True, roles=("R1", "R2"), joined_at=datetime(2024, 1, 2, tzinfo=UTC)),
        target="1700000000.000100", id="trigger-1", raw={"response_url": "https://hooks.slack.com/x"},
        target_at=datetime(2025, 5, 6, 7, 8, 9, tzinfo=UTC))
    text = command_to_json(command)
    assert "hooks.slack.com" not in text  # the platform payload stays out; the route is kept beside it
    assert command_from_json(text) == command  # ``raw`` is not compared
    plain = Command("help", "", ChannelRef("discord", "G1", "C1"), Author("1", "bob"), id="99")
    assert command_from_json(command_to_json(plain)) == plain
    direct = Command("forget", "", ChannelRef("discord", "@me", "D1"), Author("1", "bob"), id="100", is_direct=True)
    assert command_from_json(command_to_json(direct)) == direct


def test_the_record_is_keyed_by_channel_and_platform_id() -> None:
    command = Command("ask", "why?", ChannelRef("slack", "T1", "C1"), Author("U1", "ada"), id="trigger-2")
    record = owed_command(command, "https://hooks.slack.com/commands/1/2")
    assert (record.channel_key, record.command_id, record.route) == ("slack:T1:C1", "trigger-2",
                                                                     "https://hooks.slack.com/commands/1/2")
    assert command_from_json(record.payload) == command


@pytest.mark.parametrize("damaged", ["", "{", '{"name": "ask"}', '{"name": "ask", "args": "", "channel": 5}'])
def test_a_damaged_record_raises_what_resuming_catches(damaged: str) -> None:
    with pytest.raises((ValueError, KeyError, TypeError)):
        command_from_json(damaged)


def test_an_interaction_route_round_trips_and_hides_its_token() -> None:
    route = InteractionRoute(1100000000000000001, "secret-interaction-token", ephemeral=True)
    assert InteractionRoute.from_json(route.to_json()) == route
    assert "secret-interaction-token" not in repr(route)
    with pytest.raises((ValueError, KeyError, TypeError)):
        InteractionRoute.from_json('{"token": "t"}')
