"""/imagine <prompt>: generate an image and post it here."""

from __future__ import annotations

from bot.commands import CommandContext, command
from bot.events import Attachment, Reply
from bot.text import neutralize_mentions


@command("imagine", "Generate an image from a description and post it here.", "/imagine <prompt>")
async def imagine_command(ctx: CommandContext) -> list[Reply]:
    cmd = ctx.command
    result = await ctx.deps.images.create(cmd.args, cmd.author.id, cmd.channel.key, cmd.channel.thread, refine=True)
    if not result.ok or result.file is None:
        return [ctx.reply(result.message, ephemeral=True)]
    file = result.file
    caption = neutralize_mentions(f"{result.message}\n_(requested by {cmd.author.name})_")
    return [Reply(cmd.channel, caption, attachments=(Attachment(file.filename, file.data, file.mime, file.alt_text),),
                  reply_to=cmd.channel.thread)]
