"""Train the shipped decision model (agent/recall/data/decision_model.npz).

    python -m agent.recall.train_decisions

Data: the hand-written lines in ``data/decision_train/*.tsv`` (``decision|other<TAB>text``; see the card
there), never drawn from an evaluation set. Features: each line's local all-MiniLM-L6-v2 vector of its first
``EMBED_CHARS`` characters (as the conversation index keeps it), standardised, its hashed words and word
pairs (:func:`agent.recall.decisions.word_hasher`), and its form's hashed 1- to 3-grams (the words at least
``FORM_LINES`` lines have kept, the rest masked: :func:`agent.recall.decisions.form`; in cross-validation that
vocabulary is the training folds'). Logistic regression, class weights balanced, C picked by
5-fold cross-validation on those lines only (log loss); the cross-validated precision and recall at
:data:`agent.recall.decisions.THRESHOLD` are printed.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

import numpy as np

from agent.recall.decisions import (
    FORM_LINES,
    MODEL_PATH,
    THRESHOLD,
    WORD_FEATURES,
    DecisionModel,
    form,
    form_hasher,
    form_tokens,
    word_hasher,
)
from agent.training_lines import read_labelled

DATA = Path(__file__).parent / "data" / "decision_train"
LABELS = ("other", "decision")
EMBED_CHARS = 1000  # as agent.recall.service embeds a message
CS = (0.3, 1.0, 3.0, 10.0, 30.0, 100.0)


def read_lines(folder: Path = DATA) -> tuple[list[str], list[int]]:
    return read_labelled(folder, LABELS)


def form_words(texts: list[str]) -> frozenset[str]:
    """The words at least FORM_LINES of the lines have: over the lines' many topics, the words of how people
    say things ("ok", "then", "it", "is", "from", "now", "vote"), not the topics themselves."""
    counts: dict[str, int] = {}
    for text in texts:
        for token in set(form_tokens(text)):
            counts[token] = counts.get(token, 0) + 1
    return frozenset(w for w, n in counts.items() if n >= FORM_LINES and not w.isdigit())


def features(texts: list[str], vectors: np.ndarray, mean: np.ndarray, scale: np.ndarray, vocabulary: frozenset[str]
             ) -> Any:
    """The vector, standardised and scaled to the weight of one L2-normalised row, beside the hashed words and
    the hashed form."""
    from scipy.sparse import csr_matrix, hstack

    standard = (vectors - mean) / scale / np.sqrt(vectors.shape[1])
    forms = form_hasher().transform([form(text, vocabulary) for text in texts])
    return hstack([csr_matrix(standard.astype(np.float32)), word_hasher().transform(texts), forms]).tocsr()


def _regression(c: float) -> Any:
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=c, max_iter=5000, class_weight="balanced")


def cross_validated(texts: list[str], vectors: np.ndarray, labels: np.ndarray, c: float) -> np.ndarray:
    """P(decision) of each line from a model trained on the other folds (standardised on those too)."""
    from sklearn.model_selection import StratifiedKFold

    out = np.zeros(len(labels))
    for train, test in StratifiedKFold(n_splits=5, shuffle=True, random_state=42).split(vectors, labels):
        mean, scale = vectors[train].mean(axis=0), vectors[train].std(axis=0) + 1e-6
        vocabulary = form_words([texts[i] for i in train])
        model = _regression(c).fit(features([texts[i] for i in train], vectors[train], mean, scale, vocabulary),
                                   labels[train])
        out[test] = model.predict_proba(features([texts[i] for i in test], vectors[test], mean, scale,
                                                 vocabulary))[:, 1]
    return out


def fit(texts: list[str], vectors: np.ndarray, labels: list[int]) -> tuple[DecisionModel, float, float, float]:
    """The model, its C (by cross-validated log loss), and the cross-validated precision and recall of the
    decisions at THRESHOLD."""
    from sklearn.metrics import log_loss

    truth = np.asarray(labels)
    scored = {c: cross_validated(texts, vectors, truth, c) for c in CS}
    c = min(CS, key=lambda c: log_loss(truth, scored[c]))
    said, decided = scored[c] >= THRESHOLD, truth == 1
    precision = float((said & decided).sum() / max(1, said.sum()))
    recall = float((said & decided).sum() / max(1, decided.sum()))
    mean, scale = vectors.mean(axis=0), vectors.std(axis=0) + 1e-6
    vocabulary = form_words(texts)
    best = _regression(c).fit(features(texts, vectors, mean, scale, vocabulary), truth)
    dim = vectors.shape[1]
    coef = best.coef_[0]
    vector_coef = coef[:dim] / scale / np.sqrt(dim)  # the standardising, folded in
    words_end = dim + WORD_FEATURES
    model = DecisionModel(vector_coef.astype(np.float32), coef[dim:words_end].astype(np.float32),
                          coef[words_end:].astype(np.float32), vocabulary,
                          float(best.intercept_[0] - mean @ vector_coef))
    return model, c, precision, recall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--out", type=Path, default=MODEL_PATH)
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from agent.embeddings import LocalEmbedder

    texts, labels = read_lines(args.data)
    vectors = LocalEmbedder().embed([text[:EMBED_CHARS] for text in texts])
    model, c, precision, recall = fit(texts, vectors, labels)
    model.save(args.out)
    print(f"trained on {len(texts)} lines ({labels.count(1)} decisions, {labels.count(0)} other): C={c}, "
          f"cross-validated at {THRESHOLD}: precision {precision:.3f}, recall {recall:.3f}")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
