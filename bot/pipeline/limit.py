"""The rate-limit step: per person and per channel; a refusal is never silent (a note once, then ⏳)."""

from __future__ import annotations

import logging

from bot import messages as say
from bot.events import Author, ChannelRef, Reply
from bot.outbox import Outbox
from bot.ratelimit import RateLimiter, Verdict

log = logging.getLogger(__name__)


class Limit:
    def __init__(self, limiter: RateLimiter, outbox: Outbox) -> None:
        self.limiter = limiter
        self.outbox = outbox

    def verdict(self, author: Author, channel: ChannelRef) -> Verdict:
        verdict = self.limiter.check(f"{channel.platform}:{author.id}", channel.key)
        if not verdict.allowed:
            log.info("rate limited", extra={"scope": verdict.scope, "user": author.id, "channel": channel.key})
        return verdict

    async def allows(self, author: Author, channel: ChannelRef, message_id: str) -> bool:
        """True within the limits; otherwise the person hears it once in a window, then sees a reaction."""
        verdict = self.verdict(author, channel)
        if verdict.allowed:
            return True
        if not verdict.notify and await self.outbox.react(channel, message_id, say.RATE_LIMITED_REACTION):
            return False
        await self.outbox.send(refusal(verdict, channel, author, reply_to=message_id))
        return False


def refusal(verdict: Verdict, channel: ChannelRef, author: Author, reply_to: str | None) -> Reply:
    template = say.RATE_LIMITED_USER if verdict.scope == "user" else say.RATE_LIMITED_CHANNEL
    return Reply(channel, template.format(seconds=max(1, round(verdict.retry_after_s))), ephemeral=True,
                 reply_to=reply_to, user_id=author.id)
