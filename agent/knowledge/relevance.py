"""Is the best retrieved passage relevant enough to answer from, or should Confab abstain?

Three signals of the dense retrieval, combined by a logistic model:
- ``similarity``: cosine similarity of the question and the best passage;
- ``gap``: how far that passage stands out from the best passages of the next nine documents (a missing
  answer gives a flat top; the best document's other passages are no competition);
- ``coverage``: the share of the question's content words (stemmed, no stop words) in its document.
Relative signals carry over between collections better than a raw similarity cut-off.

The coefficients were fitted by ``bench/knowledge_abstain.py`` on half of the PubMedQA dev queries,
each seen with and without its gold documents in the index (all-MiniLM-L6-v2); the other half is
the held-out check printed by that script and by ``confab eval retrieval --abstain-check``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

COEFFICIENTS = {"similarity": 2.654, "gap": 10.152, "coverage": 7.931}
INTERCEPT = -8.13


@dataclass(frozen=True, slots=True)
class Signals:
    similarity: float
    gap: float
    coverage: float

    def relevance(self) -> float:
        """Estimated probability that the answer is in the retrieved passages."""
        z = INTERCEPT + sum(COEFFICIENTS[name] * getattr(self, name) for name in COEFFICIENTS)
        return 1.0 / (1.0 + math.exp(-z))


NO_SIGNAL = Signals(0.0, 0.0, 0.0)


def best_per_document(ranked: Iterable[tuple[str, float]], n: int = 10) -> list[float]:
    """The first ``n`` documents' similarities, from (document, similarity) pairs ordered best first."""
    seen: set[str] = set()
    best: list[float] = []
    for document, similarity in ranked:
        if document not in seen:
            seen.add(document)
            best.append(similarity)
            if len(best) == n:
                break
    return best


def signals(similarities: list[float], question_words: set[str], passage_words: set[str]) -> Signals:
    """From each document's best similarity, best first (``best_per_document``), and the best document's words."""
    if not similarities:
        return NO_SIGNAL
    best = similarities[0]
    rest = similarities[1:10]
    gap = best - (sum(rest) / len(rest)) if rest else best
    coverage = len(question_words & passage_words) / len(question_words) if question_words else 0.0
    return Signals(best, gap, coverage)
