"""Accepting a message: clean it, and in one transaction drop it as a duplicate or store it with the
answer it may be owed. Only then may a platform be told the event arrived (Slack's acknowledgement).

An answer may be owed to anything a person addresses to Confab or says in a thread (routing decides
later whether it really answers; it settles the record either way). The record carries the message
itself, so a process that restarts after a crash can resume the answer (see resume.py).
"""

from __future__ import annotations

import json
import time
from datetime import datetime
from typing import Any

from agent.storage.ports import PendingAnswer
from bot.events import Accepted, Attachment, Author, ChannelRef, IncomingMessage
from bot.text import clean_incoming, scrub


def accept_form(message: IncomingMessage) -> Accepted:
    """The message as the pipeline keeps it: scrubbed of lone surrogates, text cleaned (pure)."""
    message = scrub(message)
    return Accepted(message, clean_incoming(message.text), may_be_owed(message))


def may_be_owed(message: IncomingMessage) -> bool:
    if message.author.is_bot:
        return False
    return message.mentions_bot or message.is_direct or message.replies_to_bot or message.channel.thread is not None


def owed_record(accepted: Accepted) -> PendingAnswer:
    m = accepted.message
    return PendingAnswer(m.channel.key, m.id, to_payload(m, accepted.text), time.time())


def to_payload(message: IncomingMessage, text: str) -> str:
    """JSON of what answering needs again (no platform payload, no file contents)."""
    return json.dumps({
        "id": message.id, "text": text, "channel": list(channel_fields(message.channel)),
        "author": author_fields(message.author),
        "mentions_bot": message.mentions_bot, "is_direct": message.is_direct,
        "created_at": message.created_at.isoformat(), "mention_count": message.mention_count,
        "mentions_everyone": message.mentions_everyone, "replies_to_bot": message.replies_to_bot,
        "attachments": [_file(f) for f in message.attachments],
        "replied_files": [_file(f) for f in message.replied_files],
    }, ensure_ascii=False)


def from_payload(payload: str) -> IncomingMessage:
    """The message :func:`to_payload` wrote; raises ValueError (or KeyError/TypeError) on a damaged record."""
    data: dict[str, Any] = json.loads(payload)
    return IncomingMessage(
        id=str(data["id"]), channel=ChannelRef(*data["channel"]), author=author_from(data["author"]),
        text=str(data["text"]), mentions_bot=bool(data["mentions_bot"]), is_direct=bool(data["is_direct"]),
        created_at=datetime.fromisoformat(data["created_at"]), mention_count=int(data["mention_count"]),
        mentions_everyone=bool(data["mentions_everyone"]), replies_to_bot=bool(data["replies_to_bot"]),
        attachments=tuple(_attachment(f) for f in data["attachments"]),
        replied_files=tuple(_attachment(f) for f in data.get("replied_files", ())),
    )


def _file(f: Attachment) -> dict[str, Any]:
    return {"filename": f.filename, "mime": f.mime, "url": f.url, "size": f.size}


def _attachment(f: dict[str, Any]) -> Attachment:
    return Attachment(f["filename"], mime=f["mime"], url=f["url"], size=f.get("size"))


def channel_fields(channel: ChannelRef) -> tuple[str, str, str, str | None]:
    return channel.platform, channel.workspace, channel.channel, channel.thread


def author_fields(a: Author) -> dict[str, Any]:
    return {"id": a.id, "name": a.name, "is_bot": a.is_bot, "is_admin": a.is_admin, "roles": list(a.roles),
            "joined_at": a.joined_at.isoformat() if a.joined_at else None, "is_guest": a.is_guest}


def author_from(a: dict[str, Any]) -> Author:
    joined = a.get("joined_at")
    return Author(str(a["id"]), str(a["name"]), bool(a["is_bot"]), bool(a["is_admin"]), tuple(a["roles"]),
                  datetime.fromisoformat(joined) if joined else None, bool(a.get("is_guest", False)))
