"""A chat model for the platform benchmarks: slow, and hostile in what it writes."""

from __future__ import annotations

import asyncio
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult


class SlowHostileModel(BaseChatModel):
    """Takes ``seconds`` to answer, and answers with ``text`` (mentions a careless bot would broadcast)."""

    seconds: float = 30.0
    text: str = "Sure! @everyone @here"

    @property
    def _llm_type(self) -> str:
        return "slow-hostile"

    def bind_tools(self, tools: Any, **kwargs: Any) -> SlowHostileModel:  # type: ignore[override]
        return self

    def _generate(self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None,
                  **kwargs: Any) -> ChatResult:
        raise NotImplementedError("async only")

    async def _agenerate(self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None,
                         **kwargs: Any) -> ChatResult:
        await asyncio.sleep(self.seconds)
        return ChatResult(generations=[ChatGeneration(message=AIMessage(self.text))])


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]
