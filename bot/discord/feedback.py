"""👍/👎 under Confab's answers on Discord: the buttons, and the component interaction that records a vote.

An answer's last message carries two buttons whose ``custom_id`` says everything a vote needs:
``confab:fb:up`` / ``confab:fb:down``, followed by ``:<key>`` when the answer is not known by the message the
buttons sit on (a private answer or one delivered through an interaction: the key the outbox gave it; the last
part of a long answer: the id of its first part). Nothing about them is kept in memory: the buttons are a
:class:`discord.ui.DynamicItem` registered on the client, so a click is handled after a restart too.

A click is deferred at once (ephemeral, within Discord's 3 s), recorded as the vote of the user Discord says
clicked, and answered with a line only they see. A ``custom_id`` that is not one of these (forged, or from a
version that no longer exists) gets a short answer and a log line.
"""

from __future__ import annotations

import logging
import re
from typing import Any

import discord

from bot import messages as say
from bot.discord.convert import author_of, ref_of
from bot.discord.ports import DiscordEdge
from bot.discord.sending import NO_PINGS
from bot.events import Reply, Vote

log = logging.getLogger(__name__)

PREFIX = "confab:fb:"
TEMPLATE = re.compile(r"confab:fb:(?P<rest>[^\n]{0,90})")


def custom_id(value: str, key: str = "") -> str:
    return f"{PREFIX}{value}:{key}" if key else f"{PREFIX}{value}"


def feedback_view(reply: Reply, index: int, count: int, first_id: str) -> discord.ui.View | None:
    """The buttons of part ``index`` of ``count`` of ``reply``: None except on the last part of an answer to
    rate. Send it, then :meth:`discord.ui.View.stop` it: the dynamic item answers clicks, nothing is kept."""
    buttons = feedback_buttons(reply, index, count, first_id)
    if not buttons:
        return None
    view = discord.ui.View(timeout=None)
    for button in buttons:
        view.add_item(button)
    return view


def feedback_buttons(reply: Reply, index: int, count: int, first_id: str) -> list[discord.ui.Button[Any]]:
    """The 👍/👎 buttons of :func:`feedback_view` (none where it has none), e.g. for a components-v2 row."""
    if reply.rated is None or index != count - 1:
        return []
    key = reply.rated.key or (first_id if index > 0 else "")
    return [discord.ui.Button(style=discord.ButtonStyle.secondary, emoji=emoji, custom_id=custom_id(value, key))
            for value, emoji in (("up", "👍"), ("down", "👎"))]


def vote_from(interaction: discord.Interaction, rest: str) -> Vote | None:
    """The vote a click carries (``rest``: its custom_id after the prefix), by the user Discord says clicked."""
    value, _, key = rest.partition(":")
    message = interaction.message
    key = key or (str(message.id) if message is not None else "")
    if interaction.channel is None or not key:
        return None
    return Vote(ref_of(interaction.channel), key, author_of(interaction.user), value)


def install(adapter: DiscordEdge) -> None:
    """Register the feedback buttons on ``adapter``'s client (at construction, before any event)."""

    class FeedbackButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=TEMPLATE):
        def __init__(self, rest: str) -> None:
            super().__init__(discord.ui.Button(custom_id=f"{PREFIX}{rest}"))
            self.rest = rest

        @classmethod
        async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Item[Any],
                                 match: re.Match[str]) -> FeedbackButton:
            return cls(match["rest"])

        async def callback(self, interaction: discord.Interaction) -> None:
            await answer_click(adapter, interaction, self.rest)

    adapter.client.add_dynamic_items(FeedbackButton)

    async def on_interaction(interaction: discord.Interaction) -> None:
        await unknown_component(interaction)

    adapter.client.event(on_interaction)


async def answer_click(adapter: DiscordEdge, interaction: discord.Interaction, rest: str) -> None:
    try:
        await interaction.response.defer(ephemeral=True, thinking=True)
    except (discord.HTTPException, discord.InteractionResponded) as exc:
        log.warning("could not defer a feedback click", extra={"error": type(exc).__name__})
        return
    handler = adapter.handler
    vote = vote_from(interaction, rest)
    if vote is None:
        log.warning("feedback click without a channel or message ignored")
        text = say.UNKNOWN_BUTTON
    elif handler is None:
        text = say.STOPPED_BEFORE_ANSWER
    else:
        text = await handler.handle_vote(vote)
    try:
        await interaction.followup.send(text, ephemeral=True, allowed_mentions=NO_PINGS)
    except discord.HTTPException as exc:
        log.info("could not tell the voter", extra={"status": exc.status})


async def unknown_component(interaction: discord.Interaction) -> None:
    """A click on a component that is not Confab's feedback button (a custom_id it does not know)."""
    if interaction.type != discord.InteractionType.component:
        return
    data: dict[str, Any] = dict(interaction.data or {})
    cid = str(data.get("custom_id", ""))
    if TEMPLATE.fullmatch(cid) and _in_message(interaction.message, cid):
        return  # the feedback button answers it
    log.warning("unknown component interaction", extra={"custom_id": cid[:40]})
    try:
        await interaction.response.send_message(say.UNKNOWN_BUTTON, ephemeral=True, allowed_mentions=NO_PINGS)
    except (discord.HTTPException, discord.InteractionResponded) as exc:
        log.info("could not answer an unknown component", extra={"error": type(exc).__name__})


def _in_message(message: discord.Message | None, cid: str) -> bool:
    """Whether ``message`` has a component with that custom_id (what the dynamic item looks for)."""
    if message is None:
        return False
    for row in message.components:
        for child in getattr(row, "children", ()):
            if getattr(child, "custom_id", None) == cid:
                return True
    return False
