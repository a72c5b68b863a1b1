"""The feedback port on every backend: answers recorded as sent, one vote per person per answer (changed or
taken back by a second click), counts and the most recent downvotes, the export's pairs, and privacy: a
forgotten channel and retention take the answers and their votes."""

from __future__ import annotations

import asyncio
import time

from agent.storage.feedback import FeedbackCounts, FeedbackStore, RatedAnswer
from agent.storage.ports import Storage
from tests.storage.conftest import Opener

KEY = "slack:T1:C1"
OTHER = "slack:T1:C2"


def answer(message_id: str, channel: str = KEY, question: str = "how do I deploy?", at: float | None = None,
           thread: str | None = None) -> RatedAnswer:
    return RatedAnswer(channel, message_id, question, f"the answer to {question} [1]",
                       ("deploy.md § Deploying (lines 3-9)",), "openai:gpt-4.1-mini",
                       time.time() if at is None else at, thread=thread)


async def test_one_vote_per_person_changed_or_withdrawn(store: Storage) -> None:
    feedback = store.feedback
    assert isinstance(feedback, FeedbackStore)
    now = time.time()
    await feedback.record(answer("1700000001.000100", thread="1700000000.000100"))
    assert await feedback.vote(KEY, "1700000001.000100", "U1", "up", now) == "recorded"
    assert await feedback.vote(KEY, "1700000001.000100", "U2", "up", now) == "recorded"
    assert await feedback.counts(KEY) == FeedbackCounts(up=2, down=0, answers=1)
    assert await feedback.vote(KEY, "1700000001.000100", "U1", "down", now + 1) == "changed"
    assert await feedback.counts(KEY) == FeedbackCounts(up=1, down=1, answers=1)
    assert await feedback.vote(KEY, "1700000001.000100", "U1", "down", now + 2) == "withdrawn"
    assert await feedback.counts(KEY) == FeedbackCounts(up=1, down=0, answers=1)
    assert await feedback.vote(KEY, "1700000001.000100", "U1", "down", now + 3) == "recorded"
    # an unknown (or another channel's) message: nothing is written
    assert await feedback.vote(KEY, "1799999999.000000", "U1", "up", now) == "unknown"
    assert await feedback.vote(OTHER, "1700000001.000100", "U1", "up", now) == "unknown"
    assert await feedback.counts() == FeedbackCounts(up=1, down=1, answers=1)
    [pair_up, pair_down] = await feedback.pairs()
    assert (pair_up.vote, pair_down.vote) == ("up", "down") and pair_down.voted_at == now + 3
    assert pair_down.answer == answer("1700000001.000100", thread="1700000000.000100",
                                      at=pair_down.answer.created_at)
    assert pair_down.answer.citations == ("deploy.md § Deploying (lines 3-9)",)


async def test_counts_and_recent_downvotes_per_channel_or_overall(store: Storage) -> None:
    feedback = store.feedback
    now = time.time()
    for i, (channel, question) in enumerate([(KEY, "q one"), (KEY, "q two"), (OTHER, "q three"), (KEY, "q four")]):
        await feedback.record(answer(f"m{i}", channel, question))
    await feedback.vote(KEY, "m0", "U1", "down", now + 1)
    await feedback.vote(KEY, "m0", "U2", "down", now + 2)  # one answer, shown once
    await feedback.vote(OTHER, "m2", "U1", "down", now + 3)
    await feedback.vote(KEY, "m1", "U1", "down", now + 4)
    await feedback.vote(KEY, "m3", "U1", "up", now + 5)
    assert [a.question for a in await feedback.recent_down(KEY)] == ["q two", "q one"]
    assert [a.question for a in await feedback.recent_down()] == ["q two", "q three", "q one"]
    assert [a.question for a in await feedback.recent_down(limit=1)] == ["q two"]
    assert await feedback.counts(OTHER) == FeedbackCounts(up=0, down=1, answers=1)
    assert await feedback.counts() == FeedbackCounts(up=1, down=4, answers=4)
    assert [p.answer.question for p in await feedback.pairs([OTHER])] == ["q three"]
    assert [p.answer.question for p in await feedback.pairs(since=now + 4)] == ["q two", "q four"]
    assert await feedback.pairs([]) == []


async def test_a_repeated_record_replaces_and_votes_from_two_replicas_stay_one(store: Storage,
                                                                              replica: Opener) -> None:
    other = await replica()
    await store.feedback.record(answer("m1", question="first"))
    await other.feedback.record(answer("m1", question="again"))
    now = time.time()
    outcomes = await asyncio.gather(*(s.feedback.vote(KEY, "m1", "U1", "up", now) for s in [store, other] * 3))
    assert sorted(outcomes) == ["recorded", "recorded", "recorded", "withdrawn", "withdrawn", "withdrawn"]
    assert await store.feedback.counts(KEY) == FeedbackCounts(0, 0, 1)
    await other.feedback.vote(KEY, "m1", "U1", "up", now)
    [pair] = await store.feedback.pairs()
    assert pair.answer.question == "again"


async def test_forget_and_retention_take_answers_and_votes(store: Storage) -> None:
    feedback = store.feedback
    now = time.time()
    await feedback.record(answer("m1"))
    await feedback.record(answer("m2", OTHER))
    await feedback.record(answer("old", OTHER, question="old question", at=now - 100 * 86400))
    await feedback.vote(KEY, "m1", "U1", "down", now)
    await feedback.vote(OTHER, "m2", "U1", "up", now)
    await feedback.vote(OTHER, "old", "U1", "down", now - 99 * 86400)
    await store.messages.forget(KEY)
    assert await feedback.counts(KEY) == FeedbackCounts(0, 0, 0)
    assert await feedback.vote(KEY, "m1", "U1", "up", now) == "unknown"  # forgotten: a short message, no vote
    assert await feedback.recent_down(KEY) == []
    await store.messages.prune(90)
    assert await feedback.counts(OTHER) == FeedbackCounts(up=1, down=0, answers=1)
    assert [p.answer.message_id for p in await feedback.pairs()] == ["m2"]
