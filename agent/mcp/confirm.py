"""Acting tool calls wait for an admin: the call the model asked for is kept (channel settings, key
``mcp_pending``) under a short code with its time, and runs once when an admin of that channel confirms
within the window (``CONFAB_MCP_CONFIRM_MINUTES``).

Once means once: the event ledger (the table that drops platform redeliveries, shared by every process)
admits a code's first confirmation only, so a double click or two admins at once can't run it twice.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import time
from dataclasses import dataclass, replace
from typing import Any

from agent.core import AgentResult
from agent.storage.ports import ChannelSettingsStore, EventLedger

PENDING_KEY = "mcp_pending"  # channel setting: {code: call}
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I
CODE_LENGTH = 6
MAX_PENDING = 20  # per channel; the oldest go first
MAX_ARGS_CHARS = 4000  # arguments kept (and shown) for a confirmation


@dataclass(frozen=True, slots=True)
class PendingCall:
    code: str
    server: str
    tool: str
    args: dict[str, Any]
    asked_by: str
    at: float
    thread: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {"server": self.server, "tool": self.tool, "args": self.args, "asked_by": self.asked_by,
                "at": self.at, "thread": self.thread}

    @classmethod
    def from_json(cls, code: str, value: Any) -> PendingCall | None:
        try:
            return cls(code, str(value["server"]), str(value["tool"]), dict(value["args"]), str(value["asked_by"]),
                       float(value["at"]), value.get("thread"))
        except (KeyError, TypeError, ValueError):
            return None


class Confirmations:
    def __init__(self, channel_settings: ChannelSettingsStore, ledger: EventLedger, window_s: float) -> None:
        self.channel_settings = channel_settings
        self.ledger = ledger
        self.window_s = window_s
        self._lock = asyncio.Lock()  # one read-modify-write of a channel's pending calls at a time

    async def ask(self, channel_key: str, server: str, tool: str, args: dict[str, Any], asked_by: str,
                  thread: str | None = None) -> PendingCall:
        """Keep the call for confirmation under a new code."""
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        call = PendingCall(code, server, tool, args, asked_by, time.time(), thread)
        async with self._lock:
            pending = await self._live(channel_key)
            pending[code] = call.as_json()
            while len(pending) > MAX_PENDING:
                pending.pop(next(iter(pending)))
            await self.channel_settings.set(channel_key, PENDING_KEY, pending)
        return call

    async def claim(self, channel_key: str, code: str) -> PendingCall | str:
        """The call waiting under ``code`` in this channel, taken for running (exactly once), or why not:
        ``unknown`` (never asked here, or already run), ``expired``."""
        code = code.strip().upper()
        async with self._lock:
            stored = await self.channel_settings.get(channel_key, PENDING_KEY, None)
            stored = dict(stored) if isinstance(stored, dict) else {}
            call = PendingCall.from_json(code, stored.get(code)) if code in stored else None
            if call is None:
                return "unknown"
            stored.pop(code)
            await self.channel_settings.set(channel_key, PENDING_KEY, self._fresh(stored))
        if not 0 <= time.time() - call.at <= self.window_s:
            return "expired"
        if not await self.ledger.first_delivery(f"mcp-confirm:{channel_key}:{code}:{call.at}"):
            return "unknown"
        return call

    async def cancel(self, channel_key: str, code: str) -> PendingCall | None:
        code = code.strip().upper()
        async with self._lock:
            stored = await self.channel_settings.get(channel_key, PENDING_KEY, None)
            stored = dict(stored) if isinstance(stored, dict) else {}
            call = PendingCall.from_json(code, stored.pop(code, None))
            if call is not None:
                await self.channel_settings.set(channel_key, PENDING_KEY, self._fresh(stored))
        return call

    async def _live(self, channel_key: str) -> dict[str, Any]:
        stored = await self.channel_settings.get(channel_key, PENDING_KEY, None)
        return self._fresh(dict(stored) if isinstance(stored, dict) else {})

    def _fresh(self, stored: dict[str, Any]) -> dict[str, Any]:
        now = time.time()
        return {code: value for code, value in stored.items()
                if (call := PendingCall.from_json(code, value)) is not None and 0 <= now - call.at <= self.window_s}


def shown_args(args: dict[str, Any]) -> str:
    """The arguments as people see them in a confirmation request: JSON, cut, unable to end the code block."""
    text = json.dumps(args, ensure_ascii=False, indent=1, default=str)
    if len(text) > 800:
        text = text[:799] + "…"
    return text.replace("```", "'''")


def with_confirmations(result: AgentResult) -> AgentResult:
    """The answer with every confirmation request of the turn, as Confab wrote it (tool, server, arguments,
    code): an admin confirms what will run, never the model's account of it."""
    asks = [o.for_user for o in result.outputs if o.extra.get("confirm") and o.for_user not in result.text]
    if not asks:
        return result
    return replace(result, text="\n\n".join([result.text, *asks]))
