"""Thread topics: what a thread is about when only its root says so, and the reply a search on it brings.

A brainstorm Confab opened ("🧠 Brainstorm: what should we name the new dashboard?") or a thread under a command
holds replies like "Pulse", "Lens", "ok let's go with Pulse then": the topic's words are in the root only, and
the root is no hit of its own (Confab's post, or a request to Confab: :func:`agent.recall.asking.asks_confab`).
Confab's post names its topic in its first line ("🧠 Brainstorm: …"; a digest or an answer people reply under
names none of the many things it says below), so that line is what is indexed of it. The roots of such
threads are indexed apart (:class:`ThreadTopics`, kept in step with their replies by
:class:`agent.recall.service.RecallService`). A search that matches a root brings one reply of its thread, at
the root's place: the last that decided something (:func:`agent.recall.settling.decided`), else the one closest
to the question among those that say something; it is shown under the root's first line. The reply is read as
any hit is (people's, in a thread the asker may read, within retention, still stored); the root is read back
from the store too, so a root deleted or edited since brings nothing.

A root that is a person's line is a hit itself (with the reply that settled it, :mod:`agent.recall.settling`),
so it is no topic here.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Collection, Iterable, Sequence
from dataclasses import replace

import numpy as np

from agent.recall.asking import asks_confab, says_something
from agent.recall.index import ConversationIndex, Found
from agent.recall.rows import Entry
from agent.recall.settling import decided
from agent.storage.recall import RecallRow, RecallStore
from agent.words import content_words

Key = tuple[str, str]
LINE_CHARS = 120  # the root's first line, as a brought reply's context
_MARKUP = re.compile(r"[*_`~]+")


def is_topic(row: RecallRow, bot_name: str) -> bool:
    """A thread's root that is no hit of its own: Confab's post, or a request to Confab."""
    return row.by_bot or asks_confab(row.text, bot_name, in_dm=False)


def topic_of(row: RecallRow) -> str:
    """What of a root is indexed: Confab's post's first line that says something, a person's whole line."""
    return next((line.strip() for line in row.text.splitlines() if line.strip()), "") if row.by_bot else row.text


def first_line(text: str) -> str:
    """The root's first line that says something, without markup, shortened: how a brought reply names its thread."""
    line = next((plain for raw in text.splitlines() if (plain := " ".join(_MARKUP.sub("", raw).split()))), "")
    return line if len(line) <= LINE_CHARS else line[:LINE_CHARS - 1].rstrip() + "…"


def key_of(entry: Entry) -> Key:
    return entry.channel_key, entry.message_id


class ThreadTopics:
    """The roots that name their thread's topic, searched beside the messages (only the channels asked for)."""

    def __init__(self, dim: int, store: RecallStore, bot_name: str,
                 vectors: Callable[[Sequence[RecallRow]], Awaitable[np.ndarray]]) -> None:
        """``vectors``: the rows' vectors (stored ones read back, the others embedded and stored; a Confab post's
        is its first line's, which only this index reads)."""
        self.index = ConversationIndex(dim)
        self.store = store
        self.bot_name = bot_name
        self._vectors = vectors

    async def follow(self, messages: ConversationIndex, threads: Iterable[Key]) -> None:
        """Bring the topics of those threads (channel key, root id) in step with ``messages``: a thread none of whose
        replies is indexed, or whose root is gone, emptied or a person's line, has none."""
        threads = set(threads)
        live = [thread for thread in threads if messages.replies(*thread)]
        roots = {(r.channel_key, r.message_id): r for r in await self.store.roots(live)} if live else {}
        for key in threads:
            if (row := roots.get(key)) is None or not is_topic(row, self.bot_name):
                self.index.remove(*key)
        fresh = [replace(r, text=topic_of(r)) for r in roots.values() if is_topic(r, self.bot_name)
                 and ((known := self.index.get(r.channel_key, r.message_id)) is None or known.text != topic_of(r))]
        if fresh:
            vectors = await self._vectors(fresh)
            self.index.add([Entry(r.channel_key, r.message_id, None, r.author_id, r.author_name, r.text, r.created_at)
                            for r in fresh], vectors, content_words([r.text for r in fresh]))

    def search(self, messages: ConversationIndex, words: Sequence[str], vector: np.ndarray, channels: Iterable[str],
               k: int, keep: Callable[[list[Found]], list[Found]], authors: Collection[str] | None = None
               ) -> list[tuple[Found, Entry]]:
        """The replies the ``k`` roots best matching bring (``keep``: the replies that may be hits; ``authors``: only
        theirs), each at its root's place and scores, with its root."""
        out: list[tuple[Found, Entry]] = []
        for topic in self.index.search(words, vector, channels, k=k):
            root = topic.entry
            replies = keep([f for f in messages.replies(root.channel_key, root.message_id, vector)
                            if authors is None or f.entry.author_id in authors])
            if (chosen := _brought(replies)) is not None:
                out.append((Found(chosen.entry, topic.score, topic.similarity, topic.keywords,
                                  marked=chosen.marked), root))
        return out

    async def still_stored(self, roots: Iterable[Entry]) -> set[Key]:
        """Those roots the store still holds with the text indexed (the others: :meth:`follow` them again)."""
        wanted = {key_of(root): root.text for root in roots}
        rows = await self.store.roots(list(wanted)) if wanted else []
        return {(r.channel_key, r.message_id) for r in rows if wanted.get((r.channel_key, r.message_id)) == topic_of(r)}


def _brought(replies: list[Found]) -> Found | None:
    """The reply that decided the thread (the last that did), else the one closest to the question that says
    something."""
    if (last := decided(replies)) is not None:
        return next(f for f in replies if f.entry == last)
    said = [f for f in replies if says_something(f.entry.text)]
    return max(said, key=lambda f: f.similarity) if said else None


def merged(found: list[Found], brought: list[tuple[Found, Entry]]) -> tuple[list[Found], dict[Key, Entry]]:
    """The hits and the replies their thread's topic brings, best first, each message once (at its better place),
    and the root of each reply a topic brought (found by its own words too, it is still said in that thread)."""
    best: dict[Key, Found] = {}
    for f in [*found, *(f for f, _ in brought)]:
        if (key := key_of(f.entry)) not in best or f.score > best[key].score:
            best[key] = f
    return sorted(best.values(), key=lambda f: f.score, reverse=True), {key_of(f.entry): root for f, root in brought}
