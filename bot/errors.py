"""Errors of the platform edge (``bot/``), on top of the agent's (:mod:`agent.errors`).

    agent.errors.ConfabError
    ├── agent.errors.ConfigError
    │   └── ConfigError        a platform setting is missing, or the platform refused it (names the env var)
    └── PlatformError          a platform API call could not be made as asked
        ├── PaceExceeded       Slack's rate tier for a method is used up for longer than the caller waits
        └── FileRefused        an attached file was not downloaded (host, size, type, the file host's answer)

A platform ``ConfigError`` is an ``agent.errors.ConfigError``, so ``confab run`` and ``confab chat``
report every configuration problem the same way (exit 2, the message naming the variable). Every
error carries ``user_message``: one short sentence that can be shown in chat.
"""

from __future__ import annotations

from agent.errors import ConfabError
from agent.errors import ConfigError as AgentConfigError

__all__ = ["ConfigError", "FileRefused", "PaceExceeded", "PlatformError"]


class ConfigError(AgentConfigError):
    user_message = "Confab's connection to this platform is misconfigured; check the settings."


class PlatformError(ConfabError):
    user_message = "The chat platform refused that just now. Please try again in a moment."


class PaceExceeded(PlatformError):
    """The method's budget is spent for longer than the caller is willing to wait."""

    user_message = "Slack is limiting how fast I can read this channel; please try again in a minute."


class FileRefused(PlatformError):
    """An attachment was not fetched (:meth:`bot.adapter.Adapter.fetch_file`); ``reason`` is one short phrase
    for the person ("it is over the 10 MB limit"), also the ``user_message``."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason, user_message=reason)
        self.reason = reason
