"""The reply that settled a proposal or a question: what a colleague shows beside a hit.

"cap CSV exports at 50k rows?" is found by ``/recall export cap``; "agreed, ship it" in its thread, which
decided it, is not, as it does not repeat the topic's words. A hit that asks (a question or a proposal put to
the team) is shown with the reply that settled it, read among the messages said after it: the replies in its
thread, or when it has none, the next few messages of the channel outside threads. A reply settles it when
it states a decision (the summary's cue words, :func:`agent.summarize.signals.is_decision`, or the conversation
index's own mark: :mod:`agent.recall.decisions`) or says yes to a proposal as the summary reads a yes
(:func:`agent.summarize.questions.agreed_proposals`). Outside a thread the next messages may be on another
subject, so a decision there must share the hit's words or be close to it in meaning. The last such decision
wins ("50k then" … "actually 100k, final"); a yes counts only when nothing decided it in so many words.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from agent.memory.models import StoredMessage
from agent.recall.index import Found
from agent.recall.rows import Entry
from agent.summarize import signals
from agent.summarize.actions import stems
from agent.summarize.questions import LATER_SIMILARITY, SUBJECT_WINDOW, agreed_proposals

THREAD_REPLIES = 100  # the replies of a hit's thread read for the one that settled it
CHANNEL_WINDOW = SUBJECT_WINDOW  # without a thread, the next this-many messages of the channel (outside threads)


def asks(entry: Entry) -> bool:
    """A question or a proposal put as one, no decision itself ("we're going with X. any objections?")."""
    return signals.is_question(entry.text) and not signals.is_decision(entry.text)


def window(entry: Entry) -> int:
    """How many later messages to read for it (:meth:`agent.recall.index.ConversationIndex.following`)."""
    return THREAD_REPLIES if asks(entry) else 0


def settling(hit: Entry, later: Sequence[Found]) -> Entry | None:
    """The message among ``later`` (those said after ``hit``, oldest first, their similarity to it) that settled
    it, if ``hit`` asks something and one did."""
    if not later or not asks(hit):
        return None
    threaded = all(found.entry.thread is not None for found in later)
    if not threaded:
        later = later[:CHANNEL_WINDOW]
    asked = stems(hit.text)
    if (last := decided([found for found in later if threaded or asked & stems(found.entry.text)
                         or found.similarity >= LATER_SIMILARITY])) is not None:
        return last
    # a yes is the first reply by someone else, read as the summary reads one (only so many messages matter)
    agreed = agreed_proposals([_stored(hit), *(_stored(found.entry) for found in later[:SUBJECT_WINDOW])])
    yes = [reply for reply, (proposal, _) in agreed.items() if proposal == 0]
    return later[yes[0] - 1].entry if yes else None


def decided(later: Sequence[Found]) -> Entry | None:
    """The last of those messages that states a decision and asks nothing."""
    return next((found.entry for found in reversed(later) if (found.marked or signals.is_decision(found.entry.text))
                 and not signals.is_question(found.entry.text)), None)


def paired(found: Sequence[Found], replies: dict[tuple[str, str], Entry]) -> list[tuple[Found, Entry | None]]:
    """The hits in order, each with the reply that settled it (``replies``: by the hit's key). A reply that is a
    hit too is shown beside its question instead, at the better of their two places; each message once."""
    by_key = {_key(f.entry): f for f in found}
    asking: dict[tuple[str, str], tuple[str, str]] = {}  # reply -> the first hit it settled, among those found
    for at, settled in replies.items():
        if at in by_key:
            asking.setdefault(_key(settled), at)
    out: list[tuple[Found, Entry | None]] = []
    shown: set[tuple[str, str]] = set()
    for f in found:
        hit = by_key[asking[_key(f.entry)]] if _key(f.entry) in asking else f
        if _key(hit.entry) in shown:
            continue
        reply = replies.get(_key(hit.entry))
        if reply is not None and _key(reply) in shown:
            reply = None
        out.append((hit, reply))
        shown |= {_key(hit.entry), *([_key(reply)] if reply is not None else [])}
    return out


def _key(entry: Entry) -> tuple[str, str]:
    return entry.channel_key, entry.message_id


def _stored(entry: Entry) -> StoredMessage:
    return StoredMessage(entry.channel_key, entry.message_id, entry.author_id, entry.author_name, entry.text,
                         datetime.fromtimestamp(entry.created_at, UTC), thread=entry.thread)
