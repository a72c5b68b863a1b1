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
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from itertools import islice
from typing import TypeVar

import numpy as np

from agent.recall.rows import ChannelRows, Entry

__all__ = ["ConversationIndex", "Entry", "Found", "fuse"]

RRF_K = 60
T = TypeVar("T")
BM25_K1 = 1.2
BM25_B = 0.75
FEEDBACK_TERMS = 8  # words added to the query from the top hits, for ranking the marked rows
FEEDBACK_SHARED = 2  # in at least this many of them
# a row at least this likely to state a decision (agent.recall.decisions.likelihoods) is ranked among the decisions
# when a question asks what was decided, raised by LIKELY_WEIGHT times its likelihood: beside the marked rows, the
# decisions the recogniser is unsure of compete with each other by their topic (chosen on the development sets)
CANDIDATE_FLOOR = 0.2
LIKELY_WEIGHT = 0.5
# a decision is made where it was discussed: a marked row's cosine with the topic gains this much times the share
# of the talk the question matches that is in its channel (all of it: 0.2, about a topic's lead over the next)
PLACE_WEIGHT = 0.2


@dataclass(frozen=True, slots=True)
class Found:
    entry: Entry
    score: float  # fused (reciprocal rank), for ordering
    similarity: float  # cosine of query and message
    keywords: float  # BM25
    marked_rank: int | None = None  # its place among the marked rows by meaning (0: the closest), when ranked
    topic: float | None = None  # a marked row's cosine with the topic (the query moved toward the best hits)
    marked: bool = False  # the message is marked (a decision)


class ConversationIndex:
    def __init__(self, dim: int) -> None:
        self.dim = dim
        self._channels: dict[str, ChannelRows] = {}
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
            marks: Sequence[bool] | None = None, likelihoods: Sequence[float] | None = None) -> None:
        """Index messages (replacing the same message indexed before: an edit); ``marks`` flags some (decisions),
        which :meth:`search` can rank among themselves too, and ``likelihoods`` says how likely each is one (0 to
        1; by default 1 for the marked, 0 for the others)."""
        flags = marks if marks is not None else [False] * len(entries)
        likely = likelihoods if likelihoods is not None else [float(flag) for flag in flags]
        for entry, vector, tokens, mark, chance in zip(entries, vectors, words, flags, likely, strict=True):
            self.remove(entry.channel_key, entry.message_id)
            channel = self._channels.get(entry.channel_key)
            if channel is None:
                channel = self._channels[entry.channel_key] = ChannelRows(self.dim)
            row = channel.row_for(entry.message_id)
            counts: dict[str, int] = {}
            for word in tokens:
                counts[word] = counts.get(word, 0) + 1
            channel.entries[row] = entry
            channel.authored(entry, row)
            channel.placed(entry)
            channel.words[row] = counts
            channel.lengths[row] = len(tokens)
            channel.texts[row] = text_id(entry.text)
            channel.vectors[row] = vector
            channel.live[row] = True
            channel.marked[row] = mark
            channel.likely[row] = chance
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
        if (entry := channel.entries[row]) is not None:
            channel.unauthored(entry, row)
            channel.unplaced(entry)
        channel.entries[row] = None
        channel.words[row] = {}
        channel.lengths[row] = 0
        channel.vectors[row] = 0.0
        channel.live[row] = False
        channel.marked[row] = False
        channel.likely[row] = 0.0
        channel.free.append(row)
        if not channel.slots:
            del self._channels[channel_key]
        return True

    def remove_channel(self, channel_key: str) -> None:
        channel = self._channels.get(channel_key)
        for message_id in list(channel.slots) if channel is not None else []:
            self.remove(channel_key, message_id)

    def authors(self, channels: Iterable[str]) -> dict[str, dict[str, int]]:
        """The authors of those channels' messages: author id -> the names their messages give, counted."""
        out: dict[str, dict[str, int]] = {}
        for key in dict.fromkeys(channels):
            for author, names in (c.names if (c := self._channels.get(key)) is not None else {}).items():
                counted = out.setdefault(author, {})
                for name, count in names.items():
                    counted[name] = counted.get(name, 0) + count
        return out

    def recent(self, channels: Iterable[str], authors: Collection[str], k: int) -> list[Entry]:
        """The ``k`` newest messages by those authors in those channels, newest first."""
        found: list[Entry] = []
        for key in dict.fromkeys(channels):
            if (channel := self._channels.get(key)) is None:
                continue
            for author in authors:
                found.extend(e for row in channel.by_author.get(author, ()) if (e := channel.entries[row]) is not None)
        return heapq.nlargest(k, found, key=lambda e: (e.created_at, e.message_id))

    def following(self, channel_key: str, message_id: str, limit: int) -> list[Found]:
        """Up to ``limit`` messages said after that one, oldest first: in the thread it opened or is in, else the
        next ones outside threads. Their ``similarity`` is their cosine with it; ``marked``: a decision."""
        channel = self._channels.get(channel_key)
        row = channel.slots.get(message_id) if channel is not None else None
        if channel is None or row is None or (entry := channel.entries[row]) is None:
            return []
        return [Found(later, 0.0, float(channel.vectors[n] @ channel.vectors[row]), 0.0, marked=bool(channel.marked[n]))
                for n in channel.after(entry, limit) if (later := channel.entries[n]) is not None]

    def replies(self, channel_key: str, thread: str, vector: np.ndarray | None = None) -> list[Found]:
        """The replies in that thread, oldest first (none: no reply of it is indexed). Their ``similarity`` is
        their cosine with ``vector`` (0 without); ``marked``: a decision."""
        channel = self._channels.get(channel_key)
        if channel is None:
            return []
        rows = [channel.slots[mid] for _, mid in channel.threads.get(thread, [])]
        return [Found(entry, 0.0, float(channel.vectors[row] @ vector) if vector is not None else 0.0, 0.0,
                      marked=bool(channel.marked[row])) for row in rows if (entry := channel.entries[row]) is not None]

    def older_than(self, cutoff: float) -> list[tuple[str, str]]:
        return [(key, entry.message_id) for key, channel in self._channels.items() for entry in channel.entries
                if entry is not None and entry.created_at < cutoff]

    def search(self, words: Sequence[str], vector: np.ndarray, channels: Iterable[str], k: int = 5,
               pool: int = 50, marked: bool = False, feedback: int = 0, authors: Collection[str] | None = None,
               talk_floor: float = 0.0, is_talk: Callable[[Entry], bool] | None = None) -> list[Found]:
        """The ``k`` best messages of those channels (only those: the others are not read); with ``marked``, the
        marked messages closest in meaning are a third ranking in the fusion (a decision that words its topic
        differently than the talk around it still competes). With ``feedback`` too, the marked messages are
        ranked against what the best ``feedback`` hits say as well (pseudo-relevance feedback): a decision names
        the option chosen ("we standardise on Google Meet") as the talk before it did ("my vote on the video
        tool is Google Meet"), not the words of a question asked weeks later ("which video call tool?"). With
        ``authors``, only their messages are candidates (the others take no place in any ranking). The talk the
        feedback reads must be about the question: sharing a word with it or at least ``talk_floor`` close in
        meaning (in a channel about something else, the best talk is another topic's, and its decision followed),
        and people's talk (``is_talk``: "@confab what did we decide about the export cap?" is as close to any other
        decision question, and no talk about either)."""
        pool = max(pool, 2 * k)
        chosen = [(key, c) for key in dict.fromkeys(channels) if (c := self._channels.get(key)) is not None]
        if authors is not None:
            chosen = [(key, c.only(authors)) for key, c in chosen if any(a in c.by_author for a in authors)]
        if not chosen:
            return []
        query = np.asarray(vector, dtype=np.float32).ravel()
        cosines = [channel.vectors[:len(channel.entries)] @ query for _, channel in chosen]  # once per search
        dense = self._dense(cosines, chosen, pool)
        by_key = dict(chosen)
        rankings = [[(key, row) for _, key, row in dense]]
        similarity = {(key, row): s for s, key, row in dense}
        keyword = self._keywords(words, chosen, pool, narrowed=authors is not None)
        keyword_score = dict(keyword)
        rankings.append([hit for hit, _ in keyword])
        topic: dict[tuple[str, int], float] = {}  # marked rows by meaning, best first
        if marked and feedback:
            first = fuse(rankings)  # the talk the question matches best: the marked rows are what it ranks
            talk = list(islice((hit for hit in sorted(first, key=first.__getitem__, reverse=True)
                                if not by_key[hit[0]].marked[hit[1]]
                                and (keyword_score.get(hit, 0.0) > 0 or similarity.get(hit, -1.0) >= talk_floor)
                                and (is_talk is None or (said := by_key[hit[0]].entries[hit[1]]) is None
                                     or is_talk(said))), feedback))
            topic, by_words = self._feedback(talk, query, words, chosen, k)
            rankings += [list(topic), by_words]
        elif marked:
            topic = {(key, row): s for s, key, row in self._dense(cosines, chosen, k, marked=True)}
            rankings.append(list(topic))
        place = {hit: rank for rank, hit in enumerate(topic)}
        fused = fuse(rankings)
        out: list[Found] = []
        for hit in sorted(fused, key=lambda h: fused[h], reverse=True)[:k]:
            key, row = hit
            channel = by_key[key]
            entry = channel.entries[row]
            if entry is None:
                continue
            known = similarity.get(hit)
            cosine = float(channel.vectors[row] @ query) if known is None else known
            out.append(Found(entry, fused[hit], cosine, keyword_score.get(hit, 0.0), place.get(hit), topic.get(hit),
                             bool(channel.marked[row])))
        return out

    @staticmethod
    def _dense(cosines: list[np.ndarray], chosen: list[tuple[str, ChannelRows]], pool: int, marked: bool = False
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

    def _idf(self, word: str) -> float:
        df = self._df.get(word, 0)
        return math.log(1.0 + (self._docs - df + 0.5) / (df + 0.5)) if df else 0.0

    def _keywords(self, words: Sequence[str], chosen: list[tuple[str, ChannelRows]], pool: int, narrowed: bool = False
                  ) -> list[tuple[tuple[str, int], float]]:
        """BM25 over the channels' postings; ``narrowed``: their views hold fewer live rows than postings."""
        if not words or not self._docs:
            return []
        scores: dict[tuple[str, int], float] = {}
        first: dict[int, tuple[str, int]] = {}  # each text scored once, at its first row: copies score the same
        for word in dict.fromkeys(words):
            if not (idf := self._idf(word)):
                continue
            for key, channel in chosen:
                posting = channel.postings.get(word)
                if not posting:
                    continue
                texts, lengths = channel.texts, channel.lengths
                for row, count in posting.items():
                    if narrowed and not channel.live[row]:
                        continue
                    hit = (key, row)
                    if first.setdefault(texts[row], hit) != hit:
                        continue
                    scores[hit] = scores.get(hit, 0.0) + idf * self._saturated(count, lengths[row])
        return heapq.nlargest(pool, scores.items(), key=lambda item: item[1])

    def _saturated(self, count: int, length: int) -> float:
        """BM25's term frequency part."""
        relative = length * self._docs / (self._length or 1)  # to the average length
        return count * (BM25_K1 + 1) / (count + BM25_K1 * (1 - BM25_B + BM25_B * relative))

    def _feedback(self, top: list[tuple[str, int]], query: np.ndarray, words: Sequence[str],
                  chosen: list[tuple[str, ChannelRows]], limit: int
                  ) -> tuple[dict[tuple[str, int], float], list[tuple[str, int]]]:
        """Two rankings of the rows likely to state a decision (marked, or at least CANDIDATE_FLOOR likely): by
        meaning, against the query moved toward the ``top`` hits' mean (Rocchio; with the cosines), raised in the
        channels where those hits are (PLACE_WEIGHT: the thread closes where it was held, "we decided to pilot
        Intercom Fin" in #support where the chatbot was discussed, not another channel's decision that happens to
        mention support) and by how likely each states a decision (LIKELY_WEIGHT: "Wistia for tutorials. no ads"
        at 0.7 is no marked decision, but it is the likeliest among the lines on its topic); and by keywords, the
        query's and the words several of the top hits share (the options discussed). The first ranking's values
        are the rows' closeness to the topic (its floor: agent.recall.ranking.leads)."""
        by_key = dict(chosen)
        if not top:
            return {}, []
        centre = np.mean([by_key[key].vectors[row] for key, row in top], axis=0)
        moved = query / (np.linalg.norm(query) or 1.0) + centre / (np.linalg.norm(centre) or 1.0)
        moved /= np.linalg.norm(moved) or 1.0
        scored: list[tuple[float, float, str, int]] = []
        share: dict[str, float] = {}
        for key, _ in top:
            share[key] = share.get(key, 0.0) + 1.0 / len(top)
        for key, channel in chosen:
            n = len(channel.entries)
            rows = np.flatnonzero(channel.live[:n] & (channel.marked[:n] | (channel.likely[:n] >= CANDIDATE_FLOOR)))
            if not len(rows):
                continue
            close = channel.vectors[rows] @ moved + PLACE_WEIGHT * share.get(key, 0.0)
            combined = close + LIKELY_WEIGHT * channel.likely[rows]
            if len(rows) > 16 * limit:  # only the best can place
                best = np.argpartition(-combined, 16 * limit - 1)[:16 * limit]
                rows, close, combined = rows[best], close[best], combined[best]
            scored.extend(zip(combined.tolist(), close.tolist(), [key] * len(rows), rows.tolist(), strict=True))
        # each text once: a line said many times ("my vote on X is Y") takes one place, as in _dense
        by_meaning = {(key, row): near for _, near, key, row in
                      _distinct(heapq.nlargest(16 * limit, scored), chosen, _candidate, limit)}
        shared: dict[str, int] = {}
        for key, row in top:
            for word in by_key[key].words[row]:
                shared[word] = shared.get(word, 0) + 1
        asked = set(words)
        terms = dict.fromkeys(asked, 1.0)
        extra = sorted((w for w, n in shared.items() if n >= FEEDBACK_SHARED and w not in asked),
                       key=lambda w: shared[w] * self._idf(w), reverse=True)[:FEEDBACK_TERMS]
        terms.update({w: shared[w] / len(top) for w in extra})
        weights = {w: weight * self._idf(w) for w, weight in terms.items()}
        by_words: dict[tuple[str, int], float] = {}
        for key, channel in chosen:  # the terms' postings, the candidate rows among them
            for word, weight in weights.items():
                for row, count in channel.postings.get(word, {}).items():
                    if channel.live[row] and (channel.marked[row] or channel.likely[row] >= CANDIDATE_FLOOR):
                        by_words[(key, row)] = by_words.get((key, row), 0.0) + weight * self._saturated(
                            count, channel.lengths[row])
        ranked = heapq.nlargest(16 * limit, ((score, key, row) for (key, row), score in by_words.items() if score > 0))
        return by_meaning, [(key, row) for _, key, row in _distinct(ranked, chosen, _place, limit)]


def fuse(rankings: Sequence[Sequence[tuple[str, int]]]) -> dict[tuple[str, int], float]:
    """Reciprocal rank fusion."""
    fused: dict[tuple[str, int], float] = {}
    for ranking in rankings:
        for rank, hit in enumerate(ranking):
            fused[hit] = fused.get(hit, 0.0) + 1.0 / (RRF_K + rank + 1)
    return fused


def _place(item: tuple[float, str, int]) -> tuple[str, int]:
    return item[1], item[2]


def _candidate(item: tuple[float, float, str, int]) -> tuple[str, int]:
    return item[2], item[3]


def text_id(text: str) -> int:
    return hash(" ".join(text.lower().split()))


def _distinct(ranking: list[T], chosen: list[tuple[str, ChannelRows]], where: Callable[[T], tuple[str, int]],
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
