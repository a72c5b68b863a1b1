"""The channel's mood from the classification helper's sentiment model, when it is installed."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from agent.embeddings import Embedder

log = logging.getLogger(__name__)

UNAVAILABLE = "mood unavailable"
_SAMPLE = 100  # messages read for the mood, spread evenly over the window (the share is within a few %)


def describe_mood(texts: Sequence[str], embedder: Embedder) -> str:
    """The mood line; ``embedder`` is the local model the sentiment classifier reads."""
    try:
        from agent.classify.sentiment import analyze_sentiment, overall_label
    except ImportError:
        log.info("sentiment analysis not installed; mood unavailable")
        return UNAVAILABLE
    readable = [t for t in texts if t.strip()]
    stride = max(1, len(readable) / _SAMPLE)
    sample = [readable[int(i * stride)] for i in range(min(_SAMPLE, len(readable)))]
    if not sample:
        return UNAVAILABLE
    try:
        results = analyze_sentiment(sample, embedder)
    except Exception:
        log.exception("sentiment analysis failed")
        return UNAVAILABLE
    if not results:
        return UNAVAILABLE
    counts = {"positive": 0, "neutral": 0, "negative": 0}
    for result in results:
        counts[result.label] = counts.get(result.label, 0) + 1
    mean = sum(float(r.score) for r in results) / len(results)
    label = overall_label(mean)
    overall: str = "mostly neutral" if label == "neutral" else label
    if label != "neutral" and 2 * counts["neutral"] >= len(results):
        # the messages' leaning without saying more than they do: "negative (100% neutral)" read as a bad mood
        overall = f"mostly neutral, leaning {label}"
    elif overall != "mostly neutral" and counts["positive"] and counts["negative"]:
        overall = f"{overall}, with some mixed feelings" if min(counts["positive"], counts["negative"]) > len(
            results) * 0.2 else overall
    share = ", ".join(f"{round(100 * n / len(results))}% {label}" for label, n in counts.items() if n)
    return f"{overall} ({share}; average polarity {mean:+.2f})"
