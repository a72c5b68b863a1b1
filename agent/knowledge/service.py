"""The knowledge feature: keeps the index current and answers searches.

The first search builds or refreshes the index (incrementally: only what changed since the last
run is embedded). Under ``confab run`` the folder is watched (watchfiles) and re-indexed in the
background; ``/reindex`` does it on demand. Embedding runs in a worker thread, never on the loop.
A build never holds searches up: they use the previous index (in memory, or the one saved last run)
until the new one is complete and swapped in; only a question with no index at all waits for one.

Replicas (issue 21): only the indexer (role ``all`` or ``indexer``) watches the folder and builds; each
build is a new version folder whose name it publishes (:mod:`agent.state.versions`). ``/reindex`` on
another role asks the indexer (a request published on the same board), waits for its report, and loads
the version it names before answering. Every other role
loads the current version from the shared index folder and follows the published ones: it loads a new
version fully, then swaps it in, answering from the previous one meanwhile. The abstain model needs
nothing from the build: its coefficients are constants and its signals are computed per question from
the version's vectors and chunks (BM25 and each document's words are rebuilt from them on load), so a
follower with the same embedder abstains exactly as the indexer would.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from functools import cache
from pathlib import Path

from agent.embeddings import Embedder
from agent.errors import KnowledgeError
from agent.guidance import in_scope
from agent.knowledge.builder import BuildReport, Progress, build_index
from agent.knowledge.index import HybridIndex
from agent.knowledge.loaders import MB, Skipped, discover, display_name
from agent.knowledge.publisher import VERSIONS, Publisher
from agent.knowledge.ranking import Hit
from agent.knowledge.versions import is_version
from agent.knowledge.watcher import watch_folder
from agent.settings import Settings
from agent.state.versions import CHECK_S, MemoryVersionBoard, VersionBoard

log = logging.getLogger(__name__)

MAX_K = 10
REINDEX = "knowledge-reindex"  # requests to the indexer: "<request id>"
REINDEXED = "knowledge-reindexed"  # its answers: "<request id> <the build report as JSON>"
FORWARD_WAIT_S = 120.0  # how long /reindex on another role waits for the indexer's report
STALE_REQUEST_S = 60.0  # a request older than this when the indexer first sees it is not served
REFRESH_WAIT = 5.0  # seconds a question waits for the refresh it started before using the previous index
# the longest a question waits for the very first build (none to answer from yet), as a share of the tool's
# time limit: past it, the question is told the documents are still being read, while the build goes on
FIRST_BUILD_SHARE = 0.75
FIRST_BUILD = ("I'm still reading the knowledge folder for the first time ({files} files; the first start also "
               "prepares the local embedding model). Ask again in a minute.")
INDEXER_ROLES = frozenset({"all", "indexer"})


@dataclass(frozen=True, slots=True)
class SearchResult:
    hits: list[Hit]  # relevant passages, best first (empty when abstaining)
    abstained: bool
    relevance: float  # estimated probability that the answer is in the passages (relevance.py)
    threshold: float
    documents: int  # files in the index (in the scope's folders, when scoped)
    scope: tuple[str, ...] = ()  # the knowledge folders searched (agent/guidance.py); empty: all
    read_as: tuple[tuple[str, str], ...] = ()  # the question's typos, as read (spelling.py): (typed, word)


class KnowledgeService:
    def __init__(self, settings: Settings, embedder: Callable[[], Embedder], versions: VersionBoard | None = None,
                 *, check_s: float = CHECK_S, forward_wait_s: float = FORWARD_WAIT_S) -> None:
        """``versions``: where the indexer publishes and replicas learn index versions (``State.versions``);
        ``check_s``: how often they are checked when no message arrives; ``forward_wait_s``: how long a
        replica's /reindex waits for the indexer."""
        self.settings = settings
        self._embedder = embedder  # created on first use: the local model takes a moment to load
        # resolved once: the watcher reports absolute, real paths, whatever form CONFAB_KNOWLEDGE_DIR takes
        # (relative, with "..", through a symlink, with a trailing slash)
        self._root = settings.knowledge_dir.resolve()
        self._index_dir = settings.knowledge_index_dir.resolve()
        self._index: HybridIndex | None = None  # the one searches use; replaced when a build finishes
        self._looked_on_disk = False
        self._fresh = False  # checked against the folder since start-up
        self._lock = asyncio.Lock()  # one build at a time (searches never take it)
        self._load_lock = asyncio.Lock()
        self._refresh: asyncio.Task[None] | None = None
        self._versions = versions if versions is not None else MemoryVersionBoard()
        self._check_s = check_s
        self._publisher = Publisher(self._versions)
        self.watching = False  # True while this process watches the folder (only ever the indexer)
        self._refused: set[str | None] = set()  # versions not loaded (logged once each; None: no CURRENT)
        self._forward_wait_s = forward_wait_s
        self._served: set[str] = set()  # reindex requests this indexer has answered

    @property
    def indexer(self) -> bool:
        """True when this process builds the index and watches the folder; other roles follow its versions."""
        return self.settings.role in INDEXER_ROLES

    @property
    def root(self) -> Path:
        return self._root

    @property
    def index_dir(self) -> Path:
        return self._index_dir

    def threshold(self) -> float:
        return self.settings.knowledge_min_relevance

    async def reindex(self, progress: Progress | None = None) -> BuildReport:
        """Bring the index up to date with the folder (incremental); safe to call concurrently.

        Searches meanwhile use the previous index; the new one replaces it when it is complete."""
        if not self.indexer:
            return await self._ask_indexer()
        async with self._lock:
            return await self._build(progress)

    async def _ask_indexer(self) -> BuildReport:
        """Publish a reindex request, wait for the indexer's report, load the version it names."""
        request = f"{time.time():.3f}-{secrets.token_hex(4)}"
        answered: asyncio.Future[BuildReport] = asyncio.get_running_loop().create_future()

        async def on_answer(value: str) -> None:
            served, _, report = value.partition(" ")
            if served == request and not answered.done():
                answered.set_result(report_from_json(report))

        listening = asyncio.create_task(self._versions.follow(REINDEXED, on_answer, self._check_s))
        try:
            await self._versions.publish(REINDEX, request)
            async with asyncio.timeout(self._forward_wait_s):
                report = await answered
        except TimeoutError:
            raise KnowledgeError(f"no indexer answered reindex request {request}",
                                 f"I asked the indexer to re-read the knowledge folder, but no indexer answered "
                                 f"within {self._forward_wait_s:.0f} s. Check that a process with "
                                 f"CONFAB_ROLE=indexer is running.") from None
        except Exception as exc:  # the board is unreachable
            raise KnowledgeError(f"reindex request not sent: {exc!r}"[:300],
                                 "I couldn't reach the indexer (Redis is unreachable); try again shortly.") from exc
        finally:
            listening.cancel()
            await asyncio.gather(listening, return_exceptions=True)
        await self._adopt(report.version)
        return report

    async def _serve(self, request: str) -> None:
        """The indexer: rebuild for a replica's /reindex and publish the report under the request's id."""
        stamp, _, _ = request.partition("-")
        if request in self._served or not _fresh(stamp):
            self._served.add(request)
            return
        self._served.add(request)
        try:
            report = await self.reindex()
        except Exception:
            log.exception("reindex requested by a replica failed", extra={"request": request})
            return
        try:
            await self._versions.publish(REINDEXED, f"{request} {report_to_json(report)}")
        except Exception as exc:
            log.warning("reindex report not published", extra={"request": request, "error": repr(exc)[:300]})

    async def _build(self, progress: Progress | None) -> BuildReport:
        previous = await self._current()
        settings = self.settings
        try:
            index, report = await asyncio.to_thread(
                build_index, self._root, self._index_dir, self._embedder(), int(settings.max_file_mb * MB),
                previous, progress, max_seconds=settings.max_extract_seconds,
                max_text_chars=int(settings.max_text_mb * MB))
        except OSError as exc:
            log.exception("knowledge index could not be written")
            raise KnowledgeError(f"index not written: {exc}") from exc
        self._index, self._fresh = index, True
        report.version = index.version
        await self._publisher.publish(index.version)
        for skipped in report.skipped:
            log.warning("knowledge file skipped", extra={"file": display_name(skipped.rel), "reason": skipped.reason})
        return report

    async def _current(self) -> HybridIndex | None:
        """The index in use: in memory, else the last one saved (looked for once), else None."""
        if self._index is None and not self._looked_on_disk:
            async with self._load_lock:
                if self._index is None and not self._looked_on_disk:
                    saved = await asyncio.to_thread(HybridIndex.load, self._index_dir)
                    self._index = self._index or saved
                    self._looked_on_disk = True
        return self._index

    async def index(self) -> HybridIndex:
        """The index to search now; a build in progress never holds a question up when there is an index
        to answer from. The first question since start-up refreshes the index (when nothing watches the
        folder), waiting for that at most REFRESH_WAIT seconds before answering from the previous one.
        A replica never builds: it loads the current version (looked for at every question until the
        indexer has written one); until then it answers from an empty index (it abstains)."""
        if not self.indexer:
            if self._index is None:
                await self._adopt(None)
            return self._index or _empty()
        current = self._index if self._fresh else await self._current()
        if current is None:  # nothing to answer from yet: wait for the first build, within the tool's time
            build = self._start_refresh(when_idle=False)
            wait_s = FIRST_BUILD_SHARE * self.settings.agent_tool_timeout_s
            done, _ = await asyncio.wait({build}, timeout=wait_s)
            if not done or self._index is None:
                if build.done() and build.exception() is not None:
                    raise KnowledgeError(f"first knowledge build failed: {build.exception()!r}"[:300])
                found, _ = await asyncio.to_thread(discover, self._root, int(self.settings.max_file_mb * MB))
                files = len(found)  # what the build indexes: the same walk, loops and special files passed over
                raise KnowledgeError(f"first knowledge build still running after {wait_s:.0f} s",
                                     FIRST_BUILD.format(files=files))
            return self._index
        if not self._fresh and not self._lock.locked():
            await asyncio.wait({self._start_refresh(when_idle=True)}, timeout=REFRESH_WAIT)
        return self._index or current

    def _start_refresh(self, when_idle: bool) -> asyncio.Task[None]:
        if self._refresh is None or self._refresh.done():
            self._refresh = asyncio.create_task(self._refresh_once(when_idle), name="confab-knowledge-refresh")
            self._refresh.add_done_callback(_note_failure)
        return self._refresh

    async def _refresh_once(self, when_idle: bool) -> None:
        if when_idle and self._lock.locked():
            return  # a build started meanwhile (the watcher, /reindex): it refreshes; nobody waits for it
        async with self._lock:
            if not self._fresh:  # a build that held the lock may have just done it
                await self._build(None)

    async def search(self, query: str, k: int = 5, scope: tuple[str, ...] = ()) -> SearchResult:
        """The passages that answer ``query``, or an abstention; ``scope``: only from these knowledge folders."""
        index = await self.index()
        threshold = self.threshold()
        documents = sum(1 for rel in index.manifest if in_scope(rel, scope)) if scope else len(index.manifest)
        query = " ".join(query.split())[:2000]
        if not query or not len(index) or not documents:
            return SearchResult([], True, 0.0, threshold, documents, scope)
        query, read_as = await asyncio.to_thread(index.spelling().correct, query)
        vector = (await self._embedder().aembed([query]))[0]
        found = await asyncio.to_thread(index.search, query, vector, max(1, min(k, MAX_K)), scope=scope,
                                        threshold=threshold)
        relevance = found.signals.relevance()
        abstained = relevance < threshold or not found.hits
        return SearchResult([] if abstained else found.hits, abstained, relevance, threshold, documents, scope,
                            tuple(read_as))

    async def prepare(self) -> None:
        """The index ready now (built, or loaded from the last run), not at the first question: the first
        build embeds every document and, on a first start, waits for the local model to be prepared."""
        try:
            await self.index()
        except KnowledgeError:
            if self._refresh is not None:  # the build goes on past a question's wait; wait for it here
                await asyncio.gather(self._refresh, return_exceptions=True)
        except Exception:
            log.exception("preparing the knowledge index failed; the first question retries")

    async def background(self) -> None:
        """Until cancelled: the indexer re-indexes when the folder changes and publishes each version (and,
        when replicas share the board, checks every ``check_s`` that it holds the current one: Redis may
        have restarted empty, or been unreachable); any other role follows the published versions."""
        if not self.indexer:
            await self._versions.follow(VERSIONS, self._adopt, self._check_s)
        elif self._versions.shared:
            async with asyncio.TaskGroup() as tasks:
                tasks.create_task(self._watch())
                tasks.create_task(self._publisher.keep(self._version, self._check_s))
                tasks.create_task(self._versions.follow(REINDEX, self._serve, self._check_s))
        else:
            await self._watch()

    async def _watch(self) -> None:
        """Re-index when the folder changes, until cancelled (when watching is on)."""
        if not self.settings.knowledge_watch or not self._root.is_dir():
            return
        self.watching = True
        try:
            await watch_folder(self._root, self._reindex_logged)
        finally:
            self.watching = False

    def _version(self) -> str | None:
        return self._index.version if self._index is not None else None

    def _has(self, version: str | None) -> bool:
        return self._index is not None and (version is None or self._index.version == version)

    async def _adopt(self, version: str | None) -> None:
        """Load a published version (None: the one ``CURRENT`` names) fully, then swap it in; the index in
        use answers meanwhile. A version built with another embedder is refused: its vectors would not
        compare with this process's questions."""
        if self._has(version):
            return
        async with self._load_lock:
            if self._has(version):
                return
            named = version is None or is_version(version)  # a name from Redis only ever names a folder here
            loaded = await asyncio.to_thread(HybridIndex.load, self._index_dir, version) if named else None
            embedder = self._embedder().name
            if loaded is None or loaded.embedder != embedder:
                name = loaded.version if loaded is not None else version
                if name not in self._refused:  # tried again at each check: a shared volume may show it late
                    log.warning("knowledge index version not loaded; the current one stays in use",
                                extra={"version": name, "built_by": loaded and loaded.embedder, "embedder": embedder})
                self._refused.add(name)
                return
            self._index = loaded
        log.info("knowledge index version swapped in", extra={"version": loaded.version, "chunks": len(loaded)})

    async def _reindex_logged(self, failure: str) -> BuildReport | None:
        try:
            return await self.reindex()
        except Exception:
            log.exception(failure)
            return None


def _fresh(stamp: str) -> bool:
    try:
        return time.time() - float(stamp) < STALE_REQUEST_S
    except ValueError:
        return False


def report_to_json(report: BuildReport) -> str:
    """What the indexer tells the replica that asked (ASCII JSON: a file name that was not UTF-8 stays escaped)."""
    return json.dumps(asdict(report))


def report_from_json(text: str) -> BuildReport:
    """The indexer's report; a damaged one still answers (as an empty report) rather than hanging the asker."""
    try:
        data = json.loads(text)
        data["skipped"] = [Skipped(**item) for item in data.get("skipped", [])]
        return BuildReport(**data)
    except (ValueError, TypeError, KeyError):
        log.warning("damaged reindex report", extra={"report": text[:200]})
        return BuildReport()


@cache
def _empty() -> HybridIndex:
    """What a replica answers from before the indexer has written a version: nothing (it abstains)."""
    import numpy as np

    return HybridIndex([], np.zeros((0, 0), dtype=np.float32), {}, "")


def _note_failure(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and (error := task.exception()) is not None:
        log.warning("knowledge refresh failed; the previous index stays in use", extra={"error": repr(error)[:300]})
