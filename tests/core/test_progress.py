"""The progress interface of a turn (agent.progress): the core and the tools report phases to what the
adapter shows, on the offline path too, and the adapter's progress ends when the turn does."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from langchain_core.messages import AIMessage

from bot.events import ChannelRef
from tests.fakes.harness import RecordingAdapter
from tests.fakes.scripted_model import ScriptedModel, tool_call


@dataclass
class Shown:
    phases: list[str] = field(default_factory=list)
    ended: bool = False
    broken: bool = False

    def phase(self, text: str) -> None:
        if self.broken:
            raise RuntimeError("the platform refused")
        self.phases.append(text)

    def partial(self, text: str) -> None:
        return None

    def discard(self) -> None:
        return None

    async def end(self) -> None:
        self.ended = True


@dataclass
class ShowingAdapter(RecordingAdapter):
    shown: dict[str, Shown] = field(default_factory=dict)
    broken: bool = False

    def progress(self, channel: ChannelRef, reply_to: str) -> Shown:
        self.shown[reply_to] = Shown(broken=self.broken)
        return self.shown[reply_to]


async def test_the_offline_path_reports_what_it_does(bot_factory: Any) -> None:
    adapter = ShowingAdapter()
    bot = await bot_factory(adapter=adapter)
    await bot.say("we ship the beta on friday", user="alice")
    await bot.say("bob writes the release notes", user="carol")
    reply = await bot.say("@confab summarize this channel", user="dave")
    assert "Summary" in reply
    [shown] = [s for s in adapter.shown.values() if len(s.phases) > 1]
    assert shown.phases[0] == "thinking…"
    assert "gathering the conversation…" in shown.phases
    reading = [p for p in shown.phases if p.startswith("reading ")]
    assert reading and reading[0].endswith(" messages…") and reading[0].split()[1].isdigit()
    assert shown.ended


async def test_a_model_turn_reports_the_tool_phase_and_a_failing_display_costs_nothing(bot_factory: Any) -> None:
    adapter = ShowingAdapter(broken=True)
    model = ScriptedModel(steps=[AIMessage("", tool_calls=[tool_call("search_knowledge", {"query": "deploy"})]),
                                 AIMessage("Deploy with make.")])
    bot = await bot_factory(model, adapter=adapter)
    assert await bot.say("@confab how do I deploy?") == "Deploy with make."
    adapter.broken = False
    model.steps.extend([AIMessage("", tool_calls=[tool_call("search_knowledge", {"query": "deploy"})]),
                        AIMessage("Still make.")])
    assert await bot.say("@confab and again?") == "Still make."
    shown = list(adapter.shown.values())[-1]
    assert shown.phases == ["thinking…", "searching the docs…", "thinking…"] and shown.ended
