"""``confab classify`` (JSONL in, JSONL out) and ``confab eval spam`` / ``confab eval sentiment``.

Input is read strictly (:mod:`bot.cli.input`): a line that is not what the command's ``--help``
describes is reported with its number and reason, and the command exits 2 without scoring anything.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from bot.cli.input import (
    SENTIMENT_LABELS,
    SENTIMENT_SPELLINGS,
    SPAM_LABELS,
    BadLine,
    binary_label,
    choice_label,
    collect,
    exit_on_problems,
    field,
    json_object,
    numbered_lines,
    read_rows,
    spellings,
    string_field,
)
from bot.cli.scores import report_binary, report_classes

T = TypeVar("T")
Task = Annotated[str, typer.Option("--task", help="spam | sentiment | labels")]


def classify(task: Task = "spam",
             labels: Annotated[str, typer.Option("--labels", help="for --task labels: two or more labels, "
                                                                   "comma-separated (a,b,c)")] = "") -> None:
    """Classify JSON lines from stdin; write each back with "label", "score" and "reasons" added.

    Input, one JSON object per line: "text" (a string, required).

    Optional: "author" and "channel" (strings; spam uses them for repeat and flood signals), "ts" (Unix seconds).

    Other fields are passed through unchanged. Blank lines are ignored.

    A line that is not like that is reported with its number and reason; nothing is written (exit status 2).
    """
    import asyncio
    import os

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    names = [x.strip() for x in labels.split(",") if x.strip()]
    if task not in ("spam", "sentiment", "labels") or (task == "labels" and len(set(names)) < 2):
        typer.echo("confab: --task spam|sentiment|labels (labels needs --labels a,b,...)", err=True)
        raise typer.Exit(2)
    text = sys.stdin.buffer.read().decode("utf-8", "replace")
    rows, problems = collect(numbered_lines(text), _classify_row)
    exit_on_problems("stdin", problems)
    results = asyncio.run(_classify(task, [r["text"] for r in rows], names, rows))
    for row, result in zip(rows, results, strict=True):
        sys.stdout.write(json.dumps(row | result, ensure_ascii=False) + "\n")


def _classify_row(line: str) -> dict[str, Any]:
    row = json_object(line)
    string_field(row, "text")
    ts = row.get("ts")
    if ts is not None and (isinstance(ts, bool) or not isinstance(ts, (int, float))):
        raise BadLine(f'"ts" must be Unix time in seconds (a number), got {json.dumps(ts)}')
    for key in ("author", "channel"):
        if row.get(key) is not None and not isinstance(row[key], str):
            raise BadLine(f'"{key}" must be a string, got {json.dumps(row[key])[:40]}')
    return row


async def _classify(task: str, texts: list[str], labels: list[str], rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    from agent.classify.sentiment import analyze_sentiment
    from agent.classify.spam import SpamClassifier
    from agent.embeddings import LocalEmbedder, make_embedder
    from bot.cli.startup import load_settings_or_exit

    settings = load_settings_or_exit()
    if task == "spam":
        classifier = SpamClassifier(settings.spam_threshold)
        out = []
        for row in rows:  # author/channel/ts give the behaviour signals their context
            ts = row.get("ts")
            result = classifier.classify(row["text"], str(row.get("author") or ""), str(row.get("channel") or ""),
                                         float(ts) if isinstance(ts, (int, float)) else None)
            out.append({"label": result.label, "score": result.score, "reasons": list(result.reasons)})
        return out
    local = LocalEmbedder(model_cache_dir=settings.model_cache_dir)
    if task == "sentiment":
        return [{"label": r.label, "score": r.score, "reasons": []} for r in analyze_sentiment(texts, local)]
    from agent.classify.service import Classification

    embedder = make_embedder(settings, local)
    found = await Classification(settings, lambda: embedder).labels(texts, labels)
    return [{"label": r.label, "score": r.score,
             "reasons": [] if r.label == r.likeliest else [f"likeliest {r.likeliest}"]} for r in found]


def _read_labelled(data: Path, fmt: str, label: Callable[[Any], T], split: str = "all") -> tuple[list[str], list[T]]:
    """Texts and their truth (``label`` reads a label's spelling) from ``data``; any bad line is reported (number
    and reason) and exits 2."""
    def parse(line: str) -> tuple[str, T]:
        if fmt == "jsonl":
            row = json_object(line)
            text = str(string_field(row, "text"))
            return text, label(field(row, "label"))
        first, sep, second = line.partition("\t")
        if not sep:
            raise BadLine("expected two tab-separated columns")
        # sms: label<TAB>text (the SMS Spam Collection); uci: sentence<TAB>1|0 (UCI sentiment sentences)
        truth, text = (first, second) if fmt == "sms" else (second, first)
        if not text.strip():
            raise BadLine("the text column is empty")
        return text, label(truth)

    found = read_rows(data, parse)
    if not found:
        typer.echo(f"confab: no labelled messages in {data}", err=True)
        raise typer.Exit(2)
    texts, truth = [t for t, _ in found], [y for _, y in found]
    if split == "test":
        from agent.classify.train import held_out_split

        _, test = held_out_split(texts, [int(bool(y)) for y in truth])
        return [texts[i] for i in test], [truth[i] for i in test]
    return texts, truth


def _check_choice(name: str, value: str, choices: tuple[str, ...]) -> None:
    if value not in choices:
        typer.echo(f"confab: {name} {value!r}: use {' | '.join(choices)}", err=True)
        raise typer.Exit(2)


def eval_spam(data: Annotated[Path, typer.Option("--data", help="the labelled messages (format above)")],
              fmt: Annotated[str, typer.Option("--format", help="jsonl | sms")] = "jsonl",
              split: Annotated[str, typer.Option(help="test: the held-out 20% of a set the shipped model was trained "
                                                      "on (SMS, janitr) | all (default for --format jsonl)")] = "",
              sender: Annotated[str, typer.Option(help="stranger (the text alone) | member (each author posted "
                                                       "here before and is a full member) | newcomer (a full "
                                                       "member's first message in a workspace Confab joined "
                                                       "days ago)")] = "stranger",
              as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    from agent.classify.spam import SpamClassifier
    from agent.classify.standing import Sender
    from agent.classify.text_model import model_path
    from bot.cli.startup import load_settings_or_exit

    _check_choice("--format", fmt, ("jsonl", "sms"))
    split = split or ("test" if fmt == "sms" else "all")
    _check_choice("--split", split, ("test", "all"))
    _check_choice("--sender", sender, ("stranger", "member", "newcomer"))
    texts, truth = _read_labelled(data, fmt, lambda value: int(binary_label(value, SPAM_LABELS)), split)
    settings = load_settings_or_exit()
    classifier = SpamClassifier(settings.spam_threshold, path=model_path(settings.data_dir))  # a retrained one too
    classifier.model.probabilities(["warm up"])
    started = time.perf_counter()
    member = Sender(True, "a full member of this workspace")
    if sender == "member":  # each author's earlier, unflagged message, then the one scored
        results = []
        for i, text in enumerate(texts):
            classifier.classify("morning all", f"member{i}", "eval", now=0.0)
            results.append(classifier.classify(text, f"member{i}", "eval", now=60.0, sender=member))
    elif sender == "newcomer":  # no history, in a workspace not watched long enough for that to mean anything
        results = [classifier.classify(text, f"newcomer{i}", "eval", now=60.0, sender=member, watched=False)
                   for i, text in enumerate(texts)]
    else:
        results = classifier.classify_texts(texts)
    predicted = [int(r.label == "spam") for r in results]
    extra = " (the fixed-seed held-out 20%, never trained on)" if split == "test" else ""
    report_binary("spam", truth, predicted, time.perf_counter() - started, as_json, extra)


eval_spam.__doc__ = f"""Spam precision/recall/F1 (spam is the positive class), accuracy, confusion matrix, throughput.

    --format jsonl: one JSON object per line with "text" (a string) and "label".

    --format sms: label<TAB>text per line, as in the SMS Spam Collection.

    Labels: {spellings(SPAM_LABELS)}; any case, and JSON true/false or 1/0 too.

    Blank lines are ignored. Any other line is reported with its number and reason; nothing is scored (exit 2).
    """


def eval_sentiment(data: Annotated[Path, typer.Option("--data", help="the labelled sentences (format above)")],
                   fmt: Annotated[str, typer.Option("--format", help="jsonl | uci")] = "jsonl",
                   as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    from agent.classify.sentiment import LABELS, analyze_sentiment
    from agent.embeddings import LocalEmbedder

    _check_choice("--format", fmt, ("jsonl", "uci"))
    texts, truth = _read_labelled(data, fmt, lambda value: choice_label(value, SENTIMENT_LABELS, SENTIMENT_SPELLINGS))
    embedder = LocalEmbedder()
    analyze_sentiment(["warm up"], embedder)  # loads the embedding model outside the timed part
    started = time.perf_counter()
    results = analyze_sentiment(texts, embedder)
    seconds = time.perf_counter() - started
    if "neutral" in truth:
        report_classes(LABELS, truth, [r.label for r in results], seconds, as_json)
        return
    # a two-class set (positive vs negative): a neutral prediction counts on the side its score leans to
    report_binary("positive", [int(t == "positive") for t in truth], [int(r.score >= 0) for r in results], seconds,
                  as_json, "")


eval_sentiment.__doc__ = f"""Sentiment in three classes (negative, neutral, positive) when the set has neutral rows:
    accuracy, macro-F1, each class's precision/recall/F1 and the confusion matrix. A two-class set (no neutral
    row) is scored as positive vs negative: accuracy, precision/recall/F1 for positive. Throughput too.

    --format jsonl: one JSON object per line with "text" (a string) and "label".

    --format uci: sentence<TAB>label per line, as in the UCI Sentiment Labelled Sentences.

    Labels: {SENTIMENT_SPELLINGS}; any case, and JSON true/false or 1/0 too.

    Blank lines are ignored. Any other line is reported with its number and reason; nothing is scored (exit 2).
    """
