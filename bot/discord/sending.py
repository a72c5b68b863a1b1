"""What every Discord send and edit carries: no pings, and files built from reply attachments.

Shared by the adapter's channel posts and the interaction follow-ups.
"""

from __future__ import annotations

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
