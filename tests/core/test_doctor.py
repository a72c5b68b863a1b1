"""Misconfiguration fails fast: ``confab run`` exits at once naming the fix, and ``confab doctor``
really checks (provider package, key, a one-token call against the fake OpenAI server, knowledge
folder, token shapes), printing ok/problem per check and exiting non-zero on any problem."""

from __future__ import annotations

import asyncio
import base64
import importlib.util
import os
import pty
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.fakes.openai_server import FakeOpenAI, error_reply

CONFAB = str(Path(sys.executable).with_name("confab"))
GUARD_S = 90  # a hang would otherwise stall the suite; this is a guard, not a timing assertion


def env_for(tmp_path: Path, **values: str) -> dict[str, str]:
    knowledge = tmp_path / "knowledge"
    knowledge.mkdir(exist_ok=True)
    (knowledge / "deploy.md").write_text("# Deploy\nUse Docker.\n", encoding="utf-8")
    return {**os.environ, "HF_HUB_OFFLINE": "1", "CONFAB_DATA_DIR": str(tmp_path / "data"),
            "CONFAB_KNOWLEDGE_DIR": str(knowledge), "CONFAB_KNOWLEDGE_WATCH": "false", **values}


def confab(tmp_path: Path, *args: str, **values: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([CONFAB, *args], input="", capture_output=True, text=True, timeout=GUARD_S,
                          env=env_for(tmp_path, **values), cwd=tmp_path, check=False)


def discord_shaped_token(user_id: str = "1234567890123456789") -> str:
    first = base64.urlsafe_b64encode(user_id.encode()).decode().rstrip("=")
    return f"{first}.GhIjKl.{'a1B2c3D4e5' * 3}xyzXYZ12"


def test_run_without_the_openai_key_exits_at_once_naming_it(tmp_path: Path) -> None:
    done = confab(tmp_path, "run", CONFAB_MODEL="openai:gpt-4.1-mini")
    assert done.returncode == 2
    assert "CONFAB_MODEL=openai:gpt-4.1-mini needs OPENAI_API_KEY" in done.stderr


def test_run_with_a_provider_package_missing_exits_naming_the_package(tmp_path: Path) -> None:
    if importlib.util.find_spec("langchain_ollama") is not None:
        pytest.skip("langchain-ollama is installed here")
    done = confab(tmp_path, "run", CONFAB_MODEL="ollama:llama3.1")
    assert done.returncode == 2
    assert "pip install langchain-ollama" in done.stderr and "Traceback" not in done.stderr


@pytest.mark.parametrize(("spec", "hint"), [("opneai:gpt-4.1-mini", "did you mean 'openai'?"), ("acme:big", "")])
def test_run_with_a_provider_langchain_does_not_know_names_it_not_a_package(tmp_path: Path, spec: str,
                                                                            hint: str) -> None:
    """A typo in the provider was told to pip install langchain-opneai, a package that does not exist."""
    done = confab(tmp_path, "run", CONFAB_MODEL=spec)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert f"LangChain knows no provider {spec.split(':')[0]!r}; {hint}" in done.stderr
    assert "openai, openrouter" in done.stderr and "pip install" not in done.stderr


def test_run_on_a_terminal_exits_too(tmp_path: Path) -> None:
    """The console chat on a pty (where Ctrl-D was ignored while it hung) also exits at once."""
    leader, follower = pty.openpty()
    try:
        process = subprocess.Popen([CONFAB, "run"], stdin=follower, stdout=follower, stderr=follower,
                                   env=env_for(tmp_path, CONFAB_MODEL="openai:gpt-4.1-mini"), cwd=tmp_path)
        os.close(follower)
        status = process.wait(timeout=GUARD_S)
        output = b""
        while True:
            try:
                chunk = os.read(leader, 4096)
            except OSError:  # EIO once the child's side is closed
                break
            if not chunk:
                break
            output += chunk
    finally:
        os.close(leader)
    assert status == 2 and b"OPENAI_API_KEY" in output


def test_a_failure_after_the_memory_opens_still_ends_the_process(tmp_path: Path) -> None:
    """Any start-up error after the SQLite store opened used to leave its threads keeping the process alive."""
    script = ("import asyncio, agent.deps as d\n"
              "from agent.settings import load_settings\n"
              "def broken(*args, **kwargs): raise RuntimeError('no_such_installer')\n"
              "d.Summarizer = broken\n"
              "asyncio.run(d.open_deps(load_settings()))\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=GUARD_S,
                          env=env_for(tmp_path), cwd=tmp_path, check=False)
    assert done.returncode == 1 and "no_such_installer" in done.stderr


def test_a_failure_while_the_app_is_built_still_ends_the_process(tmp_path: Path) -> None:
    script = ("import asyncio, bot.app as app\n"
              "from bot.settings import load_settings\n"
              "def broken(*args, **kwargs): raise RuntimeError('no_such_moderator')\n"
              "app.Moderator = broken\n"
              "asyncio.run(app.build_app(load_settings()))\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=GUARD_S,
                          env=env_for(tmp_path), cwd=tmp_path, check=False)
    assert done.returncode == 1 and "no_such_moderator" in done.stderr


def test_run_refuses_a_slack_token_in_the_wrong_variable(tmp_path: Path) -> None:
    done = confab(tmp_path, "run", SLACK_BOT_TOKEN="xapp-1-A0TEST-123-abc", SLACK_APP_TOKEN="xoxb-123-abc")
    assert done.returncode == 2
    assert "SLACK_BOT_TOKEN is an app-level token (it belongs in SLACK_APP_TOKEN)" in done.stderr
    assert "SLACK_APP_TOKEN is a bot token (it belongs in SLACK_BOT_TOKEN)" in done.stderr
    assert "xapp-1-A0TEST-123-abc" not in done.stderr + done.stdout


def test_doctor_offline_is_all_ok(tmp_path: Path) -> None:
    done = confab(tmp_path, "doctor")
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert all(line.startswith("ok ") for line in lines[:-1]) and lines[-1] == "everything looks fine"
    assert any("CONFAB_MODEL" in line and "offline" in line for line in lines)
    assert any("knowledge" in line and "(1 files)" in line for line in lines)


def test_doctor_reports_every_problem_with_its_fix(tmp_path: Path) -> None:
    done = confab(tmp_path, "doctor", CONFAB_KNOWLEDGE_DIR=str(tmp_path / "missing"), CONFAB_MODEL="anthropic:claude-x",
                  SLACK_BOT_TOKEN="xoxp-user-token", SLACK_MODE="http", DISCORD_TOKEN="Bot " + discord_shaped_token())
    assert done.returncode == 1
    out = done.stdout
    assert "problem  CONFAB_MODEL" in out and ("pip install langchain-anthropic" in out or "ANTHROPIC_API_KEY" in out)
    assert f"problem  knowledge             {tmp_path / 'missing'} does not exist" in out
    assert "fix: create" in out and "CONFAB_KNOWLEDGE_DIR" in out
    assert "problem  SLACK_BOT_TOKEN       is a user token, not xoxb-…" in out
    assert "problem  SLACK_SIGNING_SECRET  not set (HTTP mode needs it)" in out
    assert "problem  DISCORD_TOKEN         starts with 'Bot '" in out
    assert out.strip().endswith("5 problem(s) found")
    assert "xoxp-user-token" not in out


@pytest.mark.parametrize(("token", "found"), [
    (discord_shaped_token(), "ok       DISCORD_TOKEN         shaped like a bot token (bot user 1234567890123456789)"),
    ("1234567890123456789", "problem  DISCORD_TOKEN         is a number (an application or user ID)"),
    ("0123456789abcdef0123456789abcdef", "problem  DISCORD_TOKEN         looks like the OAuth2 client secret"),
    ('"' + discord_shaped_token() + '"', "problem  DISCORD_TOKEN         is wrapped in quotes"),
    ("not-a-token", "problem  DISCORD_TOKEN         is not shaped like a bot token"),
])
def test_doctor_checks_the_discord_token_shape(tmp_path: Path, token: str, found: str) -> None:
    from typer.testing import CliRunner

    from bot.cli import app

    result = CliRunner().invoke(app, ["doctor"], env={k: v for k, v in env_for(tmp_path, DISCORD_TOKEN=token).items()
                                                      if k.startswith(("CONFAB_", "DISCORD_"))})
    assert found in result.output
    assert result.exit_code == (0 if found.startswith("ok") else 1)


async def doctor_against(fake: FakeOpenAI, tmp_path: Path) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        CONFAB, "doctor", stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT, cwd=tmp_path,
        env=env_for(tmp_path, CONFAB_MODEL="openai:gpt-test", OPENAI_BASE_URL=fake.base_url,
                    OPENAI_API_KEY="sk-doctor-secret-key"))
    output, _ = await asyncio.wait_for(process.communicate(), GUARD_S)
    return process.returncode or 0, output.decode()


async def test_doctor_makes_a_one_token_call_to_the_configured_model(tmp_path: Path, fake_openai: FakeOpenAI
                                                                      ) -> None:
    status, out = await doctor_against(fake_openai, tmp_path)
    assert status == 0, out
    assert "ok       model call            openai:gpt-test answered a one-token call" in out
    [request] = fake_openai.requests_to("/v1/chat/completions")
    assert request.json["model"] == "gpt-test" and request.json["max_completion_tokens"] == 1


async def test_doctor_reports_a_failing_model_call_without_the_key(tmp_path: Path, fake_openai: FakeOpenAI) -> None:
    fake_openai.chat.append(error_reply(401, "Incorrect API key provided: sk-doctor-secret-key", "invalid_api_key"))
    status, out = await doctor_against(fake_openai, tmp_path)
    assert status == 1
    assert "problem  model call            a one-token call failed: " in out and "AuthenticationError" in out
    assert "fix: check the key" in out
    assert "sk-doctor-secret-key" not in out


def test_doctor_can_skip_the_model_call(tmp_path: Path, fake_openai: Any) -> None:
    done = confab(tmp_path, "doctor", "--no-call", CONFAB_MODEL="openai:gpt-test", OPENAI_BASE_URL=fake_openai.base_url,
                  OPENAI_API_KEY="sk-test-key-123")
    assert done.returncode == 0, done.stdout
    assert "model call" not in done.stdout and fake_openai.requests == []
