"""/digest: a channel's scheduled digest (decisions, action items, open questions since the last one).

``/digest daily HH:MM [Area/City]`` / ``/digest weekly <day> HH:MM [Area/City]`` set it, ``/digest off`` stops it,
``/digest now`` posts one at once (admins); ``/digest`` or ``/digest show`` shows it (anyone). The schedule is
the channel's, wherever in it (a thread) the command was typed; the digest is posted in the channel itself.
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime

from agent.digest.schedule import USAGE, ScheduleError, local_time, next_run, parse_spec
from agent.storage.digest_store import digest_store
from agent.storage.digests import DigestSchedule
from bot import messages as say
from bot.commands import CommandContext, command
from bot.digests import DigestRunner, spec_of, window_start
from bot.events import Reply

log = logging.getLogger(__name__)

_SHOW = ("", "show", "status")
_OFF = ("off", "stop", "cancel", "remove", "none")
_ALL = (*_SHOW, *_OFF, "now", "daily", "weekly")


@command("digest", "A digest of this channel, posted daily or weekly: decisions, action items, open questions "
         "(admins set it).", "/digest [daily HH:MM [Area/City] | weekly <day> HH:MM [Area/City] | now | off]",
         rate_limited=False)
async def digest_command(ctx: CommandContext) -> list[Reply]:
    cmd = ctx.command
    words = cmd.args.split()
    sub = words[0].lower() if words else ""
    if sub not in _ALL:
        log.info("bad /digest", extra={"given": cmd.args[:60]})
        return [ctx.reply(USAGE, ephemeral=True)]
    store = digest_store(ctx.deps.store)
    key = cmd.channel.key
    if sub in _SHOW and len(words) <= 1:
        return [ctx.reply(_describe(await store.get(key)), ephemeral=True)]
    if not cmd.author.is_admin:
        return [ctx.reply(say.admin_only("digest", cmd.channel.platform, cmd.author.name)
                          + " Anyone can see the schedule with `/digest`.", ephemeral=True)]
    if sub in _OFF and len(words) == 1:
        removed = await store.remove(key)
        return [ctx.reply("Stopped this channel's digests." if removed else "This channel has no digest scheduled.",
                          ephemeral=True)]
    if sub == "now" and len(words) == 1:
        return await _now(ctx, await store.get(key))
    if sub not in ("daily", "weekly"):
        return [ctx.reply(USAGE, ephemeral=True)]
    try:
        spec = parse_spec(cmd.args, ctx.deps.settings.digest_timezone)
    except ScheduleError as exc:
        log.info("bad /digest schedule", extra={"given": cmd.args[:60]})
        return [ctx.reply(str(exc), ephemeral=True)]
    first = next_run(spec, datetime.now(UTC))
    # a new schedule's first digest covers the day (or week) before it; a changed one keeps its "since"
    schedule = DigestSchedule(key, spec.kind, spec.at, spec.weekday, spec.zone, first.timestamp(),
                              (first - spec.period).timestamp(), cmd.author.id, time.time())
    await store.put(schedule)
    log.info("digest scheduled", extra={"channel": key, "kind": spec.kind, "zone": spec.zone})
    return [ctx.reply(f"This channel gets a digest {spec.describe()}: decisions, action items and open questions "
                      f"since the last one. The next is on {local_time(_at(schedule.next_run), spec.zone)}.",
                      ephemeral=True)]


def _at(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def _describe(schedule: DigestSchedule | None) -> str:
    if schedule is None:
        return ("This channel has no digest scheduled. Admins set one with `/digest daily 09:00 Europe/Berlin` or "
                "`/digest weekly mon 09:00 Europe/Berlin`.")
    spec = spec_of(schedule)
    if schedule.run_of is not None:  # claimed: next_run is the end of the run's lease, not a time to show
        return (f"This channel gets a digest {spec.describe()}. One is being posted now. "
                "`/digest off` stops it (admins).")
    last = f" It covers what was said since {local_time(_at(schedule.since), spec.zone)}." if schedule.since else ""
    return (f"This channel gets a digest {spec.describe()}. The next is on "
            f"{local_time(_at(schedule.next_run), spec.zone)}.{last} `/digest off` stops it (admins).")


async def _now(ctx: CommandContext, schedule: DigestSchedule | None) -> list[Reply]:
    """A digest since the last one (or of the last day, without a schedule), posted in the channel now."""
    cmd = ctx.command
    until = datetime.now(UTC)
    since = window_start(schedule, until)
    zone = schedule.zone if schedule is not None else ctx.deps.settings.digest_timezone
    channel = cmd.channel.in_thread(None)
    source = f"digest-now:{channel.key}:{until.timestamp()!r}"
    kept = schedule is not None
    if schedule is None:  # no schedule to remember a window by: the last day
        schedule = DigestSchedule(channel.key, "daily", "00:00", None, zone, 0.0, None, cmd.author.id, 0.0)
    store = digest_store(ctx.deps.store)
    outcome = await DigestRunner(ctx.deps, ctx.outbox, store).post(schedule, until, source, title="Digest")
    if outcome == "failed":
        return [ctx.reply(say.SEND_FAILED, ephemeral=True)]
    if kept:
        await store.covered(channel.key, until.timestamp())
    if outcome == "quiet":
        return [ctx.reply(f"Nothing was said here since {local_time(since, zone)}, so there is no digest to post.",
                          ephemeral=True)]
    return [ctx.reply("Posted the digest in this channel.", ephemeral=True)]
