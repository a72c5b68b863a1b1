"""``/digest`` through the chat harness: admins schedule a channel's digest, anyone sees it, bad input gets one
line; the runner posts the digest when due (decisions, action items, open questions, questions asked of no one,
with links to the messages), once, in that channel only, through the outbox (no pings); a missed run runs once,
a schedule survives a restart, ``/forget`` removes it, and replicas on PostgreSQL post a due digest once."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from agent.storage.digests import digest_store
from bot.digests import LEASE_S, DigestRunner, run_digests
from bot.events import ChannelRef, Reply
from tests.fakes.harness import Bot, RecordingAdapter, open_bot
from tests.fakes.openai_server import FakeOpenAI, text_reply
from tests.fakes.settings import make_settings
from tests.fakes.waiting import until
from tests.services import RedisTarget

CONVERSATION = [
    ("alice", "Should we ship the export feature on Thursday or wait for the new API?"),
    ("bob", "Thursday works, the API change can follow in 3.3."),
    ("alice", "We agreed: the export feature ships on Thursday, and @here gets told first."),
    ("alice", "bob, can you update the release notes by Wednesday?"),
    ("bob", "sure, I'll do it"),
    ("carol", "@everyone does anyone know where the staging credentials live?"),
    ("dave", "lunch at noon today"),
    ("erin", "dave, did the load test finish?"),
]


@dataclass
class LinkingAdapter(RecordingAdapter):
    """The recording adapter with permalinks, as Slack and Discord have them."""

    def message_link(self, channel: ChannelRef, message_id: str) -> str:
        return f"https://chat.example/{channel.channel}/{message_id}"


async def talk(bot: Bot, lines: list[tuple[str, str]] = CONVERSATION, channel: str = "general",
               ago: timedelta = timedelta(0)) -> None:
    for user, text in lines:
        message = bot.message(text, user=user, channel=channel)
        await bot.deliver(replace(message, created_at=message.created_at - ago))


def posted(bot: Bot) -> list[Reply]:
    """What the bot posted for everyone (not the private replies to commands)."""
    return [r for r in bot.adapter.sent if not r.ephemeral]


async def schedule(bot: Bot, args: str = "daily 09:00 Europe/Berlin", channel: str = "general") -> str:
    [reply] = await bot.command("digest", args, user="root", admin=True, channel=channel)
    return reply.text


async def due(bot: Bot, channel: str = "general") -> datetime:
    found = await digest_store(bot.deps.store).get(f"test:T1:{channel}")
    assert found is not None
    return datetime.fromtimestamp(found.next_run, UTC)


async def test_the_due_digest_holds_decisions_actions_and_questions_with_links(tmp_path: Path) -> None:
    async with open_bot(tmp_path, adapter=LinkingAdapter()) as bot:
        assert "every day at 09:00 (Europe/Berlin)" in await schedule(bot)
        await talk(bot)
        await talk(bot, [("mallory", "the secret launch code is 1234")], channel="secret")
        runner = DigestRunner(bot.deps, bot.pipeline.outbox)
        before = len(bot.adapter.sent)
        assert await runner.tick(await due(bot) - timedelta(seconds=1)) == 0  # not yet
        assert len(bot.adapter.sent) == before
        assert await runner.tick(await due(bot)) == 1
        [digest] = posted(bot)
        text = digest.text
        assert digest.channel == ChannelRef("test", "T1", "general") and digest.layout is not None
        assert text.startswith("**Daily digest since ")
        assert "**Decisions**" in text and "export feature ships on Thursday" in text
        assert "**Action items**" in text and "**bob**: " in text and "release notes" in text and "Wednesday" in text
        opened, nobody = text.index("**Open questions**"), text.index("**Unanswered, asked of no one**")
        assert "load test" in text[opened:nobody]  # put to dave, unanswered
        assert "staging credentials" in text[nobody:]  # asked of everyone and no one
        assert "lunch" not in text[opened:]
        assert "https://chat.example/general/m" in text  # each point links to its message
        assert "@here" not in text and "@\u200bhere" in text  # the outbox defused the mention it quotes
        assert "@here" not in digest.layout.markdown()
        assert "launch code" not in text  # another channel's messages never
        assert await runner.tick(await due(bot) - timedelta(seconds=1)) == 0  # the next one is tomorrow
        assert await runner.tick(datetime.now(UTC) + timedelta(hours=1)) == 0


async def test_a_missed_run_runs_once_and_a_quiet_channel_gets_nothing(tmp_path: Path) -> None:
    async with open_bot(tmp_path) as bot:
        await schedule(bot, "daily 09:00")
        first = await due(bot)
        await talk(bot, CONVERSATION[:3])
        runner = DigestRunner(bot.deps, bot.pipeline.outbox)
        late = first + timedelta(days=3, hours=2)  # Confab was down for three mornings
        assert await runner.tick(late) == 1
        assert await runner.tick(late) == 0
        assert await due(bot) == first + timedelta(days=4)  # the next morning after the late run, not the missed ones
        assert await runner.tick(first + timedelta(days=4)) == 0  # nothing said since: nothing posted
        assert len(posted(bot)) == 1
        assert await due(bot) == first + timedelta(days=5)


async def test_the_schedule_survives_a_restart_and_runs_once(tmp_path: Path) -> None:
    async with open_bot(tmp_path) as bot:
        await schedule(bot, "weekly mon 09:00 America/New_York")
        await talk(bot, CONVERSATION[:3])
        when = await due(bot)
    async with open_bot(tmp_path) as bot:  # the same data directory: a restart
        [shown] = await bot.command("digest", user="bob")
        assert "every Monday at 09:00 (America/New_York)" in shown.text and "09:00 EST" in shown.text
        runner = DigestRunner(bot.deps, bot.pipeline.outbox)
        assert await runner.tick(when + timedelta(minutes=5)) == 1
        assert await runner.tick(when + timedelta(minutes=6)) == 0
        assert (await due(bot)) == when + timedelta(days=7)
        assert "**Weekly digest since " in posted(bot)[0].text


async def test_only_admins_change_it_and_bad_input_gets_one_line(tmp_path: Path) -> None:
    async with open_bot(tmp_path) as bot:
        [none] = await bot.command("digest", user="bob")
        assert "no digest scheduled" in none.text and none.ephemeral
        for args in ("daily 09:00", "off", "now", "weekly mon 09:00"):
            [refused] = await bot.command("digest", args, user="bob")
            assert "Only admins can use `/digest`" in refused.text and refused.ephemeral
        assert await digest_store(bot.deps.store).get("test:T1:general") is None
        for args, says in [("daily 25:00", "`25:00` is not a time of day"),
                           ("daily 09:00 Mars/Base", "I don't know the time zone `Mars/Base`"),
                           ("weekly someday 09:00", "`someday` is not a day of the week"),
                           ("every day please", "Usage: `/digest daily HH:MM"),
                           ("off now", "Usage:"), ("\u202e\u0000" * 50, "Usage:")]:
            [reply] = await bot.command("digest", args, user="root", admin=True)
            assert says in reply.text and reply.ephemeral and "\n" not in reply.text
        assert await digest_store(bot.deps.store).get("test:T1:general") is None
        await schedule(bot, "daily 18:30 Asia/Tokyo")
        [shown] = await bot.command("digest", "show", user="bob")
        assert "every day at 18:30 (Asia/Tokyo)" in shown.text and "JST" in shown.text
        [stopped] = await bot.command("digest", "off", user="root", admin=True)
        assert "Stopped" in stopped.text
        assert await digest_store(bot.deps.store).get("test:T1:general") is None
        assert posted(bot) == []


async def test_the_default_zone_is_configurable(tmp_path: Path) -> None:
    async with open_bot(tmp_path, digest_timezone="Europe/Berlin") as bot:
        assert "every day at 07:15 (Europe/Berlin)" in await schedule(bot, "daily 07:15")


async def test_digest_now_posts_since_the_last_one(tmp_path: Path) -> None:
    async with open_bot(tmp_path, adapter=LinkingAdapter()) as bot:
        [quiet] = await bot.command("digest", "now", user="root", admin=True)
        assert "Nothing was said here since" in quiet.text and posted(bot) == []
        await schedule(bot)
        await talk(bot, CONVERSATION[:3])
        [done] = await bot.command("digest", "now", user="root", admin=True, thread="m1")  # typed in a thread
        assert "Posted the digest" in done.text
        [digest] = posted(bot)
        assert digest.text.startswith("**Digest since ") and "export feature ships on Thursday" in digest.text
        assert digest.channel.thread is None and digest.reply_to is None  # the channel, not the thread
        [again] = await bot.command("digest", "now", user="root", admin=True)
        assert "Nothing was said here since" in again.text  # the scheduled one starts there too
        assert len(posted(bot)) == 1


async def test_forget_removes_the_schedule(tmp_path: Path) -> None:
    async with open_bot(tmp_path) as bot:
        await schedule(bot)
        [asked] = await bot.command("forget", user="root", admin=True)
        assert "its digest schedule" in asked.text
        await bot.command("forget", "confirm", user="root", admin=True)
        [none] = await bot.command("digest", user="root")
        assert "no digest scheduled" in none.text


async def test_replicas_on_postgres_post_a_due_digest_once(tmp_path: Path, postgres_url: str,
                                                          redis_target: RedisTarget) -> None:
    settings = make_settings(tmp_path, database_url=postgres_url, redis_url=redis_target.url,
                             redis_prefix=redis_target.prefix)
    async with open_bot(tmp_path, settings=settings) as a, open_bot(tmp_path, settings=settings) as b:
        await schedule(a)
        await talk(b, CONVERSATION[:3])
        runners = [DigestRunner(bot.deps, bot.pipeline.outbox) for bot in (a, b)]
        when = await due(a)
        counts = await asyncio.gather(*(runner.tick(when + timedelta(seconds=s)) for s in range(3)
                                        for runner in runners))
        assert sum(counts) == 1
        assert len(posted(a)) + len(posted(b)) == 1


@dataclass
class FailingAdapter(RecordingAdapter):
    """A platform that refuses the next ``refuse`` posts."""

    refuse: int = 0

    async def send(self, reply: Reply) -> Any:
        if self.refuse and not reply.ephemeral:
            self.refuse -= 1
            raise RuntimeError("not_in_channel")
        return await super().send(reply)


async def test_a_refused_post_leaves_its_messages_to_the_next_digest(tmp_path: Path) -> None:
    async with open_bot(tmp_path, adapter=FailingAdapter()) as bot:
        await schedule(bot)
        await talk(bot, CONVERSATION[:3])
        runner = DigestRunner(bot.deps, bot.pipeline.outbox)
        first = await due(bot)
        bot.adapter.refuse = 1
        assert await runner.tick(first) == 0  # refused: logged, not retried
        assert await due(bot) == first + timedelta(days=1)
        assert await runner.tick(first + timedelta(days=1)) == 1
        [digest] = posted(bot)
        assert "export feature ships on Thursday" in digest.text  # said before the refused run


async def test_the_loop_posts_a_digest_due_while_confab_was_down(tmp_path: Path) -> None:
    async with open_bot(tmp_path) as bot:
        await schedule(bot)
        await talk(bot, CONVERSATION[:3], ago=timedelta(minutes=1))
        store = digest_store(bot.deps.store)
        found = await store.get("test:T1:general")
        assert found is not None
        missed = (datetime.now(UTC) - timedelta(hours=2)).timestamp()  # 09:00 passed while nothing ran
        await store.put(replace(found, next_run=missed))
        loop = asyncio.create_task(run_digests(bot.deps, bot.pipeline.outbox, [bot.adapter], every_s=0.05))
        try:
            await until(lambda: len(posted(bot)) == 1)
            await asyncio.sleep(0.3)  # a few more polls: nothing more
        finally:
            loop.cancel()
        assert len(posted(bot)) == 1
        assert await due(bot) > datetime.now(UTC)


async def test_a_schedule_whose_zone_is_gone_does_not_stall_the_others(tmp_path: Path) -> None:
    async with open_bot(tmp_path) as bot:
        await schedule(bot)
        await schedule(bot, channel="random")
        await talk(bot, CONVERSATION[:3], channel="random")
        store = digest_store(bot.deps.store)
        broken = await store.get("test:T1:general")
        assert broken is not None
        await store.put(replace(broken, zone="Gone/Zone"))
        when = max(await due(bot), await due(bot, "random"))
        assert await DigestRunner(bot.deps, bot.pipeline.outbox).tick(when) == 1
        assert posted(bot)[0].channel.channel == "random"
        assert await due(bot) == when + timedelta(days=1)  # a day on, in UTC


async def test_a_run_whose_process_died_is_posted_once_when_its_lease_ends(tmp_path: Path) -> None:
    async with open_bot(tmp_path) as bot:
        await schedule(bot)
        await talk(bot, CONVERSATION[:3])
        store, runner = digest_store(bot.deps.store), DigestRunner(bot.deps, bot.pipeline.outbox)
        first = await due(bot)
        leased = first + timedelta(seconds=LEASE_S)
        assert await store.claim("test:T1:general", first.timestamp(), leased.timestamp())  # then the process died
        assert await runner.tick(leased - timedelta(seconds=1)) == 0  # its lease still holds
        assert await runner.tick(leased) == 1
        assert len(posted(bot)) == 1 and "export feature ships" in posted(bot)[0].text
        assert await due(bot) == first + timedelta(days=1)


async def test_a_run_that_died_after_posting_is_not_posted_again(tmp_path: Path) -> None:
    async with open_bot(tmp_path) as bot:
        await schedule(bot)
        await talk(bot, CONVERSATION[:3])
        store, runner = digest_store(bot.deps.store), DigestRunner(bot.deps, bot.pipeline.outbox)
        first = await due(bot)
        leased = first + timedelta(seconds=LEASE_S)
        claimed = await store.claim("test:T1:general", first.timestamp(), leased.timestamp())
        assert claimed is not None
        source = f"digest:test:T1:general:{first.timestamp()!r}"  # as the runner names the run
        assert await runner.post(claimed, first, source) == "posted"  # posted, then died before finishing
        await runner.tick(leased)
        assert len(posted(bot)) == 1  # the reply ledger knew the run
        assert await due(bot) == first + timedelta(days=1)


@dataclass
class StuckAdapter(RecordingAdapter):
    """A platform whose next post never returns (until the test lets it)."""

    entered: asyncio.Event = field(default_factory=asyncio.Event)
    stuck: bool = True

    async def send(self, reply: Reply) -> Any:
        if self.stuck and not reply.ephemeral:
            self.entered.set()
            await asyncio.Event().wait()
        return await super().send(reply)


async def test_a_run_cut_short_by_a_stop_is_due_again_at_once(tmp_path: Path) -> None:
    async with open_bot(tmp_path, adapter=StuckAdapter()) as bot:
        await schedule(bot)
        await talk(bot, CONVERSATION[:3])
        runner = DigestRunner(bot.deps, bot.pipeline.outbox)
        first = await due(bot)
        running = asyncio.create_task(runner.tick(first))
        await asyncio.wait_for(bot.adapter.entered.wait(), 30)
        running.cancel()  # Confab is stopping
        with pytest.raises(asyncio.CancelledError):
            await running
        assert await due(bot) == first  # handed back: the restarted process (or another) runs it now
        bot.adapter.stuck = False
        assert await runner.tick(first + timedelta(minutes=1)) == 1
        assert len(posted(bot)) == 1


async def test_with_a_configured_model_the_digest_is_the_models_summary(tmp_path: Path,
                                                                        fake_openai: FakeOpenAI) -> None:
    lines = [("dave", "morning! the load test starts now"),  # before the window: dave is a regular here
             ("alice", "We agreed: the beta ships on Friday."),
             ("alice", "bob, can you write the announcement by Thursday?"),
             ("bob", "sure"),
             ("carol", "does anyone know who owns the status page?"),
             ("erin", "dave, did the load test finish?")]
    fake_openai.chat.append(text_reply(json.dumps({
        "tldr": "The beta ships on Friday.",
        "key_points": [{"text": "The beta ships on Friday", "sources": [1]}],
        "decisions": [{"text": "The beta ships on Friday", "sources": [1]}],
        "action_items": [{"owner": "bob", "text": "Write the announcement", "due": "Thursday", "asked_by": "alice",
                          "sources": [2, 3]}],
        "open_questions": [{"text": "Who owns the status page?", "sources": [4]},
                           {"text": "Did the load test finish?", "sources": [5]}]})))
    async with open_bot(tmp_path, adapter=LinkingAdapter(), moderator=None, model="openai:gpt-4.1-mini",
                        openai_base_url=fake_openai.base_url, openai_api_key="sk-test") as bot:
        await schedule(bot)
        await talk(bot, lines[:1])
        await asyncio.sleep(0.01)
        await digest_store(bot.deps.store).covered("test:T1:general", datetime.now(UTC).timestamp())  # a digest
        await asyncio.sleep(0.01)
        await talk(bot, lines[1:])
        assert await DigestRunner(bot.deps, bot.pipeline.outbox).tick(await due(bot)) == 1
    [digest] = posted(bot)
    text = digest.text
    assert "**bob**: Write the announcement — due Thursday (asked by alice)" in text
    opened, nobody = text.index("**Open questions**"), text.index("**Unanswered, asked of no one**")
    assert "load test" in text[opened:nobody] and "status page" in text[nobody:]
    assert "written by the language model" not in text  # the digest's footer carries no model accounting
    [request] = fake_openai.requests_to("/v1/chat/completions")
    assert "does anyone know who owns the status page?" in json.dumps(request.json)  # the channel's messages


async def test_a_busy_window_is_capped_and_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import agent.digest.content as content

    monkeypatch.setattr(content, "MAX_MESSAGES", 3)
    async with open_bot(tmp_path) as bot:
        await schedule(bot)
        await talk(bot, CONVERSATION[:5])
        assert await DigestRunner(bot.deps, bot.pipeline.outbox).tick(await due(bot)) == 1
    [digest] = posted(bot)
    assert "3 messages from" in digest.text and "only the newest 3 of 5 messages were read" in digest.text


async def test_a_message_still_on_its_way_at_the_run_goes_into_the_next_digest(tmp_path: Path) -> None:
    async with open_bot(tmp_path) as bot:
        await schedule(bot)
        await talk(bot, CONVERSATION[:3])
        runner, first = DigestRunner(bot.deps, bot.pipeline.outbox), await due(bot)
        assert await runner.tick(first) == 1
        late = bot.message("We agreed: the retro moves to Thursday.", user="bob")
        await bot.deliver(replace(late, created_at=first - timedelta(seconds=3)))  # sent at 08:59:57, stored after
        assert await runner.tick(first + timedelta(days=1)) == 1
        assert "retro moves to Thursday" in posted(bot)[1].text
        assert "export feature" not in posted(bot)[1].text
