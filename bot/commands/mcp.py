"""``/confab confirm <code>`` and ``/confab cancel <code>`` (admins): run, once, or drop a tool call that waits
for an admin (an acting tool of a tool server, agent/mcp). Reached through ``/confab`` (bot/commands/core.py).

Only an admin, in the channel where the call was asked for, within the window; the result is a tool server's
output, shown as quoted data (mentions neutralised here and again by the outbox)."""

from __future__ import annotations

import logging

from agent.text import clip
from bot import messages as say
from bot.commands import CommandContext
from bot.events import Reply
from bot.text import neutralize_mentions

log = logging.getLogger(__name__)

RESULT_SHOWN = 1500
NO_SERVERS = "No tool servers are in use here, so nothing waits for a confirmation."


def _quoted(text: str) -> str:
    return "\n".join(f"> {line}" if line.strip() else ">" for line in clip(text, RESULT_SHOWN, keep_lines=True)
                     .split("\n"))


async def tool_call_decision(ctx: CommandContext, verb: str, args: list[str]) -> list[Reply]:
    cmd = ctx.command
    toolbox = ctx.deps.mcp
    if not cmd.author.is_admin:
        return [ctx.reply(say.admin_only(f"confab {verb}", cmd.channel.platform, cmd.author.name), ephemeral=True)]
    if toolbox is None:
        return [ctx.reply(NO_SERVERS, ephemeral=True)]
    if len(args) != 1 or not args[0].isalnum() or len(args[0]) > 12:
        return [ctx.reply(f"Usage: `/confab {verb} <code>`, with the code from my request.", ephemeral=True)]
    code = args[0].upper()
    if verb == "cancel":
        dropped = await toolbox.confirmations.cancel(cmd.channel.key, code)
        if dropped is None:
            return [ctx.reply(f"Nothing waits under `{code}` in this channel.", ephemeral=True)]
        log.info("tool call cancelled", extra={"code": code, "tool": dropped.tool})
        return [ctx.reply(f"Cancelled: `{dropped.tool}` on `{dropped.server}` will not run.")]
    claimed = await toolbox.confirmations.claim(cmd.channel.key, code)
    if claimed == "expired":
        minutes = round(toolbox.confirmations.window_s / 60)
        return [ctx.reply(f"`{code}` expired (a request waits {minutes} minutes); ask me again.", ephemeral=True)]
    if isinstance(claimed, str):
        return [ctx.reply(f"Nothing waits under `{code}` in this channel (it may have run already).",
                          ephemeral=True)]
    outcome = await toolbox.run_confirmed(claimed)
    head = f"Confirmed by {cmd.author.name}: `{claimed.tool}` on `{claimed.server}`"
    text = f"{head} ran. Its output:\n{_quoted(outcome.text)}" if outcome.ok else f"{head} failed: {outcome.text}"
    return [ctx.reply(neutralize_mentions(text))]
