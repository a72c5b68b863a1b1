"""Replies that say what they answer: Slack message metadata on every part of a reply with a ``source``, and
the look-up a repeated attempt makes before posting, so an answer delivered just before a crash (or by a job
that ran twice) is not posted again. Progress notes are tagged the same way (notes.py), so a note posted just
before a crash, before the store heard of it, is found again at the restart.

Slack has no idempotency key for ``chat.postMessage``; message metadata (``event_type`` + ``event_payload``)
is the documented way to tag a message and is returned by ``conversations.replies`` / ``.history`` with
``include_all_metadata``. The look-up costs a Tier 3 read, so only a resend makes it.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.errors import PaceExceeded
from bot.slack.pacing import Pacer

log = logging.getLogger(__name__)

EVENT_TYPE = "confab_reply"
LOOKUP_LIMIT = 200  # the newest messages of the thread (or after the question) searched for earlier parts
LOOKUP_MAX_WAIT_S = 5.0


def metadata_for(source: str | None, part: int) -> dict[str, Any] | None:
    """The metadata of part ``part`` of the reply to ``source`` (None for a reply without a source)."""
    if source is None:
        return None
    return {"event_type": EVENT_TYPE, "event_payload": {"source": source, "part": part}}


async def earlier_parts(client: AsyncWebClient, pacer: Pacer, channel_id: str, thread: str | None,
                        after: str | None, source: str) -> dict[int, str]:
    """Parts of the reply to ``source`` already in the channel: ``{part: ts}``.

    Looks in the thread when there is one, else in the channel after the message ``after`` (the question).
    When the look-up itself fails, the parts found so far are returned and the failure is logged: a
    possible repeat is the lesser harm than an answer never given.
    """
    found: dict[int, str] = {}
    for payload, ts in await tagged(client, pacer, channel_id, thread, after, EVENT_TYPE):
        if payload.get("source") == source:
            try:
                found.setdefault(int(payload.get("part", 0)), ts)
            except (TypeError, ValueError):
                continue
    return found


async def tagged(client: AsyncWebClient, pacer: Pacer, channel_id: str, thread: str | None, after: str | None,
                 event_type: str) -> list[tuple[dict[str, Any], str]]:
    """(metadata payload, ts) of the messages tagged ``event_type`` in the thread (or the channel after
    ``after``), newest first; none when the look-up fails (logged)."""
    return [(message["metadata"]["event_payload"], str(message["ts"]))
            for message in await tagged_messages(client, pacer, channel_id, thread, after, event_type)]


async def tagged_messages(client: AsyncWebClient, pacer: Pacer, channel_id: str, thread: str | None,
                          after: str | None, event_type: str) -> list[dict[str, Any]]:
    """The messages themselves (author, text, metadata, ts) that :func:`tagged` reads."""
    method = "conversations.replies" if thread else "conversations.history"
    params: dict[str, Any] = {"channel": channel_id, "limit": LOOKUP_LIMIT, "include_all_metadata": True}
    if thread:
        params["ts"] = thread
    elif after:
        params["oldest"] = after
    try:
        await pacer.wait(method, max_wait_s=LOOKUP_MAX_WAIT_S)
        resp = await client.api_call(method, http_verb="GET", params=params)
    except (SlackApiError, PaceExceeded) as exc:
        log.warning("could not look for earlier messages", extra={"method": method, "event_type": event_type,
                                                                  "error": type(exc).__name__})
        return []
    found = []
    for message in resp.get("messages") or []:
        meta = message.get("metadata") or {}
        if meta.get("event_type") == event_type and isinstance(meta.get("event_payload"), dict) and message.get("ts"):
            found.append(message)
    return found
