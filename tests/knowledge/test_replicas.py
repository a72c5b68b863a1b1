"""The knowledge index at scale (issue 21, item 6): one indexer builds and publishes index versions, every
other replica loads the current one and follows the published ones; only the indexer watches the folder.

Three (or more) knowledge services in one test act as replicas: they share an index folder and one key
prefix of the test Redis, each through a connection of its own. (Roles other than ``all`` need the scaled
mode, so Redis; in one process the indexer swaps its own builds in, as before: tests/knowledge/test_freshness.)
"""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from agent.errors import KnowledgeError
from agent.knowledge.index import HybridIndex
from agent.knowledge.publisher import VERSIONS
from agent.knowledge.service import KnowledgeService
from agent.state import State, open_state
from tests.fakes.embedder import HashEmbedder
from tests.fakes.settings import make_settings
from tests.fakes.waiting import until
from tests.knowledge.kb_files import write
from tests.services import DATABASE_URL, RedisTarget

CHECK_S = 0.1  # how often replicas check the published version here (30 s in production)
NO_INDEXER_S = 1.0  # how long a replica's /reindex waits for an indexer here (120 s in production)
WAIT = 30.0  # a bound for the watcher and the followers, not a timing assertion


class Deployment:
    """Replicas over one knowledge folder, one index folder and one version board."""

    def __init__(self, tmp_path: Path, target: RedisTarget) -> None:
        self.tmp_path = tmp_path
        self.target = target
        self.states: list[State] = []
        self.tasks: list[asyncio.Task[None]] = []
        self.kb = tmp_path / "knowledge"

    def start(self, role: str, *, background: bool = True, redis_url: str | None = None,
              embedder: str = "test:hash", **overrides: Any) -> KnowledgeService:
        values: dict[str, Any] = {"role": role, "knowledge_min_relevance": 0.0, "database_url": DATABASE_URL,
                                  "redis_url": redis_url or self.target.url, "redis_prefix": self.target.prefix,
                                  **overrides}  # the database is never used here, but a role implies it
        settings = make_settings(self.tmp_path, **values)
        state = open_state(settings)
        self.states.append(state)
        hashed = HashEmbedder(embedder)
        service = KnowledgeService(settings, lambda: hashed, state.versions, check_s=CHECK_S,
                                   forward_wait_s=NO_INDEXER_S)
        if background:
            self.tasks.append(asyncio.create_task(service.background()))
        return service

    async def published(self) -> str | None:
        return await self.states[0].versions.current(VERSIONS)

    async def close(self) -> None:
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        for state in self.states:
            await state.close()


@pytest.fixture
async def deployment(redis_target: RedisTarget, tmp_path: Path) -> AsyncIterator[Deployment]:
    made = Deployment(tmp_path, redis_target)
    write(made.kb, "privacy.md", "# Privacy\n\nMessages are kept for ninety days, then pruned.\n")
    write(made.kb, "deploy.md", "# Deploy\n\nStart it with docker compose up.\n")
    yield made
    await made.close()


async def sources(service: KnowledgeService, query: str) -> set[str]:
    return {hit.chunk.source for hit in (await service.search(query, k=10)).hits}


async def answers_from(service: KnowledgeService, query: str, source: str) -> bool:
    return source in await sources(service, query)


async def built_and_followed(deployment: Deployment) -> tuple[KnowledgeService, KnowledgeService]:
    """An indexer that built a first version, and a worker that has loaded it."""
    indexer = deployment.start("indexer", background=False)
    await indexer.reindex()
    follower = deployment.start("worker")
    await until(lambda: follower._index is not None, WAIT, "the follower's first version")
    return indexer, follower


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_followers_swap_in_what_the_indexer_builds_and_only_the_indexer_watches(
        deployment: Deployment) -> None:
    indexer = deployment.start("indexer", knowledge_watch=True)
    followers = [deployment.start(role, knowledge_watch=True) for role in ("worker", "ingress")]
    await until(deployment.published, WAIT, "the first version to be published")
    first = await deployment.published()
    for follower in followers:
        assert await answers_from(follower, "how long are messages kept", "privacy.md")
        assert (await follower.index()).version == first
    assert indexer.watching and not any(f.watching for f in followers)

    write(deployment.kb, "oncall.md", "# On-call\n\nThe rotation changes on Mondays.\n")
    for follower in followers:  # the watcher rebuilds; each follower loads the new version, then swaps it in
        await until(lambda f=follower: answers_from(f, "when does the on-call rotation change", "oncall.md"),
                    WAIT, "a follower to answer from the new version")
    second = await deployment.published()
    assert second != first and [(await f.index()).version for f in followers] == [second, second]
    assert not any(f.watching for f in followers) and indexer.watching


async def test_a_follower_started_after_the_publish_loads_the_current_version(deployment: Deployment) -> None:
    indexer = deployment.start("indexer", background=False)
    await indexer.reindex()
    write(deployment.kb, "oncall.md", "# On-call\n\nThe rotation changes on Mondays.\n")
    await indexer.reindex()
    late = deployment.start("gateway")
    await until(lambda: late._index is not None, WAIT, "the late follower to load the published version")
    assert (await late.index()).version == await deployment.published() == indexer._version()
    assert await answers_from(late, "when does the on-call rotation change", "oncall.md")


async def test_followers_abstain_exactly_as_the_indexer_does(deployment: Deployment) -> None:
    """The abstain model needs nothing computed at build time: the same version gives the same relevance."""
    indexer = deployment.start("indexer", background=False, knowledge_min_relevance=0.4)
    await indexer.reindex()
    follower = deployment.start("worker", knowledge_min_relevance=0.4)
    for question in ("how long are messages kept", "how do I start it", "what is the capital of peru"):
        built, followed = await indexer.search(question), await follower.search(question)
        assert (followed.relevance, followed.abstained, followed.hits) == (built.relevance, built.abstained,
                                                                           built.hits)


async def test_a_replica_never_builds_nor_watches(deployment: Deployment) -> None:
    follower = deployment.start("worker", knowledge_watch=True)
    found = await follower.search("how long are messages kept")
    assert found.abstained and found.documents == 0  # no version yet: it abstains, and builds nothing
    assert not follower.index_dir.exists() and not follower.watching
    with pytest.raises(KnowledgeError) as refused:
        await follower.reindex()  # nobody serves the request
    assert "no indexer answered" in refused.value.user_message and "CONFAB_ROLE=indexer" in refused.value.user_message
    assert not follower.index_dir.exists()

    indexer = deployment.start("indexer", background=False)
    await indexer.reindex()
    await until(lambda: answers_from(follower, "how long are messages kept", "privacy.md"), WAIT,
                "the follower to load the first version")


async def test_a_version_built_with_another_embedder_is_not_swapped_in(
        deployment: Deployment, caplog: pytest.LogCaptureFixture) -> None:
    indexer, follower = await built_and_followed(deployment)
    other = deployment.start("worker", embedder="test:other")
    with caplog.at_level(logging.WARNING, logger="agent.knowledge.service"):
        write(deployment.kb, "oncall.md", "# On-call\n\nThe rotation changes on Mondays.\n")
        await indexer.reindex()
        await until(lambda: answers_from(follower, "when does the on-call rotation change", "oncall.md"), WAIT,
                    "the follower with the same embedder to swap")
        for _ in range(3):  # questions load the version CURRENT names; the follow loop the published one
            assert (await other.search("how long are messages kept")).documents == 0
            await asyncio.sleep(CHECK_S)
    refused = [r for r in caplog.records if r.getMessage().startswith("knowledge index version not loaded")]
    assert refused and len({getattr(r, "version", None) for r in refused}) == len(refused)  # once per version


async def test_a_published_name_that_is_no_version_is_never_read(
        deployment: Deployment, caplog: pytest.LogCaptureFixture) -> None:
    _, follower = await built_and_followed(deployment)
    first = follower._index and follower._index.version
    with caplog.at_level(logging.WARNING):
        await deployment.states[0].versions.publish(VERSIONS, "../../etc")
        await asyncio.sleep(CHECK_S * 5)  # the message, then five checks of the key
    refused = [r for r in caplog.records if r.name.startswith("agent.knowledge") and r.levelno >= logging.WARNING]
    assert [(r.getMessage(), getattr(r, "version", None)) for r in refused] == [
        ("knowledge index version not loaded; the current one stays in use", "../../etc")]
    assert (await follower.index()).version == first


async def test_old_versions_are_pruned_but_the_current_and_previous_remain(deployment: Deployment) -> None:
    indexer = deployment.start("indexer", background=False)
    follower = deployment.start("worker")
    versions = []
    for n in range(5):
        write(deployment.kb, "oncall.md", f"# On-call\n\nThe rotation changes every {n + 2} weeks.\n")
        await indexer.reindex()
        versions.append(indexer._version())
    (indexer.index_dir / "v-1-1.tmp").mkdir()  # a build that never finished
    write(deployment.kb, "oncall.md", "# On-call\n\nThe rotation changes on Mondays.\n")
    await indexer.reindex()
    versions.append(indexer._version())
    assert len(set(versions)) == 6
    kept = sorted(p.name for p in indexer.index_dir.iterdir() if p.is_dir())
    assert kept == sorted(versions[-3:])  # the current one and the two before it
    assert (indexer.index_dir / "CURRENT").read_text() == versions[-1] == await deployment.published()
    previous = HybridIndex.load(indexer.index_dir, versions[-2])
    assert previous is not None and previous.version == versions[-2]  # a replica still reading it is fine
    await until(lambda: answers_from(follower, "when does the on-call rotation change", "oncall.md"), WAIT,
                "the follower to reach the last version")


async def test_a_follower_with_redis_down_keeps_its_index_and_logs_once(
        deployment: Deployment, caplog: pytest.LogCaptureFixture) -> None:
    indexer = deployment.start("indexer", background=False)
    await indexer.reindex()
    first = indexer._version()
    healthy = deployment.start("worker")
    with caplog.at_level(logging.WARNING, logger="agent.state.versions"):
        cut_off = deployment.start("worker", redis_url=f"redis://127.0.0.1:{closed_port()}/0")
        assert await answers_from(cut_off, "how long are messages kept", "privacy.md")  # from the shared folder
        write(deployment.kb, "oncall.md", "# On-call\n\nThe rotation changes on Mondays.\n")
        await indexer.reindex()
        await until(lambda: answers_from(healthy, "when does the on-call rotation change", "oncall.md"), WAIT,
                    "the healthy follower to swap")
        await until(lambda: [r for r in caplog.records if r.name == "agent.state.versions"], WAIT,
                    "the unreachable Redis to be noticed")
        await asyncio.sleep(CHECK_S * 10)  # ten more checks that fail: nothing more is logged
    assert [r.getMessage() for r in caplog.records if r.name == "agent.state.versions"] == [
        "versions unreachable; keeping the current version and retrying"]
    assert (await cut_off.index()).version == first
    assert await answers_from(cut_off, "how long are messages kept", "privacy.md")


async def test_the_indexer_publishes_its_version_again_when_redis_lost_it(deployment: Deployment) -> None:
    """Redis runs without persistence: after a restart the key is gone until the indexer's next check. A
    version older than its own is replaced too; a newer one (another indexer's, in a rollout) is left."""
    indexer = deployment.start("indexer", knowledge_watch=False)
    await indexer.reindex()
    mine = indexer._version()
    client = deployment.states[0].client
    assert client is not None and mine is not None and await deployment.published() == mine
    key = f"{deployment.target.prefix}versions:{VERSIONS}"
    await client.delete(key)
    await until(deployment.published, WAIT, "the indexer to publish its version again")
    assert await deployment.published() == mine
    await client.set(key, "v-1-1")
    await until(lambda: _is(deployment.published(), mine), WAIT, "the older version to be replaced")
    newer = f"v-{int(mine.split('-')[1]) + 1}-1"
    await client.set(key, newer)
    await asyncio.sleep(CHECK_S * 5)  # five checks
    assert await deployment.published() == newer


async def _is(value: Any, expected: object) -> bool:
    return bool(await value == expected)


async def test_reindex_on_a_replica_asks_the_indexer_and_answers_from_its_new_version(
        deployment: Deployment) -> None:
    """/reindex on a worker (say, a shared volume where the indexer's watcher sees no change): the indexer
    rebuilds, reports back, and the worker answers from the new version as soon as /reindex returns."""
    indexer = deployment.start("indexer", knowledge_watch=False)
    await indexer.reindex()
    follower = deployment.start("worker")
    await until(lambda: follower._index is not None, WAIT, "the follower's first version")
    write(deployment.kb, "oncall.md", "# On-call\n\nThe rotation changes on Mondays.\n")
    report = await follower.reindex()
    assert report.embedded == ["oncall.md"] and report.files == 3
    assert report.version == indexer._version() == await deployment.published()
    assert (await follower.index()).version == report.version  # loaded before /reindex returned
    assert await answers_from(follower, "when does the on-call rotation change", "oncall.md")
    again = await follower.reindex()  # nothing changed: the indexer says so
    assert not again.changed and again.version == report.version
