"""Tool servers (Model Context Protocol): admin-configured servers whose allowed tools the agent may call
when a model is configured (``CONFAB_MCP_SERVERS``; see :mod:`agent.mcp.config` for the file)."""

from __future__ import annotations

import logging

from agent.mcp.config import load_servers
from agent.mcp.confirm import Confirmations
from agent.mcp.toolbox import McpToolbox
from agent.settings import Settings
from agent.storage.ports import ChannelSettingsStore, EventLedger

log = logging.getLogger(__name__)


async def open_mcp(settings: Settings, channel_settings: ChannelSettingsStore, ledger: EventLedger,
                   reserved: frozenset[str] = frozenset()) -> McpToolbox | None:
    """The tool servers' tools, loaded once; None when none are configured, offline (no model chooses tools
    there), or in a process that doesn't answer. A file that does not parse raises
    :class:`~agent.errors.ConfigError`; a server that does not start is logged and left out, and so is a tool
    named like one of ``reserved`` (Confab's own tools)."""
    if settings.mcp_servers is None:
        return None
    if settings.is_offline:
        log.warning("CONFAB_MCP_SERVERS is set but CONFAB_MODEL is offline: tool servers need a model that "
                    "chooses tools, so they are not used")
        return None
    servers = load_servers(settings.mcp_servers)  # a file that doesn't parse stops every role's start
    if not settings.answers:
        return None  # an ingress, a gateway or the indexer never runs a turn: no server is started for it
    toolbox = McpToolbox(servers, Confirmations(channel_settings, ledger, settings.mcp_confirm_minutes * 60))
    await toolbox.load(reserved, settings.agent_tool_timeout_s)
    return toolbox


__all__ = ["McpToolbox", "open_mcp"]
