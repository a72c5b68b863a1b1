"""Platform-neutral values that adapters produce and consume.

Adapters turn Discord/Slack/console payloads into these frozen dataclasses (pure code in each
adapter's ``convert.py``) and turn :class:`Reply` back into platform calls. Nothing here imports a
platform SDK.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from agent.layout import Layout

if TYPE_CHECKING:
    from agent.classify.ledger import ReadWith


@dataclass(frozen=True, slots=True)
class ChannelRef:
    """Where a message lives. ``thread`` is the thread's root id (None for the channel itself)."""

    platform: str
    workspace: str
    channel: str
    thread: str | None = None

    @property
    def key(self) -> str:
        """Stable memory key of the channel (threads share their channel's key)."""
        return f"{self.platform}:{self.workspace}:{self.channel}"

    def in_thread(self, thread: str | None) -> ChannelRef:
        return ChannelRef(self.platform, self.workspace, self.channel, thread)


@dataclass(frozen=True, slots=True)
class Author:
    id: str
    name: str
    is_bot: bool = False
    is_admin: bool = False
    roles: tuple[str, ...] = ()
    joined_at: datetime | None = None
    is_guest: bool = False  # Slack: a guest (restricted) account; spam screening gives it no standing


@dataclass(frozen=True, slots=True)
class Attachment:
    """A file to post (generated image) or one that came with a message."""

    filename: str
    data: bytes = b""
    mime: str = "application/octet-stream"
    alt_text: str = ""
    url: str | None = None  # where an incoming file is fetched from (bot.adapter.Adapter.fetch_file)
    size: int | None = None  # bytes, as the platform declares it


@dataclass(frozen=True, slots=True)
class IncomingMessage:
    id: str
    channel: ChannelRef
    author: Author
    text: str
    mentions_bot: bool = False
    is_direct: bool = False
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    attachments: tuple[Attachment, ...] = ()
    mention_count: int = 0
    mentions_everyone: bool = False
    raw: Any = field(default=None, compare=False, repr=False)
    # a platform reply to one of the bot's own messages (Discord's "Reply"): the conversation goes on,
    # like a followed thread, so small talk there gets no answer; an explicit mention is ``mentions_bot``
    replies_to_bot: bool = False
    # the files of the message this one replies to (Discord's "Reply", in the same channel): what "summarize
    # this" means in a reply to a file; an answer reads them when the message carries none of its own
    replied_files: tuple[Attachment, ...] = ()


@dataclass(frozen=True, slots=True)
class Accepted:
    """A message the pipeline has stored (:meth:`bot.pipeline.Pipeline.accept`), on its way to an answer;
    ``owed`` when an answer may be due (then it is recorded until given, and survives a restart)."""

    message: IncomingMessage  # scrubbed
    text: str  # cleaned, as stored
    owed: bool
    read: ReadWith | None = None  # the author's record for the spam screen, read with the message's insert


@dataclass(frozen=True, slots=True)
class MessageEdit:
    id: str
    channel: ChannelRef
    author: Author
    text: str
    edited_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    raw: Any = field(default=None, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class MessageDelete:
    id: str
    channel: ChannelRef
    deleted_at: datetime = field(default_factory=lambda: datetime.now(UTC))


@dataclass(frozen=True, slots=True)
class PlatformFlag:
    """A platform's own filter acted on a message (Discord AutoMod): kept with Confab's spam flags."""

    channel: ChannelRef
    message_id: str
    author_id: str
    text: str
    reason: str
    action: str


@dataclass(frozen=True, slots=True)
class Rated:
    """An agent answer people can rate (👍/👎 under it): what it answered, its sources and the model that wrote it.
    ``key`` is set by the outbox for a reply whose platform id may stay unknown (a private one): its buttons carry
    it instead."""

    question: str
    citations: tuple[str, ...] = ()
    model: str = ""
    key: str | None = None


@dataclass(frozen=True, slots=True)
class Vote:
    """A person's 👍/👎 on an answer: ``answer`` is the rated message's id (or the key its buttons carry);
    ``value`` is as it arrived (the pipeline checks it is ``up`` or ``down``); ``voter`` is who the platform says
    clicked."""

    channel: ChannelRef
    answer: str
    voter: Author
    value: str


@dataclass(frozen=True, slots=True)
class Reaction:
    """A person added an emoji reaction to a message (the help-channel opt-out, bot/pipeline/helpdesk.py).
    ``emoji`` is the character (Discord, console) or Slack's name without colons (``x``)."""

    channel: ChannelRef
    message_id: str
    emoji: str
    user: Author


@dataclass(frozen=True, slots=True)
class Poll:
    """A vote to open with a reply (the top ideas of a brainstorm), where the platform has native polls
    (Discord); an adapter without them ignores it (the reply's text is the same)."""

    question: str
    options: tuple[str, ...]
    hours: int = 24


@dataclass(frozen=True, slots=True)
class Reply:
    """Something the bot says. ``reply_to`` is the message id to answer (Discord reference, or
    the thread root on Slack); ``ephemeral`` asks for a private answer where the platform has one."""

    channel: ChannelRef
    text: str
    attachments: tuple[Attachment, ...] = ()
    ephemeral: bool = False
    reply_to: str | None = None
    user_id: str | None = None  # who sees an ephemeral reply
    # what this reply answers, the same on every attempt (e.g. ``answer:<channel key>:<message id>``): the
    # reply ledger's key, and the platform copy carries it (Slack metadata, a Discord nonce)
    source: str | None = None
    resend: bool = False  # set by the outbox when an earlier attempt may have posted it: look before posting
    rated: Rated | None = None  # an agent answer: 👍/👎 under it, and recorded for feedback when sent
    # ``text``'s structure (a summary, a wrap-up): an adapter with richer messages may show it instead of ``text``
    layout: Layout | None = None
    poll: Poll | None = None  # a vote to open after the reply, where the platform has polls
    # the one ping Confab ever means: a channel's configured helper group (a Slack user group's or a Discord
    # role's id), put before the text by the adapter in the platform's syntax; the outbox checks it (bot/pings.py)
    mention_group: str | None = None


@dataclass(frozen=True, slots=True)
class Command:
    """A slash command or a message shortcut. ``target`` is the message id a shortcut points at."""

    name: str
    args: str
    channel: ChannelRef
    author: Author
    target: str | None = None
    id: str | None = None
    raw: Any = field(default=None, compare=False, repr=False)
    target_at: datetime | None = None  # when the ``target`` message was posted, where the platform says
    is_direct: bool = False  # sent in a direct message with the bot (its one person owns that conversation)
    as_message: bool = False  # sent as a message ("@confab /brainstorm …"): ``id`` is that message's


@dataclass(frozen=True, slots=True)
class SentRef:
    channel: ChannelRef
    message_id: str
