"""``/confab feedback [all]`` (admins): 👍/👎 counts on Confab's answers in this channel (or everywhere), with the
questions most recently voted down. Reached through ``/confab`` (bot/commands/core.py)."""

from __future__ import annotations

from datetime import UTC, datetime

from bot import messages as say
from bot.commands import CommandContext
from bot.events import Reply
from bot.text import neutralize_mentions, shorten

RECENT_DOWN = 5
QUESTION_SHOWN = 120
USAGE = "Usage: `/confab feedback` (this channel) or `/confab feedback all` (every channel)."


async def feedback_report(ctx: CommandContext, args: list[str]) -> list[Reply]:
    cmd = ctx.command
    if not cmd.author.is_admin:
        return [ctx.reply(say.admin_only("confab feedback", cmd.channel.platform, cmd.author.name), ephemeral=True)]
    if len(args) > 1 or (args and args[0].lower() not in ("all", "channel", "here")):
        return [ctx.reply(USAGE, ephemeral=True)]
    overall = bool(args) and args[0].lower() == "all"
    key = None if overall else cmd.channel.key
    store = ctx.deps.store.feedback
    counts = await store.counts(key)
    where = "every channel" if overall else "this channel"
    votes = counts.up + counts.down
    if not votes:
        return [ctx.reply(f"No votes on my answers in {where} yet ({counts.answers:,} answers could be rated). "
                          "People rate an answer with 👍/👎 under it.", ephemeral=True)]
    share = f", {round(100 * counts.up / votes)}% positive"
    lines = [f"Feedback in {where}: 👍 {counts.up:,} · 👎 {counts.down:,} ({votes:,} votes on "
             f"{counts.answers:,} answers{share})."]
    down = await store.recent_down(key, RECENT_DOWN)
    if down:
        lines.append("Recently voted down:")
        for answer in down:
            when = datetime.fromtimestamp(answer.created_at, UTC).strftime("%Y-%m-%d %H:%M UTC")
            other = f" in `{answer.channel_key}`" if overall and answer.channel_key != cmd.channel.key else ""
            question = shorten(" ".join(answer.question.split()), QUESTION_SHOWN).replace("`", "'")
            lines.append(f"• `{question}` ({when}{other})")
    lines.append("Export the rated pairs with `confab eval feedback --export FILE`.")
    # the questions are people's words: never let one ping anyone
    return [ctx.reply(neutralize_mentions("\n".join(lines)), ephemeral=True)]
