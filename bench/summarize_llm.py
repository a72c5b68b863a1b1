"""LLM map-reduce scaling: model calls, tokens and parallelism vs input size, with a fake chat model that
answers after a fixed latency (LangChain's fake model; no network). Shows calls grow linearly and map
steps overlap.

    python -m bench.summarize_llm [--latency 0.2] [--chunk-tokens 3000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from typing import Any

from langchain_core.language_models.fake_chat_models import FakeListChatModel

from agent.summarize.extractive import describe_coverage
from agent.summarize.llm import summarize_with_llm
from bench.summarize_speed import synthetic

ANSWER = json.dumps({"tldr": "The team discussed releases and billing.",
                     "key_points": [{"text": "Release moved", "sources": [1, 2]}],
                     "decisions": [], "action_items": [], "open_questions": []})


CALLS = {"active": 0, "peak": 0}


class SlowModel(FakeListChatModel):
    latency: float = 0.2

    async def _agenerate(self, *args: Any, **kwargs: Any) -> Any:
        CALLS["active"] += 1
        CALLS["peak"] = max(CALLS["peak"], CALLS["active"])
        try:
            await asyncio.sleep(self.latency)
            return await super()._agenerate(*args, **kwargs)
        finally:
            CALLS["active"] -= 1


async def run(n: int, latency: float, chunk_tokens: int) -> None:
    messages = synthetic(n)
    CALLS["peak"] = 0
    model = SlowModel(responses=[ANSWER], latency=latency)
    started = time.perf_counter()
    summary = await summarize_with_llm(messages, model, describe_coverage(messages), chunk_tokens=chunk_tokens)
    elapsed = time.perf_counter() - started
    print(f"{n:>6} messages: {summary.model_calls:>4} calls, ~{summary.tokens:>8,} tokens, "
          f"peak parallel calls {CALLS['peak']}, {elapsed:.2f} s (sequential would be "
          f"{summary.model_calls * latency:.1f} s)")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--latency", type=float, default=0.2)
    parser.add_argument("--chunk-tokens", type=int, default=3000)
    args = parser.parse_args()
    for n in (250, 1000, 4000, 20000):
        asyncio.run(run(n, args.latency, args.chunk_tokens))


if __name__ == "__main__":
    main()
