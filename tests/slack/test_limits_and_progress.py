"""Rate limits on Slack: every refused mention is told (a note, then a reaction) and no progress
note outlives its request."""

from __future__ import annotations

from typing import Any

import pytest
from langchain_core.messages import AIMessage

from tests.fakes.scripted_model import ScriptedModel
from tests.fakes.slack import FakeSlackAPI, payload, post_event, settle


@pytest.mark.parametrize("in_one_thread", [False, True])
async def test_twelve_quick_mentions_all_get_an_answer_or_a_refusal_and_no_note_is_left(
        slack_bot: Any, fake_api: FakeSlackAPI, in_one_thread: bool) -> None:
    model = ScriptedModel(steps=[AIMessage(f"answer {i}") for i in range(12)], delay_s=0.3)
    adapter, _ = await slack_bot(model, progress_after_s=0.05, rate_user_per_min=10)
    mention = payload("app_mention")
    topics = ["deploy", "backups", "retention", "the wiki", "citations", "spam", "summaries", "images",
              "threads", "reindexing", "settings", "the console"]
    for i, topic in enumerate(topics):
        ts = f"1700000100.{i:06d}"
        await post_event(adapter, {**mention, "ts": ts, "event_ts": ts, "client_msg_id": f"m{i}",
                                         "text": f"<@UBOT00001> question {i}: how do I set up {topic}?",
                                         **({"thread_ts": "1700000099.000001"} if in_one_thread else {})},
                         event_id=f"Ev{i:09d}")
    await settle(adapter)
    answered = [c for c in fake_api.calls_to("chat.update") if c.params["text"].startswith("answer")]
    posted = [c for c in fake_api.calls_to("chat.postMessage") if c.params["text"].startswith("answer")]
    assert len(answered) + len(posted) == 10
    refusals = fake_api.calls_to("chat.postEphemeral")
    reactions = fake_api.calls_to("reactions.add")
    assert len(refusals) == 1 and "faster than I can keep up" in refusals[0].params["text"]
    assert [r.params["name"] for r in reactions] == ["hourglass_flowing_sand"]
    # every note was replaced by its answer or removed
    placeholders = [c for c in fake_api.calls_to("chat.postMessage") if "Working on it" in c.params["text"]]
    replaced_or_removed = len(fake_api.calls_to("chat.update")) + len(fake_api.calls_to("chat.delete"))
    assert len(placeholders) == replaced_or_removed
    assert not adapter.placeholders


async def test_a_command_cut_short_by_a_stop_says_so(slack_bot: Any, fake_api: FakeSlackAPI) -> None:
    from tests.fakes.slack import command_form, post_form
    from tests.fakes.waiting import until

    adapter, _ = await slack_bot(ScriptedModel(steps=[AIMessage("too late")], delay_s=30), progress_after_s=0.05)
    await post_form(adapter, command_form("/ask", "how do I deploy?", fake_api.response_url()))
    await until(lambda: fake_api.responses, what="the progress note")  # the command is running
    await adapter.close(grace_s=0.1)
    texts = [r["text"] for r in fake_api.responses]
    assert any("Working on it" in t for t in texts)
    assert "restarted before I could finish" in texts[-1]
