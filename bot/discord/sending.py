"""What every Discord send and edit carries: no pings, and files built from reply attachments.

Shared by the adapter's channel posts and the interaction follow-ups.
"""

from __future__ import annotations

import hashlib
import io

import discord

from bot.discord.format import format_reply
from bot.events import Attachment, Reply

NO_PINGS = discord.AllowedMentions.none()


def files_for(attachments: tuple[Attachment, ...]) -> list[discord.File]:
    return [discord.File(io.BytesIO(a.data), filename=a.filename, description=a.alt_text[:1000] or None)
            for a in attachments if a.data]


def chunks_of(reply: Reply) -> list[str]:
    """The reply's text in messages under Discord's limit; one empty message when it only carries files."""
    return format_reply(reply.text) or ([""] if reply.attachments else [])


NONCE_CHARS = 25  # Discord's limit for a message nonce


def nonce_for(source: str | None, part: int) -> str | None:
    """The nonce of part ``part`` of the reply to ``source``. discord.py sends it with ``enforce_nonce``, so
    Discord answers a repeat within its window (a few minutes) with the message already created instead of
    a second one: an answer resent after a crash or by a job run twice is not posted twice."""
    if source is None:
        return None
    return hashlib.sha256(f"{source}#{part}".encode()).hexdigest()[:NONCE_CHARS]
