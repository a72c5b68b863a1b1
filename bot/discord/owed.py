"""A deferred interaction's way back after a restart: its route, and the interaction rebuilt from it.

Discord keeps a deferred interaction answerable for 15 minutes through its webhook (application id
and interaction token). :class:`InteractionRoute` is what the owed-command record keeps of it; the token
is a secret, kept only there (deleted when the record is settled) and never logged. :class:`ResumedInteraction`
gives :class:`bot.discord.interactions.InteractionReplies` what it uses of a live interaction: the
follow-up webhook (as ``discord.Interaction.followup`` builds it) and the ``@original`` "thinking…"
response, edited or deleted through discord.py's webhook adapter, which the adapter rebases with
``DISCORD_API_BASE_URL``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import discord
from discord.webhook.async_ import async_context

TOKEN_VALID_S = 15 * 60.0  # Discord's promise for an interaction token
RESUME_WITHIN_S = 14 * 60.0  # later than this, a resumed command could not answer before the token expires


@dataclass(frozen=True, slots=True)
class InteractionRoute:
    application_id: int
    token: str = field(repr=False)
    ephemeral: bool  # how it was deferred: the "thinking…" message is private

    def to_json(self) -> str:
        return json.dumps({"application_id": str(self.application_id), "token": self.token,
                           "ephemeral": self.ephemeral})

    @classmethod
    def from_json(cls, text: str) -> InteractionRoute:
        """Raises ValueError (or KeyError/TypeError) on a damaged route."""
        data = json.loads(text)
        return cls(int(data["application_id"]), str(data["token"]), bool(data["ephemeral"]))


class ResumedInteraction:
    """The parts of a deferred ``discord.Interaction`` its replies use, from its route (after a restart)."""

    def __init__(self, client: discord.Client, route: InteractionRoute) -> None:
        self.route = route
        # as discord.Interaction.followup: an application webhook, so follow-ups may be ephemeral
        self.followup = discord.Webhook.from_state(
            data={"id": route.application_id, "type": 3, "token": route.token}, state=client._connection)

    async def edit_original_response(self, *, content: str, allowed_mentions: discord.AllowedMentions) -> None:
        hook = self.followup
        await async_context.get().edit_original_interaction_response(
            self.route.application_id, self.route.token, session=hook.session, proxy=hook.proxy,
            proxy_auth=hook.proxy_auth, payload={"content": content, "allowed_mentions": allowed_mentions.to_dict()})

    async def delete_original_response(self) -> None:
        hook = self.followup
        await async_context.get().delete_original_interaction_response(
            self.route.application_id, self.route.token, session=hook.session, proxy=hook.proxy,
            proxy_auth=hook.proxy_auth)
