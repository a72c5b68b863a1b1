"""A public topic set for ``confab eval labels``: the English topics of the chatterbot-corpus (BSD-3-Clause,
https://github.com/gunthercox/chatterbot-corpus), a pure-data wheel on PyPI that Confab does not depend on:

    .venv/bin/pip install --no-deps chatterbot-corpus==1.3.3
    .venv/bin/python -m bench.labels_data /tmp/labels
    .venv/bin/confab eval labels --data /tmp/labels/topics.jsonl --labels /tmp/labels/labels.jsonl --shots 3 \
        --split test

Each conversation's first line is a message, its file's topic the label; topics with fewer than 10 distinct
first lines are left out (health, history), and each topic keeps at most 60 (a fixed draw), so the largest
(tech support, trivia) don't decide the score: 17 labels, 495 messages. The descriptions below were written
from the topic names alone, before any scoring.

Figures, 2026-11-30, all-MiniLM-L6-v2 (the temperature was fitted on ``--split dev``), ``--split test`` (242
messages with ``--shots 3``, 274 without):

    labels                              likeliest  accuracy*  macro-F1*  labelled  its accuracy  calibration error
    names only (before), argmax           0.40        0.40       0.38      100 %       0.40
    descriptions, no examples              0.43        0.23       0.36       32 %       0.74           0.10
    descriptions + 3 examples a label      0.60        0.38       0.55       48 %       0.79           0.10

    * "unsure" counted as wrong
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path

DESCRIPTIONS = {
    "ai": "artificial intelligence and robots",
    "botprofile": "questions about the bot itself: its name, age, who made it",
    "coding": "programming and code",
    "computers": "computers and hardware",
    "conversations": "everyday small talk",
    "emotion": "feelings and emotions",
    "food": "food and eating",
    "greetings": "greetings such as hello and goodbye",
    "literature": "books, authors and literature",
    "money": "money, finance and economics",
    "movies": "movies and films",
    "politics": "politics and government",
    "psychology": "psychology and the mind",
    "science": "science, physics, chemistry and biology",
    "sports": "sports and games",
    "tech_support": "technical support: problems with software or devices",
    "trivia": "trivia and general knowledge questions",
}
MIN_ROWS, MAX_ROWS = 10, 60


def topics() -> dict[str, list[str]]:
    import yaml

    try:
        import chatterbot_corpus  # type: ignore[import-not-found]
    except ImportError:
        sys.exit("chatterbot-corpus is not installed: .venv/bin/pip install --no-deps chatterbot-corpus==1.3.3")
    root = Path(chatterbot_corpus.__file__).parent / "data" / "english"
    found: dict[str, list[str]] = {}
    for path in sorted(root.glob("*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        first = [" ".join(c[0].split()) for c in data.get("conversations") or []
                 if c and isinstance(c[0], str) and c[0].strip()]
        texts = list(dict.fromkeys(first))
        if len(texts) >= MIN_ROWS:
            random.Random(path.stem).shuffle(texts)
            found[path.stem] = texts[:MAX_ROWS]
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out", type=Path, help="folder for topics.jsonl and labels.jsonl")
    args = parser.parse_args()
    found = topics()
    missing = set(found) - set(DESCRIPTIONS)
    if missing:
        sys.exit(f"topics without a description: {', '.join(sorted(missing))}")
    args.out.mkdir(parents=True, exist_ok=True)
    with (args.out / "topics.jsonl").open("w", encoding="utf-8") as out:
        for label, texts in found.items():
            for text in texts:
                out.write(json.dumps({"text": text, "label": label}) + "\n")
    with (args.out / "labels.jsonl").open("w", encoding="utf-8") as out:
        for label in found:
            out.write(json.dumps({"name": label, "description": DESCRIPTIONS[label]}) + "\n")
    print(f"{sum(len(t) for t in found.values())} messages, {len(found)} labels -> {args.out}")


if __name__ == "__main__":
    main()
