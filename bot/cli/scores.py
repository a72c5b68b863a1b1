"""What ``confab eval spam`` / ``confab eval sentiment`` print: two-class figures for the positive class, or
accuracy, macro-F1 and each class's figures for a set of several classes; ``--json`` prints them as one object."""

from __future__ import annotations

import json
from collections.abc import Sequence

import typer


def report_binary(name: str, truth: list[int], predicted: list[int], seconds: float, as_json: bool,
                  extra: str) -> None:
    tp = sum(t and p for t, p in zip(truth, predicted, strict=True))
    fp = sum(p and not t for t, p in zip(truth, predicted, strict=True))
    fn = sum(t and not p for t, p in zip(truth, predicted, strict=True))
    tn = len(truth) - tp - fp - fn
    precision, recall, f1 = _prf(tp, fp, fn)
    figures = {"precision": precision, "recall": recall, "f1": f1,
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


def report_classes(classes: Sequence[str], truth: list[str], predicted: list[str], seconds: float,
                   as_json: bool) -> None:
    """Accuracy, macro-F1 (the unweighted mean of the classes' F1) and per class precision/recall/F1, with the
    confusion matrix as {true class: {predicted class: count}}."""
    pairs = list(zip(truth, predicted, strict=True))
    confusion = {t: {p: sum(1 for a, b in pairs if a == t and b == p) for p in classes} for t in classes}
    per_class = {}
    for name in classes:
        tp = confusion[name][name]
        fp = sum(confusion[t][name] for t in classes if t != name)
        fn = sum(confusion[name][p] for p in classes if p != name)
        precision, recall, f1 = _prf(tp, fp, fn)
        per_class[name] = {"precision": precision, "recall": recall, "f1": f1, "support": tp + fn}
    figures = {"classes": list(classes), "accuracy": round(sum(a == b for a, b in pairs) / max(1, len(pairs)), 4),
               "macro_f1": round(sum(c["f1"] for c in per_class.values()) / len(classes), 4),
               "per_class": per_class, "confusion": confusion, "messages": len(pairs),
               "messages_per_s": round(len(pairs) / max(seconds, 1e-9), 1)}
    if as_json:
        typer.echo(json.dumps(figures))
        return
    typer.echo(f"{len(pairs)} messages, {len(classes)} classes")
    typer.echo(f"  accuracy   {figures['accuracy']:.4f}")
    typer.echo(f"  macro-F1   {figures['macro_f1']:.4f}")
    width = max(len(name) for name in classes)
    for name, c in per_class.items():
        typer.echo(f"  {name:{width}}  precision {c['precision']:.4f}  recall {c['recall']:.4f}  f1 {c['f1']:.4f}"
                   f"  ({c['support']} true)")
    typer.echo(f"  confusion  rows true, columns predicted ({', '.join(classes)}):")
    for name in classes:
        typer.echo(f"    {name:{width}}  " + "  ".join(f"{confusion[name][p]:5d}" for p in classes))
    typer.echo(f"  speed      {figures['messages_per_s']:.0f} messages/s")


def macro_f1(classes: Sequence[str], truth: Sequence[str], predicted: Sequence[str]) -> float:
    """The unweighted mean of the classes' F1; a prediction outside ``classes`` ("unsure") is a miss."""
    pairs = list(zip(truth, predicted, strict=True))
    scores = [_prf(sum(t == c and p == c for t, p in pairs), sum(t != c and p == c for t, p in pairs),
                   sum(t == c and p != c for t, p in pairs))[2] for c in classes]
    return round(sum(scores) / max(1, len(scores)), 4)


def _prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return round(precision, 4), round(recall, 4), round(f1, 4)
