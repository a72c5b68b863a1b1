"""A reply's :class:`bot.events.Poll` on Discord: a native poll posted after the reply (a components-v2 message
can't carry one), or, where no poll can be sent (too few options, no Send Polls permission, Discord refused it),
number reactions on the reply itself (1️⃣ for its first option, and so on) for people to vote with.

Opening the vote never fails the reply: every error is logged and the reply stands.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import discord

from bot.discord.sending import NO_PINGS
from bot.events import Poll

log = logging.getLogger(__name__)

NUMBERS = ("1️⃣", "2️⃣", "3️⃣", "4️⃣", "5️⃣", "6️⃣", "7️⃣", "8️⃣", "9️⃣", "🔟")
MIN_OPTIONS = 2  # a poll of one answer is no vote
MAX_OPTIONS = 10  # Discord's most answers
MAX_OPTION_CHARS = 55
MAX_QUESTION_CHARS = 300
MAX_HOURS = 768  # Discord's longest poll (32 days)

Post = Callable[[discord.Poll], Awaitable[Any]]
React = Callable[[str], Awaitable[Any]]


def discord_poll(spec: Poll) -> discord.Poll | None:
    """``spec`` as a discord.py poll within Discord's limits; None with fewer than two options."""
    options = [o.strip()[:MAX_OPTION_CHARS] for o in spec.options if o.strip()][:MAX_OPTIONS]
    if len(options) < MIN_OPTIONS:
        return None
    poll = discord.Poll(question=spec.question[:MAX_QUESTION_CHARS] or "Vote",
                        duration=timedelta(hours=min(max(1, spec.hours), MAX_HOURS)))
    for option in options:
        poll.add_answer(text=option)
    return poll


async def open_vote(spec: Poll, post: Post, react: React, allowed: bool = True) -> str:
    """Post ``spec`` as a poll (``allowed``: the bot may send polls there), else react on the reply with a number
    per option. Returns how people can vote: ``"poll"``, ``"reactions"``, or ``"none"``."""
    poll = discord_poll(spec) if allowed else None
    if poll is not None:
        try:
            await post(poll)
            return "poll"
        except discord.HTTPException as exc:
            log.info("could not open a poll; reacting instead", extra={"status": exc.status, "code": exc.code})
        except discord.RateLimited:
            log.info("poll held back by a rate limit; reacting instead")
    elif allowed:
        log.info("too few options for a poll; reacting instead", extra={"options": len(spec.options)})
    for emoji in NUMBERS[:len(spec.options)]:
        try:
            await react(emoji)
        except (discord.HTTPException, discord.RateLimited) as exc:
            log.info("could not add vote reactions", extra={"error": type(exc).__name__})
            return "none"
    return "reactions"


async def vote_in_channel(target: Any, spec: Poll, message_id: str, nonce: str | None = None) -> str:
    """After the reply ``message_id`` posted in ``target`` (a channel or thread); ``nonce``: the poll's, so a
    reply sent again after a crash opens it once."""
    async def post(poll: discord.Poll) -> Any:
        return await target.send(poll=poll, allowed_mentions=NO_PINGS, nonce=nonce)

    async def react(emoji: str) -> None:
        await target.get_partial_message(int(message_id)).add_reaction(emoji)

    return await open_vote(spec, post, react, allowed=may_poll(target))


def may_poll(target: Any) -> bool:
    """Whether the bot has Send Polls in ``target`` (True where that can't be told: Discord will say)."""
    me = getattr(getattr(target, "guild", None), "me", None)
    permissions_for = getattr(target, "permissions_for", None)
    if me is None or permissions_for is None:
        return True
    return bool(permissions_for(me).send_polls)
