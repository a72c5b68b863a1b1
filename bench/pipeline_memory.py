"""Memory over a long run: RSS of the whole offline pipeline after 1,000 and after N varied messages.

Messages vary in length (1 to ~300 words) and in kind, as chat does: mostly plain chatter (stored and
spam-screened), about a third questions to the bot (retrieval over the shipped ``knowledge/`` with the
real local embedder), some in threads. Every distinct text length is a new input shape for the
embedding model, which is what used to grow memory without bound. Target (issue 19): RSS after 10,000
messages within 100 MB of RSS after the first 1,000.

    python -m bench.pipeline_memory [--messages 10000] [--every 1000] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]

from bench.embedder_memory import rss_mb

WORDS = ("deploy release database backup retention index knowledge channel thread summary spam moderator "
         "settings config docker systemd token slack discord message question answer citation link file "
         "folder error timeout limit model offline embedding search query team meeting decision action "
         "owner friday tomorrow review merge branch test build pipeline worker queue cache memory disk "
         "the a and to of in on for with is are was it this that we you they please can could would "
         "should will how what where when why who which not").split()


def varied_text(rng: random.Random) -> str:
    length = min(300, int(rng.paretovariate(1.2) * 4))  # mostly short, a long tail up to 300 words
    return " ".join(rng.choice(WORDS) for _ in range(max(1, length)))


async def run(n: int, every: int, workdir: Path) -> dict[str, Any]:
    from agent.settings import load_settings
    from bot.app import build_app
    from tests.fakes.harness import Chat, RecordingAdapter

    shutil.copytree(ROOT / "knowledge", workdir / "knowledge")
    settings = load_settings(data_dir=workdir / "data", knowledge_dir=workdir / "knowledge", knowledge_watch=False,
                             rate_user_per_min=10**9, rate_channel_per_min=10**9)
    deps, pipeline = await build_app(settings)
    adapter = RecordingAdapter()
    pipeline.attach(adapter)
    chat = Chat(pipeline, adapter)
    rng = random.Random(19)
    samples: list[dict[str, float]] = [{"messages": 0, "rss_mb": rss_mb()}]
    started = time.perf_counter()
    for i in range(1, n + 1):
        text = varied_text(rng)
        kind = rng.random()
        if kind < 0.33:
            text = f"@confab {text}?"
        thread = f"t{rng.randrange(50)}" if kind > 0.85 else None
        await pipeline.handle_message(chat.message(text, user=f"u{rng.randrange(400)}",
                                                   channel=f"c{rng.randrange(30)}", thread=thread))
        if i % every == 0:
            samples.append({"messages": i, "rss_mb": rss_mb(), "seconds": time.perf_counter() - started})
    await pipeline.drain()
    await deps.close()
    after_first = next((s["rss_mb"] for s in samples if s["messages"] == min(1000, n)), samples[0]["rss_mb"])
    return {"messages": n, "replies": len(adapter.sent), "samples": samples,
            "growth_after_first_1000_mb": samples[-1]["rss_mb"] - after_first}


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--every", type=int, default=1000)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        result = await run(args.messages, args.every, Path(tmp))
    if args.json:
        print(json.dumps(result))
        return
    for sample in result["samples"]:
        print(f"{sample['messages']:>7,} messages  RSS {sample['rss_mb']:7.1f} MB"
              + (f"  ({sample['seconds']:.0f} s)" if "seconds" in sample else ""))
    print(f"{result['replies']:,} replies; RSS growth after the first 1,000 messages: "
          f"{result['growth_after_first_1000_mb']:+.1f} MB (target: within 100 MB)")


if __name__ == "__main__":
    asyncio.run(main())
