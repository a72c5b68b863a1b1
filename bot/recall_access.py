"""The platform side of conversation search's access check (:class:`agent.recall.access.ChannelAccess`): links
to the messages through the adapter, and the console's rule. Slack's and Discord's checks live with their
adapters (bot/slack/recall_access.py, bot/discord/recall_access.py)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from agent.recall.access import Visibility
from bot.adapter import Adapter
from bot.events import ChannelRef
from bot.platform_access import message_linker


def channel_of(key: str, thread: str | None = None) -> ChannelRef:
    platform, workspace, channel = key.split(":", 2)
    return ChannelRef(platform, workspace, channel, thread)


class LinkingAccess:
    """Links through the adapter; threads readable with their channel (Slack, the console). Subclasses answer
    :meth:`visibility`; this base refuses every channel."""

    def __init__(self, adapter: Adapter) -> None:
        self.adapter = adapter

    async def visibility(self, channel_keys: Sequence[str]) -> Mapping[str, Visibility | None]:
        return {}

    async def threads(self, threads: Sequence[tuple[str, str]]) -> Mapping[tuple[str, str], bool]:
        return dict.fromkeys(threads, True)

    def link(self, channel_key: str, thread: str | None, message_id: str) -> str | None:
        linker = message_linker(self.adapter, channel_of(channel_key, thread))
        return linker(message_id) if linker is not None else None

    def label(self, channel_key: str) -> str | None:
        return f"#{channel_of(channel_key).channel}"


class ConsoleAccess(LinkingAccess):
    """The console is one person's workspace: every channel is readable and public, except the DMs (``dm-<name>``)
    of other names used with ``/as``, which only their own name reads."""

    def __init__(self, adapter: Adapter, asker: str) -> None:
        super().__init__(adapter)
        self.asker = asker

    async def visibility(self, channel_keys: Sequence[str]) -> Mapping[str, Visibility | None]:
        out: dict[str, Visibility | None] = {}
        for key in channel_keys:
            parts = key.split(":", 2)
            if len(parts) != 3 or parts[0] != "console":
                out[key] = None
            elif parts[2].startswith("dm-"):
                out[key] = "dm" if parts[2] == f"dm-{self.asker}" else None
            else:
                out[key] = "public"
        return out
