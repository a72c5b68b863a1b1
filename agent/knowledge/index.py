"""The hybrid index: dense vectors in FAISS plus BM25 keywords, fused by reciprocal rank.

On disk (no pickle anywhere): ``CURRENT`` names the live version folder, which holds
``faiss.index`` (``faiss.write_index``), ``chunks.jsonl``, ``titles.json`` and ``titles.npy`` (the section
titles and their vectors, titles.py), ``manifest.json`` (file -> content hash
and chunk range, for incremental re-indexing) and ``meta.json`` (embedder name and dimension).
A new version is written to its own folder and ``CURRENT`` is swapped with ``os.replace``, so a
crash mid-index leaves the previous index in use. The folder's name is the version replicas follow
(:mod:`agent.knowledge.versions`). BM25 is rebuilt from the chunks on load (fast).
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from agent.guidance import in_scope
from agent.knowledge.chunking import Chunk
from agent.knowledge.ranking import Hit, answerable_first, fuse
from agent.knowledge.relevance import NO_SIGNAL, Signals, best_per_section, signals
from agent.knowledge.spelling import Spelling
from agent.knowledge.titles import SectionTitles
from agent.knowledge.versions import is_version, new_version, prune
from agent.words import content_words, stopwords

log = logging.getLogger(__name__)

FORMAT = 5  # bumped when chunks or their embedding text change: older indexes are rebuilt
# A word in this share of the sections is what the whole collection is about (a team's product name is in
# nearly every section of its handbook: "confab" in 92 % of ours, where the next word is in 46 %; no word of
# PubMedQA's abstracts passes 37 %). Every document holds such a word, so finding it there is no sign that the
# answer is: counted in the abstain model's word coverage, it answered "does confab support Microsoft Teams?" from
# the overview. Tried and not kept: embedding the question without it, for ranking (it moved thread follow-ups'
# near-ties the wrong way) and for the abstain model's similarity (it answered "who wrote confab?").
SUBJECT_SHARE = 0.6
SUBJECT_MIN_SECTIONS = 8  # fewer sections than this: too few to tell a subject from a shared word
_WORD = re.compile(r"[^\W_]+")
# Sidecars are UTF-8 JSON, but a string may hold a lone surrogate (a file name that was not UTF-8 comes
# back from the OS that way, PEP 383), which UTF-8 cannot encode. JSON only emits such characters inside
# strings, where backslashreplace writes exactly JSON's own escape (\udce9): the file stays valid UTF-8 and
# JSON, and reads back as the same string.
SIDECAR_ERRORS = "backslashreplace"


@dataclass(frozen=True, slots=True)
class Retrieval:
    hits: list[Hit]  # best first by fused score
    signals: Signals  # for the abstain decision (see relevance.py)


@dataclass(frozen=True, slots=True)
class FileEntry:
    digest: str
    first: int  # chunk range [first, last) in chunks.jsonl
    last: int




class HybridIndex:
    def __init__(self, chunks: list[Chunk], vectors: np.ndarray, manifest: dict[str, FileEntry],
                 embedder: str, skipped: dict[str, str] | None = None, titles: SectionTitles | None = None) -> None:
        import faiss

        self.chunks = chunks
        self.titles = titles  # None: passages are ranked by their own meaning only
        self.manifest = manifest
        self.embedder = embedder
        self.skipped = skipped or {}
        self.version: str | None = None  # its folder's name, once saved or loaded
        self.dim = int(vectors.shape[1]) if vectors.ndim == 2 and vectors.shape[1] else 0
        self.faiss = faiss.IndexFlatIP(max(self.dim, 1))
        if len(chunks):
            self.faiss.add(np.ascontiguousarray(vectors, dtype=np.float32))
        self._bm25: Any = None
        self._words: list[set[str]] = []
        self._document_words: dict[str, set[str]] = {}
        self._subject: frozenset[str] | None = None
        self._subject_stems_cache: set[str] | None = None
        self._scopes: dict[tuple[str, ...], tuple[np.ndarray, np.ndarray]] = {}
        self._spelling: Spelling | None = None

    def __len__(self) -> int:
        return len(self.chunks)

    def vectors(self, first: int, last: int) -> np.ndarray:
        """Stored vectors of chunks [first, last): unchanged files are not embedded again."""
        if last <= first:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.asarray(self.faiss.reconstruct_n(first, last - first), dtype=np.float32)

    # --- search ---------------------------------------------------------------------------

    def _keyword_index(self) -> Any:
        if self._bm25 is None:
            import bm25s

            tokens = content_words([c.embedding_text() for c in self.chunks])
            retriever = bm25s.BM25()
            retriever.index(tokens, show_progress=False)
            self._words = [set(t) for t in tokens]
            self._document_words = {}
            for chunk, words in zip(self.chunks, self._words, strict=True):
                self._document_words.setdefault(chunk.source, set()).update(words)
            self._bm25 = retriever
        return self._bm25

    def spelling(self) -> Spelling:
        """Reads a question's typos as the collection's words (spelling.py)."""
        if self._spelling is None:
            stems = self._keyword_index().vocab_dict
            self._spelling = Spelling((c.embedding_text() for c in self.chunks), stems)
        return self._spelling

    def subject(self) -> frozenset[str]:
        """The collection's subject words (lower case): in at least SUBJECT_SHARE of its sections."""
        if self._subject is None:
            sections: dict[tuple[str, str], set[str]] = {}
            for chunk in self.chunks:
                sections.setdefault((chunk.source, chunk.heading), set()).update(
                    _WORD.findall(chunk.text.lower()))
            counts: dict[str, int] = {}
            for words in sections.values():
                for word in words:
                    counts[word] = counts.get(word, 0) + 1
            stop = set(stopwords())
            needed = SUBJECT_SHARE * len(sections)
            self._subject = frozenset(
                word for word, n in counts.items() if n >= needed and word not in stop and not word.isdigit()
            ) if len(sections) >= SUBJECT_MIN_SECTIONS else frozenset()
        return self._subject

    def _subject_stems(self) -> set[str]:
        """The subject words as the question's words are compared (stemmed)."""
        if self._subject_stems_cache is None:
            self._subject_stems_cache = set(content_words([" ".join(sorted(self.subject()))])[0])
        return self._subject_stems_cache

    def search(self, query: str, query_vector: np.ndarray, k: int = 5, pool: int = 50,
               scope: tuple[str, ...] = (), threshold: float | None = None) -> Retrieval:
        """The ``k`` best passages for the question and the abstain model's signals. ``scope``: only passages
        of documents in these folders (agent/guidance.py) are candidates: ranked, quoted and judged among
        themselves; the answer's competition (the gap signal) is still the whole collection's, so a question
        answered only outside the scope looks as unanswered here as it is. ``threshold``: the relevance an answer
        needs (ranking.answerable_first)."""
        if not self.chunks:
            return Retrieval([], NO_SIGNAL)
        vector = np.asarray(query_vector, dtype=np.float32).reshape(1, -1)
        pool = min(max(pool, k, 10), len(self.chunks))
        similarities, ids = self.faiss.search(vector, pool)
        everywhere = [(int(i), float(s)) for i, s in zip(ids[0], similarities[0], strict=True) if i >= 0]
        dense, mask = everywhere, None
        if scope:
            allowed, mask = self._scoped(scope)
            if not len(allowed):
                return Retrieval([], NO_SIGNAL)
            dense = self._dense_within(vector, allowed, pool)
        query_words, keyword = self._keyword_hits(query, pool, mask)
        dense_score = dict(dense)
        by_meaning = self._with_titles(vector, dense, dense_score, pool, mask)
        fused = fuse(by_meaning, keyword)
        keyword_score = dict(keyword)
        self._similarities(vector, [i for i, _ in fused[:k]], dense_score)  # keyword-only hits too
        hits = [Hit(self.chunks[i], score, dense_score[i], keyword_score.get(i, 0.0)) for i, score in fused[:k]]
        # coverage is judged over the whole document of the passage the answer quotes (the fused first): chunking
        # must not hide the answer's words. The passage nearest by meaning alone was judged before, and when it was
        # another document, the quoted answer was refused for lacking words its own document has.
        # The subject's words are in every document, so finding them there is no sign that the answer is.
        topic_words = query_words - self._subject_stems() or query_words
        ranked = dense if not scope or not dense else [dense[0], *everywhere]
        competition = best_per_section((self.chunks[i].source, self.chunks[i].heading, s) for i, s in ranked)

        def judged(hit: Hit) -> Signals:
            return signals(competition, topic_words, self._document_words[hit.chunk.source])

        hits = answerable_first(hits, lambda hit: judged(hit).relevance(), threshold)
        return Retrieval(hits, judged(hits[0]) if hits else signals(competition, topic_words, set()))

    def _similarities(self, vector: np.ndarray, ids: list[int], known: dict[int, float]) -> None:
        """Fill in the cosine similarity of the passages ``ids`` that ``known`` lacks."""
        missing = [i for i in ids if i not in known]
        if missing:
            stored = np.stack([self.faiss.reconstruct(i) for i in missing])
            for i, s in zip(missing, stored @ vector.ravel(), strict=True):
                known[i] = float(s)

    def _with_titles(self, vector: np.ndarray, dense: list[tuple[int, float]], similarity: dict[int, float],
                     pool: int, mask: np.ndarray | None) -> list[tuple[int, float]]:
        """The ranking by meaning: each passage's similarity plus its section title's boost (titles.py), over
        the nearest passages and those under the titles nearest the question (``similarity`` is filled in)."""
        if self.titles is None:
            return dense
        boosts = self.titles.boosts(vector)
        headed = [i for i in self.titles.nearest_passages(boosts, pool) if mask is None or mask[i]]
        self._similarities(vector, headed, similarity)
        candidates = {i for i, _ in dense} | set(headed)
        ranked = sorted(((i, similarity[i] + self.titles.boost_of(boosts, i)) for i in candidates),
                        key=lambda item: item[1], reverse=True)
        return ranked[:pool]

    def _scoped(self, scope: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
        """The ids of the chunks in ``scope``'s folders, and the same as a 0/1 mask (cached per scope)."""
        if (cached := self._scopes.get(scope)) is None:
            mask = np.array([in_scope(c.source, scope) for c in self.chunks], dtype=np.float32)
            cached = self._scopes[scope] = (np.flatnonzero(mask).astype(np.int64), mask)
        return cached

    def _dense_within(self, vector: np.ndarray, allowed: np.ndarray, pool: int) -> list[tuple[int, float]]:
        import faiss

        selector = faiss.IDSelectorBatch(allowed)  # held here while the search runs: params don't own it
        params = faiss.SearchParameters()
        params.sel = selector
        similarities, ids = self.faiss.search(vector, min(pool, len(allowed)), params=params)
        return [(int(i), float(s)) for i, s in zip(ids[0], similarities[0], strict=True) if i >= 0]

    def _keyword_hits(self, query: str, pool: int, mask: np.ndarray | None = None
                      ) -> tuple[set[str], list[tuple[int, float]]]:
        """The query's content words, and the BM25 ranking (of the chunks ``mask`` weighs 1, when given)."""
        retriever = self._keyword_index()
        words = content_words([query])[0]
        known = [t for t in words if t in retriever.vocab_dict]
        if not known or set(known) <= self._subject_stems():
            # "what is confab?": a word every section has ranks the passages by their length, not by what they say
            return set(words), []
        ids, scores = retriever.retrieve([known], k=pool, show_progress=False, weight_mask=mask)
        return set(words), [(int(i), float(s)) for i, s in zip(ids[0], scores[0], strict=True) if s > 0]

    # --- persistence ----------------------------------------------------------------------

    def save(self, root: Path) -> Path:
        """Write a new version folder and make it current atomically; returns the folder."""
        import faiss

        root.mkdir(parents=True, exist_ok=True)
        folder = root / new_version(os.getpid())
        tmp = folder.with_name(folder.name + ".tmp")
        tmp.mkdir()
        try:
            faiss.write_index(self.faiss, str(tmp / "faiss.index"))
            if self.titles is not None:
                _write_json(tmp / "titles.json", self.titles.texts)
                np.save(tmp / "titles.npy", self.titles.vectors, allow_pickle=False)
            with (tmp / "chunks.jsonl").open("w", encoding="utf-8", errors=SIDECAR_ERRORS) as out:
                for chunk in self.chunks:
                    out.write(json.dumps(asdict(chunk), ensure_ascii=False) + "\n")
            _write_json(tmp / "manifest.json", {rel: asdict(e) for rel, e in self.manifest.items()})
            _write_json(tmp / "meta.json", {"format": FORMAT, "embedder": self.embedder, "dim": self.dim,
                                            "chunks": len(self.chunks), "files": len(self.manifest),
                                            "skipped": self.skipped, "built_at": time.time()})
            tmp.rename(folder)
            self.version = folder.name
            pointer = root / "CURRENT.tmp"
            pointer.write_text(folder.name, encoding="utf-8")
            os.replace(pointer, root / "CURRENT")
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        prune(root, keep=folder.name)
        return folder

    @classmethod
    def load(cls, root: Path, version: str | None = None) -> HybridIndex | None:
        """The current version (or ``version``, a folder name), or None when there is none or it is
        unreadable (then it is rebuilt)."""
        import faiss

        try:
            name = version if version is not None else (root / "CURRENT").read_text(encoding="utf-8").strip()
            if not is_version(name):  # a version learned from Redis names a folder here, nothing else
                log.warning("not a knowledge index version", extra={"version": name[:100]})
                return None
            folder = root / name
            meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
            if meta.get("format") != FORMAT:
                return None
            with (folder / "chunks.jsonl").open(encoding="utf-8") as lines:
                chunks = [Chunk(**json.loads(line)) for line in lines if line.strip()]
            manifest = {rel: FileEntry(**e) for rel, e in
                        json.loads((folder / "manifest.json").read_text(encoding="utf-8")).items()}
            stored = faiss.read_index(str(folder / "faiss.index"))
            titled = (folder / "titles.json").exists()
            title_texts = json.loads((folder / "titles.json").read_text(encoding="utf-8")) if titled else []
            title_vectors = np.load(folder / "titles.npy", allow_pickle=False) if titled else None
        except FileNotFoundError:
            return None
        except Exception as exc:
            log.warning("knowledge index unreadable; it will be rebuilt", extra={"error": f"{exc!r}"})
            return None
        if stored.ntotal != len(chunks):
            log.warning("knowledge index inconsistent; it will be rebuilt")
            return None
        vectors = (np.asarray(stored.reconstruct_n(0, stored.ntotal), dtype=np.float32) if stored.ntotal
                   else np.zeros((0, int(meta.get("dim", 0))), dtype=np.float32))
        titles = SectionTitles(title_texts, title_vectors, chunks) if title_vectors is not None else None
        index = cls(chunks, vectors, manifest, str(meta.get("embedder", "")), meta.get("skipped", {}), titles)
        index.dim = int(meta.get("dim", index.dim))
        index.version = name
        return index


def _write_json(path: Path, value: Any) -> None:
    path.write_text(json.dumps(value, ensure_ascii=False, indent=1), encoding="utf-8", errors=SIDECAR_ERRORS)
