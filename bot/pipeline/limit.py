"""The rate-limit step: per person and per channel; a refusal is never silent (a note once, then ⏳).

The windows are :mod:`agent.state.rates` (shared by replicas when Redis is configured). If the state
cannot be read, requests pass: a limiter outage must not silence the bot.
"""

from __future__ import annotations

import logging

from agent.state.rates import RateWindows, Verdict
from bot import messages as say
from bot.events import Author, ChannelRef, Reply
from bot.outbox import Outbox

log = logging.getLogger(__name__)


class Limit:
    def __init__(self, windows: RateWindows, outbox: Outbox) -> None:
        self.windows = windows
        self.outbox = outbox

    async def verdict(self, author: Author, channel: ChannelRef) -> Verdict:
        try:
            verdict = await self.windows.check(f"{channel.platform}:{author.id}", channel.key)
        except Exception as exc:
            log.warning("rate windows unavailable; allowing", extra={"error": type(exc).__name__})
            return Verdict(True)
        if not verdict.allowed:
            log.info("rate limited", extra={"scope": verdict.scope, "user": author.id, "channel": channel.key})
        return verdict

    async def allows(self, author: Author, channel: ChannelRef, message_id: str) -> bool:
        """True within the limits; otherwise the person hears it once in a window, then sees a reaction.
        A message is counted once: a job run again after its worker died is not charged twice."""
        if not await self._first_count(channel, message_id):
            return True
        verdict = await self.verdict(author, channel)
        if verdict.allowed:
            return True
        if not verdict.notify and await self.outbox.react(channel, message_id, say.RATE_LIMITED_REACTION):
            return False
        await self.outbox.send(refusal(verdict, channel, author, reply_to=message_id))
        return False


    async def _first_count(self, channel: ChannelRef, message_id: str) -> bool:
        try:
            return await self.windows.notices.first(f"counted:{channel.key}:{message_id}", self.windows.window_s)
        except Exception:  # the windows themselves decide then (and fail open)
            return True


def refusal(verdict: Verdict, channel: ChannelRef, author: Author, reply_to: str | None) -> Reply:
    template = say.RATE_LIMITED_USER if verdict.scope == "user" else say.RATE_LIMITED_CHANNEL
    return Reply(channel, template.format(seconds=max(1, round(verdict.retry_after_s))), ephemeral=True,
                 reply_to=reply_to, user_id=author.id)
