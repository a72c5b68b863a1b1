"""``/confab settings help_channel on|off`` and ``/confab settings help_group <group>|none`` (admins; the admin
check is the /confab command's): a help channel's new posts are answered from the docs (bot/pipeline/helpdesk.py)."""

from __future__ import annotations

import logging

from bot.commands import CommandContext
from bot.events import Reply
from bot.pings import group_from_mention, shown_group
from bot.pipeline.helpdesk import HELP_CHANNEL, HELP_GROUP

log = logging.getLogger(__name__)

HELP_SETTINGS = (HELP_CHANNEL, HELP_GROUP)
NO_GROUP = ("none", "off", "-")
HOW_TO_NAME = {  # Slack sends a slash command's text unescaped ("@helpers"): the group's id names it there
    "slack": "give the user group's ID (the group's ⋯ menu → Copy group ID), e.g. `S0123ABCD`",
    "discord": "type `@` and pick the role, or give its ID (Server Settings → Roles → ⋯ → Copy Role ID)",
}


async def set_help_setting(ctx: CommandContext, name: str, value: str) -> Reply:
    """Set ``help_channel`` (``on``/``off``, already checked) or ``help_group`` for the command's channel."""
    cmd = ctx.command
    settings = ctx.deps.store.channel_settings
    if name == HELP_CHANNEL:
        await settings.set(cmd.channel.key, HELP_CHANNEL, value)
        if value == "off":
            return ctx.reply("Help-channel mode is off here: I answer only when mentioned.", ephemeral=True)
        grace = ctx.deps.settings.help_grace_s
        return ctx.reply(
            f"Help-channel mode is on here: I answer new posts from the docs in their thread, after {grace:g} s "
            "unless someone answered first, and only when the docs cover them (marked as automatic; a ❌ reaction "
            "on a post stops it, on my answer hides it). Set `help_group` to have helpers pinged when they don't.",
            ephemeral=True)
    if value.lower() in NO_GROUP:
        await settings.set(cmd.channel.key, HELP_GROUP, "none")
        return ctx.reply("No helper group here: posts the docs don't cover get no note from me.", ephemeral=True)
    platform = cmd.channel.platform
    group = group_from_mention(value[:200], platform)
    if group is None:
        log.info("help_group value names no group", extra={"platform": platform})
        how = HOW_TO_NAME.get(platform, "e.g. `@helpers`")
        return ctx.reply(f"I can't tell which group `{value[:80]}` is: {how}.", ephemeral=True)
    await settings.set(cmd.channel.key, HELP_GROUP, group)
    return ctx.reply(f"Set `help_group` to {shown_group(platform, group)}: when the docs don't cover a new post "
                     "in a help channel, I ping that group once in the post's thread.", ephemeral=True)
