"""Knowledge stays fresh while Confab runs, and a build never holds a question up (issue 19, items 1 and 2c)."""

import asyncio
import os
import threading
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import numpy as np
import pytest

from agent.knowledge.service import KnowledgeService
from agent.knowledge.watcher import worth_reindexing
from tests.fakes.embedder import HashEmbedder
from tests.fakes.settings import make_settings
from tests.fakes.waiting import until
from tests.knowledge.kb_files import write

WAIT = 60.0  # seconds to wait for the watcher before failing (a bound, not a timing assertion)


def docs(root: Path) -> None:
    write(root, "privacy.md", "# Privacy\n\nMessages are kept for ninety days, then pruned.\n")
    write(root, "deploy.md", "# Deploy\n\nStart it with docker compose up.\n")


@pytest.fixture
async def watched(tmp_path: Path) -> AsyncIterator[Callable[[str | Path], KnowledgeService]]:
    """A service over the given folder (as written in CONFAB_KNOWLEDGE_DIR) with its watcher running."""
    tasks: list[asyncio.Task[None]] = []

    def start(folder: str | Path) -> KnowledgeService:
        embedder = HashEmbedder()
        settings = make_settings(tmp_path, knowledge_dir=Path(folder), knowledge_watch=True,
                                 knowledge_min_relevance=0.0)
        service = KnowledgeService(settings, lambda: embedder)
        tasks.append(asyncio.create_task(service.background()))
        return service

    yield start
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


async def sources_for(service: KnowledgeService, query: str) -> set[str]:
    return {hit.chunk.source for hit in (await service.search(query, k=10)).hits}


async def eventually(check: Callable[[], object]) -> None:
    """The watcher's work shows up in search results (polled: a file watcher has no event to await)."""
    try:
        await until(check, WAIT, "the change to reach search results")
    except TimeoutError:
        pytest.fail("the change never reached search results")


async def test_new_edited_and_deleted_files_reach_answers_with_a_relative_folder(
        tmp_path: Path, watched: Callable[[str | Path], KnowledgeService]) -> None:
    assert Path.cwd() == tmp_path  # the suite runs in tmp_path: "kb" is relative, like the default "knowledge"
    docs(tmp_path / "kb")
    service = watched("kb")
    await eventually(lambda: service._fresh)  # the initial build

    write(tmp_path / "kb", "oncall.md", "# On-call\n\nThe rotation changes on Mondays.\n")
    await eventually(lambda: _has(service, "when does the on-call rotation change", "oncall.md"))

    write(tmp_path / "kb", "privacy.md", "# Privacy\n\nMessages are archived to glacier storage.\n")

    async def edited() -> bool:
        found = await service.search("where are messages archived", k=10)
        return any("glacier" in hit.chunk.text for hit in found.hits)

    await eventually(edited)

    (tmp_path / "kb" / "deploy.md").unlink()
    await eventually(lambda: _lacks(service, "start it with docker compose", "deploy.md"))


@pytest.mark.parametrize("form", ["absolute", "dots and trailing slash", "symlink"])
async def test_any_form_of_the_folder_path_is_watched(
        tmp_path: Path, watched: Callable[[str | Path], KnowledgeService], form: str) -> None:
    docs(tmp_path / "kb")
    (tmp_path / "other").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "kb", target_is_directory=True)
    folder = {"absolute": str(tmp_path / "kb"), "dots and trailing slash": "other/../kb/",
              "symlink": "link"}[form]
    service = watched(folder)
    await eventually(lambda: service._fresh)
    write(tmp_path / "kb", "oncall.md", "# On-call\n\nThe rotation changes on Mondays.\n")
    await eventually(lambda: _has(service, "when does the on-call rotation change", "oncall.md"))


def test_only_changes_to_hidden_files_are_ignored(tmp_path: Path) -> None:
    root = tmp_path.resolve()
    assert not worth_reindexing(root, [root / ".git" / "index", root / ".notes.md.swp"])
    assert worth_reindexing(root, [root / ".notes.md.swp", root / "notes.md"])
    os.symlink(root, tmp_path / "alias")
    assert worth_reindexing(root, [tmp_path / "alias" / "notes.md"])
    assert not worth_reindexing(root, [tmp_path / "alias" / ".notes.md.swp"])


async def _has(service: KnowledgeService, query: str, source: str) -> bool:
    return source in await sources_for(service, query)


async def _lacks(service: KnowledgeService, query: str, source: str) -> bool:
    return source not in await sources_for(service, query)


class GatedEmbedder(HashEmbedder):
    """Embeds documents only once the test opens the gate (a build that takes as long as the test wants);
    questions are embedded at once."""

    def __init__(self) -> None:
        super().__init__()
        self.gate = threading.Event()
        self.building = threading.Event()

    def embed(self, texts: list[str]) -> np.ndarray:
        self.building.set()
        if not self.gate.wait(timeout=WAIT):
            raise TimeoutError("gate never opened")
        return super().embed(texts)

    async def aembed(self, texts: list[str]) -> np.ndarray:
        return super().embed(texts)


async def test_questions_answer_from_the_previous_index_while_a_build_runs(tmp_path: Path) -> None:
    docs(tmp_path / "kb")
    embedder = GatedEmbedder()
    settings = make_settings(tmp_path, knowledge_dir=tmp_path / "kb", knowledge_min_relevance=0.0)
    embedder.gate.set()
    await KnowledgeService(settings, lambda: embedder).reindex()  # the index a previous run saved
    embedder.gate.clear()
    embedder.building.clear()

    service = KnowledgeService(settings, lambda: embedder)  # a fresh start: the saved index is on disk
    write(tmp_path / "kb", "privacy.md", "# Privacy\n\nMessages are archived to glacier storage.\n")
    build = asyncio.create_task(service.reindex())
    await asyncio.to_thread(embedder.building.wait, WAIT)  # the build is embedding (and stays there)
    try:
        # answered from the previous index, without waiting for the build
        found = await asyncio.wait_for(service.search("how long are messages kept", k=3), timeout=WAIT / 2)
        assert found.hits and "ninety" in found.hits[0].chunk.text
        assert not build.done()
    finally:
        embedder.gate.set()
    await build
    found = await service.search("where are messages archived", k=3)
    assert "glacier" in found.hits[0].chunk.text  # swapped in once complete


async def _saved_index_and_a_new_file(tmp_path: Path) -> tuple[KnowledgeService, GatedEmbedder]:
    """A new service over a folder whose index was saved before a file was added; its embedder is held
    (``embedder.gate``) so a refresh stays in progress until the test lets it go."""
    docs(tmp_path / "kb")
    embedder = GatedEmbedder()
    settings = make_settings(tmp_path, knowledge_dir=tmp_path / "kb", knowledge_min_relevance=0.0)
    embedder.gate.set()
    await KnowledgeService(settings, lambda: embedder).reindex()
    embedder.gate.clear()
    write(tmp_path / "kb", "privacy.md", "# Privacy\n\nMessages are archived to glacier storage.\n")
    return KnowledgeService(settings, lambda: embedder), embedder


async def test_the_first_question_does_not_wait_long_for_a_slow_refresh(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Nothing watching (a piped console): the first question refreshes, but answers from the saved index
    when the refresh is slow; the refresh finishes in the background."""
    import agent.knowledge.service as service_module

    service, embedder = await _saved_index_and_a_new_file(tmp_path)
    monkeypatch.setattr(service_module, "REFRESH_WAIT", 0.2)
    try:
        found = await asyncio.wait_for(service.search("how long are messages kept", k=3), timeout=WAIT / 2)
        assert "ninety" in found.hits[0].chunk.text
    finally:
        embedder.gate.set()
    await eventually(lambda: service._fresh)
    assert "glacier" in (await service.search("where are messages archived", k=3)).hits[0].chunk.text


async def test_a_question_that_races_a_starting_build_does_not_wait_for_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The question finds no build running and starts a refresh, but the watcher's build takes the lock
    first: the refresh stands down instead of queueing behind that build (with a question waiting on it)."""
    import agent.knowledge.service as service_module

    service, embedder = await _saved_index_and_a_new_file(tmp_path)
    await service._current()  # the saved index is in memory
    monkeypatch.setattr(service_module, "REFRESH_WAIT", 3600.0)  # a question would wait for its own refresh
    # the question finds the lock free and starts a refresh; the build, scheduled next, takes the lock first
    question = asyncio.create_task(service.search("how long are messages kept", k=3))
    build = asyncio.create_task(service.reindex())
    try:
        found = await asyncio.wait_for(question, timeout=WAIT / 2)
        assert "ninety" in found.hits[0].chunk.text and not build.done()
    finally:
        embedder.gate.set()
    await build


async def test_a_question_during_the_very_first_build_is_told_so_and_the_build_goes_on(tmp_path: Path) -> None:
    """A fresh start (no index saved): the first question waited for the whole build, past the tool's time
    limit on a slow machine, and was answered "took too long". It waits three quarters of that limit, then
    is told the documents are still being read; the build goes on, and the next question is answered."""
    from agent.errors import KnowledgeError

    docs(tmp_path / "kb")
    embedder = GatedEmbedder()  # held: the build stays in progress
    settings = make_settings(tmp_path, knowledge_dir=tmp_path / "kb", knowledge_min_relevance=0.0,
                             agent_tool_timeout_s=0.4)
    service = KnowledgeService(settings, lambda: embedder)
    with pytest.raises(KnowledgeError) as refused:
        await asyncio.wait_for(service.search("how long are messages kept", k=3), timeout=WAIT / 2)
    assert "still reading the knowledge folder for the first time" in refused.value.user_message
    embedder.gate.set()
    await service.prepare()  # what start-up does: waits for the build the question left running
    found = await service.search("how long are messages kept", k=3)
    assert "ninety" in found.hits[0].chunk.text
