"""Fit the abstain model of agent/knowledge/relevance.py, and check it on held-out queries.

Every query is seen twice: with its gold documents in the index (answerable) and with them masked
out (unanswerable). A logistic regression over the relevance signals is fitted on the first half of
the queries; the second half reports the answer rate and the abstain rate at the default threshold. The
threshold sweep shows both halves; the default is the lowest threshold of the sweep at which the fit
half abstains on at least 92.5%: the 90% target plus a margin for unseen questions, since the two halves
differ by 2-4 points.

    python -m bench.knowledge_abstain --docs ../shared/eval/retrieval/pubmedqa/docs \
        --queries ../shared/eval/retrieval/pubmedqa/queries.dev.jsonl [--index-dir /tmp/pm-index]
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from agent.embeddings import LocalEmbedder
from agent.knowledge.builder import build_index
from agent.knowledge.evaluate import doc_id, read_queries
from agent.knowledge.index import HybridIndex
from agent.knowledge.relevance import COEFFICIENTS, INTERCEPT, Signals, best_per_section, signals
from agent.settings import Settings
from agent.words import content_words

SWEEP = (0.3, 0.35, 0.4, 0.45, 0.5, 0.55)
FIT_ABSTAIN_RATE = 0.925  # the 90% target plus a margin for unseen questions


def features(index: HybridIndex, queries: list, vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    matrix = index.vectors(0, len(index))
    documents = np.array([doc_id(c.source) for c in index.chunks])
    chunk_words = [set(t) for t in content_words([c.embedding_text() for c in index.chunks])]
    document_words: dict[str, set[str]] = {}
    for chunk, words in zip(index.chunks, chunk_words, strict=True):
        document_words.setdefault(chunk.source, set()).update(words)
    rows, labels = [], []
    for query, vector, words in zip(queries, vectors, content_words([q.question for q in queries]), strict=True):
        similarities = matrix @ vector
        gold = np.isin(documents, list(query.gold))
        for answerable in (True, False):
            masked = similarities if answerable else np.where(gold, -1.0, similarities)
            ranked = np.argsort(-masked)
            competition = best_per_section((index.chunks[i].source, index.chunks[i].heading, float(masked[i]))
                                           for i in ranked)
            s = signals(competition, set(words), document_words[index.chunks[ranked[0]].source])
            rows.append([s.similarity, s.gap, s.coverage])
            labels.append(int(answerable))
    return np.array(rows), np.array(labels)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=Path, required=True)
    parser.add_argument("--queries", type=Path, required=True)
    parser.add_argument("--index-dir", type=Path, default=Path("data/bench-abstain-index"))
    parser.add_argument("--threshold", type=float, default=Settings.model_fields["knowledge_min_relevance"].default)
    args = parser.parse_args()
    from sklearn.linear_model import LogisticRegression

    embedder = LocalEmbedder()
    index, _ = build_index(args.docs, args.index_dir, embedder, 50 * 1024 * 1024, HybridIndex.load(args.index_dir))
    queries, _ = read_queries(args.queries)
    x, y = features(index, queries, embedder.embed([q.question for q in queries]))
    fit_rows = (len(queries) // 2) * 2  # two rows per query: the first half of the queries fits
    model = LogisticRegression(C=10).fit(x[:fit_rows], y[:fit_rows])
    fitted = {k: round(float(v), 3) for k, v in zip(COEFFICIENTS, model.coef_[0], strict=True)}
    print(f"fitted on {fit_rows // 2} queries:", fitted, "intercept", round(float(model.intercept_[0]), 3))
    scores = np.array([Signals(*row).relevance() for row in x])
    print("threshold sweep with the shipped model (answers of answerable / abstains on unanswerable):")
    rule = None
    for threshold in SWEEP:
        cells = []
        for name, part in (("fit", slice(0, fit_rows)), ("held-out", slice(fit_rows, None))):
            s, t = scores[part], y[part]
            cells.append(f"{name} {np.mean(s[t == 1] >= threshold):.3f} / {np.mean(s[t == 0] < threshold):.3f}")
        print(f"  {threshold:.2f}: " + "   ".join(cells))
        if rule is None and np.mean(scores[:fit_rows][y[:fit_rows] == 0] < threshold) >= FIT_ABSTAIN_RATE:
            rule = threshold
    print(f"lowest threshold at which the fit half abstains on >= {FIT_ABSTAIN_RATE:.1%}: {rule}")
    shipped = scores[fit_rows:]
    held = y[fit_rows:]
    print(f"shipped model ({COEFFICIENTS}, intercept {INTERCEPT}) on {len(held) // 2} held-out queries at "
          f"threshold {args.threshold}: answers {np.mean(shipped[held == 1] >= args.threshold):.3f} of answerable, "
          f"abstains on {np.mean(shipped[held == 0] < args.threshold):.3f} of unanswerable")


if __name__ == "__main__":
    main()
