"""Every backend (SQLite, PostgreSQL) implements every port, and each repository keeps the promise its Protocol
states; two stores opened on the same database behave as two replicas."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta

import numpy as np

from agent.memory.models import StoredMessage
from agent.settings import Settings
from agent.storage.ports import (
    ChannelSettingsStore,
    EventLedger,
    FoundMessage,
    Idea,
    IdeaStore,
    ImageLog,
    MessageStore,
    PendingAnswer,
    PendingAnswers,
    PendingCommand,
    PendingCommands,
    SpamFlag,
    SpamStore,
    Storage,
    SummaryStore,
    ThreadStore,
)
from agent.storage.postgres.db import Database as PostgresDatabase
from tests.storage.conftest import Opener

KEY = "slack:T1:C1"
OTHER_CHANNEL = "slack:T1:C2"
OTHER_WORKSPACE = "slack:T2:C1"


def said(i: int, channel: str = KEY, author: str = "u1", is_bot: bool = False, thread: str | None = None,
         when: datetime | None = None, text: str | None = None) -> StoredMessage:
    return StoredMessage(channel, f"m{i}", author, author, f"message {i}" if text is None else text,
                         when or datetime.now(UTC), thread=thread, is_bot=is_bot)


async def test_the_storage_satisfies_every_port(store: Storage) -> None:
    assert isinstance(store, Storage)
    for repository, port in [(store.messages, MessageStore), (store.threads, ThreadStore),
                             (store.channel_settings, ChannelSettingsStore), (store.summaries, SummaryStore),
                             (store.events, EventLedger), (store.spam, SpamStore), (store.ideas, IdeaStore),
                             (store.images, ImageLog), (store.pending, PendingAnswers),
                             (store.pending_commands, PendingCommands)]:
        assert isinstance(repository, port), (repository, port)


async def test_messages_count_what_people_said_and_know_the_deleted(store: Storage) -> None:
    messages = store.messages
    now = datetime.now(UTC)
    await messages.add(said(1, when=now - timedelta(hours=3)))
    await messages.add(said(2, when=now - timedelta(minutes=5)))
    await messages.add(said(3, is_bot=True, when=now - timedelta(minutes=4)))
    await messages.add(said(4, text="", when=now - timedelta(minutes=3)))
    await messages.add(said(5, thread="m2", when=now - timedelta(minutes=2)))
    await messages.add(said(6, when=now - timedelta(minutes=1)))
    assert await messages.delete(KEY, "m6")
    assert await messages.count_said(KEY) == 3  # m1, m2, m5: not the bot's, not empty, not deleted
    assert await messages.count_said(KEY, since=now - timedelta(hours=1)) == 2
    assert await messages.count_said(KEY, thread="m2") == 2  # the root and its reply
    assert await messages.count_said(KEY, until=now - timedelta(hours=1)) == 1
    assert await messages.deleted_ids(KEY) == {"m6"}
    assert await messages.deleted_ids(OTHER_CHANNEL) == set()


async def test_forget_erases_the_channel_in_every_repository(store: Storage) -> None:
    await store.messages.add(said(1))
    await store.threads.follow(KEY, "m1", kind="brainstorm")
    await store.channel_settings.set(KEY, "spam_policy", "off")
    await store.summaries.set(KEY, "so far", datetime.now(UTC))
    await store.spam.record_flag(SpamFlag(KEY, "m1", "u1", "buy now", 0.9, ("link",), "flagged"), replace=True)
    await store.ideas.add(KEY, "m1", "cache layers", "ana", "m1", np.ones(4, dtype=np.float32))
    reserved = await store.images.reserve(KEY, None, "u1", "a lighthouse", time.time(), 0.0, 5)
    assert reserved is not None
    await store.images.complete(reserved, "a lighthouse", "x.png")
    assert await store.messages.forget(KEY) == 1
    assert await store.threads.followed(KEY, "m1") is None
    assert await store.channel_settings.get(KEY, "spam_policy", "default") == "default"
    assert await store.summaries.get(KEY) is None
    assert await store.spam.stats(KEY) == (0, 0, 0)
    assert (await store.ideas.ideas(KEY, "m1"))[0] == []
    assert await store.images.last_prompt(KEY, None, 0.0) is None


async def test_spam_flags_corrections_and_exemptions(store: Storage) -> None:
    spam = store.spam
    flag = SpamFlag(KEY, "m1", "u1", "free crypto", 0.8, ("scam phrase",), "flagged")
    await spam.record_flag(flag, replace=True)
    await spam.record_flag(SpamFlag(KEY, "m1", "u1", "free crypto", 1.0, ("automod",), "blocked"), replace=False)
    [found] = await spam.find_flagged(OTHER_CHANNEL, ["m1", "nope"])  # any channel of the workspace finds it
    assert found == FoundMessage(KEY, "m1", "u1", "free crypto", True, ("scam phrase",))  # the first flag was kept
    assert await spam.find_flagged(OTHER_WORKSPACE, ["m1"]) == []
    assert await spam.stats(KEY) == (1, 0, 0)

    now = time.time()
    await spam.correct(found, "ham", "mod", now, exempt_until=now + 3600)
    assert await spam.stats(KEY) == (0, 1, 0)  # the flag is cleared, the verdict kept
    record = await spam.author_record(KEY, "u1", now + 1, now - 60)
    assert record.exempt and record.verdicts == ((now, "ham"),)
    assert not (await spam.author_record(OTHER_CHANNEL, "u1", now + 1, now - 60)).exempt  # one channel only
    assert not (await spam.author_record(KEY, "u1", now + 7200, now - 60)).exempt  # until it expires

    await store.messages.add(said(2, channel=OTHER_CHANNEL, text="more free crypto"))
    [remembered] = await spam.find_remembered(KEY, ["m2"])
    assert remembered == FoundMessage(OTHER_CHANNEL, "m2", "u1", "more free crypto", False)
    await spam.correct(remembered, "spam", "mod", now + 2)
    record = await spam.author_record(KEY, "u1", now + 3, now - 60)
    assert not record.exempt  # a spam verdict anywhere in the workspace revokes the exemption
    assert sorted(v for _, v in record.verdicts) == ["ham", "spam"]
    # the verdicts are the training examples of a retrained model, whichever channel they were given in
    assert await spam.training_examples() == [("free crypto", "ham"), ("more free crypto", "spam")]


async def test_posted_before_and_how_long_a_workspace_has_been_watched(store: Storage) -> None:
    spam = store.spam
    now = datetime.now(UTC)
    await store.messages.add(said(1, author="ann", when=now - timedelta(days=20)))  # watched for 20 days
    await store.messages.add(said(2, channel=OTHER_CHANNEL, author="bo", when=now - timedelta(minutes=5)))
    await store.messages.add(said(3, author="cy", when=now - timedelta(minutes=5)))
    await store.messages.add(said(4, author="cy", when=now - timedelta(seconds=10)))  # cy's latest: flagged
    await store.messages.add(said(5, author="dee", is_bot=True, when=now - timedelta(minutes=5)))
    await spam.record_flag(SpamFlag(KEY, "m4", "cy", "said 4", 0.9, ("x",), "flagged"), replace=True)
    t = now.timestamp()

    async def posted(author: str, channel: str = KEY, before: float = t - 60) -> bool:
        return (await spam.author_record(channel, author, t, t - 3600, before=before)).posted_before

    assert await posted("ann") and await posted("bo")  # in any channel of the workspace
    assert not await posted("bo", OTHER_WORKSPACE)
    assert not await posted("eve") and not await posted("dee")  # never posted; a bot's
    assert await posted("cy")  # before a minute ago: m3, unflagged
    assert not await posted("cy", before=t)  # up to now: m4, flagged
    assert not (await spam.author_record(KEY, "ann", t, t - 3600)).posted_before  # not asked
    assert await spam.watched_before(OTHER_CHANNEL, t - 14 * 86400)
    assert not await spam.watched_before(OTHER_WORKSPACE, t)
    assert not await spam.watched_before(KEY, t - 30 * 86400)


async def test_ideas_are_numbered_counted_and_cleared(store: Storage) -> None:
    ideas = store.ideas
    empty, vectors = await ideas.ideas(KEY, "t1")
    assert empty == [] and vectors.shape == (0, 0)
    first = await ideas.add(KEY, "t1", "cache the docker layers", "ana", "m1", np.array([1, 0], dtype=np.float32))
    assert first == Idea(1, "cache the docker layers", "ana", "m1")
    assert (await ideas.add(KEY, "t1", "shard the tests", "ben", "m2", np.array([0, 1], dtype=np.float32))).number == 2
    assert (await ideas.add(KEY, "t2", "elsewhere", "ben", "m9", np.array([0, 1], dtype=np.float32))).number == 1
    await ideas.bump(KEY, "t1", 1, "votes")
    await ideas.bump(KEY, "t1", 1, "votes")
    await ideas.bump(KEY, "t1", 2, "merged")
    found, vectors = await ideas.ideas(KEY, "t1")
    assert [(i.number, i.votes, i.merged) for i in found] == [(1, 2, 0), (2, 0, 1)]
    assert vectors.tolist() == [[1.0, 0.0], [0.0, 1.0]]
    assert [i.text for i in (await ideas.ideas(KEY, "t2"))[0]] == ["elsewhere"]
    await ideas.clear(KEY, "t1")
    assert (await ideas.ideas(KEY, "t1"))[0] == []
    assert (await ideas.add(KEY, "t1", "start over", "ana", "m3", np.array([1, 1], dtype=np.float32))).number == 1


async def test_concurrent_ideas_from_two_replicas_get_distinct_numbers(store: Storage, replica: Opener) -> None:
    other = await replica()
    vector = np.array([1, 0], dtype=np.float32)
    added = await asyncio.gather(*(s.ideas.add(KEY, "t1", f"idea {i}", "ana", f"m{i}", vector)
                                   for i, s in enumerate([store, other] * 10)))
    assert sorted(idea.number for idea in added) == list(range(1, 21))
    stored, vectors = await store.ideas.ideas(KEY, "t1")
    assert [i.number for i in stored] == list(range(1, 21)) and vectors.shape == (20, 2)


async def test_images_reserve_the_quota_and_give_the_previous_prompt(store: Storage) -> None:
    images = store.images
    now = time.time()
    first = await images.reserve(KEY, "t1", "u1", "lighthouse", now - 100, now - 1000, 3)
    second = await images.reserve(KEY, "t1", "u1", "bluer", now - 10, now - 1000, 3)
    assert first is not None and second is not None and first != second
    await images.complete(first, "a lighthouse", "a.png")
    assert await images.last_prompt(KEY, "t1", now - 1000) == "a lighthouse"  # a reservation is no image yet
    await images.complete(second, "a lighthouse, bluer", "b.png")
    cat = await images.reserve(KEY, None, "u2", "a cat", now - 5, now - 1000, 3)
    assert cat is not None
    await images.complete(cat, "a cat", "c.png")
    assert await images.count_since("u1", now - 1000) == 2
    assert await images.count_since("u1", now - 50) == 1
    assert await images.last_prompt(KEY, "t1", now - 1000) == "a lighthouse, bluer"
    assert await images.last_prompt(KEY, None, now - 1000) == "a cat"
    assert await images.last_prompt(KEY, "t1", now) is None  # nothing recent enough

    third = await images.reserve(KEY, "t1", "u1", "a boat", now, now - 1000, 3)
    assert third is not None
    assert await images.reserve(KEY, "t1", "u1", "one more", now, now - 1000, 3) is None  # the limit
    later = await images.reserve(KEY, "t1", "u1", "counted from later", now, now - 50, 3)
    assert later is not None
    await images.release(third)  # generation failed: they no longer count
    await images.release(later)
    assert await images.count_since("u1", now - 1000) == 2
    assert await images.reserve(KEY, "t1", "u1", "one more", now, now - 1000, 3) is not None


async def test_concurrent_image_requests_stay_within_the_daily_limit(store: Storage, replica: Opener) -> None:
    other = await replica()  # two replicas taking the same author's quota at once
    now = time.time()
    reserved = await asyncio.gather(*(s.images.reserve(KEY, None, "u1", f"cat {i}", now, now - 3600, 20)
                                      for i, s in enumerate([store, other] * 15)))
    assert sum(r is not None for r in reserved) == 20
    assert len({r for r in reserved if r is not None}) == 20
    assert await store.images.count_since("u1", now - 3600) == 20


async def test_the_same_message_and_event_from_two_replicas_count_once(store: Storage, replica: Opener) -> None:
    other = await replica()
    message = said(1)
    stored = await asyncio.gather(*(s.messages.add(message) for s in [store, other] * 5))
    assert sorted(stored) == [False] * 9 + [True]
    firsts = await asyncio.gather(*(s.events.first_delivery("slack:Ev1") for s in [store, other] * 5))
    assert sorted(firsts) == [False] * 9 + [True]
    assert await other.messages.count(KEY) == 1


async def test_threads_settings_summaries_and_the_event_ledger(store: Storage) -> None:
    await store.threads.follow(KEY, "t1", kind="brainstorm", data={"topic": "CI"})
    await store.threads.follow(KEY, "t1", kind="mention")  # following again replaces kind and data
    kind, data, _ = await store.threads.followed(KEY, "t1")  # type: ignore[misc]
    assert (kind, data) == ("mention", {})
    await store.threads.touch(KEY, "t1", {"ideas": 2})
    await store.threads.touch(KEY, "t1")  # activity only: the data stays
    kind, data, last = await store.threads.followed(KEY, "t1")  # type: ignore[misc]
    assert (kind, data) == ("mention", {"ideas": 2}) and abs((datetime.now(UTC) - last).total_seconds()) < 60
    assert await store.threads.unfollow(KEY, "t1") and not await store.threads.unfollow(KEY, "t1")
    await store.channel_settings.set(KEY, "spam_exempt_days", 7)
    assert await store.channel_settings.get(KEY, "spam_exempt_days") == 7
    upto = datetime.now(UTC)
    await store.summaries.set(KEY, "thread so far", upto, thread="t1")
    assert await store.summaries.get(KEY, "t1") == ("thread so far", upto)
    assert await store.summaries.get(KEY) is None
    assert await store.events.first_delivery("slack:Ev1")
    assert not await store.events.first_delivery("slack:Ev1")


async def test_an_owed_answer_is_stored_with_its_message_and_settled_once(store: Storage) -> None:
    owed = PendingAnswer(KEY, "m1", '{"text": "question"}', time.time())
    assert await store.messages.add(said(1), owed)
    # a redelivery of the same message is a duplicate: nothing new is owed, the first record stays
    assert not await store.messages.add(said(1), PendingAnswer(KEY, "m1", "{}", time.time()))
    assert await store.messages.add(said(2))  # nothing owed to a message that asks nothing
    await store.pending.set_note(KEY, "m1", "C1|1.0|2.0")
    assert await store.pending.owed() == [PendingAnswer(KEY, "m1", owed.payload, owed.created_at, "C1|1.0|2.0")]
    assert await store.pending.get(KEY, "m1") == (await store.pending.owed())[0]
    assert await store.pending.get(KEY, "m2") is None and await store.pending.get(OTHER_CHANNEL, "m1") is None
    assert await store.pending.settle(KEY, "m1")
    assert not await store.pending.settle(KEY, "m1")
    assert await store.pending.get(KEY, "m1") is None
    assert await store.pending.owed() == []


async def test_forgetting_a_channel_forgets_what_it_was_owed(store: Storage) -> None:
    await store.messages.add(said(1), PendingAnswer(KEY, "m1", "{}", time.time()))
    await store.messages.add(said(2, channel=OTHER_CHANNEL), PendingAnswer(OTHER_CHANNEL, "m2", "{}", time.time()))
    await store.messages.forget(KEY)
    assert [p.channel_key for p in await store.pending.owed()] == [OTHER_CHANNEL]


async def test_a_screen_owed_is_kept_until_screened_and_a_replica_takes_each_one_once(
        store: Storage, replica: Opener, settings: Settings) -> None:
    now = datetime.now(UTC)
    one, two, three = said(1, when=now - timedelta(minutes=3)), said(2, when=now - timedelta(minutes=2)), said(3)
    assert await store.messages.add(one, screen='{"n": 1}')
    assert not await store.messages.add(one, screen='{"n": "again"}')  # a redelivery: the first record stays
    assert await store.messages.add(two, screen='{"n": 2}')
    assert await store.messages.add(said(4, when=now - timedelta(minutes=1)))  # nothing owed (a bot's, an answer's)
    assert await store.messages.add(said(5, channel="discord:G1:C1", when=now - timedelta(minutes=1)), screen="{}")
    assert await store.messages.add(said(6, when=now - timedelta(minutes=1)), screen="{}")
    assert await store.messages.add(three, screen='{"n": 3}')  # stored after the sweep's cut-off
    await store.messages.delete(KEY, "m6")  # deleted: nothing left to screen
    cutoff = now - timedelta(seconds=30)
    taken = await store.messages.unscreened(cutoff, ["slack"])
    assert [(m.id, record) for m, record in taken] == [("m1", '{"n": 1}'), ("m2", '{"n": 2}')]  # oldest first
    assert taken[0][0].text == "message 1" and taken[0][0].author_id == "u1"
    if settings.scaled:  # another replica does not get what this one is screening
        other = await replica()
        assert await other.messages.unscreened(cutoff, ["slack"]) == []
    await store.messages.screened([(KEY, "m1", one.created_at), (KEY, "m2", two.created_at)])
    assert await store.messages.unscreened(cutoff, ["slack"]) == []
    assert [m.id for m, _ in await store.messages.unscreened(cutoff, ["discord", "console"])] == ["m5"]
    assert await store.messages.unscreened(cutoff, []) == []


async def test_a_screen_lease_runs_out_so_a_dead_sweepers_messages_are_taken_again(store: Storage) -> None:
    await store.messages.add(said(1, when=datetime.now(UTC) - timedelta(minutes=5)), screen="{}")
    cutoff = datetime.now(UTC)
    assert len(await store.messages.unscreened(cutoff, ["slack"], lease_s=0.05)) == 1
    await asyncio.sleep(0.1)
    assert [m.id for m, _ in await store.messages.unscreened(cutoff, ["slack"])] == ["m1"]


async def test_an_owed_command_is_recorded_once_and_settled_once(store: Storage) -> None:
    commands = store.pending_commands
    first = PendingCommand(KEY, "trigger-1", '{"name": "ask"}', "https://hooks.example/1", time.time() - 5)
    assert await commands.owe(first)
    assert not await commands.owe(PendingCommand(KEY, "trigger-1", "{}", "other", time.time()))  # a repeat
    second = PendingCommand(OTHER_CHANNEL, "trigger-2", "{}", "secret-route", time.time())
    assert await commands.owe(second)
    assert await commands.owed() == [first, second]  # oldest first; the first record stays as it was
    assert await commands.settle(KEY, "trigger-1")
    assert not await commands.settle(KEY, "trigger-1")
    await store.messages.forget(OTHER_CHANNEL)  # forgotten with its channel, route and all
    assert await commands.owed() == []


async def test_a_deleted_question_is_no_longer_owed_an_answer(store: Storage) -> None:
    await store.messages.add(said(1), PendingAnswer(KEY, "m1", "{}", time.time()))
    await store.messages.delete(KEY, "m1")
    assert await store.pending.owed() == []


async def test_retention_keeps_a_question_until_its_owed_answer_is_settled(store: Storage) -> None:
    long_ago = datetime.now(UTC) - timedelta(days=400)  # the platform's timestamp of a message resumed late
    await store.messages.add(said(1, when=long_ago), PendingAnswer(KEY, "m1", "{}", time.time()))
    await store.messages.add(said(2, when=long_ago))
    assert await store.messages.prune(90) == 1
    assert [p.message_id for p in await store.pending.owed()] == ["m1"]
    await store.pending.settle(KEY, "m1")
    assert await store.messages.prune(90) == 1


async def test_retention_lets_go_of_threads_nobody_came_back_to(store: Storage) -> None:
    """Every answered mention follows its thread (on Discord and in the console too, since answers there go to the
    channel); a thread nobody came back to stayed followed, a row for ever."""
    await store.threads.follow("slack:T1:C1", "old")
    await store.threads.follow("slack:T1:C1", "recent")
    long_ago = time.time() - 100 * 86400
    if isinstance(store.db, PostgresDatabase):
        await store.db.execute("UPDATE followed_threads SET last_activity = to_timestamp(%s) WHERE thread = 'old'",
                               (long_ago,))
    else:
        await store.db.write("UPDATE followed_threads SET last_activity = ? WHERE thread = 'old'", (long_ago,))
    await store.messages.prune(90)
    assert await store.threads.followed("slack:T1:C1", "old") is None
    assert await store.threads.followed("slack:T1:C1", "recent") is not None


async def test_among_messages_of_the_same_time_the_one_stored_last_is_newer(store: Storage) -> None:
    when = datetime.now(UTC)
    for i in (3, 1, 2):
        await store.messages.add(said(i, when=when))
    assert [m.id for m in await store.messages.recent(KEY)] == ["m3", "m1", "m2"]
    assert [m.id for m in await store.messages.recent(KEY, limit=2)] == ["m1", "m2"]
    assert [m.id for m in (await store.messages.context(KEY, limit=2))[0]] == ["m1", "m2"]
    assert [m.id for m in await store.messages.history(KEY, since=when, until=when)] == ["m3", "m1", "m2"]


async def test_a_workspace_is_its_exact_key_prefix(store: Storage) -> None:
    """``_`` and ``%`` in a workspace id are characters, not patterns."""
    for key in ("slack:T_1:C1", "slack:TX1:C1", "slack:T%:C1", "slack:Tab:C1"):
        await store.spam.record_flag(SpamFlag(key, "m1", "u1", "spam", 0.9, (), "flagged"), replace=True)
    assert [f.channel_key for f in await store.spam.find_flagged("slack:T_1:C2", ["m1"])] == ["slack:T_1:C1"]
    assert [f.channel_key for f in await store.spam.find_flagged("slack:T%:C2", ["m1"])] == ["slack:T%:C1"]


async def test_the_reply_ledger_claims_once_and_remembers_the_delivery(store: Storage, replica: Opener) -> None:
    other = await replica()
    now = time.time()
    assert not await other.replies.attempted("answer:k:1")  # asking does not claim
    claims = await asyncio.gather(*(s.replies.claim("answer:k:1", KEY, now) for s in [store, other] * 5))
    assert sorted(state for state, _ in claims) == ["new"] + ["retry"] * 9  # one attempt owns it
    assert await other.replies.attempted("answer:k:1") and not await other.replies.attempted("answer:k:9")
    await store.replies.delivered("answer:k:1", "1700000000.000100")
    assert await other.replies.claim("answer:k:1", KEY, now) == ("done", "1700000000.000100")

    await store.replies.claim("answer:k:2", OTHER_CHANNEL, now)
    await store.replies.claim("answer:k:old", KEY, now - 100 * 86400)
    await store.messages.prune(90)  # retention takes old records
    assert await store.replies.claim("answer:k:old", KEY, now) == ("new", None)
    await store.messages.forget(KEY)  # a forgotten channel's replies go with it
    assert await store.replies.claim("answer:k:1", KEY, now) == ("new", None)
    assert await store.replies.claim("answer:k:2", OTHER_CHANNEL, now) == ("retry", None)


async def test_a_delivery_record_remembers_the_reply_and_settles_its_answer_in_one_write(store: Storage) -> None:
    now = time.time()
    await store.messages.add(said(1), PendingAnswer(KEY, "m1", "{}", now))
    assert await store.replies.claim("answer:k:1", KEY, now) == ("new", None)
    reply = said(2, author="confab-bot", is_bot=True, thread="m1", text="the answer")
    await store.replies.delivered("answer:k:1", "m2", said=reply, settles=(KEY, "m1"))
    assert await store.replies.claim("answer:k:1", KEY, now) == ("done", "m2")
    assert await store.messages.get(KEY, "m2") == reply
    assert await store.pending.get(KEY, "m1") is None and await store.pending.owed() == []
    # again (a repeated attempt): the answer is no longer owed and the reply is kept once
    await store.replies.delivered("answer:k:1", "m2", said=reply, settles=(KEY, "m1"))
    assert await store.messages.count(KEY) == 2
    assert not await store.pending.settle(KEY, "m1")
