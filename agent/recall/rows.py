"""One channel's rows in the conversation index (:mod:`agent.recall.index`): the messages, their vectors in a
growing float32 block (a removed message's row is zeroed and reused), their words and postings, who wrote
them (for searching one person's messages, :mod:`agent.recall.authors`) and in which order they were said, in
each thread and outside threads (the replies that came after a hit, :mod:`agent.recall.settling`)."""

from __future__ import annotations

import bisect
import copy
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True, slots=True)
class Entry:
    channel_key: str
    message_id: str
    thread: str | None
    author_id: str
    author_name: str
    text: str
    created_at: float


@dataclass
class ChannelRows:
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
    likely: np.ndarray = field(init=False)  # how likely each row's message states a decision, 0 to 1
    by_author: dict[str, set[int]] = field(default_factory=dict)  # author id -> rows
    names: dict[str, dict[str, int]] = field(default_factory=dict)  # author id -> names its rows give, counted
    # (time, message id) of the messages outside threads and of each thread's replies (thread id ->), in order
    timeline: list[tuple[float, str]] = field(default_factory=list)
    threads: dict[str, list[tuple[float, str]]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.vectors = np.zeros((16, self.dim), dtype=np.float32)
        self.live = np.zeros(16, dtype=bool)
        self.marked = np.zeros(16, dtype=bool)
        self.likely = np.zeros(16, dtype=np.float32)

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
                self.likely = np.concatenate([self.likely, np.zeros(len(self.likely), dtype=np.float32)])
        self.slots[message_id] = row
        return row

    def authored(self, entry: Entry, row: int) -> None:
        self.by_author.setdefault(entry.author_id, set()).add(row)
        names = self.names.setdefault(entry.author_id, {})
        names[entry.author_name] = names.get(entry.author_name, 0) + 1

    def unauthored(self, entry: Entry, row: int) -> None:
        rows = self.by_author.get(entry.author_id, set())
        rows.discard(row)
        names = self.names.get(entry.author_id, {})
        if (left := names.get(entry.author_name, 0) - 1) > 0:
            names[entry.author_name] = left
        else:
            names.pop(entry.author_name, None)
        if not rows:
            self.by_author.pop(entry.author_id, None)
            self.names.pop(entry.author_id, None)

    def placed(self, entry: Entry) -> None:
        """Keep the message's place in its thread's order, or in the channel's outside threads."""
        bisect.insort(self.threads.setdefault(entry.thread, []) if entry.thread else self.timeline,
                      (entry.created_at, entry.message_id))

    def unplaced(self, entry: Entry) -> None:
        order = self.threads.get(entry.thread, []) if entry.thread else self.timeline
        at = bisect.bisect_left(order, (entry.created_at, entry.message_id))
        if at < len(order) and order[at] == (entry.created_at, entry.message_id):
            del order[at]
        if entry.thread and not order:
            self.threads.pop(entry.thread, None)

    def after(self, entry: Entry, limit: int) -> list[int]:
        """The rows of up to ``limit`` messages said after ``entry``, oldest first: in the thread it opened or is
        in, or when it has none, the next ones outside threads."""
        order = self.threads.get(entry.thread or entry.message_id) or ([] if entry.thread else self.timeline)
        start = bisect.bisect_right(order, (entry.created_at, entry.message_id))
        return [self.slots[mid] for _, mid in order[start:start + limit]]

    def only(self, authors: Iterable[str]) -> ChannelRows:
        """A view of this channel (sharing everything else) in which only those authors' rows are live."""
        view = copy.copy(self)
        view.live = np.zeros(len(self.live), dtype=bool)
        for author in authors:
            if rows := self.by_author.get(author):
                view.live[list(rows)] = True
        view.live &= self.live
        return view
