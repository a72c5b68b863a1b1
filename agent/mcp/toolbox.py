"""The admin's tool servers as agent tools: loaded once at start through langchain-mcp-adapters, each allowed
tool wrapped in a LangChain tool of ours that keeps the rules.

* only tools on the server's ``allow`` list exist for the model (named ``<server>_<tool>``);
* a call gets the server's ``timeout_s`` (a hung server is a short error, never a hung turn; the agent core's
  own tool timeout and deadline bound it too) and its output is capped at ``max_output_chars``;
* output reaches the model delimited as untrusted data (:mod:`agent.mcp.results`);
* an acting tool doesn't run when the model calls it: the call waits for an admin (:mod:`agent.mcp.confirm`).

A server that is down at start, crashes mid-call or answers garbage costs its own tools only: a short message
to the model, a log line (secrets masked), and Confab works on. Stdio servers are started for each call (the
adapter's default): a crash can't leave a broken session behind.
"""

from __future__ import annotations

import asyncio
import logging
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from langchain_core.tools import BaseTool, StructuredTool, ToolException

from agent.context import current_turn, report
from agent.mcp.config import ServerConfig
from agent.mcp.confirm import MAX_ARGS_CHARS, Confirmations, PendingCall, shown_args
from agent.mcp.results import cap, content_text, for_model
from agent.tools.base import ToolOutput

if TYPE_CHECKING:
    from langchain_mcp_adapters.sessions import Connection

log = logging.getLogger(__name__)

_TOOL_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")  # what model providers accept as a tool's name
DESCRIPTION_CHARS = 1000


@dataclass(frozen=True, slots=True)
class Outcome:
    ok: bool
    text: str  # the capped output, or a short reason it failed (for people, through the outbox)
    error_data: str | None = None  # the server's own words about its failure: untrusted, like output


@dataclass(frozen=True, slots=True)
class ServerTools:
    """What a server offered at start and what of it the model may use."""

    server: ServerConfig
    offered: tuple[str, ...]
    exposed: dict[str, BaseTool]  # the adapter's tool by its name on the server
    acting: frozenset[str]
    problem: str | None = None  # why the server is not used (it did not start, …)


def masked(text: str, server: ServerConfig) -> str:
    for secret in server.secrets():
        text = text.replace(secret, "***")
    return " ".join(text.split())[:300]


async def list_server_tools(server: ServerConfig) -> ServerTools:
    """Start ``server`` (within its ``start_timeout_s``) and list its tools; a failure is reported in
    ``problem``, never raised."""
    from langchain_mcp_adapters.client import MultiServerMCPClient

    connection: Connection = server.connection()  # type: ignore[assignment]
    client = MultiServerMCPClient({server.name: connection}, handle_tool_errors=False)
    try:
        async with asyncio.timeout(server.start_timeout_s):
            tools = await client.get_tools(server_name=server.name)
    except Exception as exc:
        reason = "it did not answer in time" if isinstance(exc, TimeoutError) else \
            f"{type(exc).__name__}: {masked(str(exc), server)}"
        log.warning("tool server not used: %s", reason, extra={"mcp_server": server.name})
        return ServerTools(server, (), {}, frozenset(), problem=reason)
    offered = tuple(t.name for t in tools)
    exposed = {t.name: t for t in tools if t.name in server.allow}
    acting = frozenset(name for name, t in exposed.items() if server.is_acting(name, t.metadata))
    return ServerTools(server, offered, exposed, acting)


def argument_problem(schema: dict[str, Any], args: dict[str, Any]) -> str | None:
    """What is wrong with the model's ``args`` for the tool's JSON schema; None when they fit, or when the
    server's schema can't be read (the server judges its own arguments then)."""
    from jsonschema import ValidationError, validators

    try:
        validator = validators.validator_for(schema)(schema)
        validator.validate(args)
    except ValidationError as exc:
        return " ".join(str(exc.message).split())[:200]
    except Exception:
        log.debug("a tool's argument schema can't be checked", exc_info=True)
    return None


class McpToolbox:
    """The tool servers' tools for the agent (:attr:`tools`) and the confirmed calls (:meth:`run_confirmed`)."""

    def __init__(self, servers: list[ServerConfig], confirmations: Confirmations) -> None:
        self.servers = {s.name: s for s in servers}
        self.confirmations = confirmations
        self.loaded: dict[str, ServerTools] = {}
        self.tools: list[BaseTool] = []

    async def load(self, reserved: frozenset[str] = frozenset(), tool_timeout_s: float | None = None) -> None:
        """Start every server at once and wrap its allowed tools (servers that fail are left out). A tool whose
        name is ``reserved`` (one of Confab's own) is left out rather than put in its place."""
        listed = await asyncio.gather(*(list_server_tools(s) for s in self.servers.values()))
        for found in listed:
            self.loaded[found.server.name] = found
            if found.problem is not None:
                continue
            if tool_timeout_s is not None and found.server.timeout_s >= tool_timeout_s:
                log.warning("timeout_s is not below CONFAB_AGENT_TOOL_TIMEOUT: in an answer, the agent stops a "
                            "slow call first", extra={"mcp_server": found.server.name})
            missing = sorted(found.server.allow - set(found.offered))
            if missing:
                log.warning("allowed tools the server does not offer: %s", ", ".join(missing),
                            extra={"mcp_server": found.server.name})
            if not found.server.allow:
                log.warning("no tool of this server is allowed (list them in `allow`)",
                            extra={"mcp_server": found.server.name})
            for name, tool in found.exposed.items():
                wrapped = self._wrap(found.server, tool, name in found.acting)
                if wrapped is not None and wrapped.name in reserved:
                    log.warning("tool left out: Confab has a tool of that name", extra={
                        "mcp_server": found.server.name, "tool": wrapped.name})
                elif wrapped is not None:
                    self.tools.append(wrapped)
        log.info("tool servers loaded", extra={"mcp_tools": [t.name for t in self.tools]})

    def _wrap(self, server: ServerConfig, tool: BaseTool, acting: bool) -> BaseTool | None:
        name = f"{server.name}_{tool.name}"
        if not _TOOL_NAME.match(name):
            log.warning("tool left out: its name can't be a model's tool name", extra={
                "mcp_server": server.name, "tool": name[:80]})
            return None
        description = " ".join((tool.description or "").split())[:DESCRIPTION_CHARS]
        description = f"(tool server `{server.name}`) {description or tool.name}"
        if acting:
            description += (" This tool changes things: calling it does not run it, it asks an admin to confirm "
                            "in the chat first. Call it only when the user asks for exactly this.")

        schema = tool.args_schema if isinstance(tool.args_schema, dict) else {"type": "object", "properties": {}}

        async def call(**args: Any) -> tuple[str, ToolOutput]:
            if (problem := argument_problem(schema, args)) is not None:  # before an admin is asked about it
                text = f"The arguments for `{tool.name}` don't fit it: {problem}"
                return f"ERROR: {text}", ToolOutput(name, text, ok=False)
            if acting:
                return await self._ask(server, tool.name, name, args)
            report(f"is asking {server.name}…")
            outcome = await self.call(server, tool, args)
            if not outcome.ok and outcome.error_data is not None:
                return (f"ERROR: `{tool.name}` reported an error; its message follows.\n"
                        f"{for_model(server.name, tool.name, outcome.error_data)}",
                        ToolOutput(name, outcome.text, ok=False))
            if not outcome.ok:
                return f"ERROR: {outcome.text}", ToolOutput(name, outcome.text, ok=False)
            return for_model(server.name, tool.name, outcome.text), ToolOutput(name, outcome.text)

        return StructuredTool(name=name, description=description, args_schema=schema, coroutine=call,
                              response_format="content_and_artifact")

    async def call(self, server: ServerConfig, tool: BaseTool, args: dict[str, Any]) -> Outcome:
        """Run ``tool`` on ``server`` once, bounded by its timeout; the capped text, or a short reason."""
        where = {"mcp_server": server.name, "tool": tool.name}
        try:
            async with asyncio.timeout(server.timeout_s):
                content = await tool.ainvoke(args)
        except TimeoutError:
            log.warning("tool server call timed out", extra={**where, "timeout_s": server.timeout_s})
            return Outcome(False, f"The tool server `{server.name}` took longer than {server.timeout_s:g}s "
                                  f"with `{tool.name}`; the call was stopped.")
        except Exception as exc:
            log.warning("tool server call failed: %s: %s", type(exc).__name__, masked(str(exc), server),
                        extra=where)
            if isinstance(exc, ToolException):  # the tool ran and reported an error (an MCP isError result)
                reason = cap(content_text(str(exc)), 500)
                return Outcome(False, f"`{tool.name}` on `{server.name}` reported an error: {reason}", reason)
            return Outcome(False, f"The tool server `{server.name}` failed with `{tool.name}` "
                                  f"({type(exc).__name__}).")
        text = content_text(content)
        if not text.strip():
            return Outcome(True, "(the tool returned nothing)")
        return Outcome(True, cap(text, server.max_output_chars))

    async def _ask(self, server: ServerConfig, tool: str, name: str, args: dict[str, Any]) -> tuple[str, ToolOutput]:
        turn = current_turn.get()
        if turn is None:
            text = "This tool changes things and needs an admin's confirmation in a chat; it was not run."
            return f"ERROR: {text}", ToolOutput(name, text, ok=False)
        if len(shown := shown_args(args)) > MAX_ARGS_CHARS or len(repr(args)) > MAX_ARGS_CHARS:
            text = f"The arguments for `{tool}` are too long to ask an admin about; it was not run."
            return f"ERROR: {text}", ToolOutput(name, text, ok=False)
        call = await self.confirmations.ask(turn.channel_key, server.name, tool, args, turn.author_id, turn.thread)
        minutes = round(self.confirmations.window_s / 60)
        log.info("acting tool call waits for an admin", extra={"mcp_server": server.name, "tool": tool,
                                                               "code": call.code})
        for_user = (f"I'd like to run `{tool}` on the tool server `{server.name}` with:\n```\n{shown}\n```\n"
                    f"It changes things, so an admin must confirm first: `/confab confirm {call.code}` "
                    f"(in this channel, within {minutes} minutes).")
        for_model_text = (f"NOT RUN: `{tool}` changes things, so it waits for an admin's confirmation (within "
                          f"{minutes} minutes). Confab shows the admins the call and how to confirm it under your "
                          "answer: say briefly that it waits for an admin; don't claim it was done.")
        return for_model_text, ToolOutput(name, for_user, extra={"confirm": call.code})

    async def run_confirmed(self, call: PendingCall) -> Outcome:
        """Run a call an admin confirmed (taken with :meth:`Confirmations.claim`, so once)."""
        loaded = self.loaded.get(call.server)
        tool = loaded.exposed.get(call.tool) if loaded is not None else None
        if loaded is None or tool is None or call.tool not in loaded.acting:
            return Outcome(False, f"`{call.tool}` on `{call.server}` is not available any more.")
        log.info("running a confirmed tool call", extra={"mcp_server": call.server, "tool": call.tool,
                                                         "code": call.code})
        return await self.call(loaded.server, tool, call.args)
