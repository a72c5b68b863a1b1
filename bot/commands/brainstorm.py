"""/brainstorm <topic> opens (or uses the current) thread that Confab follows; ``wrap`` and ``stop`` end it."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from agent.storage.ports import Idea
from agent.text import clip
from bot.commands import CommandContext, command
from bot.events import Poll, Reply
from bot.feedback import rated_for
from bot.text import neutralize_mentions

log = logging.getLogger(__name__)

USAGE = "/brainstorm <topic> | /brainstorm wrap | /brainstorm stop"
POLL_HOURS = 24
POLL_OPTIONS = 10  # Discord's most answers in a poll
POLL_OPTION_CHARS = 55  # Discord's longest answer
POLL_QUESTION_CHARS = 300  # Discord's longest question


@command("brainstorm", "Brainstorm in a thread I follow: I seed ideas, merge duplicates, group themes.", USAGE)
async def brainstorm_command(ctx: CommandContext) -> list[Reply]:
    args = " ".join(ctx.command.args.split())
    if args.lower() in ("wrap", "stop", "end", "wrap up", "wrap-up"):
        return await _finish(ctx, stop=args.lower() != "wrap" and not args.lower().startswith("wrap"))
    if not args:
        return [ctx.reply(f"Usage: `{USAGE}`, e.g. `/brainstorm ways to cut CI time`.", ephemeral=True)]
    topic = neutralize_mentions(args[:300])
    channel = ctx.command.channel
    # seeds quote documents and people: never let them ping anyone
    seeds = neutralize_mentions(await ctx.deps.brainstorm.seed(topic, channel.key))
    opening = (f"🧠 **Brainstorm: {topic}** (started by {ctx.command.author.name})\n"
               "Post one idea per message (or a bulleted list) and +1 the ones you like. I'll merge duplicates "
               "and group themes. In the thread, `/brainstorm wrap` concludes and `/brainstorm stop` ends it "
               f"(where threads take no slash commands, mention me: `@{ctx.deps.settings.bot_name} "
               "/brainstorm wrap`).")
    data = {"topic": topic, "started_by": ctx.command.author.name}
    adapter = ctx.adapter
    if channel.thread is None and ctx.command.as_message and ctx.command.id and adapter is not None \
            and adapter.capabilities.replies_in_thread:
        # asked in a message where answers go in its thread (Slack): people reply there, so that is the brainstorm
        channel = channel.in_thread(ctx.command.id)
    if channel.thread is not None:
        await ctx.deps.store.threads.follow(channel.key, channel.thread, kind="brainstorm", data=data)
        return [Reply(channel, f"{opening}\n\n{seeds}", reply_to=channel.thread)]
    if adapter is None or not adapter.capabilities.threads:
        return [ctx.reply(f"{opening}\n\n{seeds}\n\n_This platform has no threads here, so I can't follow along;"
                          " reply in a thread to brainstorm with me._")]
    sent = await ctx.outbox.send(Reply(channel, opening))
    if sent is None:
        return [ctx.reply("I couldn't open a brainstorm thread here.", ephemeral=True)]
    thread = sent.channel.thread or sent.message_id
    await ctx.deps.store.threads.follow(channel.key, thread, kind="brainstorm", data=data)
    log.info("brainstorm started", extra={"channel": channel.key})
    return [Reply(channel.in_thread(thread), seeds, reply_to=thread)]


async def _finish(ctx: CommandContext, stop: bool) -> list[Reply]:
    from bot.brainstorm import wrap_thread

    channel = ctx.command.channel
    followed = await ctx.deps.store.threads.followed(channel.key, channel.thread) if channel.thread else None
    if followed is None or followed[0] != "brainstorm":
        return [ctx.reply("This isn't a brainstorm thread I'm following. Start one with `/brainstorm <topic>`, "
                          "then use `wrap`/`stop` inside its thread.", ephemeral=True)]
    topic = str(followed[1].get("topic") or "brainstorm")
    wrapped = await wrap_thread(ctx.deps.brainstorm, ctx.deps.store.messages, ctx.adapter, channel, topic)
    layout = wrapped.layout.map_text(neutralize_mentions)  # ideas quote people: never let them ping anyone
    if stop:
        assert channel.thread is not None
        await ctx.deps.store.threads.unfollow(channel.key, channel.thread)
        layout = layout.with_footer("_I've stopped following this thread._")
    rated = rated_for(f"/brainstorm {'stop' if stop else 'wrap'}: {topic}", ctx.deps.settings.model)
    poll = None if stop else top_ideas_poll(topic, wrapped.top)
    return [Reply(channel, layout.markdown(), reply_to=channel.thread, rated=rated, layout=layout, poll=poll)]


def top_ideas_poll(topic: str, top: Sequence[Idea]) -> Poll | None:
    """A vote on the wrap-up's top ideas (where the platform has polls: the adapter opens it, or falls back)."""
    if not top:
        return None
    question = clip(neutralize_mentions(f"Which idea should we take forward? ({topic})"), POLL_QUESTION_CHARS)
    return Poll(question, tuple(clip(neutralize_mentions(f"#{idea.number} {idea.text}"), POLL_OPTION_CHARS)
                                for idea in top[:POLL_OPTIONS]), hours=POLL_HOURS)
