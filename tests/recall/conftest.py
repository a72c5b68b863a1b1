"""Conversation search fixtures: every store test runs on both backends (tests/storage/conftest.py), with a
search service over the store and a table of who may read what (the platform's answer, as Slack's and
Discord's checks give it; their real checks are tested in test_platforms.py)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pytest

from agent.recall.access import Visibility
from agent.recall.service import RecallService
from agent.storage.ports import Storage
from agent.storage.recall_store import recall_store
from tests.discord.conftest import discord_bot, fake_discord
from tests.fakes.embedder import HashEmbedder
from tests.slack.conftest import fake_api, slack_bot
from tests.storage.conftest import replica, settings, store

__all__ = ["discord_bot", "fake_api", "fake_discord", "replica", "settings", "slack_bot", "store"]


class TableAccess:
    """The platform's answer for one asker: channel key -> visibility (absent: refused)."""

    def __init__(self, table: Mapping[str, Visibility], fail: bool = False) -> None:
        self.table, self.fail = dict(table), fail
        self.asked: list[str] = []

    async def visibility(self, channel_keys: Sequence[str]) -> Mapping[str, Visibility | None]:
        self.asked.extend(channel_keys)
        if self.fail:
            raise RuntimeError("the platform did not answer")
        return {key: self.table.get(key) for key in channel_keys}

    async def threads(self, threads: Sequence[tuple[str, str]]) -> Mapping[tuple[str, str], bool]:
        return dict.fromkeys(threads, True)

    def link(self, channel_key: str, thread: str | None, message_id: str) -> str | None:
        return f"https://chat.example/{channel_key}/{message_id}"

    def label(self, channel_key: str) -> str | None:
        return "#" + channel_key.rsplit(":", 1)[-1].lower()


@pytest.fixture
def embedder() -> HashEmbedder:
    return HashEmbedder(dim=256)


@pytest.fixture
def recall(store: Storage, embedder: HashEmbedder) -> RecallService:
    return RecallService(recall_store(store), lambda: embedder, retention_days=30)
