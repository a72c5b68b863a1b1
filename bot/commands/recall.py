"""/recall: search past conversations in every channel the asker can read (agent/recall)."""

from __future__ import annotations

from agent.recall.answer import UNAVAILABLE, USAGE, render
from agent.recall.service import asks_decision
from bot.commands import CommandContext, command
from bot.events import Reply
from bot.platform_access import recall_access


@command("recall", "Search past conversations in the channels you can read, with quotes and links.",
         "/recall <query>")
async def recall_command(ctx: CommandContext) -> list[Reply]:
    cmd = ctx.command
    query = cmd.args.strip()
    if not query:
        return [ctx.reply(USAGE, ephemeral=True)]
    recall = ctx.deps.recall
    if recall is None:
        return [ctx.reply(UNAVAILABLE, ephemeral=True)]
    access = recall_access(ctx.adapter, cmd.author, cmd.channel)
    result = await recall.search(query[:1000], cmd.channel.key, access)
    return [ctx.reply(render(result, access, cmd.channel.key, asks_decision(query)), ephemeral=True)]
