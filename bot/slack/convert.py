"""Pure conversion of Slack payloads into :mod:`bot.events` values.

Shapes follow Slack's documented payloads: Events API ``event_callback`` bodies (``app_mention``,
``message`` with subtypes ``message_changed`` / ``message_deleted`` / ``bot_message`` …), slash
command forms and ``message_action`` (message shortcut) payloads. Nothing here does I/O. Every value
returned has its text fields scrubbed of lone surrogates (:func:`bot.text.scrub`).
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from bot.events import (
    Attachment,
    Author,
    ChannelRef,
    Command,
    IncomingMessage,
    MessageDelete,
    MessageEdit,
    Reaction,
)
from bot.text import scrub

PLATFORM = "slack"

# message subtypes that are people talking; everything else (joins, topic changes, bots …) is not
HUMAN_SUBTYPES = frozenset({None, "", "thread_broadcast", "file_share", "me_message"})
_USER_MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|([^>]*))?>")
_CHANNEL_MENTION = re.compile(r"<#(C[A-Z0-9]+)(?:\|([^>]*))?>")
_SPECIAL = re.compile(r"<!(channel|here|everyone)(?:\|[^>]*)?>")
_SUBTEAM = re.compile(r"<!subteam\^([A-Z0-9]+)(?:\|([^>]*))?>")
_OTHER_SPECIAL = re.compile(r"<!([^>|]+)(?:\|([^>]*))?>")
_LINK = re.compile(r"<((?:https?|mailto):[^>|]+)(?:\|([^>]*))?>")

Event = IncomingMessage | MessageEdit | MessageDelete


def ts_to_datetime(ts: str | float | None) -> datetime:
    try:
        return datetime.fromtimestamp(float(ts or 0), UTC) if ts else datetime.now(UTC)
    except (TypeError, ValueError, OverflowError):
        return datetime.now(UTC)


def plain_text(text: str | None, bot_user_id: str | None = None, bot_name: str = "confab",
               names: Mapping[str, str] | None = None) -> str:
    """Slack's wire text to what a person sees: ``<@UBOT>`` -> ``@confab``, ``<@U…>`` -> ``@name`` (its label,
    else ``names``: display names by user id, else the bare id), links and entities decoded."""
    if not text:
        return ""

    def user(match: re.Match[str]) -> str:
        if bot_user_id and match.group(1) == bot_user_id:
            return f"@{bot_name}"
        return f"@{match.group(2) or (names or {}).get(match.group(1)) or match.group(1)}"

    text = _USER_MENTION.sub(user, text)
    text = _CHANNEL_MENTION.sub(lambda m: f"#{m.group(2) or m.group(1)}", text)
    text = _SPECIAL.sub(lambda m: f"@{m.group(1)}", text)
    text = _SUBTEAM.sub(lambda m: f"@{m.group(2) or m.group(1)}".replace("@@", "@"), text)
    text = _LINK.sub(lambda m: m.group(1) if not m.group(2) or m.group(2) == m.group(1)
                     else f"{m.group(2)} ({m.group(1)})", text)
    text = _OTHER_SPECIAL.sub(lambda m: m.group(2) or m.group(1), text)
    return html.unescape(text) if "&" in text else text


def unnamed_mentions(text: str | None, bot_user_id: str | None = None) -> list[str]:
    """The user ids mentioned in raw Slack text without a name beside them (``<@U024BE7LH>``, as Slack writes
    every mention today), the bot's own left out: whose display names :func:`plain_text` needs."""
    found = (m.group(1) for m in _USER_MENTION.finditer(text or "") if not m.group(2))
    return list(dict.fromkeys(uid for uid in found if uid != bot_user_id))


def mention_counts(text: str | None) -> tuple[int, bool]:
    """(number of user mentions, whether it broadcasts) in raw Slack text, for spam signals."""
    raw = text or ""
    return len(_USER_MENTION.findall(raw)), bool(_SPECIAL.search(raw))


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _author(event: Mapping[str, Any], names: Mapping[str, str] | None = None) -> Author:
    user_id = _str(event.get("user")) or _str(event.get("bot_id")) or "unknown"
    found = event.get("user_profile")
    profile: Mapping[str, Any] = found if isinstance(found, Mapping) else {}
    name = (names or {}).get(user_id) or _str(profile.get("display_name")) or _str(profile.get("real_name")) \
        or _str(event.get("username")) or user_id
    return Author(id=user_id, name=name, is_bot=bool(event.get("bot_id")) or event.get("subtype") == "bot_message")


def _files(event: Mapping[str, Any]) -> tuple[Attachment, ...]:
    files = event.get("files")
    if not isinstance(files, list):
        return ()
    return tuple(
        Attachment(filename=_str(f.get("name")) or "file", mime=_str(f.get("mimetype")) or "application/octet-stream",
                   url=_str(f.get("url_private_download")) or _str(f.get("url_private")) or None,
                   alt_text=_str(f.get("alt_txt")), size=f.get("size") if isinstance(f.get("size"), int) else None)
        for f in files if isinstance(f, Mapping)
    )


def is_from_bot(event: Mapping[str, Any], bot_user_id: str | None = None, bot_id: str | None = None) -> bool:
    """Bot posts (any bot, including our own) never reach the pipeline as human messages."""
    if event.get("bot_id") or event.get("subtype") == "bot_message" or event.get("bot_profile"):
        return True
    return bool(bot_user_id and event.get("user") == bot_user_id) or bool(bot_id and event.get("bot_id") == bot_id)


def message_from_payload(
    event: Mapping[str, Any], team_id: str, bot_user_id: str | None = None, bot_name: str = "confab",
    *, mentioned: bool = False, names: Mapping[str, str] | None = None,
) -> IncomingMessage | None:
    """A plain message (or ``app_mention``) event -> IncomingMessage; None for anything not human chat.
    ``names``: display names of the people it mentions, by user id (:func:`plain_text`)."""
    if event.get("subtype") not in HUMAN_SUBTYPES or event.get("hidden"):
        return None
    ts, channel_id = _str(event.get("ts")), _str(event.get("channel"))
    if not ts or not channel_id:
        return None
    raw_text = _str(event.get("text"))
    thread = _str(event.get("thread_ts")) or None
    is_direct = event.get("channel_type") == "im" or (channel_id.startswith("D") and event.get("channel_type") is None)
    mentions, broadcast = mention_counts(raw_text)
    mentions_bot = mentioned or bool(bot_user_id and f"<@{bot_user_id}" in raw_text)
    return scrub(IncomingMessage(
        id=ts, channel=ChannelRef(PLATFORM, team_id, channel_id, thread if thread != ts else None),
        author=_author(event), text=plain_text(raw_text, bot_user_id, bot_name, names), mentions_bot=mentions_bot,
        is_direct=is_direct, created_at=ts_to_datetime(ts), attachments=_files(event),
        mention_count=mentions, mentions_everyone=broadcast, raw=dict(event),
    ))


def edit_from_payload(event: Mapping[str, Any], team_id: str, bot_user_id: str | None = None,
                      bot_name: str = "confab", names: Mapping[str, str] | None = None) -> MessageEdit | None:
    """``message_changed`` -> MessageEdit; None when a bot's message changed or only unfurls were added."""
    new, old = event.get("message"), event.get("previous_message")
    if not isinstance(new, Mapping) or is_from_bot(new, bot_user_id):
        return None
    if isinstance(old, Mapping) and old.get("text") == new.get("text"):
        return None  # link unfurl / attachment update, not an edit of the words
    ts, channel_id = _str(new.get("ts")), _str(event.get("channel"))
    if not ts or not channel_id:
        return None
    thread = _str(new.get("thread_ts")) or None
    edited = new.get("edited")
    edited_ts = _str(edited.get("ts")) if isinstance(edited, Mapping) else _str(event.get("event_ts"))
    return scrub(MessageEdit(
        id=ts, channel=ChannelRef(PLATFORM, team_id, channel_id, thread if thread != ts else None),
        author=_author(new), text=plain_text(_str(new.get("text")), bot_user_id, bot_name, names),
        edited_at=ts_to_datetime(edited_ts), raw=dict(event),
    ))


def delete_from_payload(event: Mapping[str, Any], team_id: str) -> MessageDelete | None:
    ts, channel_id = _str(event.get("deleted_ts")), _str(event.get("channel"))
    if not ts or not channel_id:
        return None
    old = event.get("previous_message")
    thread = _str(old.get("thread_ts")) if isinstance(old, Mapping) else ""
    return MessageDelete(id=ts, channel=ChannelRef(PLATFORM, team_id, channel_id, thread if thread and thread != ts
                                                   else None), deleted_at=ts_to_datetime(event.get("event_ts")))


def event_text(event: Mapping[str, Any]) -> str:
    """The wire text of a ``message`` / ``app_mention`` event: the new text of an edit."""
    new = event.get("message")
    return _str(new.get("text")) if event.get("subtype") == "message_changed" and isinstance(new, Mapping) \
        else _str(event.get("text"))


def event_from_payload(event: Mapping[str, Any], team_id: str, bot_user_id: str | None = None,
                       bot_id: str | None = None, bot_name: str = "confab",
                       names: Mapping[str, str] | None = None) -> Event | None:
    """Any ``message`` / ``app_mention`` event -> the neutral event, or None when it is to be ignored.
    ``names``: display names of the people its text mentions, by user id (:func:`plain_text`)."""
    kind, subtype = event.get("type"), event.get("subtype")
    if kind not in ("message", "app_mention"):
        return None
    if subtype == "message_changed":
        return edit_from_payload(event, team_id, bot_user_id, bot_name, names)
    if subtype == "message_deleted":
        return delete_from_payload(event, team_id)
    if is_from_bot(event, bot_user_id, bot_id):
        return None
    return message_from_payload(event, team_id, bot_user_id, bot_name, mentioned=kind == "app_mention", names=names)


def reaction_from_payload(event: Mapping[str, Any], team_id: str) -> Reaction | None:
    """A ``reaction_added`` event on a message -> a :class:`Reaction` (its emoji by name, skin tone dropped:
    ``x``); None for anything else (a file's reaction, a malformed event). The author is the bare user id: the
    listener looks up who it is."""
    item = event.get("item")
    if event.get("type") != "reaction_added" or not isinstance(item, Mapping) or item.get("type") != "message":
        return None
    user, channel_id, ts = _str(event.get("user")), _str(item.get("channel")), _str(item.get("ts"))
    name = _str(event.get("reaction")).split("::", 1)[0]
    if not (user and channel_id and ts and name):
        return None
    return scrub(Reaction(ChannelRef(PLATFORM, team_id, channel_id), ts, name[:100], Author(user, user)))


def team_of(body: Mapping[str, Any]) -> str:
    """The workspace id of an event, command or interaction body."""
    for key in ("team_id", "user_team", "team"):
        value = body.get(key)
        if isinstance(value, str) and value:
            return value
        if isinstance(value, Mapping) and isinstance(value.get("id"), str):
            return str(value["id"])
    user = body.get("user")
    if isinstance(user, Mapping) and isinstance(user.get("team_id"), str):
        return str(user["team_id"])
    return "unknown"


def command_from_payload(form: Mapping[str, Any]) -> Command | None:
    """A slash command form (``command=/ask``, ``text``, ``user_id`` …) -> Command."""
    name = _str(form.get("command")).lstrip("/").strip().lower()
    channel_id, user_id = _str(form.get("channel_id")), _str(form.get("user_id"))
    if not name or not channel_id or not user_id:
        return None
    return scrub(Command(
        name=name, args=_str(form.get("text")).strip(),
        channel=ChannelRef(PLATFORM, team_of(form), channel_id),
        author=Author(id=user_id, name=_str(form.get("user_name")) or user_id),
        id=_str(form.get("trigger_id")) or None, raw=dict(form),
        is_direct=_str(form.get("channel_name")) == "directmessage" or channel_id.startswith("D"),
    ))


def shortcut_from_payload(payload: Mapping[str, Any]) -> Command | None:
    """A ``message_action`` payload -> Command named after its callback id, aimed at the message.

    ``target`` is the message's thread root when Slack says it is in a thread (so the whole thread is
    meant), else the message itself.
    """
    channel, user, message = payload.get("channel"), payload.get("user"), payload.get("message")
    if not (isinstance(channel, Mapping) and isinstance(user, Mapping) and isinstance(message, Mapping)):
        return None
    name = _str(payload.get("callback_id")).strip().lower()
    channel_id, user_id = _str(channel.get("id")), _str(user.get("id"))
    target = _str(message.get("thread_ts")) or _str(message.get("ts")) or _str(payload.get("message_ts"))
    if not name or not channel_id or not user_id or not target:
        return None
    return scrub(Command(
        name=name, args="", channel=ChannelRef(PLATFORM, team_of(payload), channel_id),
        author=Author(id=user_id, name=_str(user.get("username")) or _str(user.get("name")) or user_id),
        target=target, id=_str(payload.get("trigger_id")) or None, raw=dict(payload),
        is_direct=channel_id.startswith("D"),
    ))


def author_from_user_info(user: Mapping[str, Any]) -> Author:
    """A ``users.info`` user object -> Author with the display name and admin flag."""
    found = user.get("profile")
    profile: Mapping[str, Any] = found if isinstance(found, Mapping) else {}
    name = _str(profile.get("display_name")) or _str(profile.get("real_name")) or _str(user.get("real_name")) \
        or _str(user.get("name")) or _str(user.get("id"))
    return scrub(Author(
        id=_str(user.get("id")), name=name, is_bot=bool(user.get("is_bot")),
        is_admin=bool(user.get("is_admin") or user.get("is_owner") or user.get("is_primary_owner")),
        is_guest=bool(user.get("is_restricted") or user.get("is_ultra_restricted")),
    ))
