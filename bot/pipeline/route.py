"""Routing a person's message: a command, an answer, a thread follower's turn, or nothing (only remembered).

A mention or a DM is answered (``@confab /cmd …`` runs the command, and so does "@confab brainstorm …"). In a
thread under one of the bot's own messages, or a thread it answered in, a reply continues the conversation without
a mention when it is meant for the bot (bot/conversation.py); a thread a follower owns (a brainstorm) goes to that
follower, and so does a mention there that the follower answers best ("@confab which idea is winning?": the
brainstorm's votes).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, Protocol, runtime_checkable

from agent.storage.ports import MessageStore, ThreadStore
from agent.text import strip_mention
from bot.conversation import expects_answer
from bot.events import ChannelRef, Command, IncomingMessage

log = logging.getLogger(__name__)

MENTION_KIND = "mention"  # a thread followed because Confab answered in it
# "@confab brainstorm names for the dashboard", "@confab let's brainstorm about the offsite": the /brainstorm command
# (a thread Confab follows), not a one-off list of ideas; "@confab how do brainstorms work?" asks the docs
_STARTS_BRAINSTORM = re.compile(r"^(?:(?:let'?s|please|can you|could you|pls)\s+)?brainstorm\b[\s:,-]*"
                                r"(?:(?:on|about)\s+)?(?P<topic>.*?)[\s?!.]*$", re.I | re.S)


@dataclass(frozen=True, slots=True)
class Route:
    to: Literal["command", "answer", "follow", "remember"]
    body: str = ""  # the text without the bot's mention
    command: Command | None = None
    follower: str = ""  # the follower's kind ("brainstorm")
    data: dict[str, Any] = field(default_factory=dict)
    followed: bool | None = None  # whether the message's thread is followed; None: not looked up (no thread)


@runtime_checkable
class TakesMentions(Protocol):
    def takes_mention(self, text: str) -> bool:
        """Is a mention in the follower's thread (without the mention) one the follower answers?"""


class Router:
    def __init__(self, messages: MessageStore, threads: ThreadStore, bot_name: str, idle_minutes: float,
                 followers: Mapping[str, object]) -> None:
        self.messages = messages
        self.threads = threads
        self.bot_name = bot_name
        self.idle = timedelta(minutes=idle_minutes)
        self.followers = followers  # the followers by the kind of thread they own (the pipeline's, kept current)

    async def route(self, message: IncomingMessage, text: str) -> Route:
        addressed = message.mentions_bot or message.is_direct
        body = strip_mention(text, self.bot_name) if addressed else text
        if addressed and body.startswith("/"):
            name, _, args = body[1:].partition(" ")
            return Route("command", body, _sent_as_message(message, name.lower(), args.strip()))
        if addressed and (start := _STARTS_BRAINSTORM.match(body)) is not None:
            return Route("command", body, _sent_as_message(message, "brainstorm", start.group("topic")))
        follow = await self.followed(message.channel) if message.channel.thread else None
        continues = message.replies_to_bot or (follow is not None and follow[0] == MENTION_KIND)
        follower = self.followers.get(follow[0]) if follow is not None else None
        if addressed and isinstance(follower, TakesMentions) and follower.takes_mention(body):
            assert follow is not None
            return Route("follow", body, follower=follow[0], data=follow[1])
        if addressed or (continues and expects_answer(body, self.bot_name)):
            return Route("answer", body, followed=None if message.channel.thread is None else follow is not None)
        if follow is not None and follow[0] in self.followers:
            return Route("follow", body, follower=follow[0], data=follow[1])
        return Route("remember", body)

    async def followed(self, channel: ChannelRef) -> tuple[str, dict[str, Any]] | None:
        """How the thread is followed, if it is; idle threads are let go, threads under the bot's own
        messages are taken up."""
        assert channel.thread is not None
        found = await self.threads.followed(channel.key, channel.thread)
        if found is None:
            # a thread under one of the bot's own messages continues that conversation
            root = await self.messages.get(channel.key, channel.thread)
            if root is None or not root.is_bot:
                return None
            await self.threads.follow(channel.key, channel.thread, kind=MENTION_KIND)
            return MENTION_KIND, {}
        kind, data, last = found
        if datetime.now(UTC) - last > self.idle:
            await self.threads.unfollow(channel.key, channel.thread)
            log.info("stopped following an idle thread", extra={"channel": channel.key, "kind": kind})
            return None
        await self.threads.touch(channel.key, channel.thread)
        return kind, data


def _sent_as_message(message: IncomingMessage, name: str, args: str) -> Command:
    """The command a message to Confab asks for ("@confab /help", "@confab brainstorm …")."""
    return Command(name=name, args=args, channel=message.channel, author=message.author, id=message.id,
                   is_direct=message.is_direct, as_message=True)
