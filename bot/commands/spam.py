"""/spam: moderators correct the spam flagging and set a channel's policy.

``/spam not-spam <message>`` and ``/spam spam <message>`` take what people see of a message: its
link (Slack permalink, Discord message link), the console's number (``12`` or ``[12]``) or the
platform's id, from any channel of the workspace (e.g. the moderators' channel the note came to).
Both store the verdict as a training example (:mod:`agent.classify.ledger`). ``not-spam`` clears the
flag, lowers the author's risk and exempts them in that channel for ``spam_exempt_days`` (30 by
default; never from known phishing domains and scam phrases; on a message that was not flagged, no
exemption); ``spam`` revokes the author's exemptions in the workspace.
``/spam policy off|flag|delete|delete_timeout`` and ``/spam stats``.
"""

from __future__ import annotations

import re

from agent.classify.ledger import SpamLedger
from agent.classify.normalize import normalize
from agent.classify.signals import content_signals
from agent.classify.spam import HARD_SIGNALS
from bot.commands import CommandContext, command
from bot.events import Reply
from bot.moderation import exempt_days

POLICIES = ("off", "flag", "delete", "delete_timeout")
USAGE = ("/spam not-spam <message link or number> | /spam spam <message link or number> | "
         "/spam policy <off|flag|delete|delete_timeout> | /spam stats")
_SLACK_LINK = re.compile(r"https?://[^/\s]+/archives/([A-Z0-9]+)/p(\d{10})(\d{6})\b")
_DISCORD_LINK = re.compile(r"https?://(?:[\w-]+\.)?discord(?:app)?\.com/channels/[^/\s]+/(\d+)/(\d+)")


def parse_message_ref(text: str) -> tuple[str | None, str]:
    """``(channel id or None, message id or number)`` from what a moderator pasted: a Slack permalink
    (``…/archives/C123/p1700000000123456`` -> ``C123``, ``1700000000.123456``), a Discord link
    (``…/channels/G/C/M`` -> ``C``, ``M``), ``[12]``, or an id as it is."""
    text = text.strip().strip("<>").split("|")[0].strip()
    if match := _SLACK_LINK.search(text):
        return match.group(1), f"{match.group(2)}.{match.group(3)}"
    if match := _DISCORD_LINK.search(text):
        return match.group(1), match.group(2)
    return None, text.strip("[]()#")


@command("spam", "Correct spam flags and set this channel's spam policy.", USAGE, admin_only=True)
async def spam_command(ctx: CommandContext) -> list[Reply]:
    words = ctx.command.args.split()
    action = words[0].lower().replace("_", "-") if words else ""
    target = ctx.command.target or (words[1] if len(words) > 1 else None)
    if action in ("not-spam", "ham", "notspam") and target:
        return [await _correct(ctx, target, "ham")]
    if action == "spam" and target:
        return [await _correct(ctx, target, "spam")]
    if action == "policy" and len(words) == 2 and words[1] in POLICIES:
        await ctx.deps.store.channel_settings.set(ctx.command.channel.key, "spam_policy", words[1])
        note = "" if words[1] in ("off", "flag") else " (deleting needs the platform permission; else I flag)"
        return [ctx.reply(f"Spam policy for this channel: `{words[1]}`{note}.", ephemeral=True)]
    if action == "stats":
        return [await _stats(ctx)]
    return [ctx.reply(f"Usage: `{USAGE}`", ephemeral=True)]


def _candidates(ctx: CommandContext, ref: str) -> list[str]:
    """Message ids ``ref`` may mean: itself, and the console's id for a number it shows."""
    ids = [ref]
    id_of = getattr(getattr(ctx.adapter, "workspace", None), "id_of", None)
    if ref.isdigit() and callable(id_of):
        ids.insert(0, str(id_of(ref)))
    return ids


async def _correct(ctx: CommandContext, target: str, verdict: str) -> Reply:
    here = ctx.command.channel
    channel_id, ref = parse_message_ref(target)
    prefer = [here.key] + ([f"{here.platform}:{here.workspace}:{channel_id}"] if channel_id else [])
    ledger = SpamLedger(ctx.deps.store.spam)
    found = await ledger.find(here.key, _candidates(ctx, ref), prefer)
    if found is None:
        return ctx.reply(f"I don't know a message `{ref[:80]}` in this workspace. Paste the message's link "
                         "(or, in the console, its number).", ephemeral=True)
    if verdict == "ham":
        # an exemption answers a flag that was wrong; a message nobody flagged earns none (the verdict still
        # teaches the model and vouches for its author)
        days = exempt_days(await ctx.deps.store.channel_settings.get(found.channel_key, "spam_exempt_days", None)) \
            if found.flagged else 0.0
        await ledger.correct(found, "ham", ctx.command.author.id, days)
        hard = _has_hard_signal(found.text)
        scope = (f"I won't flag its author in that channel for {days:g} days, and their risk elsewhere is lowered"
                 if days > 0 else "Its author's risk is lowered")
        if not found.flagged:
            scope = f"It wasn't flagged, so nothing is cleared and no exemption is given. {scope}"
        caveat = (" It contains a known phishing domain or scam phrase, so messages with those are still flagged,"
                  " whoever sends them." if hard else " Known phishing domains and scam phrases are still flagged.")
        return ctx.reply(f"Thanks: marked as not spam. {scope}; the correction goes into the next training run."
                         f"{caveat}", ephemeral=True)
    await ledger.correct(found, "spam", ctx.command.author.id)
    return ctx.reply("Thanks: marked as spam. Any exemption its author had is revoked, their next messages are "
                     "screened more strictly, and the correction goes into the next training run.", ephemeral=True)


def _has_hard_signal(text: str) -> bool:
    return any(s.name in HARD_SIGNALS for s in content_signals(normalize(text[:5000])))


async def _stats(ctx: CommandContext) -> Reply:
    store, key = ctx.deps.store, ctx.command.channel.key
    flags, hams, spams = await SpamLedger(store.spam).stats(key)
    policy = await store.channel_settings.get(key, "spam_policy", ctx.deps.settings.spam_policy)
    return ctx.reply(f"Spam here: policy `{policy}`, {flags} flagged, corrections: {hams} not spam, "
                     f"{spams} missed spam.", ephemeral=True)
