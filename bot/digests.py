"""Scheduled digests (``/digest``): a loop that posts each channel's digest when it is due.

Every process that sends answers (roles ``all`` and ``worker``, and the interactive console) looks for due
schedules every :data:`POLL_S` seconds, on the platforms it has adapters for, and claims each before posting
it (:meth:`agent.storage.digests.DigestStore.claim`, a compare-and-set on the due time, which leases the run for
:data:`LEASE_S`): with several replicas each due digest is claimed, and posted, by one of them. A run missed while
Confab was down is due once, so it runs once at start; a run whose process died is due again when its lease ends
(a stop hands it back at once), as the same run. The digest goes out through the outbox like any answer
(mentions defused, platform formatting, the reply ledger keyed by the run, so a run is never posted twice), to
the channel it summarizes only. A run whose post the platform refused is not retried: the next digest covers its
messages (``since`` did not move).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Literal

from agent.deps import Deps
from agent.digest.content import build_digest
from agent.digest.schedule import Spec, local_time, next_run
from agent.storage.digest_store import digest_store
from agent.storage.digests import DigestSchedule, DigestStore
from bot.adapter import Adapter
from bot.events import ChannelRef, Reply
from bot.outbox import Outbox
from bot.platform_access import message_linker

log = logging.getLogger(__name__)

POLL_S = 30.0
LEASE_S = 900.0  # a run not finished by then (its process died) is due again, as the same run (a model's digest
# of 2,000 messages takes minutes)
# a scheduled digest ends this long before it runs: a message sent just before may still be on its way to the
# store (platform timestamps, delivery), and the next digest covers it instead of neither
SETTLE = timedelta(seconds=10)
Posted = Literal["posted", "quiet", "failed"]
_TITLES = {"daily": "Daily digest", "weekly": "Weekly digest"}


def spec_of(schedule: DigestSchedule) -> Spec:
    return Spec(schedule.kind, schedule.at, schedule.zone, schedule.weekday)


def channel_of(channel_key: str) -> ChannelRef:
    platform, workspace, channel = channel_key.split(":", 2)
    return ChannelRef(platform, workspace, channel)


def window_start(schedule: DigestSchedule | None, until: datetime, due: datetime | None = None) -> datetime:
    """Where a digest ending at ``until`` starts: the end of the last one, else one period before the run was due
    (a day before the first daily digest, a week before the first weekly one, however late it runs)."""
    if schedule is not None and schedule.since is not None:
        return datetime.fromtimestamp(schedule.since, UTC)
    period = spec_of(schedule).period if schedule is not None else timedelta(days=1)
    return min(due or until, until) - period


def _following(schedule: DigestSchedule, now: datetime) -> float:
    """The run after ``now`` (missed days collapse into the one due now); a period on when the schedule's zone
    can't be read any more (the zone database changed), so one bad schedule never stalls the others."""
    try:
        return next_run(spec_of(schedule), now).timestamp()
    except Exception:
        log.exception("a digest schedule's next run could not be computed", extra={"channel": schedule.channel_key,
                                                                                   "zone": schedule.zone[:64]})
        return (now + spec_of(schedule).period).timestamp()


class DigestRunner:
    def __init__(self, deps: Deps, outbox: Outbox, store: DigestStore | None = None) -> None:
        self.deps = deps
        self.outbox = outbox
        self.store = store or digest_store(deps.store)

    async def tick(self, now: datetime | None = None) -> int:
        """Claim and post every digest due at ``now``; how many were posted."""
        now = now or datetime.now(UTC)
        posted = 0
        for seen in await self.store.due(now.timestamp(), list(self.outbox.adapters)):
            lease = (now + timedelta(seconds=LEASE_S)).timestamp()
            claimed = await self.store.claim(seen.channel_key, seen.next_run, lease)
            if claimed is None:
                log.debug("digest claimed elsewhere", extra={"channel": seen.channel_key})
                continue
            posted += await self._run(claimed, now, lease)
        return posted

    async def _run(self, claimed: DigestSchedule, now: datetime, lease: float) -> bool:
        key = claimed.channel_key
        run = claimed.run_of if claimed.run_of is not None else claimed.next_run
        try:
            outcome = await self.post(claimed, now - SETTLE, source=f"digest:{key}:{run!r}",
                                      due=datetime.fromtimestamp(run, UTC))
        except asyncio.CancelledError:  # stopping: the run is due again at once (here after a restart, or elsewhere)
            await self.store.claim(key, lease, run)
            raise
        except Exception:
            log.exception("posting a digest failed; the next one covers its messages", extra={"channel": key})
            outcome = "failed"
        # a refused post is not retried: "since" stays, so the next digest covers its messages
        until = None if outcome == "failed" else (now - SETTLE).timestamp()
        if not await self.store.finish(key, lease, _following(claimed, now), until):
            log.warning("a digest run outlived its lease or its schedule changed", extra={"channel": key})
        return outcome == "posted"

    async def post(self, schedule: DigestSchedule, until: datetime, source: str, title: str | None = None,
                   due: datetime | None = None) -> Posted:
        """Post the schedule's digest of the window ending at ``until`` to its channel (a quiet window: nothing);
        the caller moves the schedule's ``since``."""
        channel = channel_of(schedule.channel_key)
        since = window_start(schedule, until, due)
        title = f"{title or _TITLES[schedule.kind]} since {local_time(since, schedule.zone)}"
        digest = await build_digest(self.deps.summarizer, schedule.channel_key, since, until, title,
                                    message_linker(self.outbox.adapter_for(channel), channel))
        if digest is None:
            log.info("no digest: nothing was said", extra={"channel": schedule.channel_key})
            return "quiet"
        reply = Reply(channel, digest.layout.markdown(), layout=digest.layout, source=source)
        if await self.outbox.send(reply) is None:  # the outbox logged why
            return "failed"
        log.info("digest posted", extra={"channel": schedule.channel_key, "messages": digest.messages})
        return "posted"


async def run_digests(deps: Deps, outbox: Outbox, adapters: Sequence[Adapter], every_s: float = POLL_S) -> None:
    """Post due digests until cancelled, once the adapters are connected."""
    await asyncio.gather(*(adapter.ready.wait() for adapter in adapters))
    runner = DigestRunner(deps, outbox)
    while True:
        try:
            await runner.tick()
        except Exception:  # the database out of reach for a moment: try again at the next poll
            log.exception("looking for due digests failed")
        await asyncio.sleep(every_s)
