"""Section titles as a second signal of meaning, beside each passage's own.

A team's handbook is written in sections whose titles name what they answer ("Try it locally", "While Confab is
answering"), and people ask in those terms: "how do I try it out on my laptop?" is far from that section's body,
which talks of `make demo` and `.venv` (cosine 0.12 with the small local model), and near its title (0.33). Each
distinct title is embedded once; a passage's meaning score is its own similarity plus TITLE_WEIGHT times its
title's. A title that several documents share tells them apart that much less: its weight is divided by their
number, so the labels every abstract has ("RESULTS", "METHODS") count for nothing (PubMedQA is unchanged:
R@1 0.992, abstain check 93.0 % / 96.8 %).

The abstain model still reads the passages' own similarity (relevance.py was fitted on it).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from agent.embeddings import Embedder
from agent.knowledge.chunking import Chunk

TITLE_WEIGHT = 0.5
TOP_TITLES = 5  # the passages of the titles nearest the question join the candidates of the ranking by meaning


def title_of(chunk: Chunk) -> str:
    """The heading path ("Deployment > Try it locally"), or the file's name for text before any heading."""
    return chunk.heading or chunk.source.rsplit("/", 1)[-1].rsplit(".", 1)[0].replace("-", " ").replace("_", " ")


class SectionTitles:
    """The distinct titles of a collection's passages, their vectors, and which passages each one heads."""

    def __init__(self, texts: list[str], vectors: np.ndarray, chunks: Sequence[Chunk]) -> None:
        self.texts = texts
        self.vectors = np.asarray(vectors, dtype=np.float32)
        position = {text: n for n, text in enumerate(texts)}
        self.of_chunk = np.array([position.get(title_of(c), -1) for c in chunks], dtype=np.int64)
        headed: list[list[int]] = [[] for _ in texts]
        documents: list[set[str]] = [set() for _ in texts]
        for i, (chunk, title) in enumerate(zip(chunks, self.of_chunk, strict=True)):
            if title >= 0:
                headed[title].append(i)
                documents[title].add(chunk.source)
        self.passages = [np.array(ids, dtype=np.int64) for ids in headed]
        self.weights = np.array([TITLE_WEIGHT / max(1, len(d)) for d in documents], dtype=np.float32)

    @classmethod
    def embedded(cls, chunks: Sequence[Chunk], embedder: Embedder,
                 previous: SectionTitles | None = None) -> SectionTitles:
        """The titles of ``chunks``, embedding only those ``previous`` (same embedder) does not hold."""
        texts = sorted({title_of(c) for c in chunks})
        known = dict(zip(previous.texts, previous.vectors, strict=True)) if previous is not None else {}
        missing = [t for t in texts if t not in known]
        if missing:
            known.update(zip(missing, np.asarray(embedder.embed(missing), dtype=np.float32), strict=True))
        vectors = np.stack([known[t] for t in texts]) if texts else np.zeros((0, embedder.dim), dtype=np.float32)
        return cls(texts, vectors, chunks)

    def over(self, chunks: Sequence[Chunk]) -> SectionTitles:
        """The same titles and vectors for another list of passages (a subset, or the passages repeated)."""
        return SectionTitles(self.texts, self.vectors, chunks)

    def boosts(self, query_vector: np.ndarray) -> np.ndarray:
        """Per title: its weight times its similarity to the question."""
        if not self.texts:
            return np.zeros(0, dtype=np.float32)
        return self.weights * (self.vectors @ np.asarray(query_vector, dtype=np.float32).ravel())

    def boost_of(self, boosts: np.ndarray, chunk: int) -> float:
        title = int(self.of_chunk[chunk])
        return float(boosts[title]) if title >= 0 else 0.0

    def nearest_passages(self, boosts: np.ndarray, limit: int) -> list[int]:
        """The passages under the TOP_TITLES titles of highest boost (titles heading more than ``limit``
        passages are left out: such a title is shared, its boost near nothing)."""
        found: list[int] = []
        for title in np.argsort(-boosts)[:TOP_TITLES]:
            if boosts[title] > 0 and len(self.passages[title]) <= limit:
                found.extend(int(i) for i in self.passages[title])
        return found
