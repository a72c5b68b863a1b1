"""Digest runs: a missed run runs once, a schedule survives a restart, replicas on PostgreSQL post a due digest
once, a refused post leaves its messages to the next digest, a run whose process died (or stopped) is run again
as the same run, one bad schedule never stalls the others, and a message still on its way is not lost."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from agent.storage.digest_store import digest_store
from bot.digests import LEASE_S, DigestRunner, run_digests
from bot.events import Reply
from tests.digest.chat import CONVERSATION, due, posted, schedule, talk
from tests.fakes.harness import Bot, RecordingAdapter, open_bot
from tests.fakes.settings import make_settings
from tests.fakes.waiting import until
from tests.services import RedisTarget


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


async def scheduled_with_talk(bot: Bot) -> tuple[DigestRunner, datetime]:
    """A daily digest scheduled and three messages said: the runner, and when its first run is due."""
    await schedule(bot)
    await talk(bot, CONVERSATION[:3])
    return DigestRunner(bot.deps, bot.pipeline.outbox), await due(bot)


async def test_a_refused_post_leaves_its_messages_to_the_next_digest(tmp_path: Path) -> None:
    async with open_bot(tmp_path, adapter=FailingAdapter()) as bot:
        runner, first = await scheduled_with_talk(bot)
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
        [shown] = await bot.command("digest", user="bob")
        assert "One is being posted now." in shown.text and "The next is on" not in shown.text
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
        runner, first = await scheduled_with_talk(bot)
        running = asyncio.create_task(runner.tick(first))
        await asyncio.wait_for(bot.adapter.entered.wait(), 30)
        running.cancel()  # Confab is stopping
        with pytest.raises(asyncio.CancelledError):
            await running
        assert await due(bot) == first  # handed back: the restarted process (or another) runs it now
        bot.adapter.stuck = False
        assert await runner.tick(first + timedelta(minutes=1)) == 1
        assert len(posted(bot)) == 1


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
