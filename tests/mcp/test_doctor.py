"""``confab doctor`` checks the tool servers: the file parses, each server starts and lists its tools (a short
timeout), every allowed tool exists; any problem exits 1. Secrets are never printed."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from bot.cli.mcp_checks import mcp_checks
from tests.fakes.settings import make_settings
from tests.mcp.conftest import TOKEN, ToolServer

ROOT = Path(__file__).resolve().parents[2]  # this checkout's code, whatever the venv installed
MODEL = {"model": "openai:gpt-4.1-mini", "openai_api_key": "sk-test"}


def test_a_working_server_is_ok_with_what_it_allows(tmp_path: Path, tool_server: ToolServer) -> None:
    checks = mcp_checks(make_settings(tmp_path, mcp_servers=tool_server.write(), **MODEL))
    assert [c.ok for c in checks] == [True, True]
    assert "create_ticket (acting)" in checks[1].found and "lookup_ticket," in checks[1].found
    assert "count_tickets," in checks[1].found and "count_tickets (acting)" not in checks[1].found
    assert "delete_everything" not in checks[1].found


def test_problems_are_reported_one_per_server(tmp_path: Path, tool_server: ToolServer) -> None:
    tool_server.write(tickets=tool_server.entry(allow=["lookup_ticket", "lookup_tikcet"]),
                      broken=tool_server.entry(command="/nonexistent/mcp-server", args=[]),
                      idle=tool_server.entry(allow=[]))
    checks = mcp_checks(make_settings(tmp_path, mcp_servers=tool_server.config, **MODEL))
    by_name = {c.name: c for c in checks}
    assert not by_name["tool server tickets"].ok and "lookup_tikcet" in by_name["tool server tickets"].found
    assert not by_name["tool server broken"].ok and "did not start" in by_name["tool server broken"].found
    idle = by_name["tool server idle"]
    assert not idle.ok and "no tool allowed" in idle.found and "lookup_ticket" in idle.fix
    assert all(TOKEN not in c.found + c.fix for c in checks)


def test_offline_the_servers_are_a_problem_and_a_bad_file_too(tmp_path: Path, tool_server: ToolServer) -> None:
    offline = mcp_checks(make_settings(tmp_path, mcp_servers=tool_server.write()))
    assert not offline[-1].ok and "offline" in offline[-1].found
    assert tool_server.calls() == []
    bad = tmp_path / "bad.json"
    bad.write_text('{"servers": {"x": {"transport": "stdio"}}}')
    (check,) = mcp_checks(make_settings(tmp_path, mcp_servers=bad, **MODEL))
    assert not check.ok and "needs `command`" in check.found
    assert mcp_checks(make_settings(tmp_path)) == []  # not configured: nothing to check


def test_doctor_exits_1_on_a_bad_servers_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{oops")
    (tmp_path / "knowledge").mkdir()
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "CONFAB_DATA_DIR": str(tmp_path / "data"),
           "CONFAB_KNOWLEDGE_DIR": str(tmp_path / "knowledge"), "CONFAB_MCP_SERVERS": str(bad),
           "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-m", "bot.cli", "doctor", "--no-call"], capture_output=True, text=True,
                          timeout=90, env=env, cwd=tmp_path, check=False)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "CONFAB_MCP_SERVERS" in done.stdout and "not valid JSON" in done.stdout
