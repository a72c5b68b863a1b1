"""Streamed answers on Discord: one message posted with the first text and edited as a configured model
writes (at least a second apart, no pings on any edit), finished with the final answer; a broken stream
ends with a note; typing shows while the turn runs."""

from __future__ import annotations

import itertools
import re
from pathlib import Path
from typing import Any

from tests.fakes.discord import ALICE_ID, BOT_USER, GENERAL_ID, GUILD_ID, FakeDiscord, discord_settings, settle
from tests.fakes.harness import BotFactory
from tests.fakes.openai_server import FakeOpenAI, text_reply

NO_PINGS = {"parse": [], "replied_user": False}
SUPPRESS_EMBEDS = 1 << 2
PING = re.compile(r"<@[!&]?\d+>|(?<![\w@\u200b])@(everyone|here)\b")


async def llm_discord_bot(tmp_path: Path, fake: FakeDiscord, fake_openai: FakeOpenAI, bot_factory: BotFactory,
                          **overrides: Any) -> Any:
    """The bot (``.adapter``, ``.deps``) on a connected DiscordAdapter with a configured (streaming) model."""
    from bot.discord.adapter import DiscordAdapter

    settings = discord_settings(tmp_path, fake, model="openai:gpt-4.1-mini", openai_base_url=fake_openai.base_url,
                                openai_api_key="sk-test-secret", **overrides)
    return await bot_factory(None, settings=settings, adapter=DiscordAdapter(settings, guild_ready_timeout=0.05))


async def ask(fake: FakeDiscord, adapter: Any, text: str) -> dict[str, Any]:
    asked = fake.message(f"<@{BOT_USER['id']}> {text}", mentions=[BOT_USER])
    await fake.dispatch("MESSAGE_CREATE", asked)
    await settle(adapter)
    return asked


async def test_a_streamed_answer_is_one_message_edited_at_most_once_a_second(
        tmp_path: Path, fake_discord: FakeDiscord, fake_openai: FakeOpenAI, bot_factory: BotFactory) -> None:
    answer = ("Deploy with make deploy from the repository root, then ping @everyone and <@1400000000000000002> "
              "and watch the logs for a minute or two.")
    fake_openai.chat.append(text_reply(answer, chunk_delay_s=0.15))
    adapter = (await llm_discord_bot(tmp_path, fake_discord, fake_openai, bot_factory)).adapter
    asked = await ask(fake_discord, adapter, "how do I deploy?")
    [posted] = fake_discord.posted(GENERAL_ID)  # one message: the answer grew in it
    assert posted.json["message_reference"]["message_id"] == int(asked["id"])
    assert posted.json["allowed_mentions"] == NO_PINGS and posted.json["flags"] & SUPPRESS_EMBEDS
    edits = fake_discord.edits(GENERAL_ID)
    assert len(edits) >= 2, "edited while written, then finished"
    for edit in edits:
        assert edit.json["allowed_mentions"]["parse"] == [] and edit.json["flags"] & SUPPRESS_EMBEDS  # no pings
        assert not PING.search(edit.content), edit.content
    times = [posted.at, *(e.at for e in edits)]
    assert all(b - a >= 0.9 for a, b in itertools.pairwise(times))
    assert edits[-1].content.startswith("Deploy with make deploy") and edits[-1].content.endswith("two.")
    assert fake_discord.typing(GENERAL_ID)
    # the finished answer carries its 👍/👎, keyed by the streamed message itself
    buttons = [c["custom_id"] for row in edits[-1].json.get("components") or [] for c in row["components"]]
    assert buttons == ["confab:fb:up", "confab:fb:down"]
    assert not posted.json.get("components")  # not while it was being written


async def test_a_broken_stream_ends_with_a_note(tmp_path: Path, fake_discord: FakeDiscord, fake_openai: FakeOpenAI,
                                               bot_factory: BotFactory) -> None:
    fake_openai.chat.append(text_reply("First do this and then that and afterwards the rest of it",
                                       chunk_delay_s=0.3, cut_after=6))
    adapter = (await llm_discord_bot(tmp_path, fake_discord, fake_openai, bot_factory)).adapter
    await ask(fake_discord, adapter, "what now?")
    [_posted] = fake_discord.posted(GENERAL_ID)
    final = fake_discord.edits(GENERAL_ID)[-1].content
    assert final.startswith("First do this") and "cut off" in final and "afterwards" not in final


async def test_the_offline_model_answers_whole(discord_bot: Any, fake_discord: FakeDiscord) -> None:
    adapter, _ = await discord_bot()
    await ask(fake_discord, adapter, "how do I deploy?")
    assert len(fake_discord.posted(GENERAL_ID)) == 1 and fake_discord.edits() == []


async def test_typing_shows_while_any_turn_runs_even_in_a_followed_thread(discord_bot: Any,
                                                                          fake_discord: FakeDiscord) -> None:
    """The indicator is the turn's progress: a reply in a followed thread (no mention) shows it too."""
    from langchain_core.messages import AIMessage

    from tests.fakes.discord import ALICE, thread_channel
    from tests.fakes.scripted_model import ScriptedModel

    adapter, _ = await discord_bot(ScriptedModel(steps=[AIMessage("First."), AIMessage("Second.")]))
    thread_id = 1800000000000000001
    thread = thread_channel(thread_id, "deploy question", GENERAL_ID, ALICE["id"])
    await fake_discord.dispatch("THREAD_CREATE", {**thread, "newly_created": True})
    await fake_discord.dispatch("MESSAGE_CREATE", fake_discord.message(f"<@{BOT_USER['id']}> how do we deploy?",
                                                                       mentions=[BOT_USER], channel_id=thread_id))
    await settle(adapter)
    before = len(fake_discord.typing(thread_id))
    assert before >= 1
    await fake_discord.dispatch("MESSAGE_CREATE", fake_discord.message("and on Fridays?", channel_id=thread_id))
    await settle(adapter)
    assert [r.content for r in fake_discord.posted(thread_id)] == ["First.", "Second."]
    assert len(fake_discord.typing(thread_id)) == before + 1
    chatter = fake_discord.message("lunch anyone?")  # remembered, not answered: no indicator
    await fake_discord.dispatch("MESSAGE_CREATE", chatter)
    await settle(adapter)
    assert fake_discord.typing(GENERAL_ID) == []


async def test_a_streamed_message_is_kept_with_its_owed_answer_while_it_is_written(
        tmp_path: Path, fake_discord: FakeDiscord, fake_openai: FakeOpenAI, bot_factory: BotFactory) -> None:
    from tests.fakes.waiting import until

    fake_openai.chat.append(text_reply("First do this and then that and afterwards the rest of it", chunk_delay_s=0.3))
    bot = await llm_discord_bot(tmp_path, fake_discord, fake_openai, bot_factory)
    asked = fake_discord.message(f"<@{BOT_USER['id']}> what now?", mentions=[BOT_USER])
    await fake_discord.dispatch("MESSAGE_CREATE", asked)
    await until(lambda: fake_discord.posted(GENERAL_ID), what="the streamed message")
    key = f"discord:{GUILD_ID}:{GENERAL_ID}"

    async def kept() -> bool:
        owed = await bot.deps.store.pending.get(key, asked["id"])
        return owed is not None and owed.note is not None and owed.note.isdigit()

    await until(kept, what="the streamed message's id with the owed answer")
    await settle(bot.adapter)


async def test_an_answer_resumed_after_a_restart_takes_the_place_of_what_the_dead_process_streamed(
        discord_bot: Any, fake_discord: FakeDiscord) -> None:
    from bot.events import Author, ChannelRef, IncomingMessage, Reply

    adapter, pipeline = await discord_bot()
    where = ChannelRef("discord", str(GUILD_ID), str(GENERAL_ID))
    asked = IncomingMessage(str(fake_discord.next_id()), where, Author(str(ALICE_ID), "alice"),
                            "@confab what is the retention period?", mentions_bot=True)
    assert await pipeline.accept(asked) is not None  # stored and owed; then the process "dies" while streaming
    half = await adapter.send(Reply(where, "Messages older than"))  # what it had streamed
    await pipeline.store.pending.set_note(where.key, asked.id, half.message_id)
    adapter.leftovers.restore(where, "unrelated", "123")  # nothing to do with this answer
    posted = len(fake_discord.posted(GENERAL_ID))
    assert await pipeline.resume() == 1
    await settle(adapter)
    assert len(fake_discord.posted(GENERAL_ID)) == posted  # nothing posted anew: the answer took its place
    [edit] = [e for e in fake_discord.edits(GENERAL_ID) if e.path.endswith(f"/{half.message_id}")]
    assert edit.content.startswith("The knowledge base is empty") and edit.json["allowed_mentions"]["parse"] == []
    assert await pipeline.store.pending.owed() == []
