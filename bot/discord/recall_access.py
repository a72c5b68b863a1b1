"""Which Discord channels a person may have searched (conversation search, agent/recall/access.py).

Decided from the gateway's cached guild at query time, as Discord itself would: the person's permissions in
that channel (``channel.permissions_for(member)``: View Channel and Read Message History, with the roles and
overwrites that apply) and Confab's own; a channel @everyone can view is public, any other private. Threads
follow their parent channel; a private thread is readable only by its owner, members Discord has shown Confab,
and people who may manage threads. A DM only by the person on its other side. A person or channel Discord no
longer knows, or any error, refuses (fails closed).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence

import discord

from agent.recall.access import Visibility
from bot.adapter import Adapter
from bot.discord.convert import DM_WORKSPACE
from bot.recall_access import LinkingAccess

log = logging.getLogger(__name__)


class DiscordRecallAccess(LinkingAccess):
    def __init__(self, adapter: Adapter, client: discord.Client, user_id: str) -> None:
        super().__init__(adapter)
        self.client = client
        self.user_id = int(user_id) if user_id.isdigit() else 0
        self._members: dict[int, discord.Member | None] = {}

    async def visibility(self, channel_keys: Sequence[str]) -> Mapping[str, Visibility | None]:
        out: dict[str, Visibility | None] = {}
        for key in dict.fromkeys(channel_keys):
            try:
                out[key] = await self._one(key)
            except Exception:
                log.exception("checking a Discord channel for conversation search failed; refusing it")
                out[key] = None
        return out

    async def _one(self, key: str) -> Visibility | None:
        parts = key.split(":", 2)
        if len(parts) != 3 or parts[0] != "discord" or not self.user_id or not parts[2].isdigit():
            return None
        if parts[1] == DM_WORKSPACE:
            channel = self.client.get_channel(int(parts[2]))
            recipient = getattr(channel, "recipient", None)
            ok = isinstance(channel, discord.DMChannel) and recipient is not None and recipient.id == self.user_id
            return "dm" if ok else None
        guild, member = await self._guild_member(parts[1])
        if guild is None or member is None:
            return None
        found = guild.get_channel(int(parts[2]))
        if found is None or isinstance(found, discord.CategoryChannel):
            return None
        if not _reads(found.permissions_for(member)) or not _reads(found.permissions_for(guild.me)):
            return None
        return "public" if found.permissions_for(guild.default_role).view_channel else "private"

    def label(self, channel_key: str) -> str | None:
        return f"<#{channel_key.split(':', 2)[-1]}>"  # Discord shows the channel's name to those who can see it

    async def threads(self, threads: Sequence[tuple[str, str]]) -> Mapping[tuple[str, str], bool]:
        out: dict[tuple[str, str], bool] = {}
        for key, thread_id in threads:
            try:
                out[(key, thread_id)] = await self._thread(key, thread_id)
            except Exception:
                log.exception("checking a Discord thread for conversation search failed; refusing it")
                out[(key, thread_id)] = False
        return out

    async def _thread(self, key: str, thread_id: str) -> bool:
        parts = key.split(":", 2)
        if len(parts) != 3 or parts[1] == DM_WORKSPACE or not thread_id.isdigit():
            return False
        guild, member = await self._guild_member(parts[1])
        if guild is None or member is None:
            return False
        thread = guild.get_thread(int(thread_id))
        if thread is None or str(thread.parent_id) != parts[2]:
            return False
        permissions = thread.permissions_for(member)
        if not _reads(permissions):
            return False
        if thread.type == discord.ChannelType.private_thread:
            known = thread.owner_id == self.user_id or any(m.id == self.user_id for m in thread.members)
            return known or permissions.manage_threads
        return True

    async def _guild_member(self, workspace: str) -> tuple[discord.Guild | None, discord.Member | None]:
        guild = self.client.get_guild(int(workspace)) if workspace.isdigit() else None
        if guild is None:
            return None, None
        if guild.id not in self._members:
            member = guild.get_member(self.user_id)
            if member is None:
                try:
                    member = await guild.fetch_member(self.user_id)
                except discord.NotFound:  # not (any longer) in the server
                    member = None
            self._members[guild.id] = member
        return guild, self._members[guild.id]


def _reads(permissions: discord.Permissions) -> bool:
    return permissions.view_channel and permissions.read_message_history
