"""The spam screen's ports (split from :mod:`agent.storage.ports`, which re-exports them): flags, moderators'
corrections and exemptions (:class:`SpamStore`), and what the screen reads about an author
(:class:`AuthorRecord`), on its own or with the message's insert (:class:`AuthorAsk`, :class:`Intake`:
:meth:`agent.storage.ports.MessageStore.add_screened`, one round trip instead of two)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol, runtime_checkable

Verdict = Literal["ham", "spam"]


@dataclass(frozen=True, slots=True)
class SpamFlag:
    """A message Confab flagged or held, or a platform's own filter acted on."""

    channel_key: str
    message_id: str
    author_id: str
    text: str
    score: float
    reasons: tuple[str, ...]
    action: str


@dataclass(frozen=True, slots=True)
class FoundMessage:
    channel_key: str
    message_id: str
    author_id: str
    text: str
    flagged: bool
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class AuthorRecord:
    """What moderators said about an author: an exemption in this channel, and their verdicts
    (``(when, verdict)``) on the author's messages in the workspace; with it, the channel's own
    ``spam_policy`` setting (None when unset), so the spam screen needs one read per message."""

    exempt: bool
    verdicts: tuple[tuple[float, Verdict], ...]
    spam_policy: Any = None
    posted_before: bool = False  # their latest message in the workspace before ``before`` was not flagged


@runtime_checkable
class SpamStore(Protocol):
    """Spam flags, moderators' corrections (training examples) and the exemptions corrections grant."""

    async def record_flag(self, flag: SpamFlag, *, replace: bool) -> None:
        """Keep a flag; an existing flag of that message is replaced when ``replace``, else kept."""

    async def author_record(self, channel_key: str, author_id: str, now: float, since: float,
                            before: float | None = None) -> AuthorRecord:
        """The author's exemption in the channel (unexpired at ``now``), verdicts since ``since``, the
        channel's ``spam_policy`` setting (as :meth:`ChannelSettings.get` would return it) and, with
        ``before``, whether they posted in the workspace before then, unflagged: in one read."""

    async def watched_before(self, channel_key: str, when: float) -> bool:
        """Does the store hold a message of the channel's workspace from before ``when``?"""

    async def find_flagged(self, channel_key: str, message_ids: Sequence[str]) -> list[FoundMessage]:
        """Flags of those message ids in the channel's workspace, newest first."""

    async def find_remembered(self, channel_key: str, message_ids: Sequence[str]) -> list[FoundMessage]:
        """People's (not the bot's) remembered messages with those ids in the workspace, newest first."""

    async def correct(self, message: FoundMessage, verdict: Verdict, by: str, now: float,
                      exempt_until: float | None = None) -> None:
        """All or nothing: keep the verdict (replacing an earlier one on that message); ``ham`` clears the
        message's flag and, with ``exempt_until``, exempts its author in that channel until then; ``spam``
        revokes the author's exemptions in the whole workspace."""

    async def stats(self, channel_key: str) -> tuple[int, int, int]:
        """(flags, ``ham`` verdicts, ``spam`` verdicts) in a channel."""

    async def training_examples(self) -> list[tuple[str, Verdict]]:
        """Every verdict with its message's text, in every channel: what a retrained spam model learns from."""



@dataclass(frozen=True, slots=True)
class AuthorAsk:
    """What :meth:`SpamStore.author_record` is asked about an author (its arguments beside the channel)."""

    author_id: str
    now: float
    since: float
    before: float | None = None


@dataclass(frozen=True, slots=True)
class Intake:
    """What :meth:`~agent.storage.ports.MessageStore.add_screened` did: ``stored`` (False: a redelivery, or
    ``held``), ``held`` (the channel's ``unless_on`` setting is "on": nothing was written) and, when stored, the
    author's record as read right after the insert."""

    stored: bool
    held: bool = False
    record: AuthorRecord | None = None
