"""Each author's recent messages, for the spam behaviour signals (repeats, bursts, first messages).

An entry keeps when, where, and a compact fingerprint of the text: the smallest :data:`FINGERPRINT_K`
64-bit hashes of its word 3-grams (a bottom-k sketch). Shorter texts keep every hash, so their
resemblance is the exact Jaccard similarity of the 3-gram sets; longer ones get the standard bottom-k
estimate. In process memory the history is an LRU of authors; in Redis it is a capped list per
author and a "known author" key, both expiring, updated by one script (atomic, like a transaction, and
one command to send and one reply to read instead of eight), so every replica sees the messages the
others saw.
"""

from __future__ import annotations

import hashlib
import struct
from collections import OrderedDict, deque
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from redis.asyncio import Redis

WINDOW_S = 600.0  # how long a message counts as recent
KEEP = 50  # entries per author
MAX_AUTHORS = 50_000  # in process memory
KNOWN_TTL_S = 7 * 24 * 3600  # Redis: an author silent this long counts as unknown again
FINGERPRINT_K = 128
_HEAD = struct.Struct("!dH")


@dataclass(frozen=True, slots=True)
class Seen:
    at: float
    channel: str
    fingerprint: frozenset[int]


def fingerprint(shingles: Iterable[str]) -> frozenset[int]:
    hashes = sorted({int.from_bytes(hashlib.blake2b(s.encode(), digest_size=8).digest(), "big") for s in shingles})
    return frozenset(hashes[:FINGERPRINT_K])


def resemblance(a: frozenset[int], b: frozenset[int]) -> float:
    """Jaccard similarity of the texts behind two fingerprints (exact below :data:`FINGERPRINT_K` 3-grams)."""
    if not a or not b:
        return 0.0
    if len(a) < FINGERPRINT_K and len(b) < FINGERPRINT_K:
        return len(a & b) / len(a | b)
    union = sorted(a | b)[:FINGERPRINT_K]  # the bottom-k of the union, estimated from both sketches
    return sum(1 for h in union if h in a and h in b) / len(union)


class AuthorHistory(Protocol):
    async def record(self, author: str, seen: Seen, scope: str = "") -> tuple[list[Seen], bool]:
        """Add ``seen``; return the author's earlier entries still recent at ``seen.at`` (oldest first)
        and whether the author was known before in ``scope`` (a workspace; the entries are the
        author's everywhere, so a blast across workspaces still reads as repeated)."""
        ...

    async def forget(self, author: str, scope: str = "") -> None:
        """The author is not "known" in ``scope`` any more (a message of theirs was flagged as spam)."""
        ...

    async def close(self) -> None: ...


class MemoryAuthorHistory:
    def __init__(self, window_s: float = WINDOW_S, keep: int = KEEP, max_authors: int = MAX_AUTHORS) -> None:
        self.window_s = window_s
        self.keep = keep
        self.max_authors = max_authors
        self._authors: OrderedDict[str, deque[Seen]] = OrderedDict()
        self._known: dict[str, set[str]] = {}  # author -> the scopes they are known in

    def record_now(self, author: str, seen: Seen, scope: str = "") -> tuple[list[Seen], bool]:
        """:meth:`record` without awaiting (memory needs no I/O; the CLI and evaluation classify synchronously)."""
        history = self._authors.setdefault(author, deque(maxlen=self.keep))
        self._authors.move_to_end(author)
        while len(self._authors) > self.max_authors:
            evicted, _ = self._authors.popitem(last=False)
            self._known.pop(evicted, None)
        while history and seen.at - history[0].at > self.window_s:
            history.popleft()
        earlier = list(history)
        scopes = self._known.setdefault(author, set())
        known = scope in scopes
        scopes.add(scope)
        history.append(seen)
        return earlier, known

    async def record(self, author: str, seen: Seen, scope: str = "") -> tuple[list[Seen], bool]:
        return self.record_now(author, seen, scope)

    def forget_now(self, author: str, scope: str = "") -> None:
        self._known.get(author, set()).discard(scope)

    async def forget(self, author: str, scope: str = "") -> None:
        self.forget_now(author, scope)

    async def close(self) -> None:
        return None


# KEYS: the author's entries, the author's "known" flag; ARGV: the new entry, entries kept, window ms, known TTL s.
# Returns the entries before this one and 1 when the author was not known yet.
_RECORD = """
local earlier = redis.call('LRANGE', KEYS[1], 0, -1)
redis.call('RPUSH', KEYS[1], ARGV[1])
redis.call('LTRIM', KEYS[1], -tonumber(ARGV[2]), -1)
redis.call('PEXPIRE', KEYS[1], ARGV[3])
local created = redis.call('SET', KEYS[2], '1', 'NX', 'EX', ARGV[4])
redis.call('EXPIRE', KEYS[2], ARGV[4])
return {earlier, created and 1 or 0}
"""


class RedisAuthorHistory:
    def __init__(self, client: Redis, prefix: str, window_s: float = WINDOW_S, keep: int = KEEP,
                 known_ttl_s: int = KNOWN_TTL_S) -> None:
        self.client = client
        self.prefix = prefix
        self.window_s = window_s
        self.keep = keep
        self.known_ttl_s = known_ttl_s
        self._record = client.register_script(_RECORD)  # EVALSHA, and EVAL again after a Redis restart

    def _known_key(self, author: str, scope: str) -> str:
        return f"{self.prefix}spam:known:{scope}:{author}" if scope else f"{self.prefix}spam:known:{author}"

    async def record(self, author: str, seen: Seen, scope: str = "") -> tuple[list[Seen], bool]:
        entries, known = f"{self.prefix}spam:history:{author}", self._known_key(author, scope)
        raw, created = await self._record(keys=[entries, known], args=[encode(seen), self.keep,
                                                                       round(self.window_s * 1000), self.known_ttl_s])
        earlier = [s for s in map(decode, raw) if seen.at - s.at <= self.window_s]
        return earlier, not created

    async def forget(self, author: str, scope: str = "") -> None:
        await self.client.delete(self._known_key(author, scope))

    async def close(self) -> None:
        return None  # the client belongs to the state that opened it


def encode(seen: Seen) -> bytes:
    channel = seen.channel.encode()[:65535]
    hashes = sorted(seen.fingerprint)
    return _HEAD.pack(seen.at, len(channel)) + channel + struct.pack(f"!{len(hashes)}Q", *hashes)


def decode(raw: bytes) -> Seen:
    at, size = _HEAD.unpack_from(raw)
    start = _HEAD.size + size
    channel = raw[_HEAD.size:start].decode(errors="replace")
    count = (len(raw) - start) // 8
    return Seen(at, channel, frozenset(struct.unpack_from(f"!{count}Q", raw, start)))
