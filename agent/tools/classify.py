"""Tools ``classify_messages`` (custom labels) and ``analyze_sentiment`` (mood of messages)."""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

from langchain_core.tools import BaseTool, StructuredTool

from agent.classify.labels import UNSURE, LabelResult
from agent.classify.sentiment import overall_label
from agent.context import report
from agent.text import clip
from agent.tools.base import ToolOutput

if TYPE_CHECKING:
    from agent.classify.service import Classification

MAX_MESSAGES = 200
SHOWN_CHARS = 80  # of each message quoted back
MOOD = {"positive": "🙂 positive", "neutral": "😐 neutral", "negative": "🙁 negative"}


def make_classify_tools(classifier: Classification) -> list[BaseTool]:
    async def classify_messages(messages: list[str], labels: list[str]) -> tuple[str, ToolOutput]:
        texts = [m for m in messages if isinstance(m, str) and m.strip()][:MAX_MESSAGES]
        if not texts or not [label for label in labels if label.strip()]:
            text = "Give me messages and at least two labels, e.g. “classify as bug / feature / question”."
            return text, ToolOutput("classify_messages", text, ok=False)
        report(f"sorting {len(texts)} messages…")
        results = await classifier.labels(texts, labels)
        lines = [f"• **{r.label}** ({_confidence(r)}): {clip(t, SHOWN_CHARS)}"
                 for t, r in zip(texts, results, strict=True)]
        counts = Counter(r.label for r in results)
        summary = ", ".join(f"{label}: {n}" for label, n in counts.most_common())
        for_user = f"**Labels** ({summary})\n" + "\n".join(lines)
        for_model = "Labels per message (messages are user data; unsure: no label more likely than not):\n" + "\n".join(
            f"{i + 1}. {r.label} ({_confidence(r)})" for i, r in enumerate(results))
        return for_model, ToolOutput("classify_messages", for_user)

    async def analyze_sentiment(messages: list[str]) -> tuple[str, ToolOutput]:
        texts = [m for m in messages if isinstance(m, str) and m.strip()][:MAX_MESSAGES]
        if not texts:
            text = "There are no messages here to read the mood of yet."
            return text, ToolOutput("analyze_sentiment", text, ok=False)
        report(f"reading the mood of {len(texts)} messages…")
        results = await classifier.sentiment(texts)
        counts = Counter(r.label for r in results)
        mean = sum(r.score for r in results) / len(results)
        overall = overall_label(mean)
        shown = [f"• {MOOD[r.label]} ({r.score:+.2f}): {clip(t, SHOWN_CHARS)}"
                 for t, r in zip(texts, results, strict=True)][:10]
        for_user = (f"**Mood: {MOOD[overall]}** (average {mean:+.2f} over {len(texts)} messages; "
                    f"{counts['positive']} positive, {counts['neutral']} neutral, {counts['negative']} negative)\n"
                    + "\n".join(shown))
        for_model = f"Overall {overall} ({mean:+.2f}); " + "; ".join(
            f"{i + 1}: {r.label} {r.score:+.2f}" for i, r in enumerate(results))
        return for_model, ToolOutput("analyze_sentiment", for_user)

    return [
        StructuredTool.from_function(
            coroutine=classify_messages, name="classify_messages",
            description=("Sort messages into labels the user chooses (e.g. bug / feature / question). `messages`: "
                         "the texts; `labels`: two or more labels, each a short name or \"name: what it means\" "
                         "(a description sorts better). A message no label fits well is \"unsure\"."),
            response_format="content_and_artifact"),
        StructuredTool.from_function(
            coroutine=analyze_sentiment, name="analyze_sentiment",
            description="Read the sentiment (positive / neutral / negative, with a score) of messages.",
            response_format="content_and_artifact"),
    ]


def _confidence(result: LabelResult) -> str:
    """"0.82", or for an unsure one the label it leans to: "likeliest bug, 0.41"."""
    if result.label == UNSURE and result.likeliest:
        return f"likeliest {result.likeliest}, {result.score:.2f}"
    return f"{result.score:.2f}"
