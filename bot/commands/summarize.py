"""/summarize [scope] [public], and the ``summarize_thread`` message shortcut."""

from __future__ import annotations

import logging
from datetime import timedelta

from agent.summarize.scope import Scope
from bot.commands import CommandContext, command
from bot.events import ChannelRef, Reply
from bot.feedback import rated_for
from bot.platform_access import history_fetcher, message_linker
from bot.text import neutralize_mentions

log = logging.getLogger(__name__)

USAGE = "/summarize [last 50 | since 2h | since yesterday | today] [public] [about <topic>]"


async def _summarize(ctx: CommandContext, channel: ChannelRef, scope: str, public: bool,
                     window: Scope | None = None) -> list[Reply]:
    from agent.tools.summarize import summarize_for

    _, output = await summarize_for(ctx.deps.summarizer, channel.key, channel.thread, scope,
                                    history_fetcher(ctx.adapter, channel), message_linker(ctx.adapter, channel),
                                    scope=window)
    private = not public and (ctx.adapter is None or ctx.adapter.capabilities.ephemeral)
    text, layout = output.for_user, output.layout
    if not public and not private and output.ok:
        note = "_(This platform has no private replies, so I posted it here.)_"
        text += "\n" + note
        layout = layout.with_footer(note) if layout is not None else None
    cmd = ctx.command
    rated = rated_for(f"/{cmd.name.replace('_', ' ')} {cmd.args}", ctx.deps.settings.model) if output.ok else None
    # summaries quote people: never let a quoted @everyone or <@U123> ping anyone
    # (the layout too: the outbox defuses it again on the way out)
    return [Reply(cmd.channel, neutralize_mentions(text), ephemeral=private or not output.ok,
                  reply_to=cmd.channel.thread, user_id=cmd.author.id, rated=rated,
                  layout=layout.map_text(neutralize_mentions) if layout is not None and output.ok else None)]


@command("summarize", "Summarize this thread or channel (only you see it unless you add `public`).", USAGE)
async def summarize_command(ctx: CommandContext) -> list[Reply]:
    words = ctx.command.args.split()
    # "public" before "about", or last, is the flag; inside the topic it is a word of it ("about public transport")
    end = next((i for i, w in enumerate(words) if w.lower().rstrip(":") == "about"), len(words))
    flags = ("public", "--public", "private")
    if end < len(words) - 2 and words[-1].lower() in flags:  # "/summarize about lunch public"
        words, last = words[:-1], [words[-1]]
    else:
        last = []
    public = any(w.lower() in ("public", "--public") for w in words[:end] + last)
    scope = " ".join([w for w in words[:end] if w.lower() not in flags] + words[end:])
    return await _summarize(ctx, ctx.command.channel, scope, public)


@command("summarize_thread", "Summarize the thread of a message (message shortcut).", "summarize_thread")
async def summarize_thread_shortcut(ctx: CommandContext) -> list[Reply]:
    target = ctx.command.target
    if not target:
        return [ctx.reply("Use this shortcut on a message: I'll summarize the thread it starts or belongs to.",
                          ephemeral=True)]
    stored = await ctx.deps.store.messages.get(ctx.command.channel.key, target)
    root = stored.thread if stored is not None and stored.thread else target
    return await _summarize(ctx, ctx.command.channel.in_thread(root), "", public=False)


@command("summarize_from", "Summarize from a message to now (message shortcut).", "summarize_from")
async def summarize_from_shortcut(ctx: CommandContext) -> list[Reply]:
    cmd = ctx.command
    since = cmd.target_at
    if since is None and cmd.target:
        stored = await ctx.deps.store.messages.get(cmd.channel.key, cmd.target)
        since = stored.created_at if stored is not None else None
    if since is None:
        return [ctx.reply("Use this shortcut on a message: I'll summarize from it to now.", ephemeral=True)]
    window = Scope("from the chosen message", since=since - timedelta(milliseconds=1))
    return await _summarize(ctx, cmd.channel, "", public=False, window=window)
