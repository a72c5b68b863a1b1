"""/summarize [scope] [public], and the ``summarize_thread`` message shortcut."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from agent.memory.models import StoredMessage
from bot.adapter import Adapter
from bot.commands import CommandContext, command
from bot.events import ChannelRef, Reply
from bot.text import neutralize_mentions

log = logging.getLogger(__name__)

USAGE = "/summarize [last 50 | since 2h | since yesterday | today] [public]"


def history_fetcher(adapter: Adapter | None, channel: ChannelRef) -> Any:
    """Reads the platform's history (through the adapter) as stored messages, or None without history."""
    if adapter is None or not adapter.capabilities.history:
        return None
    from bot.pipeline import to_stored
    from bot.text import clean_incoming

    async def fetch(since: datetime | None, limit: int) -> list[StoredMessage]:
        found = await adapter.fetch_history(channel, since, limit)
        return [to_stored(m, clean_incoming(m.text)) for m in found]

    return fetch


def linker(adapter: Adapter | None, channel: ChannelRef) -> Callable[[str], str | None] | None:
    make = getattr(adapter, "message_link", None)
    if make is None:
        return None

    def link(message_id: str) -> str | None:
        try:
            url = make(channel, message_id)
        except Exception:
            log.exception("building a message link failed")
            return None
        return url if isinstance(url, str) else None

    return link


async def _summarize(ctx: CommandContext, channel: ChannelRef, scope: str, public: bool) -> list[Reply]:
    from agent.tools.summarize import summarize_for

    _, output = await summarize_for(ctx.services, channel.key, channel.thread, scope,
                                    history_fetcher(ctx.adapter, channel), linker(ctx.adapter, channel))
    private = not public and (ctx.adapter is None or ctx.adapter.capabilities.ephemeral)
    text = output.for_user
    if not public and not private and output.ok:
        text += "\n_(This platform has no private replies, so I posted it here.)_"
    # summaries quote people: never let a quoted @everyone or <@U123> ping anyone
    return [Reply(ctx.command.channel, neutralize_mentions(text), ephemeral=private or not output.ok,
                  reply_to=ctx.command.channel.thread, user_id=ctx.command.author.id)]


@command("summarize", "Summarize this thread or channel (only you see it unless you add `public`).", USAGE)
async def summarize_command(ctx: CommandContext) -> list[Reply]:
    words = ctx.command.args.split()
    public = any(w.lower() in ("public", "--public") for w in words)
    scope = " ".join(w for w in words if w.lower() not in ("public", "--public", "private"))
    return await _summarize(ctx, ctx.command.channel, scope, public)


@command("summarize_thread", "Summarize the thread of a message (message shortcut).", "summarize_thread")
async def summarize_thread_shortcut(ctx: CommandContext) -> list[Reply]:
    target = ctx.command.target
    if not target:
        return [ctx.reply("Use this shortcut on a message: I'll summarize the thread it starts or belongs to.",
                          ephemeral=True)]
    stored = await ctx.services.memory.get_message(ctx.command.channel.key, target)
    root = stored.thread if stored is not None and stored.thread else target
    return await _summarize(ctx, ctx.command.channel.in_thread(root), "", public=False)
