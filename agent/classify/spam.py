"""The spam classifier: the shipped text model and the signals, combined, with reasons.

Signals and the model's probability combine as independent evidence (noisy-OR): the score is the
chance that at least one of them is right about spam. The result always says why.

Moderators' corrections shape one author's screening without switching it off: ``discount`` scales
down the soft evidence (the text model, repetition, bursts, links …) for an author a moderator
vouched for (1.0 for an exemption: soft evidence ignored), and ``extra`` adds signals such as a
recent "this author spammed" verdict. Hard signals (:data:`HARD_SIGNALS`: known phishing domains, links
dressed as a brand they are not (agent/classify/brands.py), scam phrases and requests) are never discounted.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from agent.classify.normalize import Normalized, normalize
from agent.classify.signals import BehaviourTracker, Signal, content_signals
from agent.classify.standing import TEXT_ONLY, Sender, standing
from agent.classify.text_model import MODEL_PATH, TextModel
from agent.state.history import AuthorHistory

log = logging.getLogger(__name__)

MAX_CHARS = 5000  # the rest of a huge message adds nothing to the judgement
# no standing, correction or exemption covers these
HARD_SIGNALS = frozenset({"phishing_domain", "brand_domain", "scam_phrase", "scam_request"})


@dataclass(frozen=True, slots=True)
class SpamResult:
    label: str  # "spam" | "ham"
    score: float
    reasons: tuple[str, ...] = field(default=())
    text_probability: float = 0.0
    signals: tuple[str, ...] = field(default=())  # names of the signals that fired
    standing: str = ""  # why the author's standing lowered the text-only evidence ("" when it did not)

    @property
    def hard(self) -> bool:
        """A known phishing domain or scam phrase: flagged whoever sent it."""
        return not HARD_SIGNALS.isdisjoint(self.signals)


class SpamClassifier:
    def __init__(self, threshold: float = 0.5, model: TextModel | None = None, path: Path | None = None,
                 history: AuthorHistory | None = None) -> None:
        """``history``: where :meth:`aclassify` keeps authors' recent messages (default: this process's memory)."""
        self.threshold = threshold
        self._model = model
        self.path = path or MODEL_PATH
        self.tracker = BehaviourTracker(history)

    @cached_property
    def model(self) -> TextModel:
        if self._model is not None:
            return self._model
        log.info("loading the spam text model", extra={"path": str(self.path)})
        return TextModel.load(self.path)

    def warm_up(self) -> None:
        """Load the text model and its n-gram analyzers (scikit-learn): about a second, once."""
        self.model.probability("warm up")

    def classify(self, text: str, author: str = "", channel: str = "", now: float | None = None,
                 new_member: bool = False, discount: float = 0.0, extra: Sequence[Signal] = (),
                 sender: Sender | None = None, scope: str = "", posted_before: bool = False,
                 watched: bool = True) -> SpamResult:
        """One message; ``author``/``channel`` feed the behaviour signals (empty: content only), from this
        process's memory; ``discount`` and ``extra`` carry moderators' corrections about the author
        (module docstring); ``sender`` what the platform says about them (:mod:`agent.classify.standing`);
        ``scope`` the workspace in which "posted before" counts; ``posted_before`` the store's word on that
        (beside this process's memory) and ``watched`` whether Confab has watched the workspace long enough
        for it to matter (:class:`agent.classify.ledger.Standing`)."""
        n = normalize(text[:MAX_CHARS])
        if not n.folded:
            return SpamResult("ham", 0.0, ("empty",))
        behaviour, known = (self.tracker.observe_known(author, channel, n, now, new_member, scope) if author
                            else ([], False))
        return self._judge(n, behaviour, discount, extra, sender, known or posted_before, watched)

    async def aclassify(self, text: str, author: str = "", channel: str = "", now: float | None = None,
                        new_member: bool = False, discount: float = 0.0, extra: Sequence[Signal] = (),
                        sender: Sender | None = None, scope: str = "", posted_before: bool = False,
                        watched: bool = True) -> SpamResult:
        """:meth:`classify` with the behaviour signals from the shared author history (all replicas')."""
        n = normalize(text[:MAX_CHARS])
        if not n.folded:
            return SpamResult("ham", 0.0, ("empty",))
        behaviour, known = (await self.tracker.aobserve_known(author, channel, n, now, new_member, scope) if author
                            else ([], False))
        return self._judge(n, behaviour, discount, extra, sender, known or posted_before, watched)

    async def flagged(self, author: str, scope: str = "") -> None:
        """A message of ``author``'s was flagged: the standing that having posted in ``scope`` gave them is gone."""
        await self.tracker.flagged(author, scope)

    def _judge(self, n: Normalized, behaviour: list[Signal], discount: float, extra: Sequence[Signal],
               sender: Sender | None = None, known: bool = False, watched: bool = True) -> SpamResult:
        signals = content_signals(n) + list(extra) + behaviour
        if discount >= 1.0 and not HARD_SIGNALS.intersection(s.name for s in signals):
            return SpamResult("ham", 0.0, ("exempted by a moderator",), 0.0, tuple(s.name for s in signals))
        probability = self.model.probability(n.folded)
        level, why = standing(sender, known, (s.name for s in signals), watched)
        return self._combine(probability, signals, discount, level, why)

    def classify_texts(self, texts: list[str]) -> list[SpamResult]:
        """Many messages without behaviour (the CLI and evaluation): one batched model call."""
        normalized = [normalize(t[:MAX_CHARS]) for t in texts]
        probabilities = self.model.probabilities([n.folded or " " for n in normalized])
        return [self._combine(float(p), content_signals(n)) if n.folded else SpamResult("ham", 0.0, ("empty",))
                for n, p in zip(normalized, probabilities, strict=True)]

    def _combine(self, probability: float, signals: list[Signal], discount: float = 0.0, level: float = 0.0,
                 why: str = "") -> SpamResult:
        """Noisy-OR: hard signals as they are; the text-only evidence (the model, :data:`TEXT_ONLY` signals)
        lowered by the author's standing ``level``; all soft evidence lowered by moderators' ``discount``."""
        hard_keep, text_keep, other_keep = 1.0, 1.0 - probability, 1.0
        for signal in signals:
            if signal.name in HARD_SIGNALS:
                hard_keep *= 1.0 - signal.weight
            elif signal.name in TEXT_ONLY:
                text_keep *= 1.0 - signal.weight
            else:
                other_keep *= 1.0 - signal.weight
        text = (1.0 - text_keep) * (1.0 - min(max(level, 0.0), 1.0))
        soft = (1.0 - (1.0 - text) * other_keep) * (1.0 - min(max(discount, 0.0), 1.0))
        score = 1.0 - hard_keep * (1.0 - soft)
        ranked = sorted(signals, key=lambda s: -s.weight)
        reasons = [s.reason for s in ranked]
        if probability >= 0.5 and discount < 1.0:
            reasons.insert(0, f"reads like spam to the text model ({probability:.0%})")
        if why and text_keep < 0.5:  # the standing mattered: say so
            reasons.append(f"{why}: links, mentions and wording count for less")
        label = "spam" if score >= self.threshold else "ham"
        return SpamResult(label, round(score, 4), tuple(reasons), round(probability, 4), tuple(s.name for s in ranked),
                          why if level > 0 else "")
