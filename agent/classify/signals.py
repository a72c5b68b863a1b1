"""Behaviour and content signals for spam, per author and channel over sliding windows.

Each signal has a weight (the chance it alone means spam) and a reason people can read. The
tracker keeps a few minutes of history per author in memory (bounded), which is what repeated and
near-duplicate messages (also across channels), bursts and first messages need.
"""

from __future__ import annotations

import re
import time
from collections import OrderedDict, deque
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from agent.classify.normalize import INVITE, Normalized

DATA = Path(__file__).parent / "data"
WINDOW_S = 600.0
BURST_WINDOW_S = 10.0
BURST_COUNT = 6
MAX_AUTHORS = 50_000
_MENTION = re.compile(r"<@[!&]?\w+>|(?<!\w)@\w+")
_BROADCAST = re.compile(r"(?i)(@everyone|@here|<!channel>|<!here>|<!everyone>)")


@dataclass(frozen=True, slots=True)
class Signal:
    name: str
    weight: float  # 0-1: how strongly this alone indicates spam
    reason: str


@lru_cache(maxsize=1)
def phishing_domains() -> frozenset[str]:
    return frozenset(_lines("phishing_domains.txt"))


@lru_cache(maxsize=1)
def suspicious_domains() -> frozenset[str]:
    return frozenset(_lines("suspicious_domains.txt"))


@lru_cache(maxsize=1)
def scam_phrases() -> tuple[str, ...]:
    return tuple(p for p in _lines("scam_phrases.txt") if len(p) >= 12)


def _lines(name: str) -> list[str]:
    return [line.strip().lower() for line in (DATA / name).read_text(encoding="utf-8").split("\n") if line.strip()]


def _listed(domain: str, listed: frozenset[str]) -> bool:
    parts = domain.split(".")
    return any(".".join(parts[i:]) in listed for i in range(len(parts) - 1))


def content_signals(n: Normalized) -> list[Signal]:
    """What the message itself shows, no history needed."""
    found: list[Signal] = []
    for domain in n.domains:
        if _listed(domain, phishing_domains()):
            found.append(Signal("phishing_domain", 0.97, f"links to a known phishing domain ({domain})"))
            break
        if _listed(domain, suspicious_domains()):
            found.append(Signal("suspicious_domain", 0.6, f"links to a domain on the suspicious list ({domain})"))
            break
    phrase = next((p for p in scam_phrases() if p in n.folded), None)
    if phrase:
        quoted = f"\u201c{phrase[:60]}\u201d"
        found.append(Signal("scam_phrase", 0.85, f"contains a phrase from known scam messages ({quoted})"))
    if len(n.urls) >= 3:
        found.append(Signal("many_links", 0.35, f"{len(n.urls)} links in one message"))
    if INVITE.search(n.text):
        found.append(Signal("invite_link", 0.3, "contains a server/group invite link"))
    mentions = len(_MENTION.findall(n.text))
    if _BROADCAST.search(n.text):
        found.append(Signal("broadcast_mention", 0.4, "tries to notify everyone (@everyone/@here)"))
    if mentions >= 5:
        found.append(Signal("mass_mention", 0.6, f"mentions {mentions} people"))
    if n.zero_width >= 2:
        found.append(Signal("hidden_characters", 0.45, f"hides {n.zero_width} invisible characters in the text"))
    if n.homoglyphs:
        found.append(Signal("look_alike_letters", 0.45, "mixes look-alike letters from other alphabets into words"))
    return found


@dataclass
class _Seen:
    at: float
    channel: str
    shingles: frozenset[str]


class BehaviourTracker:
    """Recent messages per author (bounded), for repetition, bursts and first messages."""

    def __init__(self) -> None:
        self._authors: OrderedDict[str, deque[_Seen]] = OrderedDict()
        self._known: set[str] = set()

    def observe(self, author: str, channel: str, n: Normalized, now: float | None = None,
                new_member: bool = False) -> list[Signal]:
        now = time.time() if now is None else now
        history = self._authors.setdefault(author, deque(maxlen=50))
        self._authors.move_to_end(author)
        while len(self._authors) > MAX_AUTHORS:
            evicted, _ = self._authors.popitem(last=False)
            self._known.discard(evicted)
        while history and now - history[0].at > WINDOW_S:
            history.popleft()
        shingles = _shingles(n.folded)
        found: list[Signal] = []
        similar = [h for h in history if shingles and _jaccard(shingles, h.shingles) >= 0.8]
        channels = {h.channel for h in similar} | {channel}
        if len(similar) >= 2:  # a third copy: people repeat themselves once, spam keeps going
            where = f" across {len(channels)} channels" if len(channels) > 1 else ""
            found.append(Signal("repeated", 0.55 if len(channels) > 1 else 0.4,
                                f"the same message {len(similar) + 1} times in 10 minutes{where}"))
        recent = [h for h in history if now - h.at <= BURST_WINDOW_S]
        if len(recent) + 1 >= BURST_COUNT:
            # fast typists send short lines in bursts too: weak on its own
            found.append(Signal("burst", 0.25, f"{len(recent) + 1} messages in {int(BURST_WINDOW_S)} seconds"))
        first = author not in self._known
        if first and n.urls and new_member:
            found.append(Signal("new_member_link", 0.35, "a new member's first message, with a link"))
        self._known.add(author)
        history.append(_Seen(now, channel, shingles))
        return found


def _shingles(text: str) -> frozenset[str]:
    words = text.split()
    if len(words) < 3:
        return frozenset(words) if len(text) >= 12 else frozenset()
    return frozenset(" ".join(words[i:i + 3]) for i in range(len(words) - 2))


def _jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0
