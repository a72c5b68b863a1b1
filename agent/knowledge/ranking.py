"""The ranking step, between retrieval and the answer.

retrieval (index.py: the passages nearest by meaning, FAISS, their section titles' meaning added, titles.py, and
  by words, BM25)
→ ranking (here: one order for both, the second leading when only it would be answered; the passages close enough to
  the best to quote; the sentences of each that answer, passages.py; which quotes are shown)
→ the answer (agent/tools/knowledge.py: a model reads the ranked passages; offline, the quotes are the answer).

Tried as a second stage and not kept: re-ranking the fused candidates by their best sentence's similarity
(a third ranking in the fusion, or mixed with the passage's): PubMedQA dev R@1 0.988 -> 0.960-0.984.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace

from agent.knowledge.chunking import Chunk
from agent.knowledge.passages import Quote, focus, lexical_scores, units
from agent.words import content_words

RRF_K = 60
SHOWN = 2  # passages quoted offline
CLOSE_TO_BEST = 0.12  # offline, quote only passages nearly as relevant as the best one
SECOND_QUOTE = 0.05  # ... and a second quote only when its best sentence is about as relevant as the first's
# Sentences are scored like passages are retrieved: by meaning, and by the question's own words. The small
# embedding model reads a setting's name (`CONFAB_RATE_USER_PER_MIN`) as noise, so "how do I change the rate
# limit?" found the sentence *about* the limit as close as the one naming the setting that changes it.
WORDS_WEIGHT = 0.3

Scorer = Callable[[str, list[str]], Awaitable[list[float]]]  # (question, texts) -> similarity of each text


@dataclass(frozen=True, slots=True)
class Hit:
    chunk: Chunk
    score: float  # fused (reciprocal rank) score, for ordering
    similarity: float  # cosine similarity of the question as asked and the passage
    bm25: float


def fuse(dense: Sequence[tuple[int, float]], keyword: Sequence[tuple[int, float]]) -> list[tuple[int, float]]:
    """Reciprocal-rank fusion of the two rankings ((id, score), best first): every id, best first.

    Fusion ties whenever the rankings disagree symmetrically (first by meaning and second by words, or the
    reverse: 76 of PubMedQA's 500 dev questions tied at the top). The question's own words break the tie; the
    dense order did before, by accident of insertion (R@1 0.988 -> 0.992, everyday check rows 7 -> 8 right)."""
    fused: dict[int, float] = {}
    for ranking in (dense, keyword):
        for rank, (index, _) in enumerate(ranking):
            fused[index] = fused.get(index, 0.0) + 1.0 / (RRF_K + rank + 1)
    words = dict(keyword)
    return sorted(fused.items(), key=lambda item: (item[1], words.get(item[0], 0.0)), reverse=True)


def answerable_first(hits: list[Hit], relevance: Callable[[Hit], float], threshold: float | None) -> list[Hit]:
    """When the first hit would be refused and the second, from another document, would be answered (``relevance``:
    the abstain model's estimate with a hit's document as the one quoted), the second leads.

    Reciprocal-rank fusion keeps the ranks, not the margins: a passage first by meaning alone outranked one that
    BM25 put far ahead ("how do I make confab focus on billing docs in #billing?" quoted "Adding your team's
    documents", and was refused for the words its document lacks). A first hit that would be answered keeps its
    place, whatever the second's document holds (PubMedQA dev R@1 stays 0.992; letting the better-covered document
    lead always gave 0.994, but put a settings line before the set-up steps of an answered question)."""
    if (threshold is not None and len(hits) > 1 and hits[1].chunk.source != hits[0].chunk.source
            and relevance(hits[0]) < threshold <= relevance(hits[1])):
        return [hits[1], hits[0], *hits[2:]]
    return hits


def close_to_best(hits: Sequence[Hit]) -> list[Hit]:
    """Hits nearly as similar to the question as the best one (the fused order can lead with a keyword-only
    match that is semantically weaker than the next hit)."""
    if not hits:
        return []
    best = max(hit.similarity for hit in hits)
    return [hit for hit in hits if hit.similarity >= best - CLOSE_TO_BEST]


async def quote_hits(question: str, hits: Sequence[Hit], scorer: Scorer | None = None) -> dict[int, Quote]:
    """The focused quote of each hit (by its id), its sentences scored by ``scorer`` or by shared words."""
    found = [units(hit.chunk) for hit in hits]
    texts = [unit.text for unit_list in found for unit in unit_list]
    if not texts:
        return {}
    lexical = lexical_scores(question, texts)
    if scorer is None:
        scores = lexical
    else:
        dense = await scorer(question, texts)
        scores = [(1 - WORDS_WEIGHT) * d + WORDS_WEIGHT * w for d, w in zip(dense, lexical, strict=True)]
    quotes: dict[int, Quote] = {}
    at = 0
    for hit, unit_list in zip(hits, found, strict=True):
        quotes[id(hit)] = focus(hit.chunk, scores[at:at + len(unit_list)], unit_list)
        at += len(unit_list)
    asked, *held = (frozenset(words) for words in content_words([question, *(q.text for q in quotes.values())]))
    return {key: replace(quote, matched=asked & words)
            for (key, quote), words in zip(quotes.items(), held, strict=True)}


def shown(hits: Sequence[Hit], quotes: dict[int, Quote] | None = None) -> list[tuple[Hit, Quote]]:
    """The quotes an answer shows: the best close hit's, and a second only when it is about as relevant and says
    something else. Without ``quotes`` (a model answers; nobody chose sentences), each passage's opening."""
    close = close_to_best(hits)
    if quotes is not None and close:
        # A quote that holds a word of the question the others lack comes first ("how do I deploy confab?": "To
        # deploy it, …" before "`confab doctor` checks the configuration", whose short passage ranked first on its
        # section's title alone); otherwise the fused order stands.
        matched = {id(hit): quotes[id(hit)].matched for hit in close}
        common = frozenset.intersection(*matched.values())
        close.sort(key=lambda hit: not (matched[id(hit)] - common))
    if quotes is None:
        quotes = {id(hit): focus(hit.chunk, lexical_scores("", [u.text for u in units(hit.chunk)])) for hit in close}
    chosen: list[tuple[Hit, Quote]] = []
    for hit in close:
        focused = quotes[id(hit)]
        if chosen and (focused.score < chosen[0][1].score - SECOND_QUOTE
                       or any(focused.text == quote.text for _, quote in chosen)):
            continue
        chosen.append((hit, focused))
        if len(chosen) == SHOWN:
            break
    return chosen
