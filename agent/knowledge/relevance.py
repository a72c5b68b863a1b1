"""Is the best retrieved passage relevant enough to answer from, or should Confab abstain?

Three signals of the dense retrieval, combined by a logistic model:
- ``similarity``: cosine similarity of the question and the best passage;
- ``gap``: how far that passage stands out from the best passages of the next nine sections (heading-level
  units) of other documents: a missing answer gives a flat top. The best document's own passages are no
  competition (a PubMedQA abstract's METHODS and RESULTS are the same study). Competition is counted in
  sections, not documents, so it goes as deep in a team's five long documents on one product as in a
  thousand one-topic abstracts: counted in documents, it was the best passages of only four other documents,
  all on the same product, which made a covered answer look flat (the everyday questions of
  ``bench/knowledge_everyday.py``);
- ``coverage``: the share of the question's content words (stemmed, no stop words) in the document of the
  passage the answer quotes (the fused ranking's first; the fit below used the dense ranking's first, and the
  held-out figures are measured through the shipped path); one word of a one-word question counts 0.75.
Relative signals carry over between collections better than a raw similarity cut-off.

The coefficients were fitted by ``bench/knowledge_abstain.py`` on half of the PubMedQA dev queries,
each seen with and without its gold documents in the index (all-MiniLM-L6-v2); the other half is
the held-out check printed by that script and by ``confab eval retrieval --abstain-check``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

COEFFICIENTS = {"similarity": 3.013, "gap": 10.474, "coverage": 7.894}
INTERCEPT = -8.218


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
# A question of one content word whose word the document holds had full coverage, which answered "who is bob?" from
# a name in the docs' examples (similarity 0.24). PubMedQA's questions have more words: its figures are unchanged.
ONE_WORD_PRIOR = 0.5


def best_per_section(ranked: Iterable[tuple[str, str, float]], n: int = 10) -> list[float]:
    """The best similarity, then the best of each of the next ``n - 1`` sections of other documents, from
    (document, heading, similarity) triples ordered best first."""
    ranked = iter(ranked)
    first = next(ranked, None)
    if first is None:
        return []
    document, _, similarity = first
    seen: set[tuple[str, str]] = set()
    best = [similarity]
    for other, heading, similarity in ranked:
        if other != document and (other, heading) not in seen:
            seen.add((other, heading))
            best.append(similarity)
            if len(best) == n:
                break
    return best


def signals(similarities: list[float], question_words: set[str], passage_words: set[str]) -> Signals:
    """From the best similarity and its competitors' (``best_per_section``), and the best document's words."""
    if not similarities:
        return NO_SIGNAL
    best = similarities[0]
    rest = similarities[1:10]
    gap = best - (sum(rest) / len(rest)) if rest else best
    found = len(question_words & passage_words)
    if len(question_words) == 1:  # one word of one is weak evidence: counted as if half of one more word were found
        coverage = (found + ONE_WORD_PRIOR) / 2
    else:
        coverage = found / len(question_words) if question_words else 0.0
    return Signals(best, gap, coverage)
