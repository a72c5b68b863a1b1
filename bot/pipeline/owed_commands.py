"""Commands owed an answer: recorded as a platform edge acknowledges them, resumed at start.

A slash command, a shortcut or a Discord interaction is recorded (the command as JSON, and the
edge's way back to the asker: Slack's ``response_url``, an interaction's token) before or as it is
acknowledged, and settled once its replies were delivered. At start, each owed command still young
enough for its platform (``min(CONFAB_RESUME_MAX_AGE_S, the edge's max_age_s)``) is run again by its
edge and answered through that way back; older ones are let go (the edge tidies what the asker sees
while the way back still works) and settled. Records older than any way back lasts are settled even
when their platform does not run in this process, so no token outlives its use.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Literal

from agent.storage.ports import PendingCommand, PendingCommands
from bot.adapter import CommandsOwed
from bot.events import ChannelRef, Command
from bot.pipeline.ingest import author_fields, author_from, channel_fields

log = logging.getLogger(__name__)

ROUTES_LAST_S = 3600.0  # no platform keeps a way back longer (Slack 30 min, Discord 15 min)


def owed_command(command: Command, route: str) -> PendingCommand:
    """The record of ``command``'s owed answer (it must have an id: the platform's, e.g. a trigger id)."""
    assert command.id, "an owed command needs its platform id"
    return PendingCommand(command.channel.key, command.id, command_to_json(command), route, time.time())


def command_to_json(command: Command) -> str:
    """What running the command again needs (no platform payload)."""
    return json.dumps({
        "name": command.name, "args": command.args, "channel": list(channel_fields(command.channel)),
        "author": author_fields(command.author), "target": command.target, "id": command.id,
        "target_at": command.target_at.isoformat() if command.target_at else None, "is_direct": command.is_direct,
    }, ensure_ascii=False)


def command_from_json(payload: str) -> Command:
    """The command :func:`command_to_json` wrote; raises ValueError (or KeyError/TypeError) when damaged."""
    data: dict[str, Any] = json.loads(payload)
    target_at = data.get("target_at")
    return Command(
        name=str(data["name"]), args=str(data["args"]), channel=ChannelRef(*data["channel"]),
        author=author_from(data["author"]), target=data.get("target"), id=data.get("id"),
        target_at=datetime.fromisoformat(target_at) if target_at else None, is_direct=data.get("is_direct") is True,
    )


async def resume_commands(pending: PendingCommands, edges: Mapping[str, CommandsOwed], max_age_s: float) -> int:
    """Run again every owed command still answerable (oldest first, concurrently); returns how many were run."""
    outcomes = await asyncio.gather(*(answer_owed(pending, owed, edges, max_age_s)
                                      for owed in await pending.owed()))
    return sum(outcome == "answered" for outcome in outcomes)


async def answer_owed(pending: PendingCommands, owed: PendingCommand, edges: Mapping[str, CommandsOwed],
                      max_age_s: float) -> Literal["answered", "let go", "elsewhere"]:
    """Answer one owed command through its route (returns once answered and settled), or let it go when
    it is too old or damaged; "elsewhere" when its platform does not run in this process."""
    age = time.time() - owed.created_at
    where = {"channel": owed.channel_key, "age_s": round(age)}
    try:
        command = command_from_json(owed.payload)
    except (ValueError, KeyError, TypeError):
        log.error("damaged owed-command record dropped", extra=where)
        await pending.settle(owed.channel_key, owed.command_id)
        return "let go"
    edge = edges.get(command.channel.platform)
    if edge is None:  # that platform is not running in this process
        if age > ROUTES_LAST_S:
            await pending.settle(owed.channel_key, owed.command_id)
            return "let go"
        return "elsewhere"
    if age > min(max_age_s, edge.max_age_s):
        log.info("owed command too old to run again; let go", extra={**where, "command": command.name})
        try:
            await edge.let_go(command, owed.route, age)
        except Exception:
            log.exception("tidying up a command let go failed", extra=where)
        await pending.settle(owed.channel_key, owed.command_id)
        return "let go"
    log.info("answering an owed command", extra={**where, "command": command.name})
    try:
        await edge.resume(command, owed.route)
    except Exception:
        log.exception("answering an owed command failed; let go", extra=where)
        await pending.settle(owed.channel_key, owed.command_id)
        return "let go"
    return "answered"
