"""/recall: search past conversations in every channel the asker can read (agent/recall); ``from:@bob``
(or "what did bob say about …") searches one person's messages."""

from __future__ import annotations

import html
import re

from agent.recall.answer import UNAVAILABLE, USAGE, render
from agent.recall.asking import asks_decision
from agent.recall.authors import parse
from bot.commands import CommandContext, command
from bot.events import Reply
from bot.platform_access import recall_access

# Slack sends /recall's text escaped (deploy/slack-app-manifest.yml asks for it, so a person picked after "@"
# comes as <@U…|name>): its channels and links are read as people see them; mentions of people stay for parse
_CHANNEL = re.compile(r"<#[A-Za-z0-9]+\|([^<>|]*)>")
_LINK = re.compile(r"<((?:https?|mailto):[^<>|]+)(?:\|([^<>]*))?>")


def typed_query(text: str) -> str:
    """A query as its asker typed it (Slack's escaping undone; a person's mention kept)."""
    text = _LINK.sub(lambda m: m.group(2) or m.group(1), _CHANNEL.sub(r"#\1", text))
    return html.unescape(text) if "&" in text else text


@command("recall", "Search past conversations in the channels you can read, with quotes and links.",
         "/recall [from:@someone] <query>")
async def recall_command(ctx: CommandContext) -> list[Reply]:
    cmd = ctx.command
    query = typed_query(cmd.args).strip()
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
