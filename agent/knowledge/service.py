"""The knowledge feature: keeps the index current and answers searches.

The first search builds or refreshes the index (incrementally: only what changed since the last
run is embedded). Under ``confab run`` the folder is watched (watchfiles) and re-indexed in the
background; ``/reindex`` does it on demand. Embedding runs in a worker thread, never on the loop.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from agent.embeddings import Embedder
from agent.errors import KnowledgeError
from agent.knowledge.builder import BuildReport, Progress, build_index
from agent.knowledge.index import Hit, HybridIndex
from agent.settings import Settings

log = logging.getLogger(__name__)

MAX_K = 10


@dataclass(frozen=True, slots=True)
class SearchResult:
    hits: list[Hit]  # relevant passages, best first (empty when abstaining)
    abstained: bool
    relevance: float  # estimated probability that the answer is in the passages (relevance.py)
    threshold: float
    documents: int  # files in the index


class KnowledgeService:
    def __init__(self, settings: Settings, embedder: Callable[[], Embedder]) -> None:
        self.settings = settings
        self._embedder = embedder  # created on first use: the local model takes a moment to load
        self._index: HybridIndex | None = None
        self._fresh = False  # checked against the folder since start-up
        self._lock = asyncio.Lock()

    @property
    def root(self) -> Path:
        return self.settings.knowledge_dir

    @property
    def index_dir(self) -> Path:
        return self.settings.knowledge_index_dir

    def threshold(self) -> float:
        return self.settings.knowledge_min_relevance

    async def reindex(self, progress: Progress | None = None) -> BuildReport:
        """Bring the index up to date with the folder (incremental); safe to call concurrently."""
        async with self._lock:
            previous = self._index
            if previous is None:
                previous = await asyncio.to_thread(HybridIndex.load, self.index_dir)
            max_bytes = int(self.settings.max_file_mb * 1024 * 1024)
            try:
                index, report = await asyncio.to_thread(build_index, self.root, self.index_dir,
                                                        self._embedder(), max_bytes, previous, progress)
            except OSError as exc:
                log.exception("knowledge index could not be written")
                raise KnowledgeError(f"index not written: {exc}") from exc
            self._index, self._fresh = index, True
            for skipped in report.skipped:
                log.warning("knowledge file skipped", extra={"file": skipped.rel, "reason": skipped.reason})
            return report

    async def index(self) -> HybridIndex:
        if not self._fresh:
            await self.reindex()
        assert self._index is not None
        return self._index

    async def search(self, query: str, k: int = 5) -> SearchResult:
        index = await self.index()
        threshold = self.threshold()
        documents = len(index.manifest)
        query = " ".join(query.split())[:2000]
        if not query or not len(index):
            return SearchResult([], True, 0.0, threshold, documents)
        vector = (await self._embedder().aembed([query]))[0]
        found = await asyncio.to_thread(index.search, query, vector, max(1, min(k, MAX_K)))
        relevance = found.signals.relevance()
        abstained = relevance < threshold or not found.hits
        return SearchResult([] if abstained else found.hits, abstained, relevance, threshold, documents)

    async def background(self) -> None:
        """Re-index when the folder changes (watchfiles), until cancelled."""
        if not self.settings.knowledge_watch or not self.root.is_dir():
            return
        from watchfiles import awatch

        try:
            await self.reindex()
        except Exception:
            log.exception("initial knowledge index failed")
        async for changes in awatch(self.root, debounce=1500, recursive=True):
            paths = [Path(p) for _, p in changes]
            if all(any(part.startswith(".") for part in p.relative_to(self.root).parts) for p in paths
                   if p.is_relative_to(self.root)):
                continue
            try:
                report = await self.reindex()
                log.info("knowledge folder changed; re-indexed",
                         extra={"embedded": len(report.embedded), "removed": len(report.removed)})
            except Exception:
                log.exception("background re-index failed; the previous index stays in use")
