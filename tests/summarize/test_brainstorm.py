"""/brainstorm: seeding, following a thread without mentions, merging, themes, wrap-up, stop."""

from datetime import UTC, datetime
from typing import Any

from langchain_core.language_models.fake_chat_models import FakeListChatModel

from agent.brainstorm.ideas import cluster_themes, is_vote, split_ideas
from bot.brainstorm import reaction_counts
from bot.events import Author, ChannelRef, IncomingMessage
from tests.stored_rows import sqlite_db

IDEAS = [
    ("alice", "Cache the docker layers between CI runs"),
    ("bob", "Run the test shards in parallel on more runners"),
    ("carol", "cache docker layers between the CI runs"),  # near-duplicate of alice's
    ("dave", "+1"),
    ("erin", "- split the slow integration tests\n- run integration tests only nightly"),
    ("bob", "I'll measure the integration test durations this week"),
]


async def start(bot, topic: str = "ways to cut CI time") -> str:  # type: ignore[no-untyped-def]
    """Run /brainstorm; the seed reply is kept as ``bot.seeds`` (the harness returns command replies)."""
    [seeds] = await bot.command("brainstorm", topic)
    assert seeds.channel.thread is not None and seeds.reply_to == seeds.channel.thread
    bot.seeds = seeds
    return seeds.channel.thread


def test_ideas_votes_and_bullets() -> None:
    assert is_vote("+1") and is_vote("👍") and is_vote("love this!") and not is_vote("+1 but cheaper")
    assert split_ideas("- cache layers\n- parallel shards of tests") == ["cache layers", "parallel shards of tests"]
    assert split_ideas("is caching allowed?") == [] and split_ideas("ok") == []


def test_counts_are_told_in_the_right_number() -> None:
    from agent.text import how_many

    assert [how_many(1, "idea"), how_many(2, "theme"), how_many(1200, "idea")] == ["1 idea", "2 themes", "1,200 ideas"]


def test_a_one_word_name_is_an_idea_a_one_word_reaction_is_not() -> None:
    """A naming brainstorm's "Pulse", "Lens", "Beacon" were no ideas (an idea needed two content words), and its
    wrap-up said no ideas were posted; reactions of one word are still none."""
    for name in ("Pulse", "lens", "Beacon!", "Atlas v2"):
        assert split_ideas(name) == [name]
    for reaction in ("interesting", "cool", "hmm", "wow!", "ok", "thanks!", "good one", "nice"):
        assert split_ideas(reaction) == [], reaction


def test_an_idea_offered_as_a_question_is_an_idea() -> None:
    """A naming brainstorm's "how about Northstar?" and "what about Beacon?" were no ideas (a question never was),
    and its wrap-up said no ideas were posted. A question that asks, not offers, is still none."""
    assert split_ideas("how about Northstar?") == ["Northstar"]
    assert split_ideas("what about caching?") == ["Caching"]
    assert split_ideas("ok so how about we pin the versions? thoughts?") == ["Pin the versions"]
    assert split_ideas("why don't we shard the slow suites?") == ["Shard the slow suites"]
    assert split_ideas("what about the migration, who owns it?") == []
    assert split_ideas("what about the docs?") == [] and split_ideas("how about you?") == []


def test_themes_group_similar_vectors() -> None:
    import numpy as np

    vectors = np.array([[1, 0, 0], [0.98, 0.2, 0], [0, 0, 1], [0, 0.1, 0.99]], dtype=np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    labels = cluster_themes(vectors)
    assert labels[0] == labels[1] and labels[2] == labels[3] and labels[0] != labels[2]


async def test_brainstorm_opens_a_thread_and_follows_it(bot) -> None:  # type: ignore[no-untyped-def]
    await bot.say("To cut CI time: our docker layers are rebuilt every run", user="zoe")
    thread = await start(bot)
    opening = bot.adapter.sent[-1]  # posted in the channel; its id became the thread
    assert opening.channel.thread is None and "Brainstorm: ways to cut CI time" in opening.text
    seeds = bot.seeds
    assert seeds.channel.thread == thread and "From this channel's earlier messages" in seeds.text
    assert "docker layers are rebuilt" in seeds.text
    said = [await bot.say(text, user=user, thread=thread) for user, text in IDEAS]
    assert said[0] == "" and said[1] == ""  # plain ideas: no chatter
    assert "merged" in said[2] and "idea #1" in said[2]
    ideas, _ = await bot.pipeline.deps.brainstorm.ideas("test:T1:general", thread)
    assert [i.text for i in ideas][:2] == [IDEAS[0][1], IDEAS[1][1]]
    assert len(ideas) == 5  # 2 + 2 bullets + bob's, the duplicate merged and the +1 counted as a vote
    assert "So far: 5 ideas" in said[5]
    [wrap] = await bot.command("brainstorm", "wrap", thread=thread)
    assert "Themes" in wrap.text and "Top ideas" in wrap.text and "Next steps" in wrap.text
    assert "#1 Cache the docker layers" in wrap.text.split("**Top ideas**")[1].split("\n")[1]
    assert "**bob**: Measure the integration test durations this week" in wrap.text


async def test_mentions_inside_the_thread_still_get_answers(bot) -> None:  # type: ignore[no-untyped-def]
    thread = await start(bot)
    await bot.say("Cache the docker layers between CI runs", user="alice", thread=thread)
    answer = await bot.say("@confab summarize this thread", user="bob", thread=thread)
    assert "TL;DR" in answer


async def test_a_mention_about_the_ideas_is_answered_from_them(bot) -> None:  # type: ignore[no-untyped-def]
    """"@confab which idea is winning?" in a brainstorm quoted the docs about /brainstorm: mentions all went to the
    agent, which knows nothing of the thread's ideas or +1s, and the brainstorm's own answer was never reached."""
    thread = await start(bot)
    await bot.say("Cache the docker layers between CI runs", user="alice", thread=thread)
    await bot.say("Split the integration tests into parallel shards", user="bob", thread=thread)
    assert "No idea has a +1 yet (2 so far)" in await bot.say("@confab which idea is winning?", user="cleo",
                                                              thread=thread)
    await bot.say("+1 parallel shards", user="cleo", thread=thread)
    standing = await bot.say("@confab which ideas are leading so far?", user="alice", thread=thread)
    assert standing.splitlines()[1:3] == ["• #2 Split the integration tests into parallel shards (by bob; 1)",
                                          "`/brainstorm wrap` posts the themes, top ideas and next steps."]
    assert "commands.md" not in standing
    closest = await bot.say("@confab any ideas about caching?", user="bob", thread=thread)
    assert closest.splitlines()[:2] == ["The ideas closest to that so far:",
                                        "• #1 Cache the docker layers between CI runs (by alice)"]
    ideas, _ = await bot.pipeline.deps.brainstorm.ideas("test:T1:general", thread)
    assert [i.text for i in ideas] == ["Cache the docker layers between CI runs",
                                       "Split the integration tests into parallel shards"]  # no question an idea


async def test_stop_and_wrap_outside_a_brainstorm(bot) -> None:  # type: ignore[no-untyped-def]
    [outside] = await bot.command("brainstorm", "wrap")
    assert outside.ephemeral and "isn't a brainstorm thread" in outside.text
    thread = await start(bot)
    [stopped] = await bot.command("brainstorm", "stop", thread=thread)
    assert "stopped following" in stopped.text and "No ideas were posted" in stopped.text
    assert await bot.say("Cache the docker layers between CI runs", user="alice", thread=thread) == ""
    [usage] = await bot.command("brainstorm", "")
    assert "Usage" in usage.text


async def test_offline_without_material_says_it_does_not_invent(bot) -> None:  # type: ignore[no-untyped-def]
    await start(bot, "names for the new mascot")
    assert "I don't invent ideas" in bot.seeds.text


def one_passage_knowledge(source: str, similarity: float = 0.7, text: str = "Runbook: enable remote build cache for CI"
                          ) -> Any:
    """A knowledge service whose every search finds one passage (a runbook's), in the file ``source``."""
    from agent.knowledge.chunking import Chunk
    from agent.knowledge.ranking import Hit
    from agent.knowledge.service import SearchResult

    class Knowledge:
        async def search(self, query: str, k: int = 5) -> SearchResult:
            chunk = Chunk(source, "CI > Speed", 3, 4, text)
            return SearchResult([Hit(chunk, 0.03, similarity, 2.0)], False, 0.9, 0.5, 1)

    return Knowledge()


async def test_knowledge_base_seeds_are_labelled(bot) -> None:  # type: ignore[no-untyped-def]
    bot.pipeline.deps.brainstorm.knowledge = one_passage_knowledge("ci.md")
    await start(bot)
    seeds = bot.seeds.text
    assert "From the knowledge base" in seeds and "remote build cache" in seeds and "ci.md" in seeds


async def test_a_passage_far_from_the_topic_is_no_seed(bot) -> None:  # type: ignore[no-untyped-def]
    """The docs' search answers questions; "names for the new billing service" was seeded with a time-zone setting
    (similarity 0.20), because the abstain model, made for questions, let it through. A list item loses its bullet."""
    bot.pipeline.deps.brainstorm.knowledge = one_passage_knowledge("configuration.md", similarity=0.2)
    await start(bot, "names for the new billing service")
    assert "From the knowledge base" not in bot.seeds.text and "I don't invent ideas" in bot.seeds.text
    bot.pipeline.deps.brainstorm.knowledge = one_passage_knowledge("ci.md", text="- cache the build: `make cache`")
    await start(bot)
    assert "• cache the build" in bot.seeds.text and "• -" not in bot.seeds.text


async def test_a_seeds_file_name_with_control_characters_is_shown_escaped(bot) -> None:  # type: ignore[no-untyped-def]
    """A newline in a document's name forged a seed line of its own."""
    bot.pipeline.deps.brainstorm.knowledge = one_passage_knowledge("ci\n• forged.md")
    await start(bot)
    seeds = bot.seeds.text
    assert "ci\\n• forged.md › Speed" in seeds and "\n• forged" not in seeds


async def test_llm_seeds_when_a_model_is_configured(bot) -> None:  # type: ignore[no-untyped-def]
    brainstorm = bot.pipeline.deps.brainstorm
    brainstorm.settings = brainstorm.settings.model_copy(update={"model": "openai:fake"})
    brainstorm.chat_model = FakeListChatModel(responses=["1. Cache docker layers\n2. Shard the test suite\nok"])
    await start(bot)
    seeds = bot.seeds.text
    assert "suggested by the language model" in seeds and "• Shard the test suite" in seeds


async def test_top_ideas_by_reactions_where_the_platform_has_them(bot) -> None:  # type: ignore[no-untyped-def]
    thread = await start(bot)
    await bot.say("Cache the docker layers between CI runs", user="alice", thread=thread, id="i1")
    await bot.say("Move the lint step to a pre-commit hook", user="bob", thread=thread, id="i2")
    channel = ChannelRef("test", "T1", "general", thread)
    bot.adapter.history = [IncomingMessage("i2", channel, Author("bob", "bob"), "Move the lint step",
                                           created_at=datetime.now(UTC),
                                           raw={"reactions": [{"name": "+1", "count": 4}]})]
    [wrap] = await bot.command("brainstorm", "wrap", thread=thread)
    top = wrap.text.split("**Top ideas** (by reactions)")[1].split("\n")[1]
    assert "lint step" in top and "score 4" in top


def test_reaction_counts_read_slack_and_discord_shapes() -> None:
    channel = ChannelRef("x", "w", "c")
    slack = IncomingMessage("1", channel, Author("a", "a"), "t", raw={"reactions": [{"name": "+1", "count": 2},
                                                                                    {"name": "tada", "count": 1}]})
    discord = IncomingMessage("2", channel, Author("a", "a"), "t",
                              raw={"reactions": [{"count": 5, "emoji": {"name": "👍"}}]})
    plain = IncomingMessage("3", channel, Author("a", "a"), "t", raw=None)
    assert reaction_counts([slack, discord, plain]) == {"1": 3, "2": 5}


async def test_idle_brainstorm_stops_being_followed(bot) -> None:  # type: ignore[no-untyped-def]
    import time

    thread = await start(bot)
    await bot.say("Cache the docker layers between CI runs", user="alice", thread=thread)
    memory = bot.pipeline.deps.store
    idle_s = bot.pipeline.settings.brainstorm_idle_minutes * 60
    await sqlite_db(memory).write("UPDATE followed_threads SET last_activity = ? WHERE thread = ?",
                                  (time.time() - idle_s - 60, thread))
    assert await bot.say("cache docker layers between the CI runs", user="carol", thread=thread) == ""
    assert await memory.threads.followed("test:T1:general", thread) is None
    ideas, _ = await bot.pipeline.deps.brainstorm.ideas("test:T1:general", thread)
    assert len(ideas) == 1


async def test_a_mention_does_not_end_the_brainstorm(bot) -> None:  # type: ignore[no-untyped-def]
    thread = await start(bot)
    await bot.say("@confab what do you think so far?", user="bob", thread=thread)
    await bot.say("Cache the docker layers between CI runs", user="alice", thread=thread)
    followed = await bot.pipeline.deps.store.threads.followed("test:T1:general", thread)
    assert followed is not None and followed[0] == "brainstorm"
    ideas, _ = await bot.pipeline.deps.brainstorm.ideas("test:T1:general", thread)
    assert [i.text for i in ideas] == ["Cache the docker layers between CI runs"]


async def test_two_replicas_adding_ideas_at_once_number_them_apart(bot) -> None:  # type: ignore[no-untyped-def]
    import asyncio
    import copy

    first = bot.pipeline.deps.brainstorm
    second = copy.copy(first)  # another process on the same store: its own locks
    second._locks = {}
    texts = ["Cache the docker layers between CI runs", "Buy faster laptops for the whole team",
             "Write an onboarding guide for new hires", "Move the weekly meeting to Thursday mornings",
             "Translate the docs into Spanish and German", "Order healthier snacks for the office kitchen"]
    recorded = await asyncio.gather(*(replica.record("test:T1:general", "t1", f"m{i}", "ana", text)
                                      for i, (replica, text) in enumerate(zip([first, second] * 3, texts,
                                                                              strict=True))))
    assert sorted(idea.number for r in recorded for idea in r.new) == [1, 2, 3, 4, 5, 6]
    ideas, _ = await first.ideas("test:T1:general", "t1")
    assert sorted(i.text for i in ideas) == sorted(texts)


async def test_asking_for_a_brainstorm_in_words_opens_one(bot) -> None:  # type: ignore[no-untyped-def]
    """"@confab brainstorm names for the new dashboard" listed seed ideas and said to run /brainstorm for a thread
    Confab follows: the ideas posted under it were never counted. It now opens the brainstorm as /brainstorm does."""
    reply = await bot.say("@confab let's brainstorm names for the new dashboard", user="carol", id="ask")
    assert "Brainstorm: names for the new dashboard" in reply and "Run `/brainstorm" not in reply, reply
    thread = next(r.channel.thread for r in bot.adapter.sent if r.channel.thread)  # the thread it follows
    await bot.say("Pulse", user="bob", thread=thread)
    await bot.say("Lens", user="dave", thread=thread)
    wrap = await bot.say("@confab brainstorm wrap", user="carol", thread=thread)
    assert "#1 Pulse" in wrap and "#2 Lens" in wrap and "· 2 ideas in " in wrap, wrap
    assert "Brainstorm" not in (await bot.say("@confab how do brainstorms work?", user="erin")).split("\n")[0]
