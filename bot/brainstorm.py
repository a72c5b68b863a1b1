"""Following brainstorm threads: the pipeline hands every message of a thread marked with
``follow_thread(kind="brainstorm")`` to :class:`BrainstormFollower` (no mention needed).

It records ideas, folds near-duplicates into earlier ones (and says so), counts +1s, posts the themes
every few ideas, and answers @mentions about the ideas ("which idea is winning?": the +1s so far; otherwise the
ideas closest to the question); other mentions go to the agent, as anywhere. The pipeline stops
following after ``CONFAB_BRAINSTORM_IDLE_MINUTES`` of inactivity; ``/brainstorm stop`` ends it at once.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from agent.brainstorm.service import Brainstormer, WrapUp
from agent.intents import HOW_TO, SUMMARY
from agent.storage.ports import Idea, MessageStore
from agent.text import clip, how_many
from bot.adapter import Adapter
from bot.events import ChannelRef, IncomingMessage, Reply
from bot.platform_access import message_linker

if TYPE_CHECKING:
    from agent.deps import Deps

log = logging.getLogger(__name__)

THEMES_EVERY = 5  # post the themes after every this many new ideas
STANDING_SHOWN = 3
# a mention asking about the thread's ideas, not how Confab works ("how do I vote?" is for the docs) nor for a
# summary
_ABOUT_IDEAS = re.compile(r"\b(?:ideas?|winning|winner|leading|ahead|favou?rites?|most (?:votes|popular|liked)|"
                          r"so far|standings?|tally|votes?|\+1s)\b", re.I)
# ... and about which of them lead
_STANDING = re.compile(r"\b(?:winning|winner|leading|ahead|top|favou?rites?|most|popular|best|so far|standings?|"
                       r"tally|votes?|\+1s)\b", re.I)


def reaction_counts(messages: list[IncomingMessage]) -> dict[str, int]:
    """Reactions per message from the platform payloads (Slack and Discord both list ``reactions`` with a
    ``count``); empty where the platform or adapter gives none."""
    counts: dict[str, int] = {}
    for message in messages:
        raw = message.raw if isinstance(message.raw, Mapping) else {}
        total = 0
        for reaction in raw.get("reactions") or []:
            if isinstance(reaction, Mapping):
                try:
                    total += int(reaction.get("count", 0))
                except (TypeError, ValueError):
                    continue
        if total:
            counts[message.id] = total
    return counts


async def wrap_thread(brainstormer: Brainstormer, messages: MessageStore, adapter: Adapter | None,
                      channel: ChannelRef, topic: str) -> WrapUp:
    assert channel.thread is not None
    reactions: dict[str, int] = {}
    if adapter is not None and adapter.capabilities.reactions and adapter.capabilities.history:
        try:
            found = await adapter.fetch_history(channel, None, 1000)
            reactions = reaction_counts([m for m in found if m.channel.thread == channel.thread
                                         or m.id == channel.thread])
        except Exception as exc:
            log.warning("could not read reactions", extra={"error": repr(exc)[:200]})
    said = await messages.history(channel.key, thread=channel.thread, limit=5000)
    return await brainstormer.wrap(channel.key, channel.thread, topic, said, reactions,
                                   link=message_linker(adapter, channel))


class BrainstormFollower:
    def __init__(self, deps: Deps) -> None:
        self.brainstormer = deps.brainstorm
        self.embedders = deps.embedders

    async def on_thread_message(self, message: IncomingMessage, data: dict[str, Any],
                                adapter: Adapter | None) -> list[Reply]:
        thread = message.channel.thread
        if message.author.is_bot or thread is None or message.text.lstrip().startswith("/"):
            return []
        if message.mentions_bot:
            return [self._reply(message, await self._answer(message))]
        recorded = await self.brainstormer.record(message.channel.key, thread, message.id,
                                                  message.author.name, message.text)
        replies: list[Reply] = []
        for _text, idea in recorded.merged:
            replies.append(self._reply(message, f"That's close to idea #{idea.number} by {idea.author} "
                                                f"(“{clip(idea.text, 90)}”), so I merged them."))
        if recorded.new and recorded.new[-1].number // THEMES_EVERY > (recorded.new[0].number - 1) // THEMES_EVERY:
            replies.append(self._reply(message, await self._themes(message.channel, data)))
        return replies

    @staticmethod
    def takes_mention(text: str) -> bool:
        """A mention in the brainstorm that asks about its ideas is answered from them (the pipeline's router)."""
        return _ABOUT_IDEAS.search(text) is not None and not (HOW_TO.search(text) or SUMMARY.search(text))

    async def _themes(self, channel: ChannelRef, data: dict[str, Any]) -> str:
        assert channel.thread is not None
        themes = await self.brainstormer.themes(channel.key, channel.thread)
        total = sum(len(members) for _, members in themes)
        lines = [f"So far: {how_many(total, 'idea')} in {how_many(len(themes), 'theme')}"]
        for name, members in themes[:8]:
            lines.append(f"• _{name}_: " + ", ".join(f"#{m.number}" for m in members))
        return "\n".join(lines)

    async def _answer(self, message: IncomingMessage) -> str:
        """The answer to a mention about the ideas: the leading ones, or the ideas closest to what was asked."""
        assert message.channel.thread is not None
        ideas, vectors = await self.brainstormer.ideas(message.channel.key, message.channel.thread)
        if not ideas:
            return "No ideas yet in this brainstorm: post one per message and I'll keep track."
        question = re.sub(r"@\S+", "", message.text).strip() or message.text
        if _STANDING.search(question):
            return _standing(ideas)
        vector = (await self.embedders.configured().aembed([question]))[0]
        order = (vectors @ vector).argsort()[::-1][:3]
        lines = ["The ideas closest to that so far:"]
        lines += [f"• #{ideas[i].number} {clip(ideas[i].text, 140)} (by {ideas[i].author})"
                  for i in order]
        lines.append("`/brainstorm wrap` posts the themes, top ideas and next steps.")
        return "\n".join(lines)

    @staticmethod
    def _reply(message: IncomingMessage, text: str) -> Reply:
        return Reply(message.channel, text, reply_to=message.channel.thread)


def _standing(ideas: list[Idea]) -> str:
    """The ideas with the most +1s and repeats so far (reactions count at the wrap-up, which reads them)."""
    ranked = sorted(ideas, key=lambda idea: (idea.votes + idea.merged, -idea.number), reverse=True)
    if ranked[0].votes + ranked[0].merged == 0:
        lines = [f"No idea has a +1 yet ({len(ideas)} so far). Reply `+1` or `+1 <words of the idea>` to back one."]
    else:
        lines = ["Leading so far (by +1s and repeats; reactions count at the wrap-up):"]
        lines += [f"• #{idea.number} {clip(idea.text, 140)} (by {idea.author}; {idea.votes + idea.merged})"
                  for idea in ranked[:STANDING_SHOWN] if idea.votes + idea.merged]  # backed ones only
    lines.append("`/brainstorm wrap` posts the themes, top ideas and next steps.")
    return "\n".join(lines)
