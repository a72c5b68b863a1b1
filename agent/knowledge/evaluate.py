"""``confab eval retrieval``: document-level R@k, nDCG@10 and MRR over a chunk-level index, and
how often Confab abstains when the answer's documents are removed from the index.

Queries are JSONL lines ``{"question": ..., "gold_doc_ids": [file stem, ...]}``. A chunk's document
id is its file's stem; a ranking of chunks becomes a ranking of documents by first appearance.
"""

from __future__ import annotations

import json
import math
import random
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from agent.embeddings import Embedder
from agent.knowledge.builder import build_index
from agent.knowledge.index import HybridIndex

POOL = 100  # chunks retrieved per query; enough for 10 distinct documents


@dataclass(frozen=True, slots=True)
class Query:
    question: str
    gold: frozenset[str]


def read_queries(path: Path) -> tuple[list[Query], int]:
    queries, bad = [], 0
    for line in path.read_text(encoding="utf-8", errors="replace").split("\n"):  # not splitlines: JSON may hold U+2028
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            question, gold = row["question"], row["gold_doc_ids"]
            if not isinstance(question, str) or not question.strip() or not isinstance(gold, list) or not gold:
                raise ValueError("empty")
            queries.append(Query(question, frozenset(str(g) for g in gold)))
        except (ValueError, KeyError, TypeError):
            bad += 1
    return queries, bad


def doc_id(source: str) -> str:
    return Path(source).stem


def ranked_documents(index: HybridIndex, question: str, vector: np.ndarray, threshold: float,
                     depth: int = 10) -> tuple[list[str], float]:
    """Documents by first appearance in the chunk ranking, and the estimated relevance (relevance.py), ranked as
    Confab ranks them at that abstain ``threshold``."""
    found = index.search(question, vector, k=POOL, pool=POOL, threshold=threshold)
    documents: list[str] = []
    for hit in found.hits:
        d = doc_id(hit.chunk.source)
        if d not in documents:
            documents.append(d)
    return documents[:depth], found.signals.relevance()


def metrics(rankings: list[tuple[list[str], frozenset[str]]]) -> dict[str, float]:
    n = max(1, len(rankings))
    out = {"recall@1": 0.0, "recall@5": 0.0, "recall@10": 0.0, "ndcg@10": 0.0, "mrr": 0.0}
    for ranked, gold in rankings:
        for k in (1, 5, 10):
            out[f"recall@{k}"] += len(gold & set(ranked[:k])) / len(gold)
        gains = sum(1 / math.log2(i + 2) for i, d in enumerate(ranked[:10]) if d in gold)
        ideal = sum(1 / math.log2(i + 2) for i in range(min(len(gold), 10)))
        out["ndcg@10"] += gains / ideal
        out["mrr"] += next((1 / (i + 1) for i, d in enumerate(ranked) if d in gold), 0.0)
    return {k: v / n for k, v in out.items()}


def evaluate(docs: Path, queries: list[Query], embedder: Embedder, work: Path, threshold: float,
             abstain_check: int = 0, seed: int = 13) -> dict[str, Any]:
    started = time.perf_counter()
    index, report = build_index(docs, work / "index", embedder, 50 * 1024 * 1024)
    build_s = time.perf_counter() - started
    vectors = embedder.embed([q.question for q in queries])
    started = time.perf_counter()
    rankings = [(ranked_documents(index, q.question, v, threshold)[0], q.gold)
                for q, v in zip(queries, vectors, strict=True)]
    per_query_ms = (time.perf_counter() - started) * 1000 / max(1, len(queries))
    result: dict[str, Any] = metrics(rankings) | {
        "queries": len(queries), "documents": report.files, "chunks": report.chunks,
        "index_seconds": round(build_s, 2), "search_ms_per_query": round(per_query_ms, 2),
    }
    if abstain_check:
        result |= _abstain_check(docs, queries, vectors, embedder, work, threshold, abstain_check, seed, index)
    return result


def _abstain_check(docs: Path, queries: list[Query], vectors: np.ndarray, embedder: Embedder, work: Path,
                   threshold: float, n: int, seed: int, full: HybridIndex) -> dict[str, Any]:
    """Remove the gold documents of ``n`` random queries; those should abstain, the rest still answer."""
    rng = random.Random(seed)
    chosen = set(rng.sample(range(len(queries)), min(n, len(queries))))
    removed = set().union(*(queries[i].gold for i in chosen))
    keep = [c for c in range(len(full)) if doc_id(full.chunks[c].source) not in removed]
    kept = [full.chunks[c] for c in keep]
    reduced = HybridIndex(kept, np.stack([full.faiss.reconstruct(c) for c in keep]), {}, full.embedder,
                          titles=full.titles.over(kept) if full.titles is not None else None)
    abstained = answered = answerable = 0
    for i, (query, vector) in enumerate(zip(queries, vectors, strict=True)):
        if query.gold & removed and i not in chosen:
            continue  # shares a removed document: neither clearly answerable nor clearly not
        _, relevance = ranked_documents(reduced, query.question, vector, threshold, depth=1)
        if i in chosen:
            abstained += relevance < threshold
        else:
            answerable += 1
            answered += relevance >= threshold
    return {"abstain_rate": abstained / max(1, len(chosen)), "answer_rate": answered / max(1, answerable),
            "abstain_queries": len(chosen), "answerable_queries": answerable, "threshold": threshold}
