"""The mood line uses the classification helper's analyze_sentiment and degrades when it is missing."""

import sys
import types
from dataclasses import dataclass
from typing import Any

import pytest

from agent.classify.sentiment import overall_label
from agent.summarize.mood import UNAVAILABLE, describe_mood

EMBEDDER: Any = object()  # the fake sentiment never embeds


@dataclass
class Result:
    label: str
    score: float


def fake_sentiment(monkeypatch: pytest.MonkeyPatch, analyze: object) -> None:
    module = types.ModuleType("agent.classify.sentiment")
    module.analyze_sentiment = analyze  # type: ignore[attr-defined]
    module.overall_label = overall_label  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "agent.classify.sentiment", module)


def test_mood_from_sentiment(monkeypatch: pytest.MonkeyPatch) -> None:
    def analyze(texts: list[str], embedder: object) -> list[Result]:
        return [Result("positive", 0.8) if "great" in t else Result("neutral", 0.0) for t in texts]

    fake_sentiment(monkeypatch, analyze)
    mood = describe_mood(["great work", "great demo", "ok", "great"], EMBEDDER)
    assert mood.startswith("positive") and "75% positive" in mood and "25% neutral" in mood
    thirds = describe_mood(["great", "ok", "fine"], EMBEDDER)  # shares are rounded, not cut: 33% + 67%
    assert "33% positive" in thirds and "67% neutral" in thirds


def test_mood_unavailable_when_the_model_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(texts: list[str], embedder: object) -> list[Result]:
        raise RuntimeError("model file missing")

    fake_sentiment(monkeypatch, broken)
    assert describe_mood(["hello"], EMBEDDER) == UNAVAILABLE


def test_mood_unavailable_when_not_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "agent.classify.sentiment", None)  # makes the import fail
    assert describe_mood(["hello"], EMBEDDER) == UNAVAILABLE


def test_a_mood_of_mostly_neutral_messages_is_never_told_as_their_leaning(monkeypatch: pytest.MonkeyPatch) -> None:
    """Two neutral messages whose scores lean negative read "negative (100% neutral; average polarity -0.18)"."""
    def analyze(texts: list[str], embedder: object) -> list[Result]:
        return [Result("neutral", -0.18) for _ in texts]

    fake_sentiment(monkeypatch, analyze)
    mood = describe_mood(["what did kim say?", "what's wrong in this log?"], EMBEDDER)
    assert mood.startswith("mostly neutral, leaning negative (100% neutral"), mood
