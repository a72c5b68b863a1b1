"""``/summarize about <topic>``: which sentences of a conversation are about the topic.

A sentence's relevance is scored the way knowledge passages are retrieved: by meaning (cosine similarity of
its embedding and the topic's) and by the topic's own words (the share of its content words the sentence
holds), 0.7 / 0.3. Relative to the best sentence: those within ``KEEP`` of it count, so a topic the
meeting spent an hour on keeps many sentences and a passing remark keeps few. Nothing counts when even the
best sentence is neither close in meaning nor shares a word: the summary then says the conversation is not
about the topic instead of summarizing something else.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

WORDS_WEIGHT = 0.3
KEEP = 0.15  # a sentence this close to the best one's relevance is about the topic
UNRELATED = 0.25  # below this relevance and with no shared word, the best sentence is not about the topic


def relevance(topic_vector: np.ndarray, vectors: np.ndarray, topic_words: set[str],
              unit_words: Sequence[set[str]]) -> np.ndarray:
    """Each sentence's relevance to the topic, in [0, 1]-ish (cosine and word share, blended)."""
    meaning = np.clip(vectors @ topic_vector, 0.0, None)
    if not topic_words:
        return np.asarray(meaning, dtype=np.float64)
    words = np.array([len(topic_words & w) / len(topic_words) for w in unit_words], dtype=np.float64)
    return np.asarray((1 - WORDS_WEIGHT) * meaning + WORDS_WEIGHT * words, dtype=np.float64)


def about(scores: np.ndarray, shares_a_word: Sequence[bool]) -> np.ndarray:
    """The weight of each sentence in a summary about the topic: 0 for those not about it, rising to 1 for the
    most relevant; all 0 when nothing is about the topic."""
    if not len(scores):
        return scores
    best = int(np.argmax(scores))
    if scores[best] < UNRELATED and not shares_a_word[best]:
        return np.zeros_like(scores)
    floor = scores[best] - KEEP
    return np.asarray(np.clip((scores - floor) / KEEP, 0.0, 1.0), dtype=np.float64)
