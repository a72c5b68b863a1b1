"""A tool-server set-up for the tests: the loopback MCP server (tests/fakes/mcp_server.py, a stdio subprocess)
in a servers file, and what reached it (one JSON line per call)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.fakes.slack import free_port

SERVER = Path(__file__).resolve().parents[1] / "fakes" / "mcp_server.py"
TOKEN = "tok-5ecret-4242"  # the stdio server's env secret: it reaches the server, never a log
ALLOWED = ["lookup_ticket", "slow_report", "huge_log", "sneaky_note", "ticket_photo", "crash", "create_ticket",
           "count_tickets", "broken_lookup", "garbage", "ticket.history"]  # not delete_everything


class ToolServer:
    def __init__(self, tmp_path: Path) -> None:
        self.calls_file = tmp_path / "mcp_calls.jsonl"
        self.config = tmp_path / "mcp.json"

    def entry(self, **overrides: Any) -> dict[str, Any]:
        entry: dict[str, Any] = {
            "transport": "stdio", "command": sys.executable, "args": [str(SERVER)],
            "env": {"FAKE_MCP_CALLS": str(self.calls_file), "FAKE_MCP_TOKEN": TOKEN},
            "allow": ALLOWED, "acting": [], "read_only": ["count_tickets"], "timeout_s": 15, "max_output_chars": 1000,
        }
        entry.update(overrides)
        return entry

    def write(self, **servers: dict[str, Any]) -> Path:
        self.config.write_text(json.dumps({"servers": servers or {"tickets": self.entry()}}), encoding="utf-8")
        return self.config

    def calls(self, tool: str | None = None) -> list[dict[str, Any]]:
        if not self.calls_file.exists():
            return []
        found = [json.loads(line) for line in self.calls_file.read_text(encoding="utf-8").splitlines()]
        return [c for c in found if tool is None or c["tool"] == tool]


@pytest.fixture
def tool_server(tmp_path: Path) -> ToolServer:
    return ToolServer(tmp_path)


@pytest.fixture
def http_tool_server(tool_server: ToolServer) -> Iterator[str]:
    """The same server over streamable HTTP on 127.0.0.1 (its own process for the test): its URL."""
    port = free_port()
    env = {**os.environ, "FAKE_MCP_CALLS": str(tool_server.calls_file), "FAKE_MCP_TOKEN": "over-http"}
    process = subprocess.Popen([sys.executable, str(SERVER), "--http", str(port)], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30  # a guard for a slow start, not a timing
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert process.poll() is None, "the HTTP MCP server exited"
                assert time.monotonic() < deadline, "the HTTP MCP server did not start"
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}/mcp"
    finally:
        process.terminate()
        process.wait(10)
