"""👍/👎 on Slack: the real AsyncApp in HTTP mode posts answers with a ``context_actions`` block of
``feedback_buttons`` (keeping the plain text), and a signed ``block_actions`` request records the verified
user's vote and tells them (ephemerally) what was recorded; bad clicks get a short answer, never a 500."""

from __future__ import annotations

import json
import urllib.parse
import uuid
from typing import Any

from langchain_core.messages import AIMessage

from bot.feedback import BAD_VOTE, UNKNOWN_ANSWER
from tests.fakes.scripted_model import ScriptedModel
from tests.fakes.slack import TEAM_ID, FakeSlackAPI, command_form, payload, post, post_event, post_form, settle

KEY = f"slack:{TEAM_ID}:C0GENERAL"


def buttons(call: Any) -> dict[str, Any]:
    [actions] = [b for b in call.params["blocks"] if b["type"] == "context_actions"]
    [element] = actions["elements"]
    assert element["type"] == "feedback_buttons"
    return dict(element)


def click(value: str, message_ts: str, user: str = "U0BOB0001", thread_ts: str | None = None,
          ephemeral: bool = False) -> dict[str, Any]:
    """A block_actions payload for a feedback button, as Slack documents it."""
    container = {"type": "message", "message_ts": message_ts, "channel_id": "C0GENERAL", "is_ephemeral": ephemeral,
                 **({"thread_ts": thread_ts} if thread_ts else {})}
    return {
        "type": "block_actions", "team": {"id": TEAM_ID, "domain": "confab-test"},
        "user": {"id": user, "username": "bob", "name": "bob", "team_id": TEAM_ID},
        "api_app_id": "A0TEST", "token": "unused", "container": container,
        "trigger_id": f"{uuid.uuid4().int % 10**10}.1.abc", "channel": {"id": "C0GENERAL", "name": "general"},
        "response_url": "https://hooks.slack.invalid/actions/T0/1/x",
        "actions": [{"type": "feedback_buttons", "action_id": "confab_feedback", "block_id": "fb",
                     "value": value, "text": {"type": "plain_text", "text": "👍"}, "action_ts": "1700000999.1"}],
    }


async def post_click(adapter: Any, body: dict[str, Any]) -> int:
    status, _ = await post(adapter, urllib.parse.urlencode({"payload": json.dumps(body)}),
                           "application/x-www-form-urlencoded")
    await settle(adapter)
    return status


def told(fake_api: FakeSlackAPI) -> list[str]:
    return [str(c.params["text"]) for c in fake_api.calls_to("chat.postEphemeral")]


async def test_an_answer_carries_feedback_buttons_and_a_click_records_the_vote(slack_bot: Any, fake_api: FakeSlackAPI
                                                                                ) -> None:
    adapter, pipeline = await slack_bot(ScriptedModel(steps=[AIMessage("Deploy with `make deploy`.")]))
    await post_event(adapter, payload("app_mention"))
    await settle(adapter)
    [answer] = fake_api.calls_to("chat.postMessage")
    assert "make deploy" in answer.params["text"]  # the plain fallback stays
    [section] = [b for b in answer.params["blocks"] if b["type"] == "section"]
    assert "make deploy" in section["text"]["text"] and section["text"]["type"] == "mrkdwn"
    element = buttons(answer)
    assert (element["positive_button"]["value"], element["negative_button"]["value"]) == ("up", "down")
    ts, thread = "1700000001.000100", answer.params["thread_ts"]
    assert await post_click(adapter, click("up", ts, thread_ts=thread)) == 200
    assert told(fake_api) == ["Thanks, I recorded your 👍 on this answer."]
    note = fake_api.calls_to("chat.postEphemeral")[-1].params
    assert note["user"] == "U0BOB0001" and note["channel"] == "C0GENERAL"
    [pair] = await pipeline.deps.store.feedback.pairs()
    assert pair.vote == "up" and pair.answer.message_id == ts and "how do we deploy" in pair.answer.question
    assert pair.answer.answer == "Deploy with `make deploy`."
    await post_click(adapter, click("down", ts, thread_ts=thread))
    await post_click(adapter, click("down", ts, thread_ts=thread))
    assert told(fake_api)[1:] == ["Changed your vote on this answer to 👎.", "Took back your 👎 on this answer."]
    assert await pipeline.deps.store.feedback.pairs() == []


async def test_bad_clicks_get_a_short_answer_and_never_a_500(slack_bot: Any, fake_api: FakeSlackAPI,
                                                              caplog: Any) -> None:
    adapter, pipeline = await slack_bot(ScriptedModel(steps=[AIMessage("An answer.")]))
    await post_event(adapter, payload("app_mention"))
    await settle(adapter)
    assert await post_click(adapter, click("sideways", "1700000001.000100")) == 200
    assert await post_click(adapter, click("up", "1799999999.000100")) == 200  # not an answer of Confab's
    assert told(fake_api) == [BAD_VOTE, UNKNOWN_ANSWER]
    malformed = click("up", "1700000001.000100")
    del malformed["user"]
    assert await post_click(adapter, malformed) == 200
    malformed = click("up", "1700000001.000100")
    malformed["actions"][0]["value"] = {"not": "a string"}
    assert await post_click(adapter, malformed) == 200
    assert len(told(fake_api)) == 2 and "malformed slack feedback action" in caplog.text
    status, _ = await post(adapter, urllib.parse.urlencode({"payload": json.dumps(click("up", "1700000001.000100"))}),
                           "application/x-www-form-urlencoded", secret="forged-secret")
    assert status == 401  # who voted is what Slack signed, nothing else
    await settle(adapter)
    assert (await pipeline.deps.store.feedback.counts()).up == 0


async def test_a_private_summary_carries_buttons_keyed_for_itself(slack_bot: Any, fake_api: FakeSlackAPI) -> None:
    adapter, pipeline = await slack_bot(ScriptedModel(steps=[]))
    for i, text in enumerate(["We ship the release on Friday.", "Agreed, Friday works. Bob writes the notes."]):
        event = {**payload("message_channels"), "text": text, "ts": f"170000020{i}.000300"}
        await post_event(adapter, event)
    url = fake_api.response_url()
    await post_form(adapter, command_form("/summarize", "", url))
    await settle(adapter)
    [summary] = [r for r in fake_api.responses if "Friday" in str(r.get("text"))]
    assert summary["response_type"] == "ephemeral"
    value = buttons(type("Call", (), {"params": summary})())["positive_button"]["value"]
    assert value.startswith("up:p")
    await post_click(adapter, click(value, "1700000555.000100", ephemeral=True))
    assert told(fake_api) == ["Thanks, I recorded your 👍 on this answer."]
    [pair] = await pipeline.deps.store.feedback.pairs([KEY])
    assert pair.answer.question.startswith("/summarize") and "Friday" in pair.answer.answer


async def test_a_long_answer_has_its_buttons_on_its_last_part_keyed_by_its_first(slack_bot: Any,
                                                                                 fake_api: FakeSlackAPI) -> None:
    long = "\n\n".join(f"Step {i}: " + "run the deploy script and check the dashboards. " * 8 for i in range(16))
    adapter, pipeline = await slack_bot(ScriptedModel(steps=[AIMessage(long)]))
    await post_event(adapter, payload("app_mention"))
    await settle(adapter)
    first, *_, last = fake_api.calls_to("chat.postMessage")
    assert "blocks" not in first.params or first.params["blocks"] is None
    sections = [b for b in last.params["blocks"] if b["type"] == "section"]
    assert all(len(b["text"]["text"]) <= 3000 for b in sections)
    assert "\n".join(b["text"]["text"] for b in sections) == last.params["text"]  # the whole part
    first_ts = "1700000001.000100"
    assert buttons(last)["positive_button"]["value"] == f"up:{first_ts}"
    await post_click(adapter, click(f"up:{first_ts}", "1700000009.000100"))
    assert told(fake_api) == ["Thanks, I recorded your 👍 on this answer."]
    [pair] = await pipeline.deps.store.feedback.pairs()
    assert pair.answer.message_id == first_ts


async def test_an_answer_replacing_its_progress_note_carries_the_buttons(slack_bot: Any,
                                                                         fake_api: FakeSlackAPI) -> None:
    fake_api.errors["assistant.threads.setStatus"] = "missing_scope"  # a note shows where a status can't
    adapter, _ = await slack_bot(ScriptedModel(steps=[AIMessage("Slow but sure."),], delay_s=0.6),
                                 progress_after_s=0.05)
    await post_event(adapter, payload("app_mention"))
    await settle(adapter)
    [note] = fake_api.calls_to("chat.postMessage")
    assert "Working on it" in note.params["text"] and not note.params.get("blocks")
    [update] = fake_api.calls_to("chat.update")
    assert "Slow but sure." in update.params["text"]
    assert buttons(update)["positive_button"]["value"] == "up"  # the note's ts is the answer's


def test_a_part_longer_than_a_section_is_cut_on_line_boundaries() -> None:
    from bot.events import ChannelRef, Rated, Reply
    from bot.slack.feedback import feedback_blocks

    link = "<https://example.com/a-long-runbook-link|the runbook>"
    chunk = "\n".join(f"{i}. check {link} then the dashboards, twice over." for i in range(40))
    assert 3000 < len(chunk) <= 3900
    reply = Reply(ChannelRef("slack", "T1", "C1"), "x", rated=Rated("q"))
    blocks = feedback_blocks(reply, chunk, 0, 1, "")
    assert blocks is not None
    sections = [b["text"]["text"] for b in blocks if b["type"] == "section"]
    assert len(sections) == 2 and all(len(s) <= 3000 for s in sections) and "\n".join(sections) == chunk
    assert all(s.count("<") == s.count(">") for s in sections)  # no link cut in half
    assert feedback_blocks(reply, chunk, 0, 2, "") is None  # only the last part has the buttons
