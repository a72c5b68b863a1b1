"""Conversation search: the index of what people said, kept in step with the store, searched per asker.

The index lives in memory (:mod:`agent.recall.index`) and is built at start from the store, where every
searchable message's vector is kept beside it (:mod:`agent.storage.recall`): a restart reads the vectors back
and embeds only messages that have none yet (or whose text changed since). It follows the store's change feed
(:meth:`RecallService.sync`, every second while Confab runs and before every search): a message stored, edited,
deleted, forgotten or pruned, by this process or another replica, is indexed again or removed. Retention is
applied by age as well, so partitions dropped whole (PostgreSQL) leave nothing behind, and every hit is read
back from the store before it is shown: a line the store no longer holds as indexed is never quoted.

Who may see what is decided per channel at query time (:mod:`agent.recall.access`); which lines found are worth
showing, and their order for a decision question, by :mod:`agent.recall.ranking`.

With several processes, one embeds: the indexer (:meth:`RecallService.run_embedder`) stores every new message's
vector, and the workers that keep the index (built with ``embeds=False``) take it from the store. A worker
embeds a message itself only when no vector has come after :data:`EMBED_WAIT_S` (no indexer running, or one
far behind), so a message is searchable within seconds either way, and N workers no longer embed each
message N times.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from collections.abc import Callable, Sequence

import numpy as np

from agent.embeddings import Embedder
from agent.recall.access import ChannelAccess, Visibility, checked, shown_in, threads_checked
from agent.recall.asking import ASKS_DECISION, asks_confab, asks_decision, says_something
from agent.recall.authors import AuthorAsked, matching
from agent.recall.decisions import THRESHOLD, likelihoods
from agent.recall.index import ConversationIndex, Found
from agent.recall.ranking import CANDIDATES, FEEDBACK, TALK_FLOOR, ranked
from agent.recall.results import RecallHit, RecallResult
from agent.recall.rows import Entry
from agent.recall.settling import paired, settling, window
from agent.recall.topics import Key, ThreadTopics, key_of, merged
from agent.storage.recall import Change, RecallRow, RecallStore
from agent.words import content_words

log = logging.getLogger(__name__)

EMBED_CHARS = 1000  # a message is embedded by its first this-many characters
LOOK_BACK = 256  # feed numbers read again (a sequence's numbers may commit out of order)
LOG_KEEP_S = 86400.0
EMBED_WAIT_S = 3.0  # how long a worker waits for the indexer's vector before embedding a message itself


def digest(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8", "replace"), usedforsecurity=False).hexdigest()


def workspace_of(channel_key: str) -> str:
    """``platform:workspace:`` of a channel key: the prefix every channel of its workspace shares."""
    parts = channel_key.split(":", 2)
    return ":".join(parts[:2]) + ":" if len(parts) == 3 else channel_key + ":"


class RecallService:
    def __init__(self, store: RecallStore, embedder: Callable[[], Embedder], retention_days: int = 0,
                 batch: int = 64, *, embeds: bool = True, wait_s: float = EMBED_WAIT_S, bot_name: str = "confab"
                 ) -> None:
        """``embeds``: this process embeds new messages at once (one process, or the indexer); False: it
        waits up to ``wait_s`` for the vector another process stores (a worker beside an indexer). ``bot_name``:
        how people address Confab (their requests to it are no hits, see :func:`asks_confab`)."""
        self.store = store
        self.bot_name = bot_name
        self.embeds = embeds
        self.wait_s = wait_s
        self._waiting: dict[tuple[str, str], float] = {}  # messages without a vector yet -> first seen (monotonic)
        self._embedder = embedder
        self.retention_days = retention_days
        self.batch = batch
        self._index: ConversationIndex | None = None
        self._topics: ThreadTopics | None = None  # threads' roots that name their topic (agent/recall/topics.py)
        self._cursor = 0
        self._seen: dict[int, None] = {}  # feed numbers applied lately (the look-back skips them)
        self._lock = asyncio.Lock()
        self.embedded = 0  # messages embedded by this process (the rest came with their stored vector)

    @property
    def index(self) -> ConversationIndex | None:
        return self._index

    # --- keeping in step -------------------------------------------------------------------

    async def load(self) -> None:
        """Build the index from the store (once): stored vectors are read back, missing ones embedded."""
        if self._index is not None:
            return
        async with self._lock:
            if self._index is not None:
                return
            cursor = await self.store.last_change()  # changes from here on are applied again (idempotent)
            index = ConversationIndex(self._embedder().dim)
            self._topics = ThreadTopics(index.dim, self.store, self.bot_name, self._vectors)
            after: tuple[str, str] | None = None
            while rows := await self.store.scan(after):
                await self._index_rows(index, rows, hold=False)  # the history: none may wait, it is searched now
                after = (rows[-1].channel_key, rows[-1].message_id)
            self._drop_expired(index, self._topics.index)
            self._index, self._cursor = index, cursor
            log.info("conversation index loaded", extra={"messages": len(index), "embedded": self.embedded})

    async def sync(self) -> int:
        """Apply the store's changes since the last sync; returns the messages indexed again or removed."""
        await self.load()
        index, topics = self._index, self._topics
        assert index is not None and topics is not None
        applied = 0
        async with self._lock:
            while changes := await self._new_changes():
                keys = list(dict.fromkeys((c.channel_key, c.message_id) for c in changes))
                rows = {(r.channel_key, r.message_id): r for r in await self.store.rows(keys)}
                gone = [key for key in keys if key not in rows]
                threads = {(key[0], e.thread) if (e := index.get(*key)) is not None and e.thread else key
                           for key in gone}
                for key in gone:
                    index.remove(*key)
                    self._waiting.pop(key, None)
                await topics.follow(index, threads)  # a thread's last reply gone, or its root
                if gone:
                    await self.store.drop(gone)
                fresh = [r for r in rows.values() if (e := index.get(r.channel_key, r.message_id)) is None
                         or e.text != r.text]
                for start in range(0, len(fresh), self.batch * 16):
                    await self._index_rows(index, fresh[start:start + self.batch * 16])
                applied += len(gone) + len(fresh)
                self._applied(changes)
            if self._waiting:  # their vectors may have come from the indexer, or their wait is over
                waiting = await self.store.rows(list(self._waiting))
                for key in set(self._waiting) - {(r.channel_key, r.message_id) for r in waiting}:
                    del self._waiting[key]
                await self._index_rows(index, waiting)
        return applied

    async def _new_changes(self) -> list[Change]:
        return [c for c in await self.store.changes(max(0, self._cursor - LOOK_BACK), 2000) if c.seq not in self._seen]

    def _applied(self, changes: Sequence[Change]) -> None:
        for change in changes:
            self._seen[change.seq] = None
        self._cursor = max(self._cursor, max(c.seq for c in changes))
        while len(self._seen) > 4 * LOOK_BACK:
            del self._seen[next(iter(self._seen))]

    async def run_embedder(self, every_s: float = 1.0) -> None:
        """The indexer, until cancelled: store a vector for every message that has none (the history at start,
        then each message as it arrives), for the workers' indexes to take (they wait for it, see ``embeds``)."""
        try:
            await self.embed_stored()
        except Exception:
            log.exception("embedding the stored messages failed; new ones are still embedded")
        while True:
            try:
                await self.embed_new()
            except Exception:
                log.exception("embedding new messages failed; will retry")
            await asyncio.sleep(every_s)

    async def embed_stored(self) -> None:
        """Vectors for the stored messages that have none; new messages are followed from here on."""
        self._cursor = await self.store.last_change()
        after: tuple[str, str] | None = None
        while rows := await self.store.scan(after):
            await self._vectors(rows)
            after = (rows[-1].channel_key, rows[-1].message_id)

    async def embed_new(self) -> None:
        """Vectors for the messages stored or edited since the last call."""
        while changes := await self._new_changes():
            keys = list(dict.fromkeys((c.channel_key, c.message_id) for c in changes))
            await self._vectors(await self.store.rows(keys))
            self._applied(changes)

    async def _vectors(self, rows: Sequence[RecallRow]) -> np.ndarray:
        """The rows' vectors: the stored ones read back, the others embedded (and stored)."""
        vectors, todo, digests = self._stored_vectors(rows)
        await self._embed(rows, todo, vectors, digests)
        return vectors

    async def run(self, every_s: float = 1.0, trim_every_s: float = 3600.0) -> None:
        """Follow the store while Confab runs (a background task); trims the feed and ages out old messages."""
        next_trim = 0.0
        while True:
            try:
                await self.sync()
                if time.monotonic() >= next_trim:
                    next_trim = time.monotonic() + trim_every_s
                    await self.trim()
            except Exception:
                log.exception("conversation index sync failed; will retry")
            await asyncio.sleep(every_s)

    async def trim(self) -> None:
        now = time.time()
        cutoff = now - self.retention_days * 86400 if self.retention_days else None
        if self._index is not None and self._topics is not None:
            async with self._lock:
                self._drop_expired(self._index, self._topics.index)
        await self.store.trim(now - LOG_KEEP_S, cutoff)

    def _drop_expired(self, *indexes: ConversationIndex) -> None:
        for index in indexes if self.retention_days else ():
            for key in index.older_than(time.time() - self.retention_days * 86400):
                index.remove(*key)

    async def _index_rows(self, index: ConversationIndex, rows: Sequence[RecallRow], hold: bool = True) -> None:
        vectors, todo, digests = self._stored_vectors(rows)
        held = set(self._held(rows, todo)) if hold else set()
        await self._embed(rows, [i for i in todo if i not in held], vectors, digests)
        ready = [i for i in range(len(rows)) if i not in held]
        for i in ready:
            self._waiting.pop((rows[i].channel_key, rows[i].message_id), None)
        if not ready:
            return
        texts = [rows[i].text for i in ready]
        words = await asyncio.to_thread(content_words, texts) if len(ready) > 64 else content_words(texts)
        likely = likelihoods(texts, vectors[ready], self._embedder().name)
        index.add([Entry(r.channel_key, r.message_id, r.thread, r.author_id, r.author_name, r.text, r.created_at)
                   for r in (rows[i] for i in ready)], vectors[ready], words, [p >= THRESHOLD for p in likely], likely)
        assert self._topics is not None
        await self._topics.follow(index, {(r.channel_key, r.thread or r.message_id) for r in (rows[i] for i in ready)})

    def _stored_vectors(self, rows: Sequence[RecallRow]) -> tuple[np.ndarray, list[int], list[str]]:
        """The rows' stored vectors (where current: same text, same embedder), the rows that have none, and
        each row's text digest."""
        embedder = self._embedder()
        vectors = np.zeros((len(rows), embedder.dim), dtype=np.float32)
        todo: list[int] = []
        digests = [digest(r.text) for r in rows]
        for i, (row, d) in enumerate(zip(rows, digests, strict=True)):
            if row.vector is not None and row.digest == d and row.embedder == embedder.name \
                    and len(row.vector) == 4 * embedder.dim:
                vectors[i] = np.frombuffer(row.vector, dtype="<f4")
            else:
                todo.append(i)
        return vectors, todo, digests

    def _held(self, rows: Sequence[RecallRow], todo: Sequence[int]) -> list[int]:
        """Rows left for the indexer's vector (a worker's, not yet waited ``wait_s`` for)."""
        if self.embeds:
            return []
        now = time.monotonic()
        return [i for i in todo
                if now - self._waiting.setdefault((rows[i].channel_key, rows[i].message_id), now) < self.wait_s]

    async def _embed(self, rows: Sequence[RecallRow], todo: Sequence[int], vectors: np.ndarray,
                     digests: Sequence[str]) -> None:
        """Embed rows ``todo`` into ``vectors`` and store their vectors, a batch of ``16 * batch`` at a time."""
        embedder = self._embedder()
        for start in range(0, len(todo), self.batch * 16):
            part = list(todo[start:start + self.batch * 16])
            texts = list(dict.fromkeys(rows[i].text[:EMBED_CHARS] for i in part))  # "ok", "thanks!": once
            fresh = dict(zip(texts, await embedder.aembed(texts), strict=True))
            vectors[part] = np.stack([fresh[rows[i].text[:EMBED_CHARS]] for i in part])
            await self.store.keep([(rows[i], digests[i], embedder.name,
                                    np.asarray(vectors[i], dtype="<f4").tobytes()) for i in part])
            self.embedded += len(part)

    # --- searching -------------------------------------------------------------------------

    async def search(self, query: str, here: str, access: ChannelAccess | None, k: int = 5,
                     asked: str | None = None, author: AuthorAsked | None = None) -> RecallResult:
        """The messages best matching ``query`` that a reply in ``here`` may quote, among the channels of its
        workspace the asker may read (checked now, through ``access``; without one nothing is read). ``asked``:
        the id of the message in ``here`` that asks (stored already), never a hit of its own search; requests to
        Confab are none either (:func:`asks_confab`). ``author``: only that person's messages (matched among the
        authors of the channels the asker may read, so the search reads nothing more); with no topic words in
        ``query``, their most recent lines."""
        await self.sync()
        index = self._index
        assert index is not None
        channels = index.channels(workspace_of(here))
        seen = await checked(access, list(dict.fromkeys([here, *channels])))
        here_seen = seen.get(here)
        shown = [c for c in channels if shown_in(here, here_seen, c, seen.get(c))]
        elsewhere = [c for c in channels if seen.get(c) is not None and c not in shown]
        refused = len(channels) - len(shown) - len(elsewhere)
        if not shown and not elsewhere:
            return RecallResult([], 0, 0, len(channels), author.label if author else None, author is not None)
        authors: set[str] | None = None
        label: str | None = None  # whose messages, as the reply names them
        if author is not None:
            known = matching(author, index.authors([*shown, *elsewhere]))
            if not known:
                return RecallResult([], 0, len(shown), refused, author.label, unknown_author=True)
            authors = set(known)
            label = " or ".join(dict.fromkeys(known.values()))  # "bob": "Bob Smith or Bob Jones"
            if not content_words([query])[0]:
                hits, hidden = await self._newest(index, here, asked, seen, shown, elsewhere, authors, access, k)
                return RecallResult(hits, hidden, len(shown), refused, label, newest=True)
        vector = (await self._embedder().aembed([query]))[0]
        decision = asks_decision(query)
        # "what did we decide about …": the topic's words are what keywords should match, not the asking
        words = content_words([ASKS_DECISION.sub(" ", query) if decision else query])[0]
        pool = max(4 * k, CANDIDATES) if decision else 4 * k
        said, topics = self._said(here, asked, seen), self._topics
        assert topics is not None

        def talk(entry: Entry) -> bool:  # what people said to each other, not a request to Confab
            return not asks_confab(entry.text, self.bot_name, seen.get(entry.channel_key) == "dm")

        def lines(channels: list[str], n: int, marked: bool = False) -> tuple[list[Found], dict[Key, Entry]]:
            """The lines found, with the replies their thread's topic brings (and those replies' roots)."""
            return merged(said(index.search(words, vector, channels, k=n, marked=marked,
                                            feedback=FEEDBACK if marked else 0, authors=authors,
                                            talk_floor=TALK_FLOOR, is_talk=talk)),
                          [(f, root) for f, root in topics.search(index, words, vector, channels, n, said, authors)
                           if self._kept(root)])

        found, roots = lines(shown, pool, marked=decision)
        found = await self._still_stored((await self._readable(self._relevant(found, decision), access))[:4 * k])
        used = {key_of(root): root for f in found if (root := roots.get(key_of(f.entry))) is not None}
        if stale := set(used) - await topics.still_stored(used.values()):  # Confab's posts: edited, deleted
            found = [f for f in found if (key := key_of(f.entry)) not in roots or key_of(roots[key]) not in stale]
            async with self._lock:
                await topics.follow(index, stale)
        replies = await self._settling(index, found, said, access) if author is None else {}
        hits = [RecallHit(f.entry, seen.get(f.entry.channel_key) or "private", f.similarity, f.marked, reply,
                          roots.get(key_of(f.entry))) for f, reply in paired(found, replies)[:k]]
        hidden = len(await self._readable(self._relevant(lines(elsewhere, 20)[0], decision), access)
                     ) if elsewhere else 0
        return RecallResult(hits, hidden, len(shown), refused, label)

    async def _newest(self, index: ConversationIndex, here: str, asked: str | None, seen: dict[str, Visibility | None],
                      shown: list[str], elsewhere: list[str], authors: set[str], access: ChannelAccess | None, k: int
                      ) -> tuple[list[RecallHit], int]:
        """Those authors' most recent lines that say something (not "ok", "thanks!"), newest first; and how
        many more are in places the asker may read but this reply may not quote."""
        said = self._said(here, asked, seen)

        def lines(channels: list[str]) -> list[Found]:
            return said([Found(e, 0.0, 0.0, 0.0) for e in index.recent(channels, authors, 8 * k)
                         if self._kept(e) and says_something(e.text)])

        found = await self._still_stored((await self._readable(lines(shown), access))[:k])
        hidden = len(await self._readable(lines(elsewhere), access)) if elsewhere else 0
        return [RecallHit(f.entry, seen.get(f.entry.channel_key) or "private", 0.0, False) for f in found], hidden

    def _said(self, here: str, asked: str | None, seen: dict[str, Visibility | None]
              ) -> Callable[[list[Found]], list[Found]]:
        """Keeps the hits people said: not the message asking, not a request to Confab."""
        def keep(found: list[Found]) -> list[Found]:
            return [f for f in found if not (f.entry.channel_key == here and f.entry.message_id == asked)
                    and not asks_confab(f.entry.text, self.bot_name, seen.get(f.entry.channel_key) == "dm")]
        return keep

    @staticmethod
    async def _readable(found: list[Found], access: ChannelAccess | None) -> list[Found]:
        """Hits in threads only where the asker may read the thread too."""
        threads = list(dict.fromkeys((f.entry.channel_key, f.entry.thread) for f in found if f.entry.thread))
        allowed = await threads_checked(access, threads) if threads else set()
        return [f for f in found if not f.entry.thread or (f.entry.channel_key, f.entry.thread) in allowed]

    def _kept(self, entry: Entry) -> bool:
        """Not older than the retention period."""
        return not self.retention_days or entry.created_at >= time.time() - self.retention_days * 86400

    def _relevant(self, found: list[Found], decision: bool) -> list[Found]:
        return ranked([f for f in found if self._kept(f.entry)], decision)

    async def _settling(self, index: ConversationIndex, found: list[Found], said: Callable[[list[Found]], list[Found]],
                        access: ChannelAccess | None) -> dict[tuple[str, str], Entry]:
        """The reply that settled each hit that asked something (agent/recall/settling.py), read as a hit is: in
        a thread the asker may read, people's, not older than retention, still stored."""
        replies = {(f.entry.channel_key, f.entry.message_id): reply for f in found if (reply := settling(
            f.entry, index.following(f.entry.channel_key, f.entry.message_id, window(f.entry)))) is not None}
        kept = {(f.entry.channel_key, f.entry.message_id) for f in await self._still_stored(await self._readable(
            said([Found(e, 0.0, 0.0, 0.0) for e in replies.values() if self._kept(e)]), access))}
        return {hit: reply for hit, reply in replies.items() if (reply.channel_key, reply.message_id) in kept}

    async def _still_stored(self, found: list[Found]) -> list[Found]:
        """Only hits the store still holds with the text indexed (another replica may have changed them)."""
        if not found:
            return []
        rows = {(r.channel_key, r.message_id): r.text
                for r in await self.store.rows([(f.entry.channel_key, f.entry.message_id) for f in found])}
        return [f for f in found if rows.get((f.entry.channel_key, f.entry.message_id)) == f.entry.text]
