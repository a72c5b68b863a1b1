"""Conversion of discord.py objects and raw gateway payloads into :mod:`bot.events` values.

Pure: nothing here does I/O. Text fields of every value returned are scrubbed of lone surrogates
(:func:`bot.text.scrub`). Threads are channels on Discord; a thread's messages are keyed under
its parent channel (``ChannelRef.thread`` is the thread's id, which for a thread started from a
message is that message's id), so memory and summaries see a thread as part of its channel.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

import discord

from bot.events import Attachment, Author, ChannelRef, IncomingMessage, MessageDelete, MessageEdit, Reaction
from bot.text import scrub

PLATFORM = "discord"
DM_WORKSPACE = "@me"
DISCORD_EPOCH_MS = 1420070400000

# message types that are people talking; joins, pins, boosts, thread notices … are not
CONVERSATION_TYPES = frozenset({discord.MessageType.default, discord.MessageType.reply})
_USER = re.compile(r"<@!?(\d{1,20})>")
_ROLE = re.compile(r"<@&(\d{1,20})>")
_CHANNEL = re.compile(r"<#(\d{1,20})>")
_EMOJI = re.compile(r"<a?:(\w{1,32}):\d{1,20}>")

Names = Mapping[int, str]


def snowflake_time(snowflake: str | int) -> datetime:
    """When a Discord id was created (ids embed their timestamp)."""
    try:
        return datetime.fromtimestamp(((int(snowflake) >> 22) + DISCORD_EPOCH_MS) / 1000, UTC)
    except (TypeError, ValueError, OverflowError):
        return datetime.now(UTC)


def channel_ref(channel_id: int, guild_id: int | None, parent_id: int | None = None) -> ChannelRef:
    """``parent_id`` is set when ``channel_id`` is a thread."""
    workspace = str(guild_id) if guild_id else DM_WORKSPACE
    if parent_id:
        return ChannelRef(PLATFORM, workspace, str(parent_id), str(channel_id))
    return ChannelRef(PLATFORM, workspace, str(channel_id))


def ref_of(channel: Any) -> ChannelRef:
    """The ChannelRef of a discord.py channel (text channel, thread, DM, voice chat …)."""
    guild = getattr(channel, "guild", None)
    parent = channel.parent_id if isinstance(channel, discord.Thread) else None
    return channel_ref(channel.id, guild.id if guild is not None else None, parent)


def plain_text(content: str, bot_user_id: int | None, bot_name: str, users: Names | None = None,
               roles: Names | None = None, channels: Names | None = None) -> str:
    """Discord's wire text to what a person sees: ``<@BOT>`` -> ``@confab``, other ids -> names."""
    if not content:
        return ""
    users, roles, channels = users or {}, roles or {}, channels or {}

    def user(match: re.Match[str]) -> str:
        uid = int(match.group(1))
        return f"@{bot_name}" if uid == bot_user_id else f"@{users.get(uid, match.group(1))}"

    text = _USER.sub(user, content)
    text = _ROLE.sub(lambda m: f"@{roles.get(int(m.group(1)), 'role')}", text)
    text = _CHANNEL.sub(lambda m: f"#{channels.get(int(m.group(1)), m.group(1))}", text)
    return _EMOJI.sub(lambda m: f":{m.group(1)}:", text)


def author_of(user: Any) -> Author:
    """A Member (in a guild) carries roles, permissions and the join date; a User (DMs) does not."""
    permissions = getattr(user, "guild_permissions", None)
    is_admin = bool(permissions is not None and (permissions.administrator or permissions.manage_guild))
    roles = tuple(r.name for r in getattr(user, "roles", ()) if not r.is_default())
    return scrub(Author(id=str(user.id), name=getattr(user, "display_name", None) or user.name, is_bot=bool(user.bot),
                        is_admin=is_admin, roles=roles, joined_at=getattr(user, "joined_at", None)))


def mentions_bot(message: discord.Message, bot_user_id: int) -> bool:
    """A mention of the bot or of its managed role."""
    if any(u.id == bot_user_id for u in message.mentions):
        return True
    return any(r.tags is not None and r.tags.bot_id == bot_user_id for r in message.role_mentions)


def replies_to_bot(message: discord.Message, bot_user_id: int) -> bool:
    """A reply to one of the bot's messages (Discord shows who it answers; no mention needed)."""
    replied = message.reference.resolved if message.reference is not None else None
    return isinstance(replied, discord.Message) and replied.author.id == bot_user_id


def message_to_event(message: discord.Message, bot_user_id: int, bot_name: str) -> IncomingMessage | None:
    """None for what is not conversation (system messages) and for the bot's own messages."""
    if message.type not in CONVERSATION_TYPES or message.author.id == bot_user_id:
        return None
    users = {u.id: getattr(u, "display_name", u.name) for u in message.mentions}
    roles = {r.id: r.name for r in message.role_mentions}
    channels = {c.id: c.name for c in message.channel_mentions}
    text = plain_text(message.content, bot_user_id, bot_name, users, roles, channels)
    files = attachments_of(message)
    replied = message.reference.resolved if message.reference is not None else None
    replied_files = attachments_of(replied) if isinstance(replied, discord.Message) and \
        replied.channel.id == message.channel.id else ()
    return scrub(IncomingMessage(
        id=str(message.id), channel=ref_of(message.channel), author=author_of(message.author), text=text,
        mentions_bot=mentions_bot(message, bot_user_id), replies_to_bot=replies_to_bot(message, bot_user_id),
        is_direct=message.guild is None,
        created_at=message.created_at, attachments=files, replied_files=replied_files,
        mention_count=len(message.raw_mentions) + len(message.raw_role_mentions),
        mentions_everyone=message.mention_everyone,
        raw={"reactions": [{"emoji": str(r.emoji), "count": r.count} for r in message.reactions]},
    ))


def attachments_of(message: discord.Message) -> tuple[Attachment, ...]:
    return tuple(Attachment(a.filename, mime=a.content_type or "application/octet-stream", url=a.url,
                            alt_text=a.description or "", size=a.size) for a in message.attachments)


def edit_to_event(payload: discord.RawMessageUpdateEvent, parent_of: Callable[[int], int | None],
                  bot_user_id: int, bot_name: str) -> MessageEdit | None:
    """An edit of a message's text; None for updates that only add embeds, and for bots' edits."""
    data: Mapping[str, Any] = payload.data
    if "content" not in data or not data.get("edited_timestamp"):
        return None
    author = payload.message.author
    if author.id == bot_user_id:
        return None
    message = payload.message
    users = {u.id: getattr(u, "display_name", u.name) for u in message.mentions}
    text = plain_text(str(data.get("content") or ""), bot_user_id, bot_name, users,
                      {r.id: r.name for r in message.role_mentions}, {c.id: c.name for c in message.channel_mentions})
    edited = message.edited_at or datetime.now(UTC)
    where = channel_ref(payload.channel_id, payload.guild_id, parent_of(payload.channel_id))
    return scrub(MessageEdit(id=str(payload.message_id), channel=where, author=author_of(author), text=text,
                             edited_at=edited))


def delete_to_events(message_ids: set[int] | list[int], channel_id: int, guild_id: int | None,
                     parent_of: Callable[[int], int | None]) -> list[MessageDelete]:
    where = channel_ref(channel_id, guild_id, parent_of(channel_id))
    return [MessageDelete(id=str(mid), channel=where) for mid in sorted(message_ids)]


def reaction_to_event(payload: discord.RawReactionActionEvent, parent_id: int | None) -> Reaction | None:
    """A MESSAGE_REACTION_ADD -> a :class:`Reaction` (the emoji as its character, a custom one as ``<:name:id>``);
    ``parent_id``: the channel's parent when it is a thread. The member (in a guild) says who may hide an answer."""
    if payload.event_type != "REACTION_ADD":
        return None
    where = channel_ref(payload.channel_id, payload.guild_id, parent_id)
    who = author_of(payload.member) if payload.member is not None else Author(str(payload.user_id),
                                                                              str(payload.user_id))
    return scrub(Reaction(where, str(payload.message_id), str(payload.emoji)[:100], who))
