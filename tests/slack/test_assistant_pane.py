"""Slack's assistant pane, driven through real slack-bolt (signed HTTP requests) against the fake Web API: the
greeting and suggested prompts, the thread's title, questions answered in the pane thread, and "this channel"
meaning the channel the person is viewing, read only when they are a member of it, also after a restart."""

from __future__ import annotations

import time
from typing import Any

import pytest
from langchain_core.messages import AIMessage, BaseMessage

from tests.fakes.scripted_model import ScriptedModel, tool_call
from tests.fakes.slack import FakeSlackAPI, payload, post_event, settle
from tests.fakes.slack_pane import channel, im

PANE, THREAD, ALICE = "D0DMALICE", "1700000900.000100", "U0ALICE01"
EVENT_TYPE = "assistant_thread_context"


def started(viewing: str | None = "C0GENERAL") -> dict[str, Any]:
    event = payload("assistant_thread_started")
    event["assistant_thread"]["context"] = {"channel_id": viewing, "team_id": "T0TEAM001"} if viewing else {}
    return event


def moved(viewing: str) -> dict[str, Any]:
    event = payload("assistant_thread_context_changed")
    event["assistant_thread"]["context"]["channel_id"] = viewing
    return event


def question(text: str, ts: str = "1700000910.000300") -> dict[str, Any]:
    return {**payload("message_assistant_thread"), "text": text, "ts": ts, "event_ts": ts}


def said_in_pane(api: FakeSlackAPI, thread: str = THREAD) -> list[str]:
    """What Confab said in the pane: posts, updates and the answers streamed in ``thread``."""
    posts = [str(c.params.get("text", "")) for c in api.calls
             if c.method in ("chat.postMessage", "chat.update") and c.params.get("channel") == PANE]
    return posts + [str(s["text"]) for s in api.streams.values() if s["thread_ts"] == thread]


def everything_said(api: FakeSlackAPI) -> str:
    pane = [str(value) for c in api.calls if c.method.startswith("assistant.threads.") for value in c.params.values()]
    return "\n".join(api.posted_texts() + [str(s["text"]) for s in api.streams.values()] + pane)


def history(channel_id: str, lines: list[str]) -> list[dict[str, Any]]:
    """A channel's messages from the last minutes, newest first (as conversations.history returns them)."""
    now = time.time()
    return [{"type": "message", "user": f"U0PERSON{i}", "text": text, "ts": f"{now - 60 * (i + 1):.6f}"}
            for i, text in enumerate(lines)]


def echo_the_tool(messages: list[BaseMessage]) -> AIMessage:
    """A model that answers with what the tool told it."""
    return AIMessage(str(messages[-1].content))


def summarizing_model() -> ScriptedModel:
    return ScriptedModel(steps=[AIMessage("", tool_calls=[tool_call("summarize_conversation", {"scope": "today"})]),
                                echo_the_tool])


def workspace(api: FakeSlackAPI) -> None:
    api.keep_posts = True  # as Slack does: the greeting's metadata is read back with conversations.replies
    api.channels.update({
        "C0GENERAL": channel("C0GENERAL", "general", ["U0BOB0001", "U0CAROL01", ALICE]),
        "C0RELEASE": channel("C0RELEASE", "release", [ALICE, "U0BOB0001"]),
        "C0SECRET1": channel("C0SECRET1", "secret-merger", ["U0BOB0001", "U0CAROL01"], private=True),
        "D0BOBCARL": {**im("D0BOBCARL", "U0BOB0001"), "bot_sees": False},  # a DM between two others
        PANE: im(PANE, ALICE),
    })
    api.history["C0GENERAL"] = history("C0GENERAL", ["we agreed to ship the exporter on thursday",
                                                     "the exporter cap stays at 10k rows"])
    api.history["C0RELEASE"] = history("C0RELEASE", ["release train 42 is frozen", "the changelog owner is bob"])
    api.history["C0SECRET1"] = history("C0SECRET1", ["the Initech merger closes on friday", "keep Initech quiet"])


async def test_opening_the_pane_greets_and_suggests_prompts(start_slack: Any, fake_api: FakeSlackAPI) -> None:
    from tests.fakes.slack import RecordingHandler

    workspace(fake_api)
    adapter = await start_slack(RecordingHandler())
    assert (await post_event(adapter, started()))[0] == 200
    await settle(adapter)
    [greeting] = fake_api.calls_to("chat.postMessage")
    assert greeting.params["channel"] == PANE and greeting.params["thread_ts"] == THREAD
    assert "<@" not in greeting.params["text"] and "<!" not in greeting.params["text"]  # no pings
    metadata = greeting.params["metadata"]  # the thread's record: what channel is being viewed
    assert metadata["event_type"] == EVENT_TYPE and metadata["event_payload"]["channel_id"] == "C0GENERAL"
    [prompts] = fake_api.pane_calls("setSuggestedPrompts", THREAD)
    assert prompts["channel_id"] == PANE
    titles = [p["title"] for p in prompts["prompts"]]
    assert titles == ["Summarize this channel today", "What did we decide about …", "Ask the docs …"]
    assert all(p["message"] for p in prompts["prompts"])

    # opened where no channel is in view: nothing to summarize is suggested
    await post_event(adapter, {**started(None), "assistant_thread": {**started(None)["assistant_thread"],
                                                                      "thread_ts": "1700000990.000100"}})
    await settle(adapter)
    [bare] = fake_api.pane_calls("setSuggestedPrompts", "1700000990.000100")
    assert [p["title"] for p in bare["prompts"]] == ["Ask the docs …"]

    # switching channels keeps the record in step and the prompts
    await post_event(adapter, moved("C0RELEASE"))
    await settle(adapter)
    [update] = fake_api.calls_to("chat.update")
    assert update.params["ts"] == fake_api.replies[(PANE, THREAD)][0]["ts"]  # the greeting, nothing else
    assert update.params["metadata"]["event_payload"]["channel_id"] == "C0RELEASE"
    assert len(fake_api.pane_calls("setSuggestedPrompts", THREAD)) == 2


async def test_a_question_in_the_pane_is_answered_in_its_thread_and_titles_it(slack_bot: Any,
                                                                             fake_api: FakeSlackAPI) -> None:
    workspace(fake_api)
    adapter, _ = await slack_bot(ScriptedModel(steps=[AIMessage("Rotate it under Basic Information."),
                                                      AIMessage("Yes, restart after.")]))
    await post_event(adapter, started())
    await settle(adapter)
    await post_event(adapter, question("how do I rotate the signing secret?"))  # no mention: it's the pane
    await settle(adapter)
    assert any("Rotate it under Basic Information." in text for text in said_in_pane(fake_api))
    streamed = [s for s in fake_api.streams.values() if "Rotate" in s["text"]]
    posted = [c for c in fake_api.calls_to("chat.postMessage") if "Rotate" in c.params["text"]]
    assert [s["thread_ts"] for s in streamed] + [c.params["thread_ts"] for c in posted] == [THREAD]
    assert fake_api.statuses(THREAD)[0] == "is thinking…"  # the pane thread shows Confab at work
    [title] = fake_api.pane_calls("setTitle", THREAD)
    assert title["channel_id"] == PANE and title["title"] == "how do I rotate the signing secret?"

    await post_event(adapter, question("do I need to restart?", ts="1700000920.000300"))
    await settle(adapter)
    assert any("Yes, restart after." in text for text in said_in_pane(fake_api))
    assert len(fake_api.pane_calls("setTitle", THREAD)) == 1  # the first question titles the thread, once


async def test_summarize_this_channel_reads_the_channel_being_viewed(slack_bot: Any, fake_api: FakeSlackAPI
                                                                     ) -> None:
    workspace(fake_api)
    adapter, _ = await slack_bot(summarizing_model())
    await post_event(adapter, started("C0GENERAL"))
    await settle(adapter)
    await post_event(adapter, question("Summarize this channel today"))
    await settle(adapter)
    answer = "\n".join(said_in_pane(fake_api))
    assert "#general" in answer and "exporter" in answer
    assert [c.params["channel"] for c in fake_api.calls_to("conversations.members")] == ["C0GENERAL"] * 2  # paged
    assert fake_api.calls_to("conversations.history")[0].params["channel"] == "C0GENERAL"


@pytest.mark.parametrize("viewing", ["C0SECRET1", "D0BOBCARL"])
async def test_a_channel_the_asker_is_not_in_is_refused_and_nothing_of_it_shows(
        slack_bot: Any, fake_api: FakeSlackAPI, viewing: str) -> None:
    """A private channel Confab is in but the asker is not, and a DM between two other people."""
    workspace(fake_api)
    adapter, _ = await slack_bot(summarizing_model())
    if viewing == "C0SECRET1":  # Confab also remembers what was said there
        await post_event(adapter, {**payload("message_channels"), "channel": "C0SECRET1", "channel_type": "group",
                                   "user": "U0BOB0001", "text": "Initech signs at noon", "ts": f"{time.time():.6f}"})
    await post_event(adapter, started(viewing))
    await settle(adapter)
    await post_event(adapter, question("Summarize this channel today"))
    await settle(adapter)
    answer = "\n".join(said_in_pane(fake_api))
    expected = "not a member" if viewing == "C0SECRET1" else "not in that channel"
    assert expected in answer
    said = everything_said(fake_api)
    assert "Initech" not in said and "secret-merger" not in said  # not its messages, not even its name
    assert fake_api.calls_to("conversations.history") == []
    assert not [c for c in fake_api.calls_to("conversations.replies") if c.params.get("channel") == viewing]


async def test_the_viewed_channel_survives_a_restart(slack_bot: Any, fake_api: FakeSlackAPI) -> None:
    workspace(fake_api)
    first, _ = await slack_bot(ScriptedModel(steps=[]))
    await post_event(first, started("C0GENERAL"))
    await settle(first)
    await post_event(first, moved("C0RELEASE"))
    await settle(first)
    # a new process: a new app and adapter, nothing in memory; only Slack holds the pane thread's record
    second, _ = await slack_bot(summarizing_model())
    await post_event(second, question("Summarize this channel today"))
    await settle(second)
    answer = "\n".join(said_in_pane(fake_api))
    assert "#release" in answer and "release train 42" in answer.lower() and "exporter" not in answer
    assert [c.params["title"] for c in fake_api.calls_to("assistant.threads.setTitle")] == \
        ["Summarize this channel today"]


async def test_the_suggested_prompts_work_offline(slack_bot: Any, fake_api: FakeSlackAPI) -> None:
    """The offline model (no LLM) takes the channel prompts as they are sent when clicked."""
    from bot.slack.pane import DECISIONS, SUMMARIZE

    workspace(fake_api)
    adapter, _ = await slack_bot(None)
    for said in fake_api.history["C0GENERAL"]:  # Confab is in #general: it remembers what was said there
        await post_event(adapter, {**payload("message_channels"), **said})
    await post_event(adapter, started("C0GENERAL"))
    await settle(adapter)
    await post_event(adapter, question(SUMMARIZE["message"]))
    await settle(adapter)
    assert any("Summary of #general (today)" in text and "exporter" in text for text in said_in_pane(fake_api))
    await post_event(adapter, question(DECISIONS["message"], ts="1700000920.000300"))
    await settle(adapter)
    recap = [text for text in said_in_pane(fake_api) if "Summary of #general (since yesterday)" in text]
    assert recap and "ship the exporter on thursday" in recap[-1]


async def test_membership_is_checked_when_the_channel_is_read(start_slack: Any, fake_api: FakeSlackAPI) -> None:
    """bot/slack/access.py: a public channel Confab is not in, one the asker left, and a check that fails."""
    from bot.slack import access
    from tests.fakes.slack import RecordingHandler

    workspace(fake_api)
    fake_api.channels["C0RANDOM1"] = channel("C0RANDOM1", "random", [ALICE], bot_member=False)
    adapter = await start_slack(RecordingHandler())
    readable = await access.readable(adapter.client, "C0RELEASE", ALICE)
    assert readable == access.Readable("C0RELEASE", "#release")
    assert await access.readable(adapter.client, "C0RANDOM1", ALICE) == access.BOT_CANT_READ
    assert await access.readable(adapter.client, "", ALICE) == access.NO_CHANNEL
    fake_api.channels["C0RELEASE"]["members"].remove(ALICE)  # she left since opening the pane
    assert await access.readable(adapter.client, "C0RELEASE", ALICE) == access.NOT_A_MEMBER
    fake_api.errors["conversations.members"] = "internal_error"
    assert await access.readable(adapter.client, "C0GENERAL", ALICE) == access.CHECK_FAILED


async def test_only_a_pane_thread_reads_the_channel_in_view(slack_bot: Any, fake_api: FakeSlackAPI) -> None:
    """A DM thread no greeting carries a record for (from before the pane) summarizes itself, as before; a pane
    thread summarizes the channel in view."""
    workspace(fake_api)
    adapter, _ = await slack_bot(ScriptedModel(steps=[*summarizing_model().steps, *summarizing_model().steps]))
    await post_event(adapter, question("Summarize this thread"))
    await settle(adapter)
    assert fake_api.calls_to("conversations.info") == [] and fake_api.calls_to("conversations.members") == []
    reads = fake_api.calls_to("conversations.replies")  # the record looked for; then the thread itself read
    assert {c.params["ts"] for c in reads} == {THREAD} and any("include_all_metadata" not in c.params for c in reads)
    assert not any("looking at" in text or "exporter" in text for text in said_in_pane(fake_api))
    assert fake_api.calls_to("assistant.threads.setTitle") == []  # only a pane thread gets a title

    pane = {**started("C0GENERAL"), "assistant_thread": {**started("C0GENERAL")["assistant_thread"],
                                                         "thread_ts": "1700000990.000100"}}
    await post_event(adapter, pane)
    await settle(adapter)
    await post_event(adapter, {**question("Summarize this channel today", ts="1700000995.000300"),
                               "thread_ts": "1700000990.000100"})
    await settle(adapter)
    assert any("#general" in text and "exporter" in text for text in said_in_pane(fake_api, "1700000990.000100"))


async def test_the_pane_works_over_socket_mode(start_slack: Any, fake_api: FakeSlackAPI, fake_socket: Any) -> None:
    from tests.fakes.slack import RecordingHandler, event_body

    workspace(fake_api)
    adapter = await start_slack(RecordingHandler(), mode="socket")
    await fake_socket.wait_ack(await fake_socket.push("events_api", event_body(started())))
    await settle(adapter)
    [prompts] = fake_api.pane_calls("setSuggestedPrompts", THREAD)
    assert prompts["prompts"][0]["title"] == "Summarize this channel today"
    await fake_socket.wait_ack(await fake_socket.push("events_api", event_body(question("hello there?"))))
    await settle(adapter)
    assert [t["title"] for t in fake_api.pane_calls("setTitle", THREAD)] == ["hello there?"]
    assert [m.text for m in adapter.handler.messages] == ["hello there?"]  # the question went on to the pipeline
