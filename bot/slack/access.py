"""Whether a person (and Confab) may read a Slack channel: the check before the assistant pane reads the
channel the person is viewing.

Confab reads a viewed channel for someone only when both hold, asked of Slack at the time of use:

- Confab can read it: ``conversations.info`` finds it and says the bot is a member (or it is the person's
  own DM with Confab). A channel Confab can't see, or isn't in, is refused.
- The person is a member: ``conversations.members`` lists them. That refuses a private channel or a DM
  they are not in, and a public channel they have not joined (a guest may not see it at all).

A refusal is a short reason that names nothing about the channel (a private channel's name is itself
private), and any error of the check refuses too: the check fails closed.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

log = logging.getLogger(__name__)

MEMBER_PAGES = 10  # conversations.members pages of MEMBER_PAGE people: past that, not confirmed (refused)
MEMBER_PAGE = 1000

NO_CHANNEL = ("I can't tell which channel you're looking at. Open a channel with this pane beside it, "
              "then ask again.")
BOT_CANT_READ = "I'm not in that channel, so I can't read it. Invite me to it and ask again."
NOT_A_MEMBER = "You're not a member of that channel, so I won't read it for you."
CHECK_FAILED = "I couldn't check that you can read that channel, so I won't read it for you."


@dataclass(frozen=True, slots=True)
class Readable:
    """A channel both may read; ``label`` names it for the person (``#name``, or "this conversation")."""

    channel_id: str
    label: str


async def readable(client: AsyncWebClient, channel_id: str, user_id: str) -> Readable | str:
    """``channel_id`` when ``user_id`` and the bot may both read it, else the reason it is refused."""
    if not channel_id or not user_id:
        return NO_CHANNEL
    try:
        info = (await client.conversations_info(channel=channel_id)).get("channel") or {}
    except SlackApiError as exc:
        error = str(exc.response.get("error") or "")
        log.info("viewed channel not readable by the bot", extra={"error": error})
        return BOT_CANT_READ if error in ("channel_not_found", "not_in_channel", "access_denied") else CHECK_FAILED
    except Exception as exc:  # network: fail closed
        log.warning("checking a viewed channel failed", extra={"error": type(exc).__name__})
        return CHECK_FAILED
    if not isinstance(info, dict):
        return CHECK_FAILED
    if info.get("is_im"):
        # a DM is readable by Confab only when it is one side of it: then it is this person's DM with Confab
        return Readable(channel_id, "our conversation") if info.get("user") == user_id else NOT_A_MEMBER
    if not info.get("is_member"):
        return BOT_CANT_READ
    member = await is_member(client, channel_id, user_id)
    if member is None:
        return CHECK_FAILED
    if not member:
        return NOT_A_MEMBER
    name = info.get("name")
    return Readable(channel_id, f"#{name}" if isinstance(name, str) and name else "that channel")


async def is_member(client: AsyncWebClient, channel_id: str, user_id: str) -> bool | None:
    """Whether ``user_id`` is among the channel's members; None when that could not be confirmed."""
    cursor: str | None = None
    for _ in range(MEMBER_PAGES):
        try:
            resp = await client.conversations_members(channel=channel_id, limit=MEMBER_PAGE, cursor=cursor)
        except Exception as exc:
            error = exc.response.get("error") if isinstance(exc, SlackApiError) else type(exc).__name__
            log.warning("reading a channel's members failed", extra={"error": error})
            return None
        members = resp.get("members") or []
        if user_id in members:
            return True
        cursor = (resp.get("response_metadata") or {}).get("next_cursor") or None
        if not cursor:
            return False
    log.info("channel too large to confirm membership", extra={"pages": MEMBER_PAGES})
    return None
