"""What agent tools may use of a platform, as plain callables: its message history and message links.

Tools live in ``agent`` and never see an adapter; the pipeline and commands hand them these instead.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from agent.context import TurnContext, ViewedLookup
from agent.memory.models import StoredMessage
from agent.progress import Progress
from agent.recall.access import ChannelAccess
from bot.adapter import Adapter, TurnProgress
from bot.events import Author, ChannelRef, IncomingMessage
from bot.text import clean_incoming

log = logging.getLogger(__name__)

STORE_MAX_CHARS = 200_000  # longer messages are stored cut at this length

HistoryFetcher = Callable[[datetime | None, int], Awaitable[list[StoredMessage]]]
MessageLinker = Callable[[str], str | None]  # message id -> permalink, else the label the platform shows ("[12]")


def to_stored(message: IncomingMessage, text: str) -> StoredMessage:
    return StoredMessage(
        channel_key=message.channel.key, id=message.id, author_id=message.author.id,
        author_name=message.author.name, text=text[:STORE_MAX_CHARS], created_at=message.created_at,
        thread=message.channel.thread, is_bot=message.author.is_bot,
    )


def history_fetcher(adapter: Adapter | None, channel: ChannelRef) -> HistoryFetcher | None:
    """Reads the platform's history (through the adapter) as stored messages; None without history."""
    if adapter is None or not adapter.capabilities.history:
        return None

    async def fetch(since: datetime | None, limit: int) -> list[StoredMessage]:
        found = await adapter.fetch_history(channel, since, limit)
        return [to_stored(m, clean_incoming(m.text)) for m in found]

    return fetch


def message_linker(adapter: Adapter | None, channel: ChannelRef) -> MessageLinker | None:
    """Permalinks to messages in ``channel`` where the adapter can make them; where it has none, the label
    the platform shows a message under (the console's ``[12]``, from an optional ``message_label``); None
    otherwise."""
    make = getattr(adapter, "message_link", None)
    label = getattr(adapter, "message_label", None)
    if make is None and label is None:
        return None

    def link(message_id: str) -> str | None:
        try:
            url = make(channel, message_id) if make is not None else None
            if not isinstance(url, str) and label is not None:
                url = label(channel, message_id)
        except Exception:
            log.exception("building a message link failed")
            return None
        return url if isinstance(url, str) else None

    return link


def turn_progress(adapter: Adapter | None, channel: ChannelRef, reply_to: str) -> TurnProgress | None:
    """What the adapter shows while the turn answering ``reply_to`` runs (``progress``, optional), if anything."""
    make = getattr(adapter, "progress", None)
    if make is None:
        return None
    try:
        shown: TurnProgress | None = make(channel, reply_to)
    except Exception:  # progress is a nicety: the answer goes on without it
        log.exception("starting to show progress failed")
        return None
    return shown


async def end_progress(progress: TurnProgress | None) -> None:
    if progress is None:
        return
    try:
        await progress.end()
    except Exception:
        log.exception("clearing progress failed")


def recall_access(adapter: Adapter | None, author: Author, here: ChannelRef) -> ChannelAccess | None:
    """The asker's conversation-search access check on the adapter's platform (its optional ``recall_access``,
    bot/recall_access.py); None, which refuses every channel, where there is none or making it fails."""
    access: ChannelAccess | None = _optional(adapter, "recall_access", "making the conversation search access "
                                             "check failed", author, here)
    return access


def _optional(adapter: Adapter | None, method: str, failure: str, *args: object) -> Any:
    """What the adapter's optional ``method`` makes of ``args``: None where it has none or making it fails
    (logged as ``failure``), so a platform feature that can't be set up is off, not an error for the turn."""
    make = getattr(adapter, method, None)
    if make is None:
        return None
    try:
        return make(*args)
    except Exception:
        log.exception(failure)
        return None


def turn_context(adapter: Adapter | None, channel: ChannelRef, author: Author,
                 progress: Progress | None = None, message_id: str | None = None) -> TurnContext:
    """What an agent turn in ``channel`` for ``author`` may know and use of the platform; ``message_id``: the
    message it answers, when there is one."""
    return TurnContext(
        channel_key=channel.key, platform=channel.platform, author_id=author.id, author_name=author.name,
        thread=channel.thread, is_admin=author.is_admin, message_id=message_id,
        fetch_history=history_fetcher(adapter, channel), message_link=message_linker(adapter, channel),
        progress=progress, viewed=viewed_lookup(adapter, channel, author),
        recall_access=recall_access(adapter, author, channel),
    )


def viewed_lookup(adapter: Adapter | None, channel: ChannelRef, author: Author) -> ViewedLookup | None:
    """The channel ``author`` is viewing beside ``channel`` (a side pane: the adapter's optional ``viewing``),
    looked up and access-checked only when a tool needs it; None where there is no such pane."""
    lookup: ViewedLookup | None = _optional(adapter, "viewing", "looking for a viewed channel failed", channel, author)
    return lookup
