"""Sentiment per message: positive / neutral / negative with a signed score in [-1, 1].

A three-class logistic regression, trained on the hand-written sentences in ``data/sentiment_train/``
(:mod:`agent.classify.train_sentiment`), over two readings of a message:
- the local all-MiniLM-L6-v2 sentence embedding, which carries negation and context that word lexicons
  miss ("not worth the price");
- VADER's four scores (negative, neutral, positive, compound), a lexicon built for social-media text: slang
  ("smh", "meh"), emoji, intensifiers, capitals and "!!!", which the embedding model reads as plain words
  or not at all. On informal chat the embedding alone took most neutral remarks for complaints.
Features are standardised with the training set's mean and scale. Measured with ``confab eval sentiment``,
see ``data/MODEL_CARD.md``. The score is P(positive) - P(negative), so a neutral message scores near 0.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import numpy as np

from agent.embeddings import SHORT_TEXT_MAX_CHARS, Embedder

Label = Literal["positive", "neutral", "negative"]
LABELS: tuple[Label, ...] = ("negative", "neutral", "positive")  # the model's class order
MODEL_PATH = Path(__file__).parent / "data" / "sentiment_model.npz"
MOOD_BAND = 0.15  # an average score inside +/- this is a neutral mood (neutral messages score about +/-0.1)


@dataclass(frozen=True, slots=True)
class SentimentResult:
    label: Label
    score: float  # P(positive) - P(negative): -1 (very negative) .. 1 (very positive)


@dataclass(frozen=True, slots=True)
class SentimentModel:
    coef: np.ndarray  # (3, features): the embedding's 384 dimensions, then VADER's 4 scores
    intercept: np.ndarray  # (3,)
    mean: np.ndarray  # (features,): standardisation, from the training sentences
    scale: np.ndarray  # (features,)

    def probabilities(self, features: np.ndarray) -> np.ndarray:
        logits = ((features - self.mean) / self.scale) @ self.coef.T + self.intercept
        logits -= logits.max(axis=1, keepdims=True)
        odds = np.exp(logits)
        probabilities: np.ndarray = odds / odds.sum(axis=1, keepdims=True)
        return probabilities

    def save(self, path: Path) -> None:
        np.savez_compressed(path, **{name: getattr(self, name).astype(np.float32)
                                     for name in ("coef", "intercept", "mean", "scale")})

    @classmethod
    def load(cls, path: Path = MODEL_PATH) -> SentimentModel:
        with np.load(path, allow_pickle=False) as data:
            return cls(data["coef"], data["intercept"], data["mean"], data["scale"])


@lru_cache(maxsize=1)
def _model() -> SentimentModel:
    return SentimentModel.load()


def prepared(text: str) -> str:
    """What the model reads: emoji spelled out ("🎉" -> "party popper"; the embedding model's
    vocabulary has none), whitespace collapsed, the first ``SHORT_TEXT_MAX_CHARS`` characters (as the
    summarizer's sentences, so a summary's mood line reuses their vectors)."""
    import emoji

    spelled = emoji.demojize(text, delimiters=(" ", " ")).replace("_", " ")
    return " ".join(spelled.split())[:SHORT_TEXT_MAX_CHARS]


@lru_cache(maxsize=1)
def _vader() -> Any:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    return SentimentIntensityAnalyzer()


def features(texts: Sequence[str], embedder: Embedder) -> np.ndarray:
    """What the model reads of each (non-empty) text: its embedding (of :func:`prepared` text) and VADER's
    scores (of the text as written, up to the same length: VADER reads emoji and capitals itself)."""
    vectors = embedder.embed([prepared(text) for text in texts])
    vader = _vader()
    lexical = [vader.polarity_scores(text[:SHORT_TEXT_MAX_CHARS]) for text in texts]
    scores = np.array([[s["neg"], s["neu"], s["pos"], s["compound"]] for s in lexical], dtype=np.float32)
    return np.hstack([np.asarray(vectors, dtype=np.float32), scores])


def analyze_sentiment(texts: Sequence[str], embedder: Embedder) -> list[SentimentResult]:
    """Label and score each text; ``embedder`` is the local all-MiniLM-L6-v2 the model was trained on
    (:class:`agent.embeddings.LocalEmbedder`)."""
    texts = [text or "" for text in texts]
    present = [i for i, text in enumerate(texts) if text.strip()]  # as prepared(text) would be: it only adds words
    out = [SentimentResult("neutral", 0.0)] * len(texts)
    if not present:
        return out
    for i, p in zip(present, _model().probabilities(features([texts[i] for i in present], embedder)), strict=True):
        out[i] = SentimentResult(LABELS[int(np.argmax(p))], round(float(p[2] - p[0]), 4))
    return out


def overall_label(mean_score: float) -> Label:
    """The mood of many messages, from the average of their scores."""
    return "positive" if mean_score > MOOD_BAND else "negative" if mean_score < -MOOD_BAND else "neutral"
