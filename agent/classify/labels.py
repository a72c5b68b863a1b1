"""Custom labels without a language model: each label is a point in embedding space, scored with a calibrated
probability, and "unsure" when no label is more likely than not, or the likeliest is not twice as likely as the next.

A label is its name, an optional description ("billing: invoices, payments and refunds") and optional examples
(messages that carry it). Its prototype is the normalised mean of the embedded description (or the name) and the
examples; a message's probability for each label is the softmax of its cosine similarities over TEMPERATURE.

Measured with ``confab eval labels … --shots 3 --split test`` on the topics of the chatterbot-corpus (BSD-3;
``python -m bench.labels_data``), 17 labels: names alone, argmax (the previous method) 0.40 accurate; with a
description and three examples each, the likeliest label 0.60, and 0.79 accurate on the 48 % not called unsure
(expected calibration error 0.10; 0.07 on the dev half). TEMPERATURE was fitted (log-loss) on the dev half; the
threshold is not fitted: a best label below even odds is a guess. Descriptions alone add little there (0.43).
The probabilities are among the labels given: there is no "none of these", so a message no label fits is
only less sure (with two labels, lunch talk was "finance" at 0.58 against 1.0 for an invoice).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from agent.embeddings import Embedder

TEMPERATURE = 0.06
UNSURE_BELOW = 0.5
# ... and unsure unless at least twice as likely as the next label: with two labels the likeliest is always at
# even odds or better, so "please add dark mode" was a "bug" at 0.54 against 0.46 for "feature"
RUNNER_UP_ODDS = 2.0
UNSURE = "unsure"
NAME_CHARS = 60
DESCRIPTION_CHARS = 300
MAX_EXAMPLES = 20
EXAMPLE_CHARS = 300
TEXT_CHARS = 1000
# "… as bug / feature / question", each label maybe described: "bug (something is broken)" or "bug: broken"
_ASKED = re.compile(r"\b(?:as|into|with labels?)\s*:?\s*(.+)$", re.I | re.S)
_ASKED_SPLIT = re.compile(r"\s*(?:/|,|;|\bor\b)\s*(?![^()]*\))", re.I)  # not inside a description's brackets
_DESCRIBED = re.compile(r"^([\w\- ]{1,40}?)\s*(?:\((.*)\)|:\s*(.*))?$", re.S)


@dataclass(frozen=True, slots=True)
class LabelSpec:
    name: str
    description: str = ""
    examples: tuple[str, ...] = ()

    def prototype_texts(self) -> list[str]:
        """What is embedded for the label: its description (or its name as a sentence), then its examples."""
        words = self.name.replace("_", " ").replace("-", " ")
        head = f"{words}: {self.description}" if self.description else (
            f"This message is a {words}." if len(words.split()) == 1 else words)
        return [head, *self.examples]


@dataclass(frozen=True, slots=True)
class LabelResult:
    label: str  # a label's name, or UNSURE
    score: float  # the likeliest label's probability
    likeliest: str = ""  # the likeliest label, also when unsure


def asked_labels(request: str) -> list[str]:
    """The labels a request names after "as"/"into" (quote its messages out first), each "name" or "name:
    description"; none unless each part reads as a label."""
    found = _ASKED.search(request)
    if found is None:
        return []
    labels = []
    for part in _ASKED_SPLIT.split(found.group(1).strip().rstrip("?.!")):
        if not part.strip():
            continue
        if (match := _DESCRIBED.match(part.strip())) is None:
            return []
        name, description = match.group(1).strip(), (match.group(2) or match.group(3) or "").strip()
        labels.append(f"{name}: {description}" if description else name)
    return labels


def label_spec(text: str, examples: Sequence[str] = ()) -> LabelSpec | None:
    """A label from "name" or "name: description" (None when there is no name); examples are capped."""
    name, _, description = text.partition(":")
    name = " ".join(name.split())[:NAME_CHARS]
    if not name:
        return None
    kept = tuple(" ".join(e.split())[:EXAMPLE_CHARS] for e in examples if isinstance(e, str) and e.strip())
    return LabelSpec(name, " ".join(description.split())[:DESCRIPTION_CHARS], kept[:MAX_EXAMPLES])


def distinct(specs: Sequence[LabelSpec]) -> list[LabelSpec]:
    """One spec per name (case-insensitive, the first kept)."""
    seen: dict[str, LabelSpec] = {}
    for spec in specs:
        seen.setdefault(spec.name.lower(), spec)
    return list(seen.values())


def probabilities(text_vectors: np.ndarray, prototypes: np.ndarray) -> np.ndarray:
    """Each text's probability for each label (rows sum to 1)."""
    z = (text_vectors @ prototypes.T) / TEMPERATURE
    z -= z.max(axis=1, keepdims=True)
    p = np.exp(z)
    return np.asarray(p / p.sum(axis=1, keepdims=True))


async def prototypes(embedder: Embedder, specs: Sequence[LabelSpec]) -> np.ndarray:
    texts = [spec.prototype_texts() for spec in specs]
    vectors = await embedder.aembed([t for group in texts for t in group])
    out, at = [], 0
    for group in texts:
        mean = np.asarray(vectors[at:at + len(group)], dtype=np.float32).mean(axis=0)
        out.append(mean / max(float(np.linalg.norm(mean)), 1e-9))
        at += len(group)
    return np.stack(out)


async def label_texts(embedder: Embedder, specs: Sequence[LabelSpec], texts: Sequence[str]) -> list[LabelResult]:
    """The label of each text; UNSURE where the likeliest label is below even odds or not twice the next's."""
    if not specs or not texts:
        return []
    protos = await prototypes(embedder, specs)
    vectors = np.asarray(await embedder.aembed([_clean(t) for t in texts]), dtype=np.float32)
    found = []
    for row in probabilities(vectors, protos):
        best, *rest = (int(i) for i in np.argsort(-row)[:2])
        p = float(row[best])
        sure = p >= UNSURE_BELOW and (not rest or p >= RUNNER_UP_ODDS * float(row[rest[0]]))
        found.append(LabelResult(specs[best].name if sure else UNSURE, round(p, 3), specs[best].name))
    return found


def _clean(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()[:TEXT_CHARS] or "(empty)"
