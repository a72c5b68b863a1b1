"""Two bots on one Redis act as two replicas behind a load balancer: a person's questions count once,
wherever they land, and they hear the limit once."""

from __future__ import annotations

from pathlib import Path

from langchain_core.messages import AIMessage

from tests.fakes.harness import open_bot
from tests.fakes.scripted_model import ScriptedModel
from tests.services import RedisTarget


async def test_replicas_share_a_persons_rate_limit(tmp_path: Path, redis_target: RedisTarget) -> None:
    model = ScriptedModel(steps=[AIMessage(f"a{i}") for i in range(10)])
    shared = {"redis_url": redis_target.url, "redis_prefix": redis_target.prefix, "rate_user_per_min": 2}
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    async with open_bot(tmp_path / "a", model, **shared) as a, open_bot(tmp_path / "b", model, **shared) as b:
        assert await a.say("@confab q", id="a1") == "a0"
        assert await b.say("@confab q", id="b1") == "a1"
        assert "faster than I can keep up" in await a.say("@confab q", id="a2")
        message = b.message("@confab q", id="b2")
        assert await b.deliver(message) == []
        assert b.adapter.reactions == [("b2", "⏳")]  # the other replica already told them
        assert await b.say("@confab q", user="bob", id="b3") == "a2"
