"""/recall: search past conversations in every channel the asker can read (agent/recall); ``from:@bob``
(or "what did bob say about …") searches one person's messages."""

from __future__ import annotations

from agent.recall.answer import UNAVAILABLE, USAGE, render
from agent.recall.asking import asks_decision
from agent.recall.authors import parse
from bot.commands import CommandContext, command
from bot.events import Reply
from bot.platform_access import recall_access


@command("recall", "Search past conversations in the channels you can read, with quotes and links.",
         "/recall [from:@someone] <query>")
async def recall_command(ctx: CommandContext) -> list[Reply]:
    cmd = ctx.command
    query = cmd.args.strip()
    if not query:
        return [ctx.reply(USAGE, ephemeral=True)]
    asked = parse(query[:1000], cmd.author.id)
    if asked.author is not None and not (asked.author.user_id or asked.author.name):
        return [ctx.reply(USAGE, ephemeral=True)]  # "from:" naming no one
    recall = ctx.deps.recall
    if recall is None:
        return [ctx.reply(UNAVAILABLE, ephemeral=True)]
    access = recall_access(ctx.adapter, cmd.author, cmd.channel)
    result = await recall.search(asked.topic, cmd.channel.key, access, author=asked.author)
    return [ctx.reply(render(result, access, cmd.channel.key, asks_decision(asked.topic)), ephemeral=True)]
