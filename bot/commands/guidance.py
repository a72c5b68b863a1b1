"""``/confab settings instructions|knowledge``: a channel's admin-set instructions and knowledge scope.

The admin check is /confab's own (bot/commands/core.py); here the value is read from the command's raw text
(instructions keep their line breaks), checked, stored in the channel settings, and shown with the other
settings. What they do is agent/guidance.py's.
"""

from __future__ import annotations

import logging
import re

from agent.guidance import (
    CLEAR_INSTRUCTIONS,
    CLEAR_SCOPE,
    INSTRUCTIONS,
    KNOWLEDGE,
    MAX_INSTRUCTIONS_CHARS,
    ScopeRefused,
    clean_instructions,
    scope_folders,
    stored_instructions,
    stored_scope,
)
from bot.commands import CommandContext
from bot.events import Reply

log = logging.getLogger(__name__)

GUIDANCE = (INSTRUCTIONS, KNOWLEDGE)  # the channel settings set here
_VALUE = re.compile(r"^\s*\S+\s+\S+\s?(.*)$", re.S)  # "settings <name> <value…>": the value as typed
SHOWN_INSTRUCTIONS = 300  # characters of the instructions shown in the settings list

OFFLINE_INSTRUCTIONS = ("Running offline (no `CONFAB_MODEL`), I answer with quotes from the docs and this channel, "
                        "so instructions can't change my wording until a model is configured; the knowledge "
                        "folders apply either way.")
USAGE = {
    INSTRUCTIONS: (f"Usage: `/confab settings instructions <text>` (up to {MAX_INSTRUCTIONS_CHARS:,} characters: "
                   "tone, language, what to focus on), or `/confab settings instructions off` to clear them."),
    KNOWLEDGE: ("Usage: `/confab settings knowledge <folder>[,<folder>…]` (folders of the knowledge folder, e.g. "
                "`billing`), or `/confab settings knowledge all` to search every document again."),
}


async def set_guidance(ctx: CommandContext, name: str) -> Reply:
    """Set (or clear) ``name`` for the command's channel; the caller has checked the author is an admin."""
    match = _VALUE.match(ctx.command.args)
    value = match.group(1).strip() if match else ""
    if not value:
        return ctx.reply(USAGE[name], ephemeral=True)
    if name == INSTRUCTIONS:
        return await _set_instructions(ctx, value)
    return await _set_scope(ctx, value)


async def _set_instructions(ctx: CommandContext, value: str) -> Reply:
    store, key = ctx.deps.store.channel_settings, ctx.command.channel.key
    if value.lower() in CLEAR_INSTRUCTIONS:
        await store.set(key, INSTRUCTIONS, None)
        log.info("channel instructions cleared", extra={"channel": key, "by": ctx.command.author.id})
        return ctx.reply("Cleared this channel's instructions.", ephemeral=True)
    text = clean_instructions(value)
    if not text:
        return ctx.reply(USAGE[INSTRUCTIONS], ephemeral=True)
    if len(text) > MAX_INSTRUCTIONS_CHARS:
        log.info("channel instructions refused: too long", extra={"channel": key, "length": len(text)})
        return ctx.reply(f"Those instructions are {len(text):,} characters; the limit is "
                         f"{MAX_INSTRUCTIONS_CHARS:,}. Shorten them and set them again (nothing was changed).",
                         ephemeral=True)
    await store.set(key, INSTRUCTIONS, text)
    log.info("channel instructions set", extra={"channel": key, "by": ctx.command.author.id, "length": len(text)})
    note = f"\n_{OFFLINE_INSTRUCTIONS}_" if ctx.deps.settings.is_offline else (
        " They guide my answers here (tone, language, focus); my safety rules still come first.")
    return ctx.reply(f"Set this channel's instructions ({len(text):,} characters).{note}", ephemeral=True)


async def _set_scope(ctx: CommandContext, value: str) -> Reply:
    store, key = ctx.deps.store.channel_settings, ctx.command.channel.key
    root = ctx.deps.settings.knowledge_dir
    if value.lower() in CLEAR_SCOPE:
        await store.set(key, KNOWLEDGE, None)
        log.info("knowledge scope cleared", extra={"channel": key, "by": ctx.command.author.id})
        return ctx.reply("This channel searches the whole knowledge base again.", ephemeral=True)
    try:
        folders = scope_folders(root, value)
    except ScopeRefused as refused:
        log.info("knowledge scope refused", extra={"channel": key, "folder": refused.folder,
                                                   "reason": refused.reason})
        named = f"`{refused.folder}`: {refused.reason}" if refused.folder else refused.reason.capitalize()
        available = (", ".join(f"`{f}`" for f in refused.available) if refused.available
                     else "none: the knowledge folder has no subfolders yet")
        return ctx.reply(f"I can't limit this channel to that. {named}. Folders of the knowledge folder: "
                         f"{available}. Nothing was changed.", ephemeral=True)
    await store.set(key, KNOWLEDGE, list(folders))
    log.info("knowledge scope set", extra={"channel": key, "by": ctx.command.author.id, "folders": folders})
    shown = ", ".join(f"`{f}/`" for f in folders)
    return ctx.reply(f"This channel now searches only {shown} of the knowledge base (questions asked here, in "
                     "its threads, with `/ask` or a mention).", ephemeral=True)


async def guidance_line(ctx: CommandContext, name: str) -> str:
    """``name``'s line in the settings list."""
    value = await ctx.deps.store.channel_settings.get(ctx.command.channel.key, name, None)
    if name == KNOWLEDGE:
        scope = stored_scope(value)
        shown = ", ".join(f"`{f}/`" for f in scope) if scope else "all (the whole knowledge base)"
        return f"• `{KNOWLEDGE}` = {shown}"
    text = stored_instructions(value)
    if not text:
        return f"• `{INSTRUCTIONS}` = not set"
    quoted = "\n".join(f"> {line}" for line in _cut(text).split("\n"))
    offline = " (not used offline: no model configured)" if ctx.deps.settings.is_offline else ""
    return f"• `{INSTRUCTIONS}` ({len(text):,} characters){offline}:\n{quoted}"


def _cut(text: str) -> str:
    return text if len(text) <= SHOWN_INSTRUCTIONS else text[:SHOWN_INSTRUCTIONS - 1].rstrip() + "…"
