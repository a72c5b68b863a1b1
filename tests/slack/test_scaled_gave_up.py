"""The scaled mode when a job uses up its runs (PostgreSQL and Redis): the asker gets one honest "couldn't answer,
please ask again", the owed record is settled, a log line says why; an answer that did go out is not followed by
an apology."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest
from langchain_core.messages import AIMessage

from agent.jobs import RetryPolicy
from bot import messages as say
from tests.fakes.scripted_model import ScriptedModel
from tests.fakes.slack import FakeSlackAPI, command_form, payload, post_event, post_form
from tests.fakes.waiting import until
from tests.services import RedisTarget


@pytest.fixture
def quick_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    """Retries at once and workers polling every 0.2 s, so three runs take a moment, not 6 s of backoff."""
    import agent.jobs.postgres as queue

    monkeypatch.setattr(RetryPolicy, "delay_s", lambda self, retry: 0.0)
    tuning = queue.WorkerTuning
    monkeypatch.setattr(queue, "WorkerTuning", lambda **kw: tuning(**{**kw, "poll_s": 0.2}))


async def _replica(slack_bot: Any, postgres_url: str, redis_target: RedisTarget) -> tuple[Any, Any]:
    model = ScriptedModel(steps=[AIMessage("the answer") for _ in range(5)])
    return await slack_bot(model, role="all", database_url=postgres_url, redis_url=redis_target.url,
                           redis_prefix=redis_target.prefix)


def _posted(fake_api: FakeSlackAPI) -> list[str]:
    return [str(c.params.get("text")) for c in fake_api.calls_to("chat.postMessage")]


async def _owed_settled(store: Any) -> None:
    for _ in range(50):
        if not await store.owed():
            return
        await asyncio.sleep(0.1)
    assert await store.owed() == []


async def test_an_answer_job_out_of_runs_tells_the_asker_once_and_settles(
        postgres_url: str, redis_target: RedisTarget, slack_bot: Any, fake_api: FakeSlackAPI, quick_retries: None,
        caplog: pytest.LogCaptureFixture) -> None:
    adapter, pipeline = await _replica(slack_bot, postgres_url, redis_target)
    runs: list[int] = []

    async def unreachable(*args: Any, **kwargs: Any) -> Any:
        runs.append(1)
        raise ConnectionError("the database went away")

    pipeline.router.route = unreachable
    event = {**payload("app_mention"), "text": "<@UBOT00001> where is the changelog?"}
    with caplog.at_level(logging.WARNING):
        assert (await post_event(adapter, event, event_id="EvGIVEUP01"))[0] == 200
        await until(lambda: _posted(fake_api), 30, "the apology")
        await _owed_settled(pipeline.store.pending)
        await asyncio.sleep(0.5)  # a second apology, or a fourth run, would show by now
    assert len(runs) == 3
    [reply] = fake_api.calls_to("chat.postMessage")
    assert reply.params["text"] == say.GAVE_UP
    assert reply.params.get("thread_ts") == event["ts"]  # under the question, like the answer would be
    assert any("owed answer given up; the asker was asked to ask again" in m for m in caplog.messages)


async def test_an_answer_that_went_out_gets_no_apology(
        postgres_url: str, redis_target: RedisTarget, slack_bot: Any, fake_api: FakeSlackAPI,
        quick_retries: None) -> None:
    """The answer was posted, then each run failed after it (e.g. remembering it): the ledger keeps the apology
    out, and the record is settled all the same."""
    adapter, pipeline = await _replica(slack_bot, postgres_url, redis_target)
    answer = pipeline.answerer.answer

    async def answers_then_fails(*args: Any, **kwargs: Any) -> None:
        await answer(*args, **kwargs)
        raise ConnectionError("the database went away after the answer")

    pipeline.answerer.answer = answers_then_fails
    event = {**payload("app_mention"), "text": "<@UBOT00001> who owns the release?"}
    assert (await post_event(adapter, event, event_id="EvGIVEUP02"))[0] == 200
    await until(lambda: _posted(fake_api), 30, "the answer")
    await _owed_settled(pipeline.store.pending)
    await asyncio.sleep(0.5)
    assert _posted(fake_api) == ["the answer"]


async def test_a_command_job_out_of_runs_tells_the_asker_once_and_settles(
        postgres_url: str, redis_target: RedisTarget, slack_bot: Any, fake_api: FakeSlackAPI, quick_retries: None,
        monkeypatch: pytest.MonkeyPatch) -> None:
    import bot.pipeline

    adapter, pipeline = await _replica(slack_bot, postgres_url, redis_target)
    runs: list[int] = []

    async def unreachable(*args: Any, **kwargs: Any) -> Any:
        runs.append(1)
        raise ConnectionError("the database went away")

    monkeypatch.setattr(bot.pipeline, "answer_owed", unreachable)
    assert (await post_form(adapter, command_form("/ask", "how do I deploy?", fake_api.response_url())))[0] == 200
    await until(lambda: fake_api.responses, 30, "the apology through the response URL")
    await _owed_settled(pipeline.store.pending_commands)
    await asyncio.sleep(0.5)
    assert len(runs) == 3
    assert [r.get("text") for r in fake_api.responses] == [say.GAVE_UP]
    assert fake_api.responses[0].get("response_type") == "ephemeral"
