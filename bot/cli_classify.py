"""``confab classify`` (JSONL in, JSONL out) and ``confab eval spam`` / ``confab eval sentiment``."""

from __future__ import annotations

import csv
import json
import sys
import time
from pathlib import Path
from typing import Annotated, Any

import typer

Task = Annotated[str, typer.Option("--task", help="spam | sentiment | labels")]


def classify(task: Task = "spam",
             labels: Annotated[str, typer.Option("--labels", help="for --task labels: a,b,c")] = "") -> None:
    """Read {"text": ...} JSON lines on stdin; write them back with label, score and reasons."""
    import asyncio
    import os

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    if task not in ("spam", "sentiment", "labels") or (task == "labels" and len(labels.split(",")) < 2):
        typer.echo("confab: --task spam|sentiment|labels (labels needs --labels a,b,...)", err=True)
        raise typer.Exit(2)
    rows, bad = [], 0
    for line in sys.stdin.buffer.read().decode("utf-8", "replace").split("\n"):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            if not isinstance(row, dict) or not isinstance(row.get("text"), str):
                raise ValueError
            rows.append(row)
        except ValueError:
            bad += 1
    results = asyncio.run(_classify(task, [r["text"] for r in rows], [x.strip() for x in labels.split(",")], rows))
    for row, result in zip(rows, results, strict=True):
        sys.stdout.write(json.dumps(row | result, ensure_ascii=False) + "\n")
    if bad:
        typer.echo(f"confab: skipped {bad} malformed lines", err=True)


async def _classify(task: str, texts: list[str], labels: list[str], rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    from agent.classify.sentiment import analyze_sentiment
    from agent.classify.spam import SpamClassifier
    from bot.cli_core import load_settings_or_exit

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
    if task == "sentiment":
        return [{"label": r.label, "score": r.score, "reasons": []} for r in analyze_sentiment(texts)]
    from agent.classify.service import Classification
    from agent.embeddings import make_embedder

    embedder = make_embedder(settings)
    found = await Classification(settings, lambda: embedder).labels(texts, labels)
    return [{"label": r.label, "score": r.score, "reasons": []} for r in found]


def _read_labelled(data: Path, fmt: str, positive: str, split: str) -> tuple[list[str], list[int]]:
    if fmt == "sms":
        from agent.classify.train import read_sms, sms_split

        texts, labels = read_sms(data)
        if split == "test":
            _, test = sms_split(texts, labels)
            return [texts[i] for i in test], [labels[i] for i in test]
        return texts, labels
    if fmt == "uci":
        with data.open(encoding="utf-8", errors="replace") as handle:
            rows = [r for r in csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE) if len(r) >= 2]
        return [r[0] for r in rows], [int(r[1].strip() == "1") for r in rows]
    texts, labels = [], []
    for line in data.read_text(encoding="utf-8", errors="replace").split("\n"):
        try:
            row = json.loads(line)
            texts.append(str(row["text"]))
            labels.append(int(str(row["label"]).lower() == positive))
        except (ValueError, KeyError, TypeError):
            continue
    return texts, labels


def _report(name: str, truth: list[int], predicted: list[int], seconds: float, as_json: bool, extra: str) -> None:
    tp = sum(t and p for t, p in zip(truth, predicted, strict=True))
    fp = sum(p and not t for t, p in zip(truth, predicted, strict=True))
    fn = sum(t and not p for t, p in zip(truth, predicted, strict=True))
    tn = len(truth) - tp - fp - fn
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    figures = {"precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4),
               "accuracy": round((tp + tn) / max(1, len(truth)), 4),
               "messages_per_s": round(len(truth) / max(seconds, 1e-9), 1), "messages": len(truth),
               "confusion": {"tp": tp, "fp": fp, "fn": fn, "tn": tn}}
    if as_json:
        typer.echo(json.dumps(figures))
        return
    typer.echo(f"{len(truth)} messages{extra}")
    for key in ("precision", "recall", "f1", "accuracy"):
        suffix = f"  ({name})" if key != "accuracy" else ""
        typer.echo(f"  {key:10} {figures[key]:.4f}{suffix}")
    typer.echo(f"  confusion  predicted {name}/other: true {name} {tp}/{fn}, true other {fp}/{tn}")
    typer.echo(f"  speed      {figures['messages_per_s']:.0f} messages/s")


def eval_spam(data: Annotated[Path, typer.Option("--data")],
              fmt: Annotated[str, typer.Option("--format", help="jsonl | sms")] = "jsonl",
              split: Annotated[str, typer.Option(help="sms only: test (the held-out 20%) | all")] = "test",
              as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Spam precision/recall/F1 (spam is the positive class), accuracy, confusion matrix, throughput."""
    from agent.classify.spam import SpamClassifier
    from bot.cli_core import load_settings_or_exit

    if not data.is_file():
        typer.echo(f"confab: no such file: {data}", err=True)
        raise typer.Exit(2)
    texts, truth = _read_labelled(data, fmt, "spam", split)
    if not texts:
        typer.echo(f"confab: no labelled messages in {data}", err=True)
        raise typer.Exit(2)
    classifier = SpamClassifier(load_settings_or_exit().spam_threshold)
    classifier.model.probabilities(["warm up"])
    started = time.perf_counter()
    predicted = [int(r.label == "spam") for r in classifier.classify_texts(texts)]
    extra = " (the fixed-seed held-out 20% of the SMS set)" if fmt == "sms" and split == "test" else ""
    _report("spam", truth, predicted, time.perf_counter() - started, as_json, extra)


def eval_sentiment(data: Annotated[Path, typer.Option("--data")],
                   fmt: Annotated[str, typer.Option("--format", help="jsonl | uci")] = "jsonl",
                   as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Sentiment accuracy (positive vs not), precision/recall/F1 for positive, throughput."""
    from agent.classify.sentiment import analyze_sentiment

    if not data.is_file():
        typer.echo(f"confab: no such file: {data}", err=True)
        raise typer.Exit(2)
    texts, truth = _read_labelled(data, fmt, "positive", "all")
    if not texts:
        typer.echo(f"confab: no labelled messages in {data}", err=True)
        raise typer.Exit(2)
    analyze_sentiment(["warm up"])  # loads the embedding model outside the timed part
    started = time.perf_counter()
    predicted = [int(r.score >= 0) for r in analyze_sentiment(texts)]  # binary sets: neutral counts as positive
    _report("positive", truth, predicted, time.perf_counter() - started, as_json, "")


def register(app: typer.Typer, eval_app: typer.Typer) -> None:
    app.command("classify")(classify)
    eval_app.command("spam")(eval_spam)
    eval_app.command("sentiment")(eval_sentiment)
