"""Spam flags, moderators' corrections and what corrections grant: the policy over the
:class:`~agent.storage.ports.SpamStore` port.

- flags: one per flagged or held message (Confab's own, or a platform filter's).
- corrections: a moderator's verdict on a message, ``ham`` (``/spam not-spam``) or ``spam``
  (``/spam spam``). They are training examples: ``python -m agent.classify.train … --corrections
  data/confab.db`` (or the PostgreSQL URL) adds them to the next model (:meth:`SpamStore.training_examples`).
- exemptions: a ``ham`` verdict exempts its author from the soft evidence (text model,
  repetition, bursts, links …) in that one channel until it expires (the channel setting
  ``spam_exempt_days``, 30 days by default). A later ``spam`` verdict on any of that author's
  messages in the workspace revokes their exemptions, and ``/forget`` erases the channel's (it clears
  every table keyed by channel). Known phishing domains and scam phrases are never exempted.

"Posted here before" is read from the store too (the author's latest earlier message in the workspace, not
flagged), so an author's standing survives restarts and is the same on every replica; and whether Confab
has watched the workspace for :data:`WATCH_DAYS` yet: before that, no history is no evidence
(:mod:`agent.classify.standing`).

An author's risk: each ``ham`` verdict on their messages in the workspace since their last ``spam``
verdict (within :data:`TRUST_WINDOW_DAYS`) lowers their soft evidence by :data:`TRUST_STEP`, at most
:data:`TRUST_MAX`, so a hijacked account's blatant spam still scores as spam; a ``spam`` verdict in
the last :data:`EXEMPT_DAYS` days adds a signal instead.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from agent.classify.signals import Signal
from agent.storage.ports import AuthorAsk, AuthorRecord, FoundMessage, SpamFlag, SpamStore

EXEMPT_DAYS = 30  # default lifetime of an exemption (channel setting ``spam_exempt_days``)
TRUST_STEP = 0.15  # each "not spam" verdict lowers the author's soft evidence by this much …
TRUST_MAX = 0.3  # … at most: a text-model 0.99 still scores 0.69 (spam at the default 0.5 threshold)
TRUST_WINDOW_DAYS = 90
SPAMMED_WEIGHT = 0.3
DAY_S = 86400.0
WATCH_DAYS = 14  # Confab has seen a workspace this long: a member with no messages in it is news
EARLIER_S = 60.0  # "posted before": a message at least this much older than the one screened
UNWATCHED_RECHECK_S = 600.0  # how long "not watched long enough yet" is believed before asking again


@dataclass(frozen=True, slots=True)
class Standing:
    """What moderators' corrections say about one author in one channel, and the channel's own
    ``spam_policy`` setting (None when unset), read with them."""

    exempt: bool = False
    discount: float = 0.0
    extra: tuple[Signal, ...] = ()
    policy: Any = None
    posted_before: bool = False  # the author's latest earlier message in the workspace was not flagged
    new_here: bool = False  # Confab has watched the workspace for less than WATCH_DAYS


def asking(author_id: str, now: float) -> AuthorAsk:
    """What :meth:`SpamLedger.standing` reads about an author at ``now`` (so the read can ride on the insert:
    :meth:`agent.storage.ports.MessageStore.add_screened`)."""
    return AuthorAsk(author_id, now, now - TRUST_WINDOW_DAYS * DAY_S, before=now - EARLIER_S)


@dataclass(frozen=True, slots=True)
class ReadWith:
    """The author's record read with the message's insert, and what it was asked."""

    ask: AuthorAsk
    record: AuthorRecord


class SpamLedger:
    def __init__(self, store: SpamStore) -> None:
        self.store = store
        self._watched: dict[str, float] = {}  # workspace -> until when "not watched long enough" holds (inf: never)

    async def record_flag(self, channel_key: str, message_id: str, author_id: str, text: str, score: float,
                          reasons: Sequence[str], action: str, *, replace: bool = True) -> None:
        """Keep a flag; a re-flag (an edit) replaces Confab's own, a platform's (``replace=False``) never does."""
        await self.store.record_flag(SpamFlag(channel_key, message_id, author_id, text, score, tuple(reasons),
                                              action), replace=replace)

    async def standing(self, channel_key: str, author_id: str, now: float | None = None,
                       read: ReadWith | None = None) -> Standing:
        """``read``: the author's record as read with the message's insert (no read here then), at its ``now``."""
        if read is not None:
            now, record = read.ask.now, read.record
        else:
            ask = asking(author_id, time.time() if now is None else now)
            now = ask.now
            record = await self.store.author_record(channel_key, author_id, now, ask.since, before=ask.before)
        verdicts = sorted(record.verdicts)
        last_spam = max((at for at, kind in verdicts if kind == "spam"), default=None)
        hams = sum(1 for at, kind in verdicts if kind == "ham" and (last_spam is None or at > last_spam))
        extra: tuple[Signal, ...] = ()
        if last_spam is not None and now - last_spam < EXEMPT_DAYS * DAY_S:
            extra = (Signal("moderator_marked_spam", SPAMMED_WEIGHT,
                            "a moderator marked this author's message as spam recently"),)
        discount = 1.0 if record.exempt else min(TRUST_MAX, TRUST_STEP * hams)
        return Standing(record.exempt, discount, extra, record.spam_policy, record.posted_before,
                        await self._new_here(channel_key, now))

    async def _new_here(self, channel_key: str, now: float) -> bool:
        """Has Confab watched this channel's workspace for less than WATCH_DAYS? Once it has, that is
        remembered; until then the answer is asked again every UNWATCHED_RECHECK_S (one indexed read)."""
        workspace = channel_key.rsplit(":", 1)[0]
        until = self._watched.get(workspace)
        if until == float("inf"):
            return False
        if until is not None and now < until:
            return True
        if await self.store.watched_before(channel_key, now - WATCH_DAYS * DAY_S):
            self._watched[workspace] = float("inf")
            return False
        self._watched[workspace] = now + UNWATCHED_RECHECK_S
        return True

    async def find(self, channel_key: str, message_ids: Sequence[str], prefer: Sequence[str] = ()
                   ) -> FoundMessage | None:
        """A flagged (else a remembered) message with one of ``message_ids`` in ``channel_key``'s workspace;
        channels in ``prefer`` win, then the newest."""
        ids = [i for i in dict.fromkeys(message_ids) if i][:5]
        if not ids:
            return None
        found = await self.store.find_flagged(channel_key, ids)
        if not found:
            found = await self.store.find_remembered(channel_key, ids)
        order = list(prefer)
        found.sort(key=lambda f: order.index(f.channel_key) if f.channel_key in order else len(order))
        return found[0] if found else None

    async def correct(self, message: FoundMessage, verdict: Literal["ham", "spam"], by: str,
                      exempt_days: float = EXEMPT_DAYS) -> None:
        """Store the verdict (a training example); ``ham`` clears the flag and exempts the author in that
        channel for ``exempt_days``; ``spam`` revokes the author's exemptions in the whole workspace."""
        now = time.time()
        until = now + exempt_days * DAY_S if verdict == "ham" and exempt_days > 0 else None
        await self.store.correct(message, verdict, by, now, until)

    async def stats(self, channel_key: str) -> tuple[int, int, int]:
        """(flagged, corrected as not spam, corrected as missed spam) in a channel."""
        return await self.store.stats(channel_key)


__all__ = ["DAY_S", "EXEMPT_DAYS", "FoundMessage", "ReadWith", "SpamLedger", "Standing", "asking"]
