"""In the scaled mode every round trip to PostgreSQL costs an ingress replica CPU (bench.slack_ceiling): a person's
plain message is stored, checked against the help-channel setting and its author's spam standing read in one
statement, and the screen still judges with that standing (a moderator's exemption holds, spam is flagged)."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from agent.storage.ports import FoundMessage
from agent.storage.postgres import PostgresStorage
from tests.fakes.harness import open_bot
from tests.fakes.settings import make_settings
from tests.services import RedisTarget

SPAM = "URGENT!!! Claim your FREE crypto airdrop now at http://free-airdrop.xyz before it expires"


def count_statements(db: Any, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every statement the storage sends through ``db`` from now on."""
    sent: list[str] = []

    def counted(name: str) -> Callable[..., Any]:
        original = getattr(db, name)

        def call(query: Any, *args: Any, **kwargs: Any) -> Any:
            sent.append(str(query).split()[0] if isinstance(query, str) else name)
            return original(query, *args, **kwargs)

        return call

    for name in ("fetch", "execute"):
        monkeypatch.setattr(db, name, counted(name))
    transaction = db.transaction
    monkeypatch.setattr(db, "transaction", lambda: (sent.append("transaction"), transaction())[1])
    return sent


async def test_a_plain_message_is_stored_and_screened_with_one_statement(
        tmp_path: Path, postgres_url: str, redis_target: RedisTarget, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = make_settings(tmp_path, mod_channel="mods", database_url=postgres_url, redis_url=redis_target.url,
                             redis_prefix=redis_target.prefix)
    async with open_bot(tmp_path, settings=settings) as bot:
        await bot.say("morning all", user="ann", id="w1")  # the workspace's first: how long it has been watched
        store = bot.deps.store
        assert isinstance(store, PostgresStorage)
        pipeline, db = bot.pipeline, store.db
        await bot.deps.store.spam.correct(FoundMessage(bot.message("x").channel.key, "old", "carl", "x", False),
                                          "ham", "mod", time.time(), exempt_until=time.time() + 3600)
        sent = count_statements(db, monkeypatch)
        for author, text, message_id in [("bob", "lunch at noon?", "h1"), ("carl", SPAM, "c1"),
                                         ("spammer", SPAM, "s1")]:
            accepted = await pipeline.accept(bot.message(text, user=author, id=message_id))
            assert accepted is not None
            await pipeline.process(accepted)
            if author != "spammer":  # a flag's record and note are writes of their own
                assert sent == ["WITH"], sent  # stored, the help setting and the author's standing: one statement
                sent.clear()
        assert bot.adapter.reactions == [("s1", "🚩")]  # spam flagged; carl's exemption read with his message
        await pipeline.drain()
