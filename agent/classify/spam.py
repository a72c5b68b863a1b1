"""The spam classifier: the shipped text model and the signals, combined, with reasons.

Signals and the model's probability combine as independent evidence (noisy-OR): the score is the
chance that at least one of them is right about spam. The result always says why.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from functools import cached_property

from agent.classify.normalize import normalize
from agent.classify.signals import BehaviourTracker, Signal, content_signals
from agent.classify.text_model import TextModel

log = logging.getLogger(__name__)

MAX_CHARS = 5000  # the rest of a huge message adds nothing to the judgement


@dataclass(frozen=True, slots=True)
class SpamResult:
    label: str  # "spam" | "ham"
    score: float
    reasons: tuple[str, ...] = field(default=())
    text_probability: float = 0.0


class SpamClassifier:
    def __init__(self, threshold: float = 0.5, model: TextModel | None = None) -> None:
        self.threshold = threshold
        self._model = model
        self.tracker = BehaviourTracker()

    @cached_property
    def model(self) -> TextModel:
        return self._model or TextModel.load()

    def warm_up(self) -> None:
        """Load the text model and its n-gram analyzers (scikit-learn): about a second, once."""
        self.model.probability("warm up")

    def classify(self, text: str, author: str = "", channel: str = "", now: float | None = None,
                 new_member: bool = False) -> SpamResult:
        """One message; ``author``/``channel`` feed the behaviour signals (empty: content only)."""
        n = normalize(text[:MAX_CHARS])
        if not n.folded:
            return SpamResult("ham", 0.0, ("empty",))
        signals = content_signals(n)
        if author:
            signals += self.tracker.observe(author, channel, n, now, new_member)
        probability = self.model.probability(n.folded)
        return self._combine(probability, signals)

    def classify_texts(self, texts: list[str]) -> list[SpamResult]:
        """Many messages without behaviour (the CLI and evaluation): one batched model call."""
        normalized = [normalize(t[:MAX_CHARS]) for t in texts]
        probabilities = self.model.probabilities([n.folded or " " for n in normalized])
        return [self._combine(float(p), content_signals(n)) if n.folded else SpamResult("ham", 0.0, ("empty",))
                for n, p in zip(normalized, probabilities, strict=True)]

    def _combine(self, probability: float, signals: list[Signal]) -> SpamResult:
        keep = 1.0 - probability
        for signal in signals:
            keep *= 1.0 - signal.weight
        score = 1.0 - keep
        reasons = [s.reason for s in sorted(signals, key=lambda s: -s.weight)]
        if probability >= 0.5:
            reasons.insert(0, f"reads like spam to the text model ({probability:.0%})")
        label = "spam" if score >= self.threshold else "ham"
        return SpamResult(label, round(score, 4), tuple(reasons), round(probability, 4))
