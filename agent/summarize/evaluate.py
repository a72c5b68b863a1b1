"""Scoring the offline summarizer on dialogue data sets (DialogSum/SAMSum shape) with ROUGE F1.

Each JSONL line holds ``{"dialogue": "Name: text\\nName: text…", "summary": "…" or ["…", …]}``. Confab's
summary is the real offline summarizer's TL;DR; the baseline is the dialogue's first three turns. With
several references a prediction is scored against the best one (per metric). ``baseline_named_*`` scores
the first three turns with their ``Name:`` prefixes kept (names are frequent in dialogue summaries, so
that variant is stronger; Confab is reported against both).
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

from agent.embeddings import SHORT_TEXT_MAX_CHARS, Embedder
from agent.memory.models import StoredMessage
from agent.summarize.extractive import summarize_extractive

log = logging.getLogger(__name__)

METRICS = ("rouge1", "rouge2", "rougeL")
_TURN = re.compile(r"^\s*([^:\n]{1,40}?)\s*:\s*(.*)$")
# transcription markup in meeting transcripts (QMSum's AMI/ICSI: {disfmarker}, {vocalsound}, {gap}): annotation,
# not speech
_MARKUP = re.compile(r"\{[a-z]+\}")


@dataclass(frozen=True, slots=True)
class Example:
    dialogue: str
    references: tuple[str, ...]
    topics: tuple[tuple[str, str], ...] = ()  # (question about a topic, its reference answer), QMSum's topic_queries


def read_examples(path: Path, limit: int | None = None) -> tuple[list[Example], int]:
    """Examples from a JSONL file, and how many lines were skipped as malformed."""
    examples: list[Example] = []
    skipped = 0
    with path.open(encoding="utf-8", errors="replace") as handle:
        for line_no, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                refs = row["summary"]
                refs = [refs] if isinstance(refs, str) else [str(r) for r in refs]
                dialogue = str(row["dialogue"])
                topics = tuple((str(q["query"]), str(q["answer"])) for q in row.get("topic_queries") or ())
            except (ValueError, KeyError, TypeError):
                skipped += 1
                log.warning("skipping malformed line", extra={"line": line_no})
                continue
            if dialogue.strip() and any(r.strip() for r in refs):
                examples.append(Example(dialogue, tuple(r for r in refs if r.strip()), topics))
            else:
                skipped += 1
            if limit is not None and len(examples) >= limit:
                break
    return examples, skipped


def dialogue_messages(dialogue: str) -> list[StoredMessage]:
    """``Name: text`` lines as messages; a line without a speaker continues the previous turn."""
    start = datetime(2024, 1, 1, tzinfo=UTC)
    turns: list[tuple[str, str]] = []
    for line in _MARKUP.sub(" ", dialogue).splitlines():
        line = " ".join(line.split())
        match = _TURN.match(line)
        if match and match.group(2).strip():
            turns.append((match.group(1).strip(), match.group(2).strip()))
        elif line.strip() and turns:
            turns[-1] = (turns[-1][0], f"{turns[-1][1]} {line.strip()}")
        elif line.strip():
            turns.append(("Someone", line.strip()))
    return [StoredMessage(channel_key="eval", id=str(i + 1), author_id=name, author_name=name, text=text,
                          created_at=start + timedelta(minutes=i)) for i, (name, text) in enumerate(turns)]


def baseline_first_turns(dialogue: str, turns: int = 3, with_names: bool = False) -> str:
    """The text of the first three turns (speaker names left out, as in the reference baseline figures;
    ``with_names`` keeps the ``Name:`` prefixes, a stronger variant on data whose summaries use the names)."""
    messages = dialogue_messages(dialogue)[:turns]
    if with_names:
        return "\n".join(f"{m.author_name}: {m.text}" for m in messages)
    return "\n".join(m.text for m in messages)


def confab_summary(dialogue: str, embedder: Embedder) -> str:
    return summarize_extractive(dialogue_messages(dialogue), embedder).tldr


def _best(scorer: object, references: Sequence[str], prediction: str) -> dict[str, float]:
    best = dict.fromkeys(METRICS, 0.0)
    for reference in references:
        scores = scorer.score(reference, prediction)  # type: ignore[attr-defined]
        for metric in METRICS:
            best[metric] = max(best[metric], scores[metric].fmeasure)
    return best


def evaluate(examples: Iterable[Example], embedder: Embedder) -> dict[str, float]:
    """Mean ROUGE-1/2/L F1 (×100) of Confab's summary and of the first-three-turns baseline."""
    from rouge_score import rouge_scorer

    scorer = rouge_scorer.RougeScorer(list(METRICS), use_stemmer=True)
    totals = dict.fromkeys([*METRICS, *(f"baseline_{m}" for m in METRICS),
                            *(f"baseline_named_{m}" for m in METRICS)], 0.0)
    count = 0
    for example in examples:
        ours = _best(scorer, example.references, confab_summary(example.dialogue, embedder))
        base = _best(scorer, example.references, baseline_first_turns(example.dialogue))
        named = _best(scorer, example.references, baseline_first_turns(example.dialogue, with_names=True))
        for metric in METRICS:
            totals[metric] += ours[metric]
            totals[f"baseline_{metric}"] += base[metric]
            totals[f"baseline_named_{metric}"] += named[metric]
        count += 1
    result = {key: round(100 * value / count, 2) if count else 0.0 for key, value in totals.items()}
    result["examples"] = float(count)
    return result


def evaluate_topics(examples: Iterable[Example], embedder: Embedder) -> dict[str, float]:
    """Mean ROUGE-1/2/L F1 (×100) of Confab's summary about each topic question (``/summarize about <topic>``:
    the TL;DR) against its reference answer, and of a retrieval baseline in the same run: the three turns
    closest to the question by the same embedding."""
    from rouge_score import rouge_scorer

    scorer = rouge_scorer.RougeScorer(list(METRICS), use_stemmer=True)
    totals = dict.fromkeys([*METRICS, *(f"baseline_{m}" for m in METRICS)], 0.0)
    count = 0
    for example in examples:
        messages = dialogue_messages(example.dialogue)
        if not example.topics or not messages:
            continue
        vectors = embedder.embed([m.text[:SHORT_TEXT_MAX_CHARS] for m in messages])
        for question, answer in example.topics:
            ours = summarize_extractive(messages, embedder, topic=question).tldr
            closest = np.argsort(-(vectors @ embedder.embed([question])[0]))[:3]
            baseline = " ".join(messages[i].text for i in sorted(int(i) for i in closest))
            for prefix, prediction in (("", ours), ("baseline_", baseline)):
                scores = scorer.score(answer, prediction)
                for metric in METRICS:
                    totals[prefix + metric] += scores[metric].fmeasure
            count += 1
    result = {key: round(100 * value / count, 2) if count else 0.0 for key, value in totals.items()}
    result["questions"] = float(count)
    return result
