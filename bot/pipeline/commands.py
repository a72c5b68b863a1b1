"""The command step: find the command, check who may run it and the rate limit, run it within the deadline.

A command gets a :class:`~bot.commands.CommandContext` (the command, the deps, the outbox, the channel's
adapter), never the pipeline; its replies are returned for the adapter to deliver its platform's way
(through the outbox)."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping, Sequence

from agent.deps import Deps
from bot import messages as say
from bot.commands import CommandContext, CommandSpec
from bot.events import Command, Reply
from bot.outbox import Outbox
from bot.pipeline.limit import Limit, refusal
from bot.text import scrub

log = logging.getLogger(__name__)


class CommandRunner:
    def __init__(self, specs: Mapping[str, CommandSpec], deps: Deps, outbox: Outbox, limit: Limit) -> None:
        self.specs = specs
        self.deps = deps
        self.outbox = outbox
        self.limit = limit

    async def run(self, command: Command) -> Sequence[Reply]:
        started = time.monotonic()
        command = scrub(command)
        spec = self.specs.get(command.name)
        ctx = CommandContext(command, self.deps, self.outbox, self.outbox.adapter_for(command.channel), self.specs)
        if spec is None:
            log.info("unknown command", extra={"command": command.name[:40]})
            return [ctx.reply(say.UNKNOWN_COMMAND.format(name=command.name[:40]), ephemeral=True)]
        if spec.admin_only and not command.author.is_admin:
            return [ctx.reply(say.admin_only(spec.name, command.channel.platform, command.author.name),
                              ephemeral=True)]
        if spec.rate_limited and not (verdict := await self.limit.verdict(command.author, command.channel)).allowed:
            return [refusal(verdict, command.channel, command.author, reply_to=command.channel.thread)]
        deadline = self.deps.settings.agent_deadline_s
        try:
            async with asyncio.timeout(deadline):
                replies = await spec.handler(ctx)
        except TimeoutError:
            log.warning("command timed out", extra={"command": spec.name, "seconds": deadline})
            return [ctx.reply(say.COMMAND_TIMED_OUT.format(name=spec.name, seconds=deadline), ephemeral=True)]
        except Exception:
            log.exception("command failed", extra={"command": spec.name})
            return [ctx.reply(say.COMMAND_FAILED.format(name=spec.name), ephemeral=True)]
        log.info("command handled", extra={"command": spec.name, "seconds": round(time.monotonic() - started, 3)})
        return replies
