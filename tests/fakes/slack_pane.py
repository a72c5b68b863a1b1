"""The fake Slack Web API's assistant pane methods and the channel facts the pane checks, as Slack documents
them: ``assistant.threads.setSuggestedPrompts`` / ``setTitle`` (the pane thread's DM and ts), and
``conversations.info`` / ``conversations.members`` / ``users.conversations`` answered from
``FakeSlackAPI.channels`` (a channel the bot can't see answers ``channel_not_found``, as Slack does for a private
channel it was not invited to)."""

from __future__ import annotations

from typing import Any

PANE_METHODS = frozenset({"assistant.threads.setSuggestedPrompts", "assistant.threads.setTitle",
                          "conversations.members", "users.conversations"})
MEMBERS_PAGE = 2  # small pages, so the membership check pages
LIST_PAGE = 100  # users.conversations pages of at most this many (Slack may return fewer than ``limit``)


def channel(channel_id: str, name: str, members: list[str], *, private: bool = False, bot_member: bool = True,
            bot_sees: bool = True) -> dict[str, Any]:
    """A channel record for ``FakeSlackAPI.channels``: its ``conversations.info`` and its members."""
    info = {"id": channel_id, "name": name, "is_channel": not private, "is_group": private, "is_private": private,
            "is_im": False, "is_member": bot_member}
    return {"info": info, "members": members, "bot_sees": bot_sees}


def im(channel_id: str, user_id: str) -> dict[str, Any]:
    """The app's DM with ``user_id``."""
    return {"info": {"id": channel_id, "is_im": True, "user": user_id}, "members": [user_id], "bot_sees": True}


def pane_call(channels: dict[str, dict[str, Any]], method: str, p: dict[str, Any]) -> dict[str, Any]:
    if method == "assistant.threads.setSuggestedPrompts":
        prompts = p.get("prompts")
        ok = bool(p.get("channel_id") and p.get("thread_ts")) and isinstance(prompts, list) and 0 < len(prompts) <= 4
        return {"ok": True} if ok else {"ok": False, "error": "invalid_arguments"}
    if method == "assistant.threads.setTitle":
        ok = bool(p.get("channel_id") and p.get("thread_ts") and p.get("title"))
        return {"ok": True} if ok else {"ok": False, "error": "invalid_arguments"}
    if method == "users.conversations":
        return user_conversations(channels, p)
    found = channels.get(str(p.get("channel")))
    if found is None or not found["bot_sees"]:
        return {"ok": False, "error": "channel_not_found"}
    members: list[str] = found["members"]
    start = int(p.get("cursor") or 0)
    more = start + MEMBERS_PAGE < len(members)
    return {"ok": True, "members": members[start:start + MEMBERS_PAGE],
            "response_metadata": {"next_cursor": str(start + MEMBERS_PAGE) if more else ""}}


def channel_info(channels: dict[str, dict[str, Any]], p: dict[str, Any]) -> dict[str, Any] | None:
    """``conversations.info`` of a known channel; None for one the test did not describe."""
    found = channels.get(str(p.get("channel")))
    if found is None:
        return None
    return {"ok": True, "channel": found["info"]} if found["bot_sees"] else {"ok": False, "error": "channel_not_found"}


def user_conversations(channels: dict[str, dict[str, Any]], p: dict[str, Any]) -> dict[str, Any]:
    """``users.conversations`` with the app's token: without ``user``, the conversations the app is in; with
    ``user``, theirs, a private one (or a DM) only when the app is in it too, as Slack documents."""
    user = p.get("user")
    types = set(str(p.get("types") or "public_channel").split(","))
    listed = []
    for found in channels.values():
        info = found["info"]
        kind = ("im" if info.get("is_im") else "mpim" if info.get("is_mpim")
                else "private_channel" if info.get("is_private") else "public_channel")
        app_in = found["bot_sees"] and (info.get("is_im") or info.get("is_member"))
        if kind not in types or (user is None and not app_in):
            continue
        if user is not None and (user not in found["members"] or (kind != "public_channel" and not app_in)):
            continue
        listed.append({k: v for k, v in info.items() if k != "is_member"})
    start, size = int(p.get("cursor") or 0), min(int(p.get("limit") or 100), LIST_PAGE)
    more = start + size < len(listed)
    return {"ok": True, "channels": listed[start:start + size],
            "response_metadata": {"next_cursor": str(start + size) if more else ""}}
