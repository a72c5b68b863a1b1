"""Offline summary speed: a synthetic but varied N-message channel through the real summarizer and MiniLM.

    python -m bench.summarize_speed [--messages 1000] [--data dialogsum.dev.jsonl]

With ``--data`` the channel is built from real dialogue turns (DialogSum/SAMSum JSONL) instead of templates.
Reports the time of the whole offline summary (embedding + selection + signals + the mood line) with the
model already loaded and no vectors cached, and the mood line's share of it (the mood line reuses
the vectors of single-sentence messages that the summary embedded).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from agent.embeddings import LocalEmbedder
from agent.memory.models import StoredMessage
from agent.summarize.evaluate import dialogue_messages
from agent.summarize.extractive import summarize_extractive
from agent.summarize.mood import describe_mood

TOPICS = ["the billing migration", "the release train", "flaky CI tests", "the on-call rota", "the Q3 roadmap",
          "customer churn numbers", "the new office wifi", "the database failover drill"]
TEMPLATES = ["I think {t} needs another review before Friday.", "Did anyone look at {t} yet?",
             "We decided to postpone {t} by a week.", "I'll write up the notes on {t} today.",
             "Numbers for {t} look better than last month, nice work.", "Can you share the doc about {t}?",
             "Blocked on {t} until the vendor replies.", "lol", "+1", "thanks!", "Let's go with option B for {t}."]


def synthetic(n: int) -> list[StoredMessage]:
    rng = random.Random(7)
    start = datetime(2026, 11, 20, 9, tzinfo=UTC)
    people = [f"user{i}" for i in range(14)]
    return [StoredMessage("bench", str(i), p, p, rng.choice(TEMPLATES).format(t=rng.choice(TOPICS)),
                          start + timedelta(seconds=30 * i)) for i in range(n) for p in [rng.choice(people)]]


def from_dialogues(path: Path, n: int) -> list[StoredMessage]:
    out: list[StoredMessage] = []
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            out.extend(dialogue_messages(json.loads(line)["dialogue"]))
            if len(out) >= n:
                break
    start = datetime(2026, 11, 20, 9, tzinfo=UTC)
    return [StoredMessage("bench", str(i), m.author_id, m.author_name, m.text, start + timedelta(seconds=30 * i))
            for i, m in enumerate(out[:n])]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--data", type=Path)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    messages = from_dialogues(args.data, args.messages) if args.data else synthetic(args.messages)
    embedder = LocalEmbedder()
    embedder.warm_up()
    describe_mood(["warm up"], embedder)
    times, mood_times = [], []
    for _ in range(args.runs):
        embedder.clear_cache()  # cold: a first summary of these messages
        started = time.perf_counter()
        summary = summarize_extractive(messages, embedder)
        mood_started = time.perf_counter()
        summary.mood = describe_mood([m.text for m in messages], embedder)
        times.append(time.perf_counter() - started)
        mood_times.append(time.perf_counter() - mood_started)
    print(f"{len(messages)} messages, {summary.coverage.people} people: "
          f"best {min(times):.2f} s, median {sorted(times)[len(times) // 2]:.2f} s over {args.runs} runs "
          f"(mood line: median {sorted(mood_times)[len(mood_times) // 2]:.2f} s)")
    print("mood:", summary.mood)
    print(f"key points {len(summary.key_points)}, decisions {len(summary.decisions)}, "
          f"actions {len(summary.action_items)}, open questions {len(summary.open_questions)}")
    print("TL;DR:", summary.tldr[:300])


if __name__ == "__main__":
    main()
