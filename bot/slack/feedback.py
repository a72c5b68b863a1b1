"""👍/👎 under Confab's answers on Slack: the blocks that carry them, and the action that records a vote.

An answer's last message gets its text as ``section`` blocks (the plain ``text`` stays as the notification and
accessibility fallback) and a ``context_actions`` block with Slack's ``feedback_buttons`` element. A button's
value is ``up`` or ``down``, followed by ``:<key>`` when the answer is not known by the message the buttons sit
on: a private answer (the key the outbox gave it) or the last part of a long one (the ts of its first part).

A click arrives as a ``block_actions`` request, verified by bolt (its signature in HTTP mode, the Socket Mode
connection otherwise): it is acknowledged at once, then the vote is recorded as that verified user's, and the
voter is told what was recorded in a message only they see (``chat.postEphemeral``). A payload that is not
one of these (a missing user, channel or value) is acknowledged and logged; the pipeline answers a vote that is
not ``up``/``down`` or names an unknown answer with a short line.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.models.blocks import ContextActionsBlock, FeedbackButtonObject, FeedbackButtonsElement, SectionBlock
from slack_sdk.models.blocks.basic_components import MarkdownTextObject, PlainTextObject

from bot.events import Author, ChannelRef, Reply, Vote
from bot.slack.ports import SlackEdge
from bot.text import split_message

log = logging.getLogger(__name__)

ACTION_ID = "confab_feedback"
SECTION_MAX = 3000  # Slack's limit for a section block's text


def feedback_blocks(reply: Reply, chunk: str, index: int, count: int, first_ts: str) -> list[dict[str, Any]] | None:
    """The blocks of part ``index`` of ``count`` of ``reply`` (``chunk``, already mrkdwn): None (plain text)
    except on the last part of an answer to rate."""
    buttons = feedback_actions(reply, first_ts if index > 0 else "") if index == count - 1 else None
    if buttons is None:
        return None
    # cut on line boundaries (a link or a code block is never split in the middle)
    return [SectionBlock(text=MarkdownTextObject(text=part)).to_dict()
            for part in split_message(chunk, SECTION_MAX)] + buttons


def feedback_actions(reply: Reply, first_ts: str = "") -> list[dict[str, Any]] | None:
    """Just the buttons' block (a streamed answer's end: its text is the stream's), or None when ``reply`` is
    not an answer to rate; ``first_ts`` keys them when they sit on another message than the answer's first."""
    if reply.rated is None:
        return None
    key = reply.rated.key or first_ts
    suffix = f":{key}" if key else ""
    buttons = FeedbackButtonsElement(
        action_id=ACTION_ID,
        positive_button=FeedbackButtonObject(text=PlainTextObject(text="👍"), value=f"up{suffix}",
                                             accessibility_label="This answer was helpful"),
        negative_button=FeedbackButtonObject(text=PlainTextObject(text="👎"), value=f"down{suffix}",
                                             accessibility_label="This answer was not helpful"))
    return [ContextActionsBlock(elements=[buttons]).to_dict()]


def vote_from_payload(body: dict[str, Any]) -> Vote | None:
    """The vote a ``block_actions`` request carries (its user as Slack sent it: the request is verified), or None
    when it is not one of Confab's feedback clicks."""
    user, channel = body.get("user"), body.get("channel")
    actions, container = body.get("actions"), body.get("container") or {}
    if not isinstance(user, dict) or not isinstance(channel, dict) or not isinstance(actions, list) \
            or not isinstance(container, dict):
        return None
    action = next((a for a in actions if isinstance(a, dict) and a.get("action_id") == ACTION_ID), None)
    user_id, channel_id = user.get("id"), channel.get("id")
    team = (body.get("team") or {}).get("id") if isinstance(body.get("team"), dict) else None
    team = team or user.get("team_id")
    if action is None or not isinstance(action.get("value"), str) or not all(
            isinstance(v, str) and v for v in (user_id, channel_id, team)):
        return None
    value, _, key = str(action["value"]).partition(":")
    key = key or str(container.get("message_ts") or "")
    thread = container.get("thread_ts")
    where = ChannelRef("slack", str(team), str(channel_id), str(thread) if isinstance(thread, str) else None)
    name = str(user.get("username") or user.get("name") or user_id)
    return Vote(where, key, Author(str(user_id), name), value)


class SlackFeedback:
    """The feedback buttons' action on ``app``, for ``adapter``'s handler."""

    def __init__(self, adapter: SlackEdge, app: AsyncApp) -> None:
        self.adapter = adapter
        app.action(ACTION_ID)(self.on_action)

    async def on_action(self, ack: Callable[[], Awaitable[None]], body: dict[str, Any]) -> None:
        await ack()  # within Slack's 3 s, before anything else
        vote = vote_from_payload(body)
        if vote is None:
            log.warning("malformed slack feedback action ignored", extra={"type": str(body.get("type"))[:40]})
            return
        self.adapter.spawn(self._record(vote))

    async def _record(self, vote: Vote) -> None:
        handler = self.adapter.handler
        if handler is None:
            return
        text = await handler.handle_vote(vote)
        try:
            await self.adapter.client.chat_postEphemeral(channel=vote.channel.channel, user=vote.voter.id, text=text,
                                                         thread_ts=vote.channel.thread)
        except SlackApiError as exc:
            log.info("could not tell the voter", extra={"error": exc.response.get("error")})
