"""``confab eval feedback --export FILE``: the rated pairs as JSONL with the documented fields (from the store the
settings name), filters, and a clear message with a non-zero exit for bad arguments."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from agent.storage import open_storage
from agent.storage.feedback import RatedAnswer
from bot.cli import app
from tests.fakes.settings import make_settings

FIELDS = {"question", "answer", "citations", "model", "vote", "channel", "when"}


@pytest.fixture
def rated_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A SQLite store under ``tmp_path`` with three votes on two answers; the CLI reads it through the env."""
    data = tmp_path / "data"
    monkeypatch.setenv("CONFAB_DATA_DIR", str(data))
    monkeypatch.setenv("CONFAB_KNOWLEDGE_DIR", str(tmp_path))

    async def fill() -> None:
        store = await open_storage(make_settings(tmp_path, data_dir=data))
        try:
            now = time.time()
            await store.feedback.record(RatedAnswer("slack:T1:C1", "1700000001.000100", "how do I deploy?",
                                                    "Run `make deploy` [1].", ("deploy.md › Deploying (lines 3-9)",),
                                                    "openai:gpt-4.1-mini", now - 100))
            await store.feedback.record(RatedAnswer("discord:9:8", "123", "/summarize today", "TL;DR: ship it.",
                                                    (), "offline", now - 50))
            await store.feedback.vote("slack:T1:C1", "1700000001.000100", "U1", "up", 1_764_400_000.0)
            await store.feedback.vote("slack:T1:C1", "1700000001.000100", "U2", "down", 1_764_400_060.0)
            await store.feedback.vote("discord:9:8", "123", "42", "down", 1_764_400_120.0)
        finally:
            await store.close()

    asyncio.run(fill())
    return tmp_path


def test_export_writes_one_line_per_vote_with_the_documented_fields(rated_store: Path) -> None:
    out = rated_store / "feedback.jsonl"
    result = CliRunner().invoke(app, ["eval", "feedback", "--export", str(out)])
    assert result.exit_code == 0, result.output
    assert "wrote 3 rated answers" in result.output and "👍 1, 👎 2" in result.output
    rows = [json.loads(line) for line in out.read_text("utf-8").splitlines()]
    assert [set(row) for row in rows] == [FIELDS] * 3
    first = rows[0]
    assert first == {"question": "how do I deploy?", "answer": "Run `make deploy` [1].",
                     "citations": ["deploy.md › Deploying (lines 3-9)"], "model": "openai:gpt-4.1-mini",
                     "vote": "up", "channel": "slack:T1:C1", "when": "2025-11-29T07:06:40Z"}
    assert [r["vote"] for r in rows] == ["up", "down", "down"] and rows[2]["channel"] == "discord:9:8"
    assert "U1" not in out.read_text("utf-8")  # who voted is not exported

    only = CliRunner().invoke(app, ["eval", "feedback", "--export", "-", "--channel", "discord:9:8"])
    assert only.exit_code == 0 and [json.loads(x)["question"] for x in only.output.splitlines()] == \
        ["/summarize today"]
    recent = CliRunner().invoke(app, ["eval", "feedback", "--export", "-", "--since", "2025-11-29T07:08:00Z"])
    assert [json.loads(x)["vote"] for x in recent.output.splitlines()] == ["down"]


def test_help_documents_the_fields() -> None:
    result = CliRunner().invoke(app, ["eval", "feedback", "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    for field in FIELDS:
        assert f"{field}:" in result.output


@pytest.mark.parametrize(("args", "message"), [
    (["--channel", "general"], "is not a channel key"),
    (["--since", "last tuesday"], "is not a date"),
    (["--export-to", "x"], "No such option"),
])
def test_bad_arguments_get_a_clear_message_and_exit_2(rated_store: Path, args: list[str], message: str) -> None:
    argv = ["eval", "feedback", *([] if args[0] == "--export-to" else ["--export", str(rated_store / "x.jsonl")]),
            *args]
    result = CliRunner().invoke(app, argv)
    assert result.exit_code == 2 and message in result.output
    assert not (rated_store / "x.jsonl").exists()


def test_an_export_to_a_folder_or_a_missing_folder_is_refused(rated_store: Path) -> None:
    for target, message in ((rated_store, "is a directory"), (rated_store / "nope" / "f.jsonl", "does not exist")):
        result = CliRunner().invoke(app, ["eval", "feedback", "--export", str(target)])
        assert result.exit_code == 2 and message in result.output
    missing = CliRunner().invoke(app, ["eval", "feedback"])
    assert missing.exit_code == 2 and "--export" in missing.output
