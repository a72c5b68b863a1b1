"""Hand-written training lines: ``label<TAB>text``, one a line, in the ``.tsv`` files of a folder (the sentiment
model's in agent/classify/data/sentiment_train, the decision model's in agent/recall/data/decision_train)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path


def read_labelled(folder: Path, labels: Sequence[str]) -> tuple[list[str], list[int]]:
    """The texts and their labels' positions in ``labels``; a bad line raises ValueError naming file and line."""
    texts, found = [], []
    for path in sorted(folder.glob("*.tsv")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            label, _, text = line.partition("\t")
            if label not in labels or not text.strip():
                raise ValueError(f"{path.name}:{number}: expected '{'|'.join(labels)}<TAB>text'")
            texts.append(text.strip())
            found.append(labels.index(label))
    return texts, found
