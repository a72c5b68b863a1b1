"""Digest fixtures: the Slack and Discord fakes with a running bot (their own conftests')."""

from __future__ import annotations

from tests.discord.conftest import discord_bot, fake_discord
from tests.slack.conftest import fake_api, slack_bot

__all__ = ["discord_bot", "fake_api", "fake_discord", "slack_bot"]
