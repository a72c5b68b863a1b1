"""Pipeline overhead and memory-store write rate.

1. Per-message cost of the whole pipeline (receive -> store -> spam screen -> route -> agent with a
   zero-latency fake model -> reply -> remember the reply) next to a bare ``ainvoke`` of the same
   fake model, measured in one run.
2. The memory store's sustained write rate with 200 channels writing concurrently, and a count
   that proves no row was lost.

    python -m bench.pipeline [--messages 2000] [--seconds 5] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult

from bench.slow_model import percentile


class InstantModel(BaseChatModel):
    """Answers at once; the bench measures everything around it."""

    @property
    def _llm_type(self) -> str:
        return "instant"

    def bind_tools(self, tools: Any, **kwargs: Any) -> InstantModel:  # type: ignore[override]
        return self

    def _generate(self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None,
                  **kwargs: Any) -> ChatResult:
        return ChatResult(generations=[ChatGeneration(message=AIMessage("ok"))])

    async def _agenerate(self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None,
                         **kwargs: Any) -> ChatResult:
        return self._generate(messages)


async def bench_pipeline(n: int, workdir: Path) -> dict[str, Any]:
    from agent.settings import load_settings
    from bot.app import build_app, freeze_long_lived_objects
    from tests.fakes.harness import Chat, RecordingAdapter

    settings = load_settings(data_dir=workdir / "data", knowledge_dir=workdir / "kb", knowledge_watch=False,
                             rate_user_per_min=10**9, rate_channel_per_min=10**9)
    (workdir / "kb").mkdir(exist_ok=True)
    model = InstantModel()
    deps, pipeline = await build_app(settings, chat_model=model)
    freeze_long_lived_objects()  # as run_platforms does once the app is built
    adapter = RecordingAdapter()
    pipeline.attach(adapter)
    chat = Chat(pipeline, adapter)
    prompt = [AIMessage("warm")]
    for i in range(50):  # warm-up: imports, caches, first SQLite pages
        await chat.pipeline.handle_message(chat.message(f"@confab warm {i}", user=f"w{i}"))
        await model.ainvoke(prompt)
    bare, full = [], []
    for i in range(n):
        message = chat.message(f"@confab question number {i} about deploys?", user=f"u{i % 50}",
                               channel=f"c{i % 20}")
        started = time.perf_counter()
        await model.ainvoke([AIMessage(message.text)])
        bare.append(time.perf_counter() - started)
        started = time.perf_counter()
        await pipeline.handle_message(message)
        full.append(time.perf_counter() - started)
    replies = len(adapter.sent)
    await pipeline.drain()  # the rolling summaries it started
    await deps.close()
    ms = 1000.0
    return {
        "messages": n, "replies": replies - 50,
        "bare_p50_ms": percentile(bare, 50) * ms, "bare_p99_ms": percentile(bare, 99) * ms,
        "pipeline_p50_ms": percentile(full, 50) * ms, "pipeline_p99_ms": percentile(full, 99) * ms,
        "overhead_p50_ms": (percentile(full, 50) - percentile(bare, 50)) * ms,
        "overhead_p99_ms": (percentile(full, 99) - percentile(bare, 99)) * ms,
        "overhead_mean_ms": (statistics.mean(full) - statistics.mean(bare)) * ms,
    }


async def bench_store(seconds: float, channels: int, workdir: Path) -> dict[str, Any]:
    from datetime import UTC, datetime

    from agent.memory.models import StoredMessage
    from agent.storage.sqlite import SqliteStorage

    store = await SqliteStorage.open(workdir / "store.db")
    written = [0] * channels
    deadline = time.perf_counter() + seconds

    async def writer(c: int) -> None:
        i = 0
        while time.perf_counter() < deadline:
            await store.messages.add(StoredMessage(f"bench:{c}", str(i), f"u{c}", "writer",
                                                     f"message {i} in channel {c}", datetime.now(UTC)))
            i += 1
        written[c] = i

    started = time.perf_counter()
    await asyncio.gather(*(writer(c) for c in range(channels)))
    elapsed = time.perf_counter() - started
    stored = await store.messages.count()
    await store.close()
    return {"channels": channels, "seconds": round(elapsed, 2), "writes": sum(written), "rows": stored,
            "lost": sum(written) - stored, "writes_per_s": sum(written) / elapsed}


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--channels", type=int, default=200)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        pipeline = await bench_pipeline(args.messages, Path(tmp))
        store = await bench_store(args.seconds, args.channels, Path(tmp))
    if args.json:
        print(json.dumps({"pipeline": pipeline, "store": store}))
        return
    print(f"pipeline, {pipeline['messages']} mentions ({pipeline['replies']} replies):")
    print(f"  bare model ainvoke   p50 {pipeline['bare_p50_ms']:.3f} ms   p99 {pipeline['bare_p99_ms']:.3f} ms")
    print(f"  whole pipeline       p50 {pipeline['pipeline_p50_ms']:.3f} ms   p99 {pipeline['pipeline_p99_ms']:.3f} ms")
    print(f"  overhead             p50 {pipeline['overhead_p50_ms']:.3f} ms   p99 {pipeline['overhead_p99_ms']:.3f} ms"
          f"   mean {pipeline['overhead_mean_ms']:.3f} ms")
    print(f"memory store, {store['channels']} channels writing for {store['seconds']} s:")
    print(f"  {store['writes_per_s']:.0f} writes/s, {store['writes']} written, {store['rows']} rows, "
          f"{store['lost']} lost")


if __name__ == "__main__":
    asyncio.run(main())
