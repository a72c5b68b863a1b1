"""The in-memory conversation index: per channel, message vectors (dense) and an inverted BM25 index
(keywords), fused by reciprocal rank like the knowledge index (:mod:`agent.knowledge.index`).

Everything is kept per channel, so a search reads only the channels it is given: a channel the asker may not
read is never scored at all. Messages are added, replaced (edits) and removed one at a time; vectors live in a
growing float32 block per channel (a removed message's row is zeroed and reused). Keyword statistics (document
frequency, average length) are over the whole index.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

import numpy as np

RRF_K = 60
T = TypeVar("T")
BM25_K1 = 1.2
BM25_B = 0.75


@dataclass(frozen=True, slots=True)
class Entry:
    channel_key: str
    message_id: str
    thread: str | None
    author_id: str
    author_name: str
    text: str
    created_at: float


@dataclass(frozen=True, slots=True)
class Found:
    entry: Entry
    score: float  # fused (reciprocal rank), for ordering
    similarity: float  # cosine of query and message
    keywords: float  # BM25


@dataclass
class _Channel:
    dim: int
    vectors: np.ndarray = field(init=False)
    entries: list[Entry | None] = field(default_factory=list)
    words: list[dict[str, int]] = field(default_factory=list)
    slots: dict[str, int] = field(default_factory=dict)  # message id -> row
    free: list[int] = field(default_factory=list)
    postings: dict[str, dict[int, int]] = field(default_factory=dict)  # word -> row -> count
    lengths: list[int] = field(default_factory=list)  # words per row
    texts: list[int] = field(default_factory=list)  # the row's text, as a hash of its normalised form
    live: np.ndarray = field(init=False)  # rows holding a message
    marked: np.ndarray = field(init=False)  # rows whose message is marked (a decision: agent/recall/service.py)

    def __post_init__(self) -> None:
        self.vectors = np.zeros((16, self.dim), dtype=np.float32)
        self.live = np.zeros(16, dtype=bool)
        self.marked = np.zeros(16, dtype=bool)

    def row_for(self, message_id: str) -> int:
        if (row := self.slots.get(message_id)) is not None:
            return row
        if self.free:
            row = self.free.pop()
        else:
            row = len(self.entries)
            self.entries.append(None)
            self.words.append({})
            self.lengths.append(0)
            self.texts.append(0)
            if row >= len(self.vectors):
                grown = np.zeros((len(self.vectors) * 2, self.dim), dtype=np.float32)
                grown[:len(self.vectors)] = self.vectors
                self.vectors = grown
                self.live = np.concatenate([self.live, np.zeros(len(self.live), dtype=bool)])
                self.marked = np.concatenate([self.marked, np.zeros(len(self.marked), dtype=bool)])
        self.slots[message_id] = row
        return row


class ConversationIndex:
    def __init__(self, dim: int) -> None:
        self.dim = dim
        self._channels: dict[str, _Channel] = {}
        self._df: dict[str, int] = {}
        self._docs = 0
        self._length = 0

    def __len__(self) -> int:
        return self._docs

    def __contains__(self, key: tuple[str, str]) -> bool:
        channel = self._channels.get(key[0])
        return channel is not None and key[1] in channel.slots

    def channels(self, prefix: str = "") -> list[str]:
        """Channel keys with messages indexed (those starting with ``prefix``: a workspace's)."""
        return [key for key, channel in self._channels.items() if key.startswith(prefix) and channel.slots]

    def get(self, channel_key: str, message_id: str) -> Entry | None:
        channel = self._channels.get(channel_key)
        row = channel.slots.get(message_id) if channel is not None else None
        return channel.entries[row] if channel is not None and row is not None else None

    def add(self, entries: Sequence[Entry], vectors: np.ndarray, words: Sequence[Sequence[str]],
            marks: Sequence[bool] | None = None) -> None:
        """Index messages (replacing the same message indexed before: an edit); ``marks`` flags some (decisions),
        which :meth:`search` can rank among themselves too."""
        flags = marks if marks is not None else [False] * len(entries)
        for entry, vector, tokens, mark in zip(entries, vectors, words, flags, strict=True):
            self.remove(entry.channel_key, entry.message_id)
            channel = self._channels.get(entry.channel_key)
            if channel is None:
                channel = self._channels[entry.channel_key] = _Channel(self.dim)
            row = channel.row_for(entry.message_id)
            counts: dict[str, int] = {}
            for word in tokens:
                counts[word] = counts.get(word, 0) + 1
            channel.entries[row] = entry
            channel.words[row] = counts
            channel.lengths[row] = len(tokens)
            channel.texts[row] = text_id(entry.text)
            channel.vectors[row] = vector
            channel.live[row] = True
            channel.marked[row] = mark
            for word, count in counts.items():
                channel.postings.setdefault(word, {})[row] = count
                self._df[word] = self._df.get(word, 0) + 1
            self._docs += 1
            self._length += len(tokens)

    def remove(self, channel_key: str, message_id: str) -> bool:
        channel = self._channels.get(channel_key)
        if channel is None or (row := channel.slots.pop(message_id, None)) is None:
            return False
        counts = channel.words[row]
        for word, _ in counts.items():
            posting = channel.postings.get(word)
            if posting is not None:
                posting.pop(row, None)
                if not posting:
                    del channel.postings[word]
            if (df := self._df.get(word, 0) - 1) > 0:
                self._df[word] = df
            else:
                self._df.pop(word, None)
        self._docs -= 1
        self._length -= sum(counts.values())
        channel.entries[row] = None
        channel.words[row] = {}
        channel.lengths[row] = 0
        channel.vectors[row] = 0.0
        channel.live[row] = False
        channel.marked[row] = False
        channel.free.append(row)
        if not channel.slots:
            del self._channels[channel_key]
        return True

    def remove_channel(self, channel_key: str) -> None:
        channel = self._channels.get(channel_key)
        for message_id in list(channel.slots) if channel is not None else []:
            self.remove(channel_key, message_id)

    def older_than(self, cutoff: float) -> list[tuple[str, str]]:
        return [(key, entry.message_id) for key, channel in self._channels.items() for entry in channel.entries
                if entry is not None and entry.created_at < cutoff]

    def search(self, words: Sequence[str], vector: np.ndarray, channels: Iterable[str], k: int = 5,
               pool: int = 50, marked: bool = False) -> list[Found]:
        """The ``k`` best messages of those channels (only those: the others are not read); with ``marked``, the
        marked messages closest in meaning are a third ranking in the fusion (a decision that words its topic
        differently than the talk around it still competes)."""
        pool = max(pool, 2 * k)
        chosen = [(key, c) for key in dict.fromkeys(channels) if (c := self._channels.get(key)) is not None]
        if not chosen:
            return []
        query = np.asarray(vector, dtype=np.float32).ravel()
        cosines = [channel.vectors[:len(channel.entries)] @ query for _, channel in chosen]  # once per search
        dense = self._dense(cosines, chosen, pool)
        rankings = [[(key, row) for _, key, row in dense]]
        if marked:
            rankings.append([(key, row) for _, key, row in self._dense(cosines, chosen, k, marked=True)])
        similarity = {(key, row): s for s, key, row in dense}
        keyword = self._keywords(words, chosen, pool)
        rankings.append([hit for hit, _ in keyword])
        fused: dict[tuple[str, int], float] = {}
        for ranking in rankings:
            for rank, hit in enumerate(ranking):
                fused[hit] = fused.get(hit, 0.0) + 1.0 / (RRF_K + rank + 1)
        keyword_score = dict(keyword)
        by_key = dict(chosen)
        out: list[Found] = []
        for hit in sorted(fused, key=lambda h: fused[h], reverse=True)[:k]:
            key, row = hit
            channel = by_key[key]
            entry = channel.entries[row]
            if entry is None:
                continue
            known = similarity.get(hit)
            cosine = float(channel.vectors[row] @ query) if known is None else known
            out.append(Found(entry, fused[hit], cosine, keyword_score.get(hit, 0.0)))
        return out

    @staticmethod
    def _dense(cosines: list[np.ndarray], chosen: list[tuple[str, _Channel]], pool: int, marked: bool = False
               ) -> list[tuple[float, str, int]]:
        found_scores, found_channels, found_rows = [], [], []
        for number, ((_, channel), cosine) in enumerate(zip(chosen, cosines, strict=True)):
            n = len(channel.entries)
            keep = channel.live[:n] & channel.marked[:n] if marked else channel.live[:n]
            scores = np.where(keep, cosine, -2.0)
            take = min(8 * pool, n)  # the same words said many times take one place after _distinct
            best = np.argpartition(-scores, take - 1)[:take] if take < n else np.arange(n)
            best = best[scores[best] > -2.0]
            found_scores.append(scores[best])
            found_rows.append(best)
            found_channels.append(np.full(len(best), number))
        all_scores = np.concatenate(found_scores)
        order = np.argsort(-all_scores, kind="stable")
        channel_of, row_of = np.concatenate(found_channels)[order], np.concatenate(found_rows)[order]
        ranked = [(float(all_scores[i]), chosen[int(c)][0], int(r)) for i, c, r in
                  zip(order[:16 * pool], channel_of[:16 * pool], row_of[:16 * pool], strict=True)]
        return _distinct(ranked, chosen, lambda item: (item[1], item[2]), pool)

    def _keywords(self, words: Sequence[str], chosen: list[tuple[str, _Channel]], pool: int
                  ) -> list[tuple[tuple[str, int], float]]:
        if not words or not self._docs:
            return []
        average = self._length / self._docs
        scores: dict[tuple[str, int], float] = {}
        first: dict[int, tuple[str, int]] = {}  # each text scored once, at its first row: copies score the same
        for word in dict.fromkeys(words):
            df = self._df.get(word, 0)
            if not df:
                continue
            idf = math.log(1.0 + (self._docs - df + 0.5) / (df + 0.5))
            for key, channel in chosen:
                posting = channel.postings.get(word)
                if not posting:
                    continue
                texts, lengths = channel.texts, channel.lengths
                for row, count in posting.items():
                    hit = (key, row)
                    if first.setdefault(texts[row], hit) != hit:
                        continue
                    norm = count + BM25_K1 * (1 - BM25_B + BM25_B * lengths[row] / average)
                    scores[hit] = scores.get(hit, 0.0) + idf * count * (BM25_K1 + 1) / norm
        return heapq.nlargest(pool, scores.items(), key=lambda item: item[1])



def text_id(text: str) -> int:
    return hash(" ".join(text.lower().split()))


def _distinct(ranking: list[T], chosen: list[tuple[str, _Channel]], where: Callable[[T], tuple[str, int]],
              limit: int) -> list[T]:
    """The first ``limit`` of the ranking with each text once (its best place): "any update on X?" said ten
    times is one candidate."""
    channels = dict(chosen)
    seen: set[int] = set()
    out: list[T] = []
    for item in ranking:
        key, row = where(item)
        text = channels[key].texts[row]
        if text not in seen:
            seen.add(text)
            out.append(item)
            if len(out) == limit:
                break
    return out
