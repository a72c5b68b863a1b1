"""Slash commands: small handlers, one module per feature.

A handler gets a :class:`CommandContext` (the command, the deps, the outbox, the channel's adapter) and
returns the replies; the adapter delivers them through the outbox (ephemeral where the platform allows and
the reply asks for it). Handlers are marked with the :func:`command` decorator in the modules listed in
:data:`COMMAND_MODULES`; :func:`load_commands` collects them (no registry kept between calls).
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.events import Command, Reply

if TYPE_CHECKING:
    from agent.deps import Deps
    from bot.adapter import Adapter
    from bot.outbox import Outbox

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class CommandContext:
    command: Command
    deps: Deps
    outbox: Outbox
    adapter: Adapter | None
    commands: Mapping[str, CommandSpec]  # every command (for /help)

    def reply(self, text: str, *, ephemeral: bool = False, **kwargs: object) -> Reply:
        """A reply in the command's channel (and thread)."""
        cmd = self.command
        return Reply(channel=cmd.channel, text=text, ephemeral=ephemeral, user_id=cmd.author.id,
                     reply_to=cmd.channel.thread, **kwargs)  # type: ignore[arg-type]


CommandHandler = Callable[[CommandContext], Awaitable[list[Reply]]]


@dataclass(frozen=True, slots=True)
class CommandSpec:
    name: str
    summary: str
    usage: str
    handler: CommandHandler
    admin_only: bool = False
    # cheap commands (help, settings, /forget) and admins' commands never count against the rate limit
    rate_limited: bool = True


# one module per feature; each marks its handlers with @command
COMMAND_MODULES: list[str] = [
    "bot.commands.summarize", "bot.commands.brainstorm", "bot.commands.knowledge",
    "bot.commands.images", "bot.commands.spam", "bot.commands.recall", "bot.commands.digest",
    "bot.commands.core",
]

_SPEC = "confab_command_spec"  # the attribute @command puts on a handler


def command(name: str, summary: str, usage: str = "", admin_only: bool = False, rate_limited: bool = True
            ) -> Callable[[CommandHandler], CommandHandler]:
    def mark(handler: CommandHandler) -> CommandHandler:
        spec = CommandSpec(name, summary, usage or f"/{name}", handler, admin_only, rate_limited and not admin_only)
        setattr(handler, _SPEC, spec)
        return handler

    return mark


def load_commands() -> dict[str, CommandSpec]:
    """Every command of :data:`COMMAND_MODULES`, by name."""
    specs: dict[str, CommandSpec] = {}
    for module_name in COMMAND_MODULES:
        module = importlib.import_module(module_name)
        for value in vars(module).values():
            spec = getattr(value, _SPEC, None)
            if isinstance(spec, CommandSpec):
                specs[spec.name] = spec
    return specs
