"""``confab doctor``'s tool-server checks (``CONFAB_MCP_SERVERS``): the file parses, each server starts and
lists its tools within a short timeout, and every allowed tool is one it offers. Secrets are never printed."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from agent.errors import ConfigError
from bot.cli.token_checks import Check

if TYPE_CHECKING:
    from bot.settings import Settings

DOCTOR_START_TIMEOUT_S = 10.0  # doctor waits at most this long for a server (less when the file says less)


def mcp_checks(settings: Settings) -> list[Check]:
    from agent.mcp.config import load_servers
    from agent.mcp.toolbox import list_server_tools

    if settings.mcp_servers is None:
        return []
    name = "CONFAB_MCP_SERVERS"
    try:
        servers = load_servers(settings.mcp_servers)
    except ConfigError as exc:
        return [Check(name, False, str(exc), "fix the file (knowledge/configuration.md shows the format)")]
    checks = [Check(name, True, f"{settings.mcp_servers} ({len(servers)} servers)")]
    if settings.is_offline:
        checks.append(Check(name, False, "CONFAB_MODEL is offline: tool servers need a model that chooses tools",
                            "set CONFAB_MODEL (and its key), or unset CONFAB_MCP_SERVERS"))
        return checks
    servers = [s.model_copy(update={"start_timeout_s": min(s.start_timeout_s, DOCTOR_START_TIMEOUT_S)})
               for s in servers]

    async def list_all() -> list[Check]:
        found = await asyncio.gather(*(list_server_tools(s) for s in servers))
        out = []
        for tools in found:
            label = f"tool server {tools.server.name}"[:21]
            if tools.problem is not None:
                out.append(Check(label, False, f"did not start: {tools.problem}",
                                 "check its command/url in the file, and that it runs on its own"))
                continue
            if not tools.server.allow:
                offered = ", ".join(tools.offered) or "nothing"
                out.append(Check(label, False, "no tool allowed: nothing is used unless listed in `allow`",
                                 f"list the tools to use in `allow`; it offers: {offered}"))
                continue
            missing = sorted(tools.server.allow - set(tools.offered))
            if missing:
                out.append(Check(label, False, f"allowed but not offered: {', '.join(missing)}",
                                 f"it offers: {', '.join(tools.offered) or 'nothing'}"))
                continue
            allowed = ", ".join(f"{t}{' (acting)' if t in tools.acting else ''}" for t in sorted(tools.exposed))
            out.append(Check(label, True, f"{len(tools.offered)} tools, allowed: {allowed or 'none'}"))
        return out

    return checks + asyncio.run(list_all())
