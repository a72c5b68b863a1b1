"""/reindex: re-read the knowledge folder now (admins)."""

from __future__ import annotations

import logging

from agent.errors import ConfabError
from agent.knowledge.loaders import display_name
from bot.commands import CommandContext, command
from bot.events import Reply

log = logging.getLogger(__name__)


@command("reindex", "Re-read the knowledge folder now (it is also watched while I run).", "/reindex",
         admin_only=True)
async def reindex_command(ctx: CommandContext) -> list[Reply]:
    try:
        report = await ctx.deps.knowledge.reindex()
    except ConfabError as exc:
        return [ctx.reply(exc.user_message, ephemeral=True)]
    by = "" if ctx.deps.knowledge.indexer else "The indexer re-read the folder. "
    if not report.changed:
        text = f"{by}The index is already up to date ({report.files} files, {report.chunks} passages)."
    else:
        text = (f"{by}Re-indexed: {report.files} files, {report.chunks} passages "
                f"({len(report.embedded)} updated, {len(report.removed)} removed) "
                f"in {report.seconds:.{1 if report.seconds >= 1 else 2}f} s.")  # not "0.0 s" for one small file
    if report.skipped:
        names = ", ".join(f"`{display_name(s.rel)}` ({s.reason})" for s in report.skipped[:5])
        more = f" and {len(report.skipped) - 5} more" if len(report.skipped) > 5 else ""
        text += f"\nSkipped: {names}{more}."
    return [ctx.reply(text, ephemeral=True)]
