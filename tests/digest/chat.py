"""The digest tests' chat: a conversation with a decision, an action item and questions (one put to someone,
one to no one), an adapter with permalinks, and short-hands to talk, schedule and read what was posted."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from agent.storage.digest_store import digest_store
from bot.events import ChannelRef, Reply
from tests.fakes.harness import Bot, RecordingAdapter

CONVERSATION = [
    ("alice", "Should we ship the export feature on Thursday or wait for the new API?"),
    ("bob", "Thursday works, the API change can follow in 3.3."),
    ("alice", "We agreed: the export feature ships on Thursday, and @here gets told first."),
    ("alice", "bob, can you update the release notes by Wednesday?"),
    ("bob", "sure, I'll do it"),
    ("carol", "@everyone does anyone know where the staging credentials live?"),
    ("dave", "lunch at noon today"),
    ("erin", "dave, did the load test finish?"),
]


@dataclass
class LinkingAdapter(RecordingAdapter):
    """The recording adapter with permalinks, as Slack and Discord have them."""

    def message_link(self, channel: ChannelRef, message_id: str) -> str:
        return f"https://chat.example/{channel.channel}/{message_id}"


async def talk(bot: Bot, lines: list[tuple[str, str]] = CONVERSATION, channel: str = "general",
               ago: timedelta = timedelta(0)) -> None:
    for user, text in lines:
        message = bot.message(text, user=user, channel=channel)
        await bot.deliver(replace(message, created_at=message.created_at - ago))


def posted(bot: Bot) -> list[Reply]:
    """What the bot posted for everyone (not the private replies to commands)."""
    return [r for r in bot.adapter.sent if not r.ephemeral]


async def schedule(bot: Bot, args: str = "daily 09:00 Europe/Berlin", channel: str = "general") -> str:
    [reply] = await bot.command("digest", args, user="root", admin=True, channel=channel)
    return reply.text


async def due(bot: Bot, channel: str = "general") -> datetime:
    found = await digest_store(bot.deps.store).get(f"test:T1:{channel}")
    assert found is not None
    return datetime.fromtimestamp(found.next_run, UTC)
