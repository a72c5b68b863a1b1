"""Streaming without a platform: the core hands a streaming model's text to the turn's progress, and the
outbox's stream (bot.streaming) sends only settled, neutralised text, paced, and never raises."""

from __future__ import annotations

import asyncio
import itertools
from dataclasses import dataclass, field
from typing import Any

from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage

from agent.context import TurnContext
from agent.core import Agent, Turn
from bot.streaming import OutStream
from bot.text import settled


def test_settled_text_holds_back_what_is_unfinished() -> None:
    assert settled("hi <!chan") == "hi"
    assert settled("hi <!channel> there ") == "hi @\u200bchannel there"
    assert settled("ping @her") == "ping"  # "@here" or "@heroes": not known yet
    assert settled("see [docs.example.com](https://evil.example/x") == "see"
    assert settled("see [docs.example.com](https://evil.example/x) now ") == \
        "see [docs.example.com (evil.example)](https://evil.example/x) now"
    assert settled("first line\nsecond <@U12") == "first line\nsecond"
    text = "a <@U0BOB|bob smith> and [a b](https://x.example/y) @here done "
    pieces = [settled(text[:n]) for n in range(len(text) + 1)]
    assert all(b.startswith(a) for a, b in itertools.pairwise(pieces))  # it only ever grows
    assert not any("<@" in p or "@here" in p for p in pieces)


@dataclass
class Target:
    min_interval_s: float = 0.0
    shown: list[str] = field(default_factory=list)
    resets: int = 0
    fail: bool = False

    async def show(self, text: str) -> None:
        if self.fail:
            raise RuntimeError("platform down")
        self.shown.append(text)
        await asyncio.sleep(0)

    async def reset(self) -> None:
        self.resets += 1

    def reference(self) -> str | None:
        return "message-1" if self.shown else None


async def test_the_out_stream_sends_settled_text_and_takes_back_a_discarded_one() -> None:
    target = Target()
    stream = OutStream(target)
    stream.partial("Let me <!ch")
    await asyncio.sleep(0.01)
    assert target.shown == ["Let me"]
    stream.discard()  # the model went on to call a tool
    await asyncio.sleep(0.01)
    assert target.resets == 1
    stream.partial("The answer is <!here> ")
    await asyncio.sleep(0.01)
    await stream.close()  # (an update still waiting for its turn is dropped: the final reply supersedes it)
    assert target.shown[-1] == "The answer is @\u200bhere" and stream.shown
    stream.partial("The answer is <!here> and more ")
    await asyncio.sleep(0.01)
    assert target.shown[-1] == "The answer is @\u200bhere"  # closed: nothing more


async def test_a_failing_platform_stops_the_updates_quietly() -> None:
    target = Target(fail=True)
    stream = OutStream(target)
    stream.partial("one two ")
    await asyncio.sleep(0.01)
    stream.partial("one two three ")
    await stream.close()
    assert target.shown == [] and not stream.shown


@dataclass
class Recorder:
    texts: list[str] = field(default_factory=list)
    phases: list[str] = field(default_factory=list)

    def phase(self, text: str) -> None:
        self.phases.append(text)

    def partial(self, text: str) -> None:
        self.texts.append(text)

    def discard(self) -> None:
        self.texts.append("<discarded>")


def turn(progress: Any) -> Turn:
    return Turn(TurnContext("test:T1:general", "test", "u1", "alice", progress=progress), "how?")


async def test_the_core_streams_a_streaming_model_to_the_progress() -> None:
    model = GenericFakeChatModel(messages=iter([AIMessage("Deploy with make deploy today.")]))
    recorder = Recorder()
    result = await Agent(model, stream=True).run(turn(recorder))
    assert result.text == "Deploy with make deploy today." and not result.failed
    assert len(recorder.texts) > 3 and recorder.texts[-1] == "Deploy with make deploy today."
    assert all(b.startswith(a) for a, b in zip(recorder.texts, recorder.texts[1:], strict=False))


async def test_without_streaming_the_answer_arrives_whole() -> None:
    model = GenericFakeChatModel(messages=iter([AIMessage("Deploy with make deploy today.")]))
    recorder = Recorder()
    result = await Agent(model, stream=False).run(turn(recorder))
    assert result.text == "Deploy with make deploy today." and recorder.texts == []
    assert recorder.phases == ["thinking…"]
