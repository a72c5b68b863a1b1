import asyncio
import json
from typing import ClassVar

import pytest
from langchain_core.language_models.fake_chat_models import FakeListChatModel, GenericFakeChatModel
from langchain_core.messages import AIMessage

from agent.errors import ModelGarbage
from agent.summarize.extractive import describe_coverage
from agent.summarize.llm import pack, summarize_with_llm
from tests.summarize.summ_fakes import msgs

ANSWER = json.dumps({
    "tldr": "The team split the invoice batch.",
    "key_points": [{"text": "Batch holds a lock", "sources": [2, "#3", 999]}],
    "decisions": [{"text": "Split into chunks of 500", "sources": [4]}],
    "action_items": [{"owner": "carol", "text": "Write the migration", "sources": [5]}],
    "open_questions": [{"text": "Who reviews dashboards?", "sources": [6]}],
})


def conversation(n: int) -> list:
    return msgs(*[f"user{i % 7}: message number {i} about the invoice batch and its database lock" for i in range(n)])


class CountingModel(FakeListChatModel):
    """A fake chat model that records how many calls ran at the same time."""

    active: int = 0
    peak: int = 0

    async def _agenerate(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        type(self).active += 1
        type(self).peak = max(type(self).peak, type(self).active)
        await asyncio.sleep(0.01)  # a call that takes a moment, so concurrent calls overlap and are counted
        try:
            return await super()._agenerate(*args, **kwargs)
        finally:
            type(self).active -= 1


async def test_one_chunk_is_one_call_and_sources_map_back_to_ids() -> None:
    messages = conversation(6)
    model = FakeListChatModel(responses=[ANSWER])
    summary = await summarize_with_llm(messages, model, describe_coverage(messages))
    assert summary.method == "llm" and summary.model_calls == 1 and summary.tokens > 0
    assert summary.tldr == "The team split the invoice batch."
    assert summary.key_points[0].sources == ("m2", "m3")  # the invented number 999 is dropped
    assert summary.action_items[0].owner == "carol" and summary.action_items[0].sources == ("m5",)
    assert summary.open_questions[0].sources == ("m6",)


@pytest.mark.parametrize("n", [40, 80, 160])
async def test_calls_grow_linearly_and_map_runs_in_parallel(n: int) -> None:
    messages = conversation(n)
    CountingModel.active = CountingModel.peak = 0
    model = CountingModel(responses=[ANSWER])
    summary = await summarize_with_llm(messages, model, describe_coverage(messages), chunk_tokens=200,
                                       concurrency=4)
    chunks = len(pack([f"[#{i + 1}] {m.author_name}: {m.text}" for i, m in enumerate(messages)], 200))
    assert chunks >= n // 20
    # one map call per chunk + reduce calls that each merge ≥ 2 partials: at most 2 × chunks − 1
    assert chunks < summary.model_calls <= 2 * chunks - 1
    assert CountingModel.peak > 1


async def test_garbage_answer_raises_model_garbage() -> None:
    messages = conversation(3)
    model = GenericFakeChatModel(messages=iter([AIMessage("I'd rather not")]))
    with pytest.raises(ModelGarbage):
        await summarize_with_llm(messages, model, describe_coverage(messages))


def test_pack_cuts_overlong_lines() -> None:
    chunks = pack(["x" * 10_000, "short"], budget=100)
    assert len(chunks) == 2 and len(chunks[0][0]) <= 400


async def test_over_budget_input_is_shortened_not_dropped() -> None:
    messages = msgs(*[f"u{i}: " + "very long message about the invoice batch " * 20 for i in range(50)])
    seen: list[str] = []

    class Recording(FakeListChatModel):
        async def _agenerate(self, messages, *args, **kwargs):  # type: ignore[no-untyped-def]
            seen.append(str(messages[-1].content))
            return await super()._agenerate(messages, *args, **kwargs)

    summary = await summarize_with_llm(messages, Recording(responses=[ANSWER]), describe_coverage(messages),
                                       max_input_tokens=2000)
    mapped = "\n".join(s for s in seen if s.startswith("<messages>"))
    assert all(f"[#{i}]" in mapped for i in range(1, 51))  # every message took part
    assert "shortened to 160 characters" in " ".join(summary.coverage.notes)


class RecordingModel(FakeListChatModel):
    """Answers from its list and keeps every prompt it was sent."""

    prompts: ClassVar[list] = []

    async def _agenerate(self, messages, *args, **kwargs):  # type: ignore[no-untyped-def]
        type(self).prompts.append(messages)
        return await super()._agenerate(messages, *args, **kwargs)


async def test_a_topic_reaches_the_model_as_data_with_the_rule_to_keep_to_it() -> None:
    messages = conversation(4)
    RecordingModel.prompts = []
    model = RecordingModel(responses=[ANSWER])
    await summarize_with_llm(messages, model, describe_coverage(messages), topic="the  invoice\nbatch")
    [[system, user]] = RecordingModel.prompts
    assert "keep only what was said about it" in system.content and "<topic>" in system.content
    assert user.content.startswith("<topic>the invoice batch</topic>\n<messages>")
    RecordingModel.prompts = []
    await summarize_with_llm(messages, model, describe_coverage(messages))
    [[system, user]] = RecordingModel.prompts
    assert "<topic>" not in system.content and "<topic>" not in user.content
