"""An answer is posted once even when it is computed twice: every part carries Slack metadata naming what it
answers, and an attempt that may repeat an earlier one (resumed after a restart) looks for it first."""

from __future__ import annotations

from typing import Any

from langchain_core.messages import AIMessage

from bot.events import ChannelRef, Reply
from tests.fakes.scripted_model import ScriptedModel
from tests.fakes.slack import TEAM_ID, FakeSlackAPI, payload, post_event, settle

QUESTION_TS = "1700000100.000200"


def _posts(fake_api: FakeSlackAPI, text: str) -> list[Any]:
    return [c for c in fake_api.calls_to("chat.postMessage") if c.params.get("text") == text]


async def test_a_resend_finds_the_parts_already_posted_and_posts_only_the_rest(
        slack_bot: Any, fake_api: FakeSlackAPI) -> None:
    fake_api.keep_posts = True
    adapter, _ = await slack_bot(ScriptedModel(steps=[]))
    where = ChannelRef("slack", TEAM_ID, "C0GENERAL")
    reply = Reply(where, "the answer", reply_to=QUESTION_TS, source="answer:slack:T:C:1")

    first = await adapter.send(reply)
    [post] = _posts(fake_api, "the answer")
    assert post.params["metadata"] == {"event_type": "confab_reply",
                                       "event_payload": {"source": "answer:slack:T:C:1", "part": 0}}

    again = await adapter.send(Reply(where, "the answer", reply_to=QUESTION_TS, source="answer:slack:T:C:1",
                                     resend=True))
    assert len(_posts(fake_api, "the answer")) == 1  # found in the thread, not posted again
    assert again.message_id == first.message_id
    [lookup] = fake_api.calls_to("conversations.replies")
    assert lookup.params["ts"] == QUESTION_TS and lookup.params["include_all_metadata"] in ("1", "true", True)

    # another source in the same thread is not mistaken for it
    await adapter.send(Reply(where, "the answer", reply_to=QUESTION_TS, source="answer:slack:T:C:2", resend=True))
    assert len(_posts(fake_api, "the answer")) == 2


async def test_a_first_attempt_never_pays_for_a_lookup(slack_bot: Any, fake_api: FakeSlackAPI) -> None:
    fake_api.keep_posts = True
    adapter, _ = await slack_bot(ScriptedModel(steps=[]))
    where = ChannelRef("slack", TEAM_ID, "C0GENERAL")
    await adapter.send(Reply(where, "hi", reply_to=QUESTION_TS, source="answer:slack:T:C:3"))
    assert not fake_api.calls_to("conversations.replies")


async def _crash_after_posting(slack_bot: Any, fake_api: FakeSlackAPI, record_delivery: bool) -> Any:
    """Answer a mention, and die (as far as the store knows) after posting it: the owed answer is not settled,
    and, unless ``record_delivery``, the ledger never heard of the delivery either. (The delivery record
    settles the answer in the same write; a record without the settlement is what a version that settled
    in a later write left when it died in between.)"""
    fake_api.keep_posts = True
    adapter, pipeline = await slack_bot(ScriptedModel(steps=[AIMessage("forty-two"), AIMessage("forty-two")]))
    store = pipeline.store
    settle_owed, record = store.pending.settle, store.replies.delivered

    async def died(*_: Any, **__: Any) -> None:
        raise RuntimeError("the process died here")

    async def recorded_then_died(source: str, message_id: str, **_: Any) -> None:
        await record(source, message_id)
        await died()

    store.pending.settle = died
    store.replies.delivered = recorded_then_died if record_delivery else died
    await post_event(adapter, payload("app_mention"))
    await settle(adapter)
    assert len(_posts(fake_api, "forty-two")) == 1
    assert [o.message_id for o in await store.pending.owed()] == [QUESTION_TS]  # still owed
    store.pending.settle, store.replies.delivered = settle_owed, record
    return adapter, pipeline


async def test_an_answer_recorded_as_delivered_is_not_posted_again_when_resumed(
        slack_bot: Any, fake_api: FakeSlackAPI) -> None:
    adapter, pipeline = await _crash_after_posting(slack_bot, fake_api, record_delivery=True)
    assert await pipeline.resume() == 1
    await pipeline.drain()
    await settle(adapter)
    assert len(_posts(fake_api, "forty-two")) == 1
    assert not fake_api.calls_to("conversations.replies")  # the ledger knew: no need to look
    assert await pipeline.store.pending.owed() == []


async def test_an_answer_posted_just_before_a_crash_is_found_on_slack_and_not_posted_again(
        slack_bot: Any, fake_api: FakeSlackAPI) -> None:
    """A crash between posting and recording the delivery: the ledger only knows the answer was claimed, so
    the resumed attempt looks in the thread for the answer's metadata first."""
    adapter, pipeline = await _crash_after_posting(slack_bot, fake_api, record_delivery=False)
    assert await pipeline.resume() == 1
    await pipeline.drain()
    await settle(adapter)
    assert len(_posts(fake_api, "forty-two")) == 1
    assert fake_api.calls_to("conversations.replies")  # it looked
    assert await pipeline.store.pending.owed() == []


async def test_a_note_posted_just_before_a_crash_is_found_and_replaced_by_the_resumed_answer(
        slack_bot: Any, fake_api: FakeSlackAPI) -> None:
    """The process dies after Slack took its "Working on it…" note and before the store heard of it: the owed
    answer says a note was being posted, so the next process looks for the note's metadata in the thread and
    the answer replaces it; no note is left behind."""
    from bot.adapter import NOTE_POSTING
    from tests.fakes.waiting import until
    from tests.slack.confab_process import PROGRESS, notes_left

    fake_api.keep_posts = True
    fake_api.errors["assistant.threads.setStatus"] = "missing_scope"  # the note, not the thread status
    adapter, pipeline = await slack_bot(ScriptedModel(steps=[AIMessage("forty-two")], delay_s=30.0),
                                        progress_after_s=0.05)
    recorded = pipeline.progress_shown

    async def died_before_recording(accepted: Any, note: str) -> None:
        if note == NOTE_POSTING:
            await recorded(accepted, note)  # the marker written before posting; the note's own reference never is

    pipeline.progress_shown = died_before_recording
    await post_event(adapter, payload("app_mention"))
    await until(lambda: any(PROGRESS in c.params["text"] for c in fake_api.calls_to("chat.postMessage")), 10.0,
                "the progress note")
    adapter.notes._notes.clear()  # the crash: this process's memory is gone, the note stays on Slack,
    await adapter._work.stop(0)  # and the turn ends unfinished
    [owed] = await pipeline.store.pending.owed()
    assert owed.note == NOTE_POSTING

    pipeline.answerer.assistant.chat_model.delay_s = 0.0  # type: ignore[attr-defined]
    assert await pipeline.resume() == 1
    await pipeline.drain()
    await settle(adapter)
    assert notes_left(fake_api) == 0 and len(fake_api.calls_to("chat.update")) == 1
    assert fake_api.calls_to("chat.update")[0].params["text"] == "forty-two"
    assert not _posts(fake_api, "forty-two") and await pipeline.store.pending.owed() == []
