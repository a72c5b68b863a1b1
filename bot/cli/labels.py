"""``confab eval labels``: custom labels scored on a labelled set, against label names alone in the same run.

The labels come from a file of JSON lines, one per label: "name" (a string, required), "description" (a string)
and "examples" (a list of strings). ``--shots K`` also draws K messages of each label from the data (fixed seed)
as its examples; they are not scored. ``--split dev|test`` scores one half of the rest (by a stable hash of the
text): the dev half is where the temperature of agent/classify/labels.py was fitted.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import random
import time
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import typer

from bot.cli.input import (
    BadLine,
    field,
    json_object,
    read_rows,
    string_field,
)
from bot.cli.scores import macro_f1

ECE_BINS = 10


def eval_labels(data: Annotated[Path, typer.Option("--data", help='JSON lines with "text" and "label"')],
                labels: Annotated[Path, typer.Option("--labels", help='JSON lines with "name", and maybe '
                                                                      '"description" and "examples"')],
                shots: Annotated[int, typer.Option(help="examples per label drawn from --data (not scored)")] = 0,
                split: Annotated[str, typer.Option(help="all | dev | test (halves of the rows scored)")] = "all",
                seed: Annotated[int, typer.Option(help="for drawing --shots")] = 13,
                as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Custom labels: accuracy and macro-F1 ("unsure" counts as wrong), the share labelled (not unsure), the
    accuracy of those, the expected calibration error of the likeliest label's probability, and the accuracy of
    the likeliest label with no unsure; beside them the label names alone, argmax (the method before
    descriptions, examples and calibration).

    A line that is not as described is reported with its number and reason; nothing is scored (exit 2).
    """
    import asyncio
    import os

    from agent.classify.labels import LabelSpec, distinct

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    if split not in ("all", "dev", "test") or shots < 0:
        typer.echo("confab: --split all|dev|test, --shots 0 or more", err=True)
        raise typer.Exit(2)
    specs = distinct(read_rows(labels, _spec_line))
    if len(specs) < 2:
        typer.echo(f"confab: {labels}: two or more labels are needed", err=True)
        raise typer.Exit(2)
    names = {spec.name: spec for spec in specs}
    rows = read_rows(data, lambda line: _row_line(line, names))
    rng = random.Random(seed)
    drawn: dict[str, list[int]] = {}
    for name in names:
        mine = [i for i, (_, label) in enumerate(rows) if label == name]
        drawn[name] = rng.sample(mine, min(shots, max(0, len(mine) - 1)))
    taken = {i for picked in drawn.values() for i in picked}
    specs = [LabelSpec(s.name, s.description, (*s.examples, *(rows[i][0] for i in drawn[s.name]))) for s in specs]
    scored = [(t, y) for i, (t, y) in enumerate(rows) if i not in taken and _half(t) in _halves(split)]
    if not scored:
        typer.echo(f"confab: no rows left to score in {data}", err=True)
        raise typer.Exit(2)
    started = time.perf_counter()
    figures = asyncio.run(_score(specs, scored))
    figures |= {"messages": len(scored), "labels": len(specs), "shots": shots, "split": split,
                "seconds": round(time.perf_counter() - started, 2)}
    if as_json:
        typer.echo(json.dumps(figures))
        return
    typer.echo(f"{len(scored)} messages, {len(specs)} labels, {shots} examples a label drawn from the data, "
               f"split {split}")
    typer.echo(f"  described  accuracy {figures['accuracy']:.4f}  macro-F1 {figures['macro_f1']:.4f}  labelled "
               f"{figures['labelled']:.2f} (accuracy {figures['accuracy_labelled']:.4f})  calibration error "
               f"{figures['ece']:.4f}  likeliest label (no unsure) accuracy {figures['likeliest_accuracy']:.4f}")
    typer.echo(f"  names only accuracy {figures['names_accuracy']:.4f}  macro-F1 {figures['names_macro_f1']:.4f}"
               "  (argmax, no unsure)")


async def _score(specs: list[Any], scored: list[tuple[str, str]]) -> dict[str, Any]:
    from agent.classify.labels import UNSURE, LabelSpec, label_texts
    from agent.embeddings import LocalEmbedder, make_embedder
    from bot.cli.startup import load_settings_or_exit

    settings = load_settings_or_exit()
    embedder = make_embedder(settings, LocalEmbedder(model_cache_dir=settings.model_cache_dir))
    texts, truth = [t for t, _ in scored], [y for _, y in scored]
    found = await label_texts(embedder, specs, texts)
    names_only = await label_texts(embedder, [LabelSpec(s.name) for s in specs], texts)
    classes = [s.name for s in specs]
    predicted = [f.label for f in found]
    labelled = [i for i, p in enumerate(predicted) if p != UNSURE]
    right = np.array([f.likeliest == y for f, y in zip(found, truth, strict=True)])
    confidence = np.array([f.score for f in found])
    return {"accuracy": round(float(np.mean([p == y for p, y in zip(predicted, truth, strict=True)])), 4),
            "likeliest_accuracy": round(float(right.mean()), 4),
            "macro_f1": macro_f1(classes, truth, predicted),
            "labelled": round(len(labelled) / len(truth), 4),
            "accuracy_labelled": round(float(np.mean([predicted[i] == truth[i] for i in labelled])), 4)
            if labelled else 0.0,
            "ece": round(_calibration_error(confidence, right), 4),
            "names_accuracy": round(float(np.mean([f.likeliest == y for f, y in zip(names_only, truth, strict=True)])),
                                    4),
            "names_macro_f1": macro_f1(classes, truth, [f.likeliest for f in names_only])}


def _calibration_error(confidence: np.ndarray, right: np.ndarray) -> float:
    """Expected calibration error: the gap between confidence and accuracy, averaged over ten equal bins."""
    total = 0.0
    edges = np.linspace(0.0, 1.0, ECE_BINS + 1)
    for low, high in itertools.pairwise(edges):
        inside = (confidence > low) & (confidence <= high)
        if inside.any():
            total += float(inside.mean()) * abs(float(right[inside].mean()) - float(confidence[inside].mean()))
    return total


def _half(text: str) -> str:
    return "dev" if hashlib.sha1(text.encode("utf-8", "replace"), usedforsecurity=False).digest()[0] % 2 else "test"


def _halves(split: str) -> tuple[str, ...]:
    return ("dev", "test") if split == "all" else (split,)


def _spec_line(line: str) -> Any:
    from agent.classify.labels import label_spec

    row = json_object(line)
    name = str(string_field(row, "name"))
    description = row.get("description", "")
    examples = row.get("examples", [])
    if not isinstance(description, str):
        raise BadLine('"description" must be a string')
    if not isinstance(examples, list) or not all(isinstance(e, str) for e in examples):
        raise BadLine('"examples" must be a list of strings')
    if ":" in name:
        raise BadLine('a "name" can\'t hold ":" (put the meaning in "description")')
    spec = label_spec(f"{name}: {description}" if description else name, examples)
    if spec is None:
        raise BadLine('"name" is empty')
    return spec


def _row_line(line: str, names: dict[str, Any]) -> tuple[str, str]:
    row = json_object(line)
    text = str(string_field(row, "text"))
    label = field(row, "label")
    if not isinstance(label, str) or label not in names:
        raise BadLine(f'"label" {json.dumps(label)[:40]} is not one of the labels ({", ".join(sorted(names))[:200]})')
    return text, label
