"""The scaled mode end to end: two Confab replicas (Slack HTTP mode) on one PostgreSQL and one Redis. A mention
delivered to either replica, or to both, is stored once with its ``answer`` job (one transaction), run by
whichever worker takes it, and answered once."""

from __future__ import annotations

import asyncio
import socket
from typing import Any

from langchain_core.messages import AIMessage

from tests.fakes.scripted_model import ScriptedModel
from tests.fakes.slack import FakeSlackAPI, command_form, payload, post_event, post_form, slack_settings
from tests.fakes.waiting import until
from tests.services import RedisTarget


def _answers(fake_api: FakeSlackAPI) -> list[str]:
    return [str(c.params.get("text")) for c in fake_api.calls_to("chat.postMessage")
            if str(c.params.get("text", "")).startswith("answer")]


async def _replicas(slack_bot: Any, postgres_url: str, redis_target: RedisTarget, *roles: str) -> list[Any]:
    scaled = {"database_url": postgres_url, "redis_url": redis_target.url, "redis_prefix": redis_target.prefix}
    replicas = []
    for role in roles:
        model = ScriptedModel(steps=[AIMessage(f"answer from {role}") for _ in range(20)])
        replicas.append(await slack_bot(model, role=role, **scaled))
    return replicas


async def test_mentions_spread_over_two_replicas_are_each_answered_once(
        postgres_url: str, redis_target: RedisTarget, slack_bot: Any, fake_api: FakeSlackAPI) -> None:
    # (the services first: they outlive the replicas at teardown)
    # an ingress that only stores (and queues) and a replica that also runs jobs
    (first, pipeline), (second, _) = await _replicas(slack_bot, postgres_url, redis_target, "ingress", "all")
    assert pipeline.jobs is not None  # the scaled mode: a real queue
    base = payload("app_mention")
    for i in range(8):
        event = {**base, "ts": f"17000002{i:02d}.000100", "event_ts": f"17000002{i:02d}.000100",
                 "text": f"<@UBOT00001> question {i}: how do we deploy service {i} to staging?"}
        # Slack retries reach another replica; every third mention is delivered to both
        targets = [first, second] if i % 3 == 0 else [(first, second)[i % 2]]
        for adapter in targets:
            status, _ = await post_event(adapter, event, event_id=f"Ev{i:08d}")
            assert status == 200
    await until(lambda: len(_answers(fake_api)) >= 8, 30, "every mention answered")
    await asyncio.sleep(0.5)  # a moment for any duplicate to show
    assert _answers(fake_api) == ["answer from all"] * 8  # the worker answered what the ingress took in too
    assert await pipeline.store.pending.owed() == []
    stored = await pipeline.store.messages.count("slack:T0TEAM001:C0GENERAL")
    assert stored == 16  # 8 questions once each, and 8 answers remembered


async def test_a_worker_takes_no_events_and_answers_what_an_ingress_took_in(
        postgres_url: str, redis_target: RedisTarget, slack_bot: Any, fake_api: FakeSlackAPI, tmp_path: Any,
        bot_factory: Any) -> None:
    from bot.slack.adapter import SlackAdapter

    (ingress, pipeline), = await _replicas(slack_bot, postgres_url, redis_target, "ingress")
    settings = slack_settings(tmp_path, fake_api, "http", database_url=postgres_url, redis_url=redis_target.url,
                              redis_prefix=redis_target.prefix, role="worker", slack_signing_secret=None)
    worker = await bot_factory(ScriptedModel(steps=[AIMessage("answer from the worker")] * 3), settings=settings,
                               adapter=SlackAdapter(settings, http_host="127.0.0.1", listen=False))
    with socket.socket() as probe:  # the worker does not listen for Slack
        assert probe.connect_ex(("127.0.0.1", settings.slack_http_port)) != 0
    event = {**payload("app_mention"), "text": "<@UBOT00001> where do the release notes live?"}
    assert (await post_event(ingress, event, event_id="EvWORKER01"))[0] == 200
    await until(lambda: _answers(fake_api) == ["answer from the worker"], 30, "the worker's answer")
    assert worker.pipeline.jobs is not None
    # the knowledge index: a worker follows the versions the indexer publishes in the shared Redis
    assert worker.deps.knowledge._versions is worker.deps.state.versions
    assert type(worker.deps.state.versions).__name__.startswith("Redis")
    for _ in range(50):  # settled right after the answer was posted
        if not await pipeline.store.pending.owed():
            break
        await asyncio.sleep(0.1)
    assert await pipeline.store.pending.owed() == []


async def test_a_slash_command_acknowledged_by_an_ingress_is_answered_by_a_worker(
        postgres_url: str, redis_target: RedisTarget, slack_bot: Any, fake_api: FakeSlackAPI) -> None:
    (ingress, pipeline), _ = await _replicas(slack_bot, postgres_url, redis_target, "ingress", "all")
    url = fake_api.response_url()
    status, _ = await post_form(ingress, command_form("/ask", "how do I deploy?", url))
    assert status == 200
    def asked() -> list[str]:
        return [str(c.params.get("text")) for c in fake_api.calls_to("chat.postMessage")]

    await until(lambda: asked() == ["> how do I deploy?\nanswer from all"], 30, "the worker's answer to /ask")
    for _ in range(50):
        if not await pipeline.store.pending_commands.owed():
            break
        await asyncio.sleep(0.1)
    assert await pipeline.store.pending_commands.owed() == []
    await asyncio.sleep(0.3)
    assert asked() == ["> how do I deploy?\nanswer from all"]  # the ingress did not answer it too


async def test_an_answer_job_that_fails_on_the_way_is_run_again_and_answers_once(
        postgres_url: str, redis_target: RedisTarget, slack_bot: Any, fake_api: FakeSlackAPI) -> None:
    """The database out of reach in the middle of a turn: the job fails, the answer stays owed, and the
    queue's next run answers it (once)."""
    (adapter, pipeline), = await _replicas(slack_bot, postgres_url, redis_target, "all")
    route = pipeline.router.route
    failures = []

    async def flaky_route(*args: Any, **kwargs: Any) -> Any:
        if not failures:
            failures.append(1)
            raise ConnectionError("the database went away for a moment")
        return await route(*args, **kwargs)

    pipeline.router.route = flaky_route
    event = {**payload("app_mention"), "text": "<@UBOT00001> where is the changelog?"}
    assert (await post_event(adapter, event, event_id="EvFLAKY001"))[0] == 200
    await until(lambda: _answers(fake_api) == ["answer from all"], 30, "the answer, at the second run")
    assert failures == [1]
    for _ in range(50):
        if not await pipeline.store.pending.owed():
            break
        await asyncio.sleep(0.1)
    assert await pipeline.store.pending.owed() == []
