"""Core commands: /help, /ask, /forget (with confirmation), /confab (channel settings, feedback)."""

from __future__ import annotations

import difflib
import re
import time

from agent.classify.ledger import EXEMPT_DAYS
from bot import messages as say
from bot.adapter import NamesChannels
from bot.commands import CommandContext, command
from bot.commands.feedback import feedback_report
from bot.commands.guidance import GUIDANCE, guidance_line, set_guidance
from bot.commands.help_settings import HELP_SETTINGS, set_help_setting
from bot.commands.mcp import tool_call_decision
from bot.events import Reply
from bot.feedback import rated_for
from bot.moderation import NO_MOD_CHANNEL
from bot.outbox import reply_for
from bot.platform_access import turn_context

FORGET_WINDOW_S = 60
FORGET_ASKED = "forget_asked"  # channel setting: who asked to forget the channel, and when

# channel settings /confab may change, with their allowed values
CHANNEL_SETTINGS: dict[str, tuple[str, ...]] = {
    "spam_policy": ("off", "flag", "delete", "delete_timeout"),
    "mod_channel": (),
    "spam_exempt_days": (),
    "voice_transcripts": ("on", "off"),  # bot/voice.py: show every recording's transcript, not only when asked
    "instructions": (),  # bot/commands/guidance.py: the admins' instructions for answers here
    "knowledge": (),  # bot/commands/guidance.py: the knowledge folders searched here
    "help_channel": ("on", "off"),  # bot/pipeline/helpdesk.py: answer new posts from the docs by itself
    "help_group": (),  # ... and ping this group when the docs don't cover one
}
_VALUE_SHAPE = {"mod_channel": "#channel", "spam_exempt_days": "days, 0 to 365", "help_group": "@group"}
_CHANNEL_MENTION = re.compile(r"^<#([A-Za-z0-9]+)(?:\|[^>]*)?>$")
_CHANNEL_NAME = re.compile(r"^[\w.\-]{1,80}$")


@command("help", "Show what I can do and the commands I know.", rate_limited=False)
async def help_command(ctx: CommandContext) -> list[Reply]:
    name = ctx.deps.settings.bot_name
    lines = [f"**{name}**: mention me (`@{name} …`) with a question, or use a command:"]
    for spec in sorted(ctx.commands.values(), key=lambda s: s.name):
        if spec.name.startswith("_") or "_" in spec.name:  # shortcuts such as summarize_thread
            continue
        admin = " _(admins)_" if spec.admin_only else ""
        lines.append(f"• `{spec.usage}`: {spec.summary}{admin}")
    if ctx.deps.settings.is_offline:
        lines.append("\n_Running offline: answers come only from your documents and this channel._")
        if ctx.deps.settings.mcp_servers is not None:
            lines.append("_Tool servers (`CONFAB_MCP_SERVERS`) are not used offline: they need a configured model._")
    return [ctx.reply("\n".join(lines), ephemeral=True)]


@command("ask", "Ask me anything; I answer from the team's documents and this channel.", "/ask <question>")
async def ask_command(ctx: CommandContext) -> list[Reply]:
    question = ctx.command.args.strip()
    if not question:
        return [ctx.reply(say.ASK_USAGE, ephemeral=True)]
    if len(question) > ctx.deps.settings.max_message_chars:
        return [ctx.reply(say.TOO_LONG.format(length=len(question), limit=ctx.deps.settings.max_message_chars),
                          ephemeral=True)]
    cmd = ctx.command
    result = await ctx.deps.assistant.ask(turn_context(ctx.adapter, cmd.channel, cmd.author), question)
    header = f"> {question[:300]}\n" if ctx.adapter is None or ctx.adapter.name != "console" else ""
    reply = reply_for(result, cmd.channel, user_id=cmd.author.id)
    rated = None if result.failed else rated_for(question, ctx.deps.settings.model, result.citations)
    return [Reply(reply.channel, header + reply.text, reply.attachments, user_id=cmd.author.id,
                  reply_to=cmd.channel.thread, rated=rated, layout=reply.layout)]


@command("forget", "Erase what I remember about this channel (asks for confirmation; admins, or you in a DM).",
         "/forget [confirm]",
         rate_limited=False)
async def forget_command(ctx: CommandContext) -> list[Reply]:
    """A channel's memory is everyone's there, and holds what admins set (the spam policy, the digest, the
    instructions): only an admin erases it; a direct message with Confab belongs to its one person."""
    cmd = ctx.command
    if not (cmd.author.is_admin or cmd.is_direct):
        return [ctx.reply(say.admin_only("forget", cmd.channel.platform, cmd.author.name)
                          + " In a direct message with me, anyone can.", ephemeral=True)]
    messages, channel_settings = ctx.deps.store.messages, ctx.deps.store.channel_settings
    now = time.time()
    if cmd.args.strip().lower() == "confirm":
        asked = await channel_settings.get(cmd.channel.key, FORGET_ASKED, None)
        if not isinstance(asked, dict) or asked.get("by") != cmd.author.id \
                or not 0 <= now - float(asked.get("at", 0)) <= FORGET_WINDOW_S:
            return [ctx.reply(say.FORGET_NOTHING, ephemeral=True)]
        removed = await messages.forget(cmd.channel.key)  # the request goes with the rest
        return [ctx.reply(say.FORGET_DONE.format(count=removed))]
    await channel_settings.set(cmd.channel.key, FORGET_ASKED, {"by": cmd.author.id, "at": now})
    count = await messages.count(cmd.channel.key)
    return [ctx.reply(say.FORGET_CONFIRM.format(count=count, seconds=FORGET_WINDOW_S), ephemeral=True)]


@command("confab", "Help, this channel's settings, or feedback on my answers (admins).",
         "/confab [settings [name value] | feedback [all] | confirm|cancel <code>]",
         rate_limited=False)
async def confab_command(ctx: CommandContext) -> list[Reply]:
    words = ctx.command.args.split()
    if not words or words[0].lower() == "help":
        return await help_command(ctx)
    if words[0].lower() == "feedback":
        return await feedback_report(ctx, words[1:])
    if words[0].lower() in ("confirm", "cancel"):  # a tool server's acting call waiting for an admin
        return await tool_call_decision(ctx, words[0].lower(), words[1:])
    if words[0].lower() != "settings":
        return [ctx.reply("Usage: `/confab help`, `/confab settings [name value]`, `/confab feedback [all]`, or "
                          "`/confab confirm <code>` / `/confab cancel <code>` for a tool call waiting for an admin.",
                          ephemeral=True)]
    channel_settings, key = ctx.deps.store.channel_settings, ctx.command.channel.key
    if len(words) == 1:
        lines = ["This channel's settings:", *[await _setting_line(ctx, name) for name in CHANNEL_SETTINGS]]
        return [ctx.reply("\n".join(lines), ephemeral=True)]
    name = words[1].lower()
    names = ", ".join(f"`{n}`" for n in CHANNEL_SETTINGS)
    if name not in CHANNEL_SETTINGS:  # "colour", "spam-policy": say which name is unknown, and the likely one
        close = difflib.get_close_matches(name.replace("-", "_"), CHANNEL_SETTINGS, n=1)
        guess = f" Did you mean `{close[0]}`?" if close else ""
        return [ctx.reply(f"There is no setting `{words[1]}`.{guess} Names: {names}.", ephemeral=True)]
    allowed = CHANNEL_SETTINGS[name]
    if len(words) == 2 and name not in GUIDANCE:  # a name alone: its value here, and how to change it
        how = "|".join(allowed) or _VALUE_SHAPE.get(name, "value")
        return [ctx.reply(f"{await _setting_line(ctx, name)}\nChange it with `/confab settings {name} <{how}>` "
                          "(admins).", ephemeral=True)]
    if not ctx.command.author.is_admin:
        return [ctx.reply(say.admin_only("confab settings", ctx.command.channel.platform, ctx.command.author.name),
                          ephemeral=True)]
    if name in GUIDANCE:  # free text, or a list of folders
        return [await set_guidance(ctx, name)]
    if len(words) != 3:
        return [ctx.reply(f"Usage: `/confab settings <name> <value>`; names: {names}.", ephemeral=True)]
    value = words[2]
    if allowed and value not in allowed:
        return [ctx.reply(f"`{name}` must be one of: {', '.join(allowed)}.", ephemeral=True)]
    if name == "mod_channel":
        return [await _set_mod_channel(ctx, value)]
    if name in HELP_SETTINGS:
        return [await set_help_setting(ctx, name, value)]
    if name == "spam_exempt_days":
        if not value.isdigit() or int(value) > 365:
            return [ctx.reply("`spam_exempt_days` is a number of days from 0 (corrections only lower the author's "
                              "risk) to 365.", ephemeral=True)]
        await channel_settings.set(key, name, int(value))
        return [ctx.reply(f"Set `{name}` to `{int(value)}` for this channel.", ephemeral=True)]
    await channel_settings.set(key, name, value)
    return [ctx.reply(f"Set `{name}` to `{value}` for this channel.", ephemeral=True)]


async def _setting_line(ctx: CommandContext, name: str) -> str:
    """One setting as ``/confab settings`` lists it: "• `spam_policy` = `flag`"."""
    if name in GUIDANCE:
        return await guidance_line(ctx, name)
    defaults = {"spam_policy": ctx.deps.settings.spam_policy, "mod_channel": ctx.deps.settings.mod_channel,
                "spam_exempt_days": EXEMPT_DAYS, "voice_transcripts": "off", "help_channel": "off"}
    value = await ctx.deps.store.channel_settings.get(ctx.command.channel.key, name, defaults.get(name))
    shown = f"`{value}`" if value is not None else "not set"
    if name == "mod_channel" and (value is None or str(value).lower() in NO_MOD_CHANNEL):
        shown += " (spam notes reply to the flagged message)"
    elif name == "mod_channel":  # kept by its id, shown as people know the channel
        return f"• `{name}` = {await _stored_channel_shown(ctx, str(value))}"
    return f"• `{name}` = {shown}"


async def _stored_channel_shown(ctx: CommandContext, channel: str) -> str:
    """A channel kept by its id, as people know it: Discord links ``<#id>`` (no one is pinged); Slack's replies show
    ``<`` as typed, so there it is ``#name``, asked of the platform; the id as kept when it can't be named."""
    where = ctx.command.channel
    if where.platform == "discord" and channel.isdigit():
        return f"<#{channel}>"
    if isinstance(ctx.adapter, NamesChannels) and (name := await ctx.adapter.channel_name(where.workspace, channel)):
        return f"#{name}"
    return f"`{channel}`"


def channel_from_mention(value: str, platform: str) -> str | None:
    """The channel a moderator named: ``<#C123|mods>`` (Slack), ``<#123>`` (Discord), ``#mods`` or
    ``mods``; None when it can't name a channel there (Discord needs the mention or the id)."""
    if match := _CHANNEL_MENTION.match(value.strip()):
        return match.group(1)
    name = value.strip().lstrip("#")
    if not _CHANNEL_NAME.match(name) or (platform == "discord" and not name.isdigit()):
        return None
    return name


def _channel_shown(value: str, channel: str, platform: str) -> str:
    """The channel set, as the platform shows it: Discord links ``<#id>`` (no one is pinged); Slack's replies show
    ``<`` as typed, so there it is the name the mention carried (``<#C123|mods>``), or the name typed."""
    if platform == "discord" and channel.isdigit():
        return f"<#{channel}>"
    if _CHANNEL_MENTION.match(value.strip()):
        label = re.match(r"^<#[A-Za-z0-9]+\|([^>]+)>$", value.strip())
        return f"#{label.group(1) if label else channel}"
    return f"#{value.strip().lstrip('#')}"


async def _set_mod_channel(ctx: CommandContext, value: str) -> Reply:
    cmd = ctx.command
    if value.lower() in NO_MOD_CHANNEL:
        await ctx.deps.store.channel_settings.set(cmd.channel.key, "mod_channel", "none")
        return ctx.reply("Spam notes for this channel now reply to the flagged message.", ephemeral=True)
    channel = channel_from_mention(value, cmd.channel.platform)
    named = value.strip().lstrip("#")
    picked = _CHANNEL_MENTION.match(value.strip()) is not None or named.isdigit()
    if not picked and named and isinstance(ctx.adapter, NamesChannels):  # "#mods", typed or a mention shown
        channel = await ctx.adapter.channel_named(cmd.channel.workspace, named)
        if channel is None:  # a typo, or a channel Confab is not in: its notes would never arrive
            return ctx.reply(f"I'm not in a channel called `#{named[:80]}`: invite me to it (or check the name), "
                             "then set it again.", ephemeral=True)
    if channel is None:
        how = "type `#` and pick the channel" if cmd.channel.platform == "discord" else "e.g. `#mods`"
        return ctx.reply(f"I can't tell which channel `{value[:80]}` is: {how}.", ephemeral=True)
    await ctx.deps.store.channel_settings.set(cmd.channel.key, "mod_channel", channel)
    shown = _channel_shown(value, channel, cmd.channel.platform)
    return ctx.reply(f"Set `mod_channel` to {shown}: notes about spam flagged in this channel go there "
                     "(I need to be able to post in it).", ephemeral=True)
