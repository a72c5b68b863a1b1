"""A channel's digest: the summarizer (offline extractive, or the configured model) over the people's messages
the channel's memory holds for the window, arranged for the team's morning read: decisions, action items (owner,
task, due date when one was said), open questions put to someone, and questions asked of no one that nobody
answered, each linked to its messages.

Only the channel's own messages are read, and the digest is posted to that channel only: nothing of a private
channel leaves it. The platform's history API is not read (a schedule runs without anyone asking, and the bot
stores every message it sees).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from agent.layout import Item, Layout, Section
from agent.memory.models import StoredMessage
from agent.summarize import signals
from agent.summarize.model import Point, Summary
from agent.summarize.render import LinkFn, sources_of
from agent.summarize.scope import Scope
from agent.summarize.service import Summarizer

log = logging.getLogger(__name__)

MAX_MESSAGES = 2000  # the newest this many messages of a window are read; the digest says when there were more
NAMES_FROM = 500  # the authors of the channel's last this many messages are the names a question may be put to
# "@everyone does anyone know …?" is put to no one in particular
_NOBODY = {"everyone", "here", "channel", "all", "team", "anyone", "anybody", "someone", "somebody", "folks"}


@dataclass(frozen=True, slots=True)
class Digest:
    layout: Layout
    messages: int  # people's messages read


def split_questions(summary: Summary, messages: Sequence[StoredMessage], names: Sequence[str]
                    ) -> tuple[list[Point], list[Point]]:
    """The summary's open questions (only unanswered ones) as (put to someone, asked of no one): the second are
    the ones anyone could pick up. ``names``: the people (and the bot) a question may be put to by name. A
    question whose message is not in the window counts as put to someone."""
    by_id = {m.id: m for m in messages}
    to_someone: list[Point] = []
    to_nobody: list[Point] = []
    for point in summary.open_questions:
        asked = by_id.get(point.sources[0]) if point.sources else None
        named = signals.address(" ".join(asked.text.split()), names)[0] if asked is not None else "?"
        (to_nobody if asked is not None and (named is None or named.lower() in _NOBODY) else to_someone).append(point)
    return to_someone, to_nobody


async def build_digest(summarizer: Summarizer, channel_key: str, since: datetime, until: datetime,
                       title: str, link: LinkFn | None = None) -> Digest | None:
    """The digest of what people said in the channel after ``since`` up to ``until``; None when nobody said
    anything (a quiet channel gets no post: an empty digest every morning teaches people to skip them)."""
    scope = Scope("since the last digest", since=since + timedelta(milliseconds=1), until=until, limit=MAX_MESSAGES)
    messages, facts = await summarizer.collect(channel_key, None, scope)
    if not messages:
        return None
    if len(messages) >= MAX_MESSAGES:
        said = await summarizer.messages.count_said(channel_key, None, scope.since, until)
        if said > len(messages):
            facts["notes"] = (*tuple(facts.get("notes", ()) or ()),  # type: ignore[arg-type]
                              f"only the newest {len(messages):,} of {said:,} messages were read")
    summary = await summarizer.summarize(messages, facts)
    # "dave, did the load test finish?" is put to dave even on a day dave said nothing: the channel's regulars
    regulars = [m.author_name for m in await summarizer.messages.recent(channel_key, limit=NAMES_FROM)]
    names = list(dict.fromkeys([*(m.author_name for m in messages), *regulars, summarizer.settings.bot_name]))
    return Digest(digest_layout(summary, messages, title, names, link), len(messages))


def digest_layout(summary: Summary, messages: Sequence[StoredMessage], title: str, names: Sequence[str],
                  link: LinkFn | None = None) -> Layout:
    def points(heading: str, found: Sequence[Point]) -> list[Section]:
        return [Section(f"**{heading}**", tuple(Item(p.text, sources_of(summary, p.sources, link))
                                                for p in found))] if found else []

    to_someone, to_nobody = split_questions(summary, messages, names)
    sections = [Section("**TL;DR**", (Item(summary.tldr, sources_of(summary, summary.tldr_sources, link, 4)),),
                        inline=True)]
    sections += points("Decisions", summary.decisions)
    if summary.action_items:
        sections.append(Section("**Action items**", tuple(
            Item(f"**{a.owner}**: {a.describe()}", sources_of(summary, a.sources, link))
            for a in summary.action_items)))
    sections += points("Open questions", to_someone)
    sections += points("Unanswered, asked of no one", to_nobody)
    notes = list(summary.coverage.notes) + [f"{count} older {kind} not listed" for kind, count in summary.more.items()]
    footer: list[str] = []
    if len(sections) == 1:
        footer.append("No decisions, action items or open questions.")
    if notes:
        footer.append("_" + "; ".join(notes) + "_")
    return Layout(f"**{title}** · {summary.coverage.describe()}", tuple(sections), tuple(footer))
