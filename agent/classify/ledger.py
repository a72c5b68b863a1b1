"""Spam flags, moderators' corrections and what corrections grant, kept in the memory database.

- ``spam_flags``: one row per flagged or held message (Confab's own, or a platform filter's).
- ``spam_corrections``: a moderator's verdict on a message, ``ham`` (``/spam not-spam``) or ``spam``
  (``/spam spam``). They are training examples: ``python -m agent.classify.train … --corrections
  data/confab.db`` adds them to the next model (:func:`agent.classify.train.read_corrections`).
- ``spam_exemptions``: a ``ham`` verdict exempts its author from the soft evidence (text model,
  repetition, bursts, links …) in that one channel until it expires (the channel setting
  ``spam_exempt_days``, 30 days by default). A later ``spam`` verdict on any of that author's
  messages in the workspace revokes their exemptions, and ``/forget`` erases the channel's (it clears
  every table keyed by channel). Known phishing domains and scam phrases are never exempted.

An author's risk: each ``ham`` verdict on their messages in the workspace since their last ``spam``
verdict (within :data:`TRUST_WINDOW_DAYS`) lowers their soft evidence by :data:`TRUST_STEP`, at most
:data:`TRUST_MAX`, so a hijacked account's blatant spam still scores as spam; a ``spam`` verdict in
the last :data:`EXEMPT_DAYS` days adds a signal instead.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from agent.classify.signals import Signal

if TYPE_CHECKING:
    from agent.memory.store import MemoryStore

EXEMPT_DAYS = 30  # default lifetime of an exemption (channel setting ``spam_exempt_days``)
TRUST_STEP = 0.15  # each "not spam" verdict lowers the author's soft evidence by this much …
TRUST_MAX = 0.3  # … at most: a text-model 0.99 still scores 0.69 (spam at the default 0.5 threshold)
TRUST_WINDOW_DAYS = 90
SPAMMED_WEIGHT = 0.3
DAY_S = 86400.0


@dataclass(frozen=True, slots=True)
class Standing:
    """What moderators' corrections say about one author in one channel."""

    exempt: bool = False
    discount: float = 0.0
    extra: tuple[Signal, ...] = ()


@dataclass(frozen=True, slots=True)
class FoundMessage:
    channel_key: str
    message_id: str
    author_id: str
    text: str
    flagged: bool
    reasons: tuple[str, ...] = ()


def workspace_range(channel_key: str) -> tuple[str, str]:
    """Bounds of every channel key of the same platform and workspace (``slack:T1:`` .. ``slack:T1;``)."""
    platform, workspace, _ = channel_key.split(":", 2)
    prefix = f"{platform}:{workspace}:"
    return prefix, prefix[:-1] + ";"


class SpamLedger:
    def __init__(self, store: MemoryStore) -> None:
        self.store = store

    async def record_flag(self, on_conflict: Literal["REPLACE", "IGNORE"], channel_key: str, message_id: str,
                          author_id: str, text: str, score: float, reasons: Sequence[str], action: str) -> None:
        """A row of ``spam_flags``; a re-flag (an edit) replaces Confab's own row, a platform's never does."""
        await self.store.write(  # on_conflict is one of two literals, never input
            f"INSERT OR {on_conflict} INTO spam_flags (channel_key, message_id, author_id, text, score, reasons, "  # noqa: S608
            "action, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (channel_key, message_id, author_id, text[:4000], score, json.dumps(list(reasons)), action, time.time()))

    async def standing(self, channel_key: str, author_id: str, now: float | None = None) -> Standing:
        now = time.time() if now is None else now
        low, high = workspace_range(channel_key)
        rows = await self.store.fetch(
            "SELECT 'exempt', expires_at FROM spam_exemptions WHERE channel_key = ? AND author_id = ? "
            "AND expires_at > ? UNION ALL SELECT verdict, created_at FROM spam_corrections WHERE author_id = ? "
            "AND channel_key >= ? AND channel_key < ? AND created_at > ?",
            (channel_key, author_id, now, author_id, low, high, now - TRUST_WINDOW_DAYS * DAY_S))
        exempt = any(kind == "exempt" for kind, _ in rows)
        verdicts = sorted((float(at), str(kind)) for kind, at in rows if kind != "exempt")
        last_spam = max((at for at, kind in verdicts if kind == "spam"), default=None)
        hams = sum(1 for at, kind in verdicts if kind == "ham" and (last_spam is None or at > last_spam))
        extra: tuple[Signal, ...] = ()
        if last_spam is not None and now - last_spam < EXEMPT_DAYS * DAY_S:
            extra = (Signal("moderator_marked_spam", SPAMMED_WEIGHT,
                            "a moderator marked this author's message as spam recently"),)
        discount = 1.0 if exempt else min(TRUST_MAX, TRUST_STEP * hams)
        return Standing(exempt, discount, extra)

    async def find(self, channel_key: str, message_ids: Sequence[str], prefer: Sequence[str] = ()
                   ) -> FoundMessage | None:
        """A flagged (else a remembered) message with one of ``message_ids`` in ``channel_key``'s workspace;
        channels in ``prefer`` win, then the newest."""
        ids = [i for i in dict.fromkeys(message_ids) if i][:5]
        if not ids:
            return None
        low, high = workspace_range(channel_key)
        marks = ", ".join("?" * len(ids))
        flags = await self.store.fetch(
            f"SELECT channel_key, message_id, author_id, text, reasons, created_at FROM spam_flags "  # noqa: S608
            f"WHERE message_id IN ({marks}) AND channel_key >= ? AND channel_key < ?", (*ids, low, high))
        found = [FoundMessage(str(k), str(m), str(a), str(t), True, tuple(json.loads(str(r)))) for k, m, a, t, r, _
                 in sorted(flags, key=lambda row: -float(row[5]))]
        if not found:
            rows = await self.store.fetch(
                f"SELECT channel_key, id, author_id, text, created_at FROM messages "  # noqa: S608
                f"WHERE id IN ({marks}) AND channel_key >= ? AND channel_key < ? AND is_bot = 0",
                (*ids, low, high))
            found = [FoundMessage(str(k), str(m), str(a), str(t), False) for k, m, a, t, _
                     in sorted(rows, key=lambda row: -float(row[4]))]
        order = list(prefer)
        found.sort(key=lambda f: order.index(f.channel_key) if f.channel_key in order else len(order))
        return found[0] if found else None

    async def correct(self, message: FoundMessage, verdict: Literal["ham", "spam"], by: str,
                      exempt_days: float = EXEMPT_DAYS) -> None:
        """Store the verdict (a training example); ``ham`` clears the flag and exempts the author in that
        channel for ``exempt_days``; ``spam`` revokes the author's exemptions in the whole workspace."""
        now = time.time()
        statements: list[tuple[str, Sequence[Any]]] = [(
            "INSERT OR REPLACE INTO spam_corrections (channel_key, message_id, author_id, text, verdict, "
            "corrected_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (message.channel_key, message.message_id, message.author_id, message.text[:4000], verdict, by, now))]
        if verdict == "ham":
            statements.append(("DELETE FROM spam_flags WHERE channel_key = ? AND message_id = ?",
                               (message.channel_key, message.message_id)))
            if exempt_days > 0:
                statements.append((
                    "INSERT INTO spam_exemptions (channel_key, author_id, message_id, added_by, created_at, "
                    "expires_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (channel_key, author_id) DO UPDATE SET "
                    "message_id = excluded.message_id, added_by = excluded.added_by, "
                    "created_at = excluded.created_at, expires_at = excluded.expires_at",
                    (message.channel_key, message.author_id, message.message_id, by, now,
                     now + exempt_days * DAY_S)))
        else:
            low, high = workspace_range(message.channel_key)
            statements.append(("DELETE FROM spam_exemptions WHERE author_id = ? AND channel_key >= ? "
                               "AND channel_key < ?", (message.author_id, low, high)))
        await self.store.write_together(statements)

    async def stats(self, channel_key: str) -> tuple[int, int, int]:
        """(flagged, corrected as not spam, corrected as missed spam) in a channel."""
        rows = await self.store.fetch(
            "SELECT 'flags', COUNT(*) FROM spam_flags WHERE channel_key = ? UNION ALL "
            "SELECT verdict, COUNT(*) FROM spam_corrections WHERE channel_key = ? GROUP BY verdict",
            (channel_key, channel_key))
        counts = {str(k): int(v) for k, v in rows}
        return counts.get("flags", 0), counts.get("ham", 0), counts.get("spam", 0)
