"""Slash commands: a registry of small handlers, one module per feature.

A handler gets a :class:`CommandContext` and returns the replies; the adapter delivers them
(ephemeral where the platform allows and the reply asks for it). Feature modules register with
the :func:`command` decorator and are listed in :data:`COMMAND_MODULES`.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.events import Command, Reply

if TYPE_CHECKING:
    from agent.deps import Deps
    from bot.adapter import Adapter
    from bot.pipeline import Pipeline

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class CommandContext:
    command: Command
    deps: Deps
    pipeline: Pipeline
    adapter: Adapter | None

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


REGISTRY: dict[str, CommandSpec] = {}

# one module per feature; importing it registers its commands
COMMAND_MODULES: list[str] = [
    "bot.commands.summarize", "bot.commands.brainstorm", "bot.commands.knowledge",
    "bot.commands.images", "bot.commands.spam",
    "bot.commands.core",
]


def command(name: str, summary: str, usage: str = "", admin_only: bool = False, rate_limited: bool = True
            ) -> Callable[[CommandHandler], CommandHandler]:
    def register(handler: CommandHandler) -> CommandHandler:
        REGISTRY[name] = CommandSpec(name, summary, usage or f"/{name}", handler, admin_only,
                                     rate_limited and not admin_only)
        return handler

    return register


def load_commands() -> dict[str, CommandSpec]:
    for module_name in COMMAND_MODULES:
        importlib.import_module(module_name)
    return REGISTRY
