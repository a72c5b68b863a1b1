"""Sentiment per message: positive / neutral / negative with a signed score in [-1, 1].

VADER (a lexicon and rules tuned for social-media text: emoji, caps, "!!!", negation) — fast, no
model to load, and honest about neutral messages. Measured with ``confab eval sentiment``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal

Label = Literal["positive", "neutral", "negative"]
NEUTRAL_BAND = 0.05  # VADER's own recommendation for its compound score


@dataclass(frozen=True, slots=True)
class SentimentResult:
    label: Label
    score: float  # VADER compound: -1 (very negative) .. 1 (very positive)


@lru_cache(maxsize=1)
def _analyzer() -> Any:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    return SentimentIntensityAnalyzer()


def analyze_sentiment(texts: Sequence[str]) -> list[SentimentResult]:
    analyzer = _analyzer()
    out = []
    for text in texts:
        score = float(analyzer.polarity_scores((text or "")[:5000])["compound"]) if text and text.strip() else 0.0
        label: Label = "positive" if score >= NEUTRAL_BAND else "negative" if score <= -NEUTRAL_BAND else "neutral"
        out.append(SentimentResult(label, round(score, 4)))
    return out
