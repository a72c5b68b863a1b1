"""The local embedder's memory over time: resident memory (RSS) while it embeds many varied texts.

    python -m bench.embedder_memory [--messages 5000] [--shapes 1024] [--seed 0] [--json]

1. Messages: ``--messages`` texts of random lengths (1-300 words drawn from the model's own vocabulary, so
   about one token each; over 254 they are truncated), embedded as the pipeline does: one at a time mostly
   (80%), else in batches of 2-64 (a summary, a re-clustering). RSS after the first 1,000 and at the end.
2. Shapes: texts of exactly 1..8 x 128 different token counts (2..256), one batch each: 1,024 distinct
   (batch, length) requests; RSS growth over them.

Each phase reports how many distinct input shapes reached the compiled model, and its texts/s. The OpenVINO
CPU plugin keeps what it prepared for every new input shape for as long as the compiled model lives.
The converted model is kept in a temporary folder, so runs after the first do not load PyTorch.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from agent.embeddings import LocalEmbedder

MB = 1024 * 1024


def rss_mb() -> float:
    """Resident memory of this process, in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024 / MB
    raise RuntimeError("no VmRSS in /proc/self/status")


class ShapeCounter:
    """Stands in for the compiled model and records the shape of every input it is given."""

    def __init__(self, model: Any) -> None:
        self.model = model
        self.seen: set[tuple[int, ...]] = set()

    def create_infer_request(self) -> Any:
        request = self.model.create_infer_request()
        counter = self

        class Recording:
            def infer(self, inputs: dict[str, Any]) -> Any:
                counter.seen.add(tuple(inputs["input_ids"].shape))
                return request.infer(inputs)

        return Recording()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.model, name)


def vocabulary(embedder: LocalEmbedder) -> list[str]:
    """Whole words that are one WordPiece token each."""
    tokenizer = embedder._load()._tokenizer
    return sorted(word for word in tokenizer.get_vocab() if word.isalpha() and word.isascii() and len(word) > 2)


def text_of(words: list[str], count: int, rng: random.Random) -> str:
    return " ".join(rng.choice(words) for _ in range(count))


def messages_phase(embedder: LocalEmbedder, words: list[str], total: int, rng: random.Random,
                   counter: ShapeCounter) -> dict[str, Any]:
    """RSS and distinct shapes after every 1,000 messages."""
    checkpoints: list[dict[str, float]] = []
    done, started = 0, time.perf_counter()
    while done < total:
        size = 1 if rng.random() < 0.8 else rng.randint(2, 64)
        size = min(size, total - done)
        embedder.embed([text_of(words, rng.randint(1, 300), rng) for _ in range(size)])
        before, done = done, done + size
        if before // 1000 < done // 1000 or done == total:
            checkpoints.append({"messages": done, "rss_mb": round(rss_mb(), 1), "shapes": len(counter.seen)})
    return {"seconds": round(time.perf_counter() - started, 1), "checkpoints": checkpoints}


def shapes_phase(embedder: LocalEmbedder, words: list[str], count: int, rng: random.Random) -> dict[str, float]:
    sizes = range(1, 9)
    lengths = range(2, 2 + 2 * max(1, count // len(sizes)), 2)  # token counts with [CLS] and [SEP]
    started = time.perf_counter()
    for length in lengths:
        for size in sizes:
            texts = [text_of(words, min(length, 256) - 2, rng) for _ in range(size)]
            embedder.embed(texts)
    return {"requests": len(sizes) * len(lengths), "seconds": round(time.perf_counter() - started, 1),
            "rss_end_mb": round(rss_mb(), 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=5000)
    parser.add_argument("--shapes", type=int, default=1024)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    embedder = LocalEmbedder(cache_size=0)  # every text reaches the model
    embedder.model_cache_dir = Path(tempfile.gettempdir()) / "confab-bench-models"
    encoder = embedder._load()
    counter = ShapeCounter(encoder._model)
    encoder._model = counter
    words = vocabulary(embedder)
    embedder.embed(["warm up"])
    out: dict[str, Any] = {"rss_start_mb": round(rss_mb(), 1)}
    if args.messages:
        phase = messages_phase(embedder, words, args.messages, rng, counter)
        out["messages"] = {**phase, "texts_per_s": round(args.messages / phase["seconds"], 1)}
    if args.shapes:
        start, shapes_before = rss_mb(), len(counter.seen)
        phase = shapes_phase(embedder, words, args.shapes, rng)
        out["shapes"] = {**phase, "rss_growth_mb": round(phase["rss_end_mb"] - start, 1),
                         "new_shapes": len(counter.seen) - shapes_before}
    if args.json:
        print(json.dumps(out))
        return
    print(f"RSS after loading the model: {out['rss_start_mb']} MB")
    if "messages" in out:
        m = out["messages"]
        print(f"{args.messages} messages, {m['texts_per_s']} texts/s; RSS (distinct input shapes) after")
        print("  " + ", ".join(f"{c['messages']:,}: {c['rss_mb']} MB ({c['shapes']})" for c in m["checkpoints"]))
        first, last = m["checkpoints"][0], m["checkpoints"][-1]
        grown = last["rss_mb"] - first["rss_mb"]
        print(f"  growth from {first['messages']:,} to {last['messages']:,}: {grown:+.1f} MB")
    if "shapes" in out:
        s = out["shapes"]
        print(f"{s['requests']} requests of distinct (batch, length): RSS {s['rss_growth_mb']:+.1f} MB; "
              f"{s['new_shapes']} new input shapes; {s['seconds']} s")


if __name__ == "__main__":
    main()
