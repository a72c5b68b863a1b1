"""/spam: moderators correct the spam flagging and set a channel's policy.

``/spam not-spam <message id>`` (or the message shortcut on a message) clears a flag, allow-lists
the author in this workspace and stores the correction; ``/spam spam <message id>`` marks a missed
spam; both corrections are counted and feed the next training run. ``/spam policy off|flag|delete|
delete_timeout`` and ``/spam stats``.
"""

from __future__ import annotations

import time

from bot.commands import CommandContext, command
from bot.events import Reply

POLICIES = ("off", "flag", "delete", "delete_timeout")
USAGE = ("/spam not-spam <message id> | /spam spam <message id> | /spam policy <off|flag|delete|delete_timeout> "
         "| /spam stats")


@command("spam", "Correct spam flags and set this channel's spam policy (admins).", USAGE, admin_only=True)
async def spam_command(ctx: CommandContext) -> list[Reply]:
    words = ctx.command.args.split()
    action = words[0].lower().replace("_", "-") if words else ""
    target = ctx.command.target or (words[1] if len(words) > 1 else None)
    if action in ("not-spam", "ham", "notspam") and target:
        return [await _correct(ctx, target, "ham")]
    if action == "spam" and target:
        return [await _correct(ctx, target, "spam")]
    if action == "policy" and len(words) == 2 and words[1] in POLICIES:
        await ctx.services.memory.set_setting(ctx.command.channel.key, "spam_policy", words[1])
        note = "" if words[1] in ("off", "flag") else " (deleting needs the platform permission; else I flag)"
        return [ctx.reply(f"Spam policy for this channel: `{words[1]}`{note}.", ephemeral=True)]
    if action == "stats":
        return [await _stats(ctx)]
    return [ctx.reply(f"Usage: `{USAGE}`", ephemeral=True)]


async def _correct(ctx: CommandContext, message_id: str, verdict: str) -> Reply:
    memory, channel = ctx.services.memory, ctx.command.channel
    stored = await memory.get_message(channel.key, message_id)
    flagged = await memory.fetch("SELECT author_id, text FROM spam_flags WHERE channel_key = ? AND message_id = ?",
                                 (channel.key, message_id))
    if stored is None and not flagged:
        return ctx.reply(f"I don't know a message `{message_id}` in this channel.", ephemeral=True)
    author_id = flagged[0][0] if flagged else stored.author_id  # type: ignore[union-attr]
    text = flagged[0][1] if flagged else stored.text  # type: ignore[union-attr]
    await memory.write(
        "INSERT OR REPLACE INTO spam_corrections (channel_key, message_id, author_id, text, verdict, corrected_by, "
        "created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (channel.key, message_id, author_id, text, verdict, ctx.command.author.id, time.time()))
    if verdict == "ham":
        await memory.write("DELETE FROM spam_flags WHERE channel_key = ? AND message_id = ?", (channel.key, message_id))
        await memory.write("INSERT OR IGNORE INTO spam_allowlist (workspace, author_id, added_by, created_at) "
                           "VALUES (?, ?, ?, ?)", (channel.workspace, author_id, ctx.command.author.id, time.time()))
        moderator = getattr(ctx.pipeline, "moderator", None)
        if moderator is not None and hasattr(moderator, "allow"):
            moderator.allow(channel.workspace, author_id)
        return ctx.reply("Thanks: marked as not spam. Its author won't be screened here again, and the correction "
                         "goes into the next training run.", ephemeral=True)
    return ctx.reply("Thanks: marked as spam; the correction goes into the next training run.", ephemeral=True)


async def _stats(ctx: CommandContext) -> Reply:
    memory, key = ctx.services.memory, ctx.command.channel.key
    flags = (await memory.fetch("SELECT COUNT(*) FROM spam_flags WHERE channel_key = ?", (key,)))[0][0]
    rows = await memory.fetch("SELECT verdict, COUNT(*) FROM spam_corrections WHERE channel_key = ? GROUP BY verdict",
                              (key,))
    counts = dict(rows)
    policy = await memory.get_setting(key, "spam_policy", ctx.services.settings.spam_policy)
    return ctx.reply(f"Spam here: policy `{policy}`, {flags} flagged, corrections: {counts.get('ham', 0)} not spam, "
                     f"{counts.get('spam', 0)} missed spam.", ephemeral=True)
