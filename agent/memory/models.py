"""Values stored in and read from channel memory."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class StoredMessage:
    """One message as remembered. ``thread`` is the thread root id; deleted messages keep no text."""

    channel_key: str
    id: str
    author_id: str
    author_name: str
    text: str
    created_at: datetime
    thread: str | None = None
    is_bot: bool = False
    edited_at: datetime | None = None
    deleted: bool = False
