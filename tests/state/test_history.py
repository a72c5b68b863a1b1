"""The spam signals' author history on both backends, and the replica contract: messages spread over
replicas give the same signals as messages to one."""

from __future__ import annotations

import pytest

from agent.classify.normalize import normalize
from agent.classify.signals import BehaviourTracker
from agent.state.history import (
    FINGERPRINT_K,
    MemoryAuthorHistory,
    RedisAuthorHistory,
    Seen,
    decode,
    encode,
    fingerprint,
    resemblance,
)
from tests.fakes.settings import make_settings
from tests.state.conftest import Replicas

SPAM = "join our community server for daily updates and fun events"


def seen(at: float, channel: str = "c", text: str = SPAM) -> Seen:
    return Seen(at, channel, fingerprint(_grams(text)))


def _grams(text: str) -> list[str]:
    words = text.split()
    return [" ".join(words[i:i + 3]) for i in range(len(words) - 2)]


async def test_history_returns_the_recent_earlier_messages_and_who_is_known(replicas: Replicas) -> None:
    [state] = await replicas(1)
    assert await state.authors.record("u1", seen(100.0)) == ([], False)
    earlier, known = await state.authors.record("u1", seen(101.0, "d"))
    assert known and earlier == [seen(100.0)]
    earlier, _ = await state.authors.record("u1", seen(100.0 + 700))  # ten minutes later: forgotten
    assert earlier == []
    assert (await state.authors.record("u2", seen(800.0)))[1] is False  # per author


async def test_history_keeps_the_last_fifty(replicas: Replicas) -> None:
    [state] = await replicas(1)
    for i in range(60):
        earlier, _ = await state.authors.record("u1", seen(100.0 + i))
    assert len(earlier) == 50 and earlier[0].at == 109.0 and earlier[-1].at == 158.0


def test_fingerprints_are_exact_for_short_texts_and_close_for_long_ones() -> None:
    a, b = fingerprint(_grams(SPAM)), fingerprint(_grams(SPAM.replace("fun", "great")))
    exact = len(set(_grams(SPAM)) & set(_grams(SPAM.replace("fun", "great")))) / len(
        set(_grams(SPAM)) | set(_grams(SPAM.replace("fun", "great"))))
    assert resemblance(a, b) == exact
    words = [f"w{i}" for i in range(600)]
    long_a = fingerprint(_grams(" ".join(words)))
    long_b = fingerprint(_grams(" ".join(words[:570] + ["x"] * 30)))  # ~90% of the 3-grams shared
    assert len(long_a) == FINGERPRINT_K and 0.8 <= resemblance(long_a, long_b) <= 1.0
    assert resemblance(long_a, fingerprint(_grams(" ".join(f"v{i}" for i in range(600))))) == 0.0
    entry = Seen(1234.5, "slack:T1:ü-channel", long_a)
    assert decode(encode(entry)) == entry


async def test_a_burst_split_across_replicas_is_still_flagged(replicas: Replicas) -> None:
    states = await replicas(3)
    trackers = [BehaviourTracker(s.authors) for s in states]
    found = [await trackers[i % 3].aobserve("u1", "c", normalize(f"message number {i} about stuff"), 200.0 + i)
             for i in range(7)]
    assert [s.name for s in found[5]] == ["burst"] and "6 messages in 10 seconds" in found[5][0].reason
    assert not found[4]


async def test_repeats_across_channels_and_replicas_are_flagged(replicas: Replicas) -> None:
    a, b = await replicas(2)
    ta, tb = BehaviourTracker(a.authors), BehaviourTracker(b.authors)
    first = await ta.aobserve("u1", "general", normalize(SPAM), 100.0)
    second = await tb.aobserve("u1", "random", normalize(SPAM), 101.0)
    third = await ta.aobserve("u1", "news", normalize(SPAM), 102.0)
    assert first == [] and second == []
    [repeated] = third
    assert repeated.name == "repeated" and "3 times in 10 minutes across 3 channels" in repeated.reason


async def test_a_new_members_first_link_is_flagged_once_whichever_replica_sees_it(replicas: Replicas) -> None:
    a, b = await replicas(2)
    link = normalize("hi all, check https://example.org")
    assert [s.name for s in await BehaviourTracker(a.authors).aobserve("u1", "c", link, 1.0, True)] == [
        "new_member_link"]
    assert await BehaviourTracker(b.authors).aobserve("u1", "c", link, 2.0, True) == []


async def test_shared_history_matches_one_process(replicas: Replicas) -> None:
    """The same messages give the same signals from the shared history as from one process's memory."""
    states = await replicas(2)
    shared = [BehaviourTracker(s.authors) for s in states]
    local = BehaviourTracker()
    texts = [SPAM, "lunch at noon?", SPAM, "message one", SPAM, "message two", "https://x.io look", SPAM]
    for i, text in enumerate(texts):
        n = normalize(text)
        expected = local.observe("u7", f"c{i % 3}", n, 50.0 + i, new_member=True)
        assert await shared[i % 2].aobserve("u7", f"c{i % 3}", n, 50.0 + i, new_member=True) == expected


def test_without_shared_state_replicas_miss_the_burst() -> None:
    """What the shared history is for: two processes with their own memory each see half a burst."""
    trackers = [BehaviourTracker(MemoryAuthorHistory()), BehaviourTracker(MemoryAuthorHistory())]
    found = [trackers[i % 2].observe("u1", "c", normalize(f"message number {i} about stuff"), 200.0 + i)
             for i in range(7)]
    assert not any(found)


async def test_a_redis_outage_falls_back_to_this_process(tmp_path: object) -> None:
    from agent.state import open_state

    state = open_state(make_settings(tmp_path, redis_url="redis://127.0.0.1:1/0"))
    try:
        assert isinstance(state.authors, RedisAuthorHistory)
        tracker = BehaviourTracker(state.authors)
        found = [await tracker.aobserve("u1", "c", normalize(SPAM), 10.0 + i) for i in range(3)]
        assert [s.name for s in found[2]] == ["repeated"]
    finally:
        await state.close()


@pytest.mark.parametrize("backend", ["redis"])
async def test_spam_classifiers_on_two_replicas_flag_a_split_burst(replicas: Replicas) -> None:
    from agent.classify.spam import SpamClassifier

    a, b = await replicas(2)
    first = SpamClassifier(history=a.authors)
    second = SpamClassifier(model=first.model, history=b.authors)
    results = [await (first, second)[i % 2].aclassify(SPAM, "u1", "abc"[i], now=100.0 + i) for i in range(3)]
    assert any("across 3 channels" in r for r in results[-1].reasons)
    assert results[-1].score > results[0].score


async def test_a_flag_makes_the_author_unknown_again(replicas: Replicas) -> None:
    """Spam standing counts "posted here before" only while nothing of theirs was flagged since."""
    [state] = await replicas(1)
    await state.authors.record("u1", seen(100.0))
    await state.authors.forget("u1")
    assert (await state.authors.record("u1", seen(101.0)))[1] is False
    assert (await state.authors.record("u1", seen(102.0)))[1] is True


async def test_known_is_per_workspace_and_repeats_are_not(replicas: Replicas) -> None:
    """'Posted here before' counts in the workspace where it happened; a blast across workspaces still repeats."""
    [state] = await replicas(1)
    await state.authors.record("u1", seen(100.0), scope="discord:A")
    earlier, known = await state.authors.record("u1", seen(101.0), scope="discord:B")
    assert not known and len(earlier) == 1
    assert (await state.authors.record("u1", seen(102.0), scope="discord:A"))[1] is True
    await state.authors.forget("u1", scope="discord:A")
    assert (await state.authors.record("u1", seen(103.0), scope="discord:A"))[1] is False
    assert (await state.authors.record("u1", seen(104.0), scope="discord:B"))[1] is True
