"""``confab summarize --file`` and ``confab eval summarize``; one test uses the real MiniLM."""

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from bot.cli import app
from tests.summarize.summ_fakes import HashEmbedder

DIALOGUES = [
    {"dialogue": "#Person1#: Hi, I'd like to book a table for two tonight.\n#Person2#: Sure, what time?\n"
                 "#Person1#: At seven, please, near the window.\n#Person2#: Done, a window table at seven.",
     "summary": "#Person1# books a window table for two at seven tonight."},
    {"dialogue": "Amy: Did you finish the report?\nTom: Not yet, I'll send it to you tomorrow morning.\n"
                 "Amy: OK, the client needs it by noon.",
     "summary": ["Tom will send Amy the report tomorrow morning.", "The report is due to the client by noon."]},
]


@pytest.fixture
def hash_embedder(monkeypatch: pytest.MonkeyPatch) -> None:
    import agent.embeddings

    monkeypatch.setattr(agent.embeddings, "LocalEmbedder", lambda **_: HashEmbedder())
    monkeypatch.setattr(agent.embeddings, "make_embedder", lambda settings, local=None: HashEmbedder())


def write_jsonl(path: Path, rows: list[Any]) -> Path:
    path.write_text("\n".join(r if isinstance(r, str) else json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    return path


def test_summarize_file(tmp_path: Path, hash_embedder: None) -> None:
    thread = write_jsonl(tmp_path / "t.jsonl", [
        {"author": "ana", "text": "We decided to move the launch to March.", "ts": "2026-11-20T09:00:00Z"},
        {"author": "ben", "text": "I'll update the launch checklist today.", "ts": 1763629260},
        "",
        {"author": "confab", "text": "bot noise", "ts": "2026-11-20T09:02:00Z", "is_bot": True},
    ])
    result = CliRunner().invoke(app, ["summarize", "--file", str(thread)])
    assert result.exit_code == 0, result.output
    assert "2 messages from 2 people" in result.output and "**ben**: Update the launch checklist" in result.output
    assert "bot noise" not in result.output  # malformed lines fail the command: tests/classify/test_cli_input.py


def test_summarize_missing_or_empty_file(tmp_path: Path, hash_embedder: None) -> None:
    missing = CliRunner().invoke(app, ["summarize", "--file", str(tmp_path / "nope.jsonl")])
    assert missing.exit_code == 2 and "no such file" in missing.output
    empty = CliRunner().invoke(app, ["summarize", "--file", str(write_jsonl(tmp_path / "e.jsonl", []))])
    assert empty.exit_code == 0 and "nothing to summarize" in empty.output.lower()


def test_eval_json_has_both_systems(tmp_path: Path, hash_embedder: None) -> None:
    data = write_jsonl(tmp_path / "d.jsonl", [*DIALOGUES, ""])
    result = CliRunner().invoke(app, ["eval", "summarize", "--data", str(data), "--json"])
    assert result.exit_code == 0, result.output
    scores = json.loads(result.stdout.strip().splitlines()[-1])
    for key in ("rouge1", "rouge2", "rougeL", "baseline_rouge1", "baseline_rouge2", "baseline_rougeL",
                "baseline_named_rouge1"):
        assert 0 < scores[key] <= 100
    assert scores["examples"] == 2


def test_eval_table_and_bad_data(tmp_path: Path, hash_embedder: None) -> None:
    result = CliRunner().invoke(app, ["eval", "summarize", "--data", str(write_jsonl(tmp_path / "d.jsonl",
                                                                                         DIALOGUES))])
    assert result.exit_code == 0 and "ROUGE-1" in result.output and "first-3" in result.output
    bad = CliRunner().invoke(app, ["eval", "summarize", "--data", str(write_jsonl(tmp_path / "b.jsonl", ["x"]))])
    assert bad.exit_code == 2 and "b.jsonl:1: not valid JSON" in bad.output


@pytest.mark.slow
def test_real_minilm_summary_of_a_dialogue(minilm: Any) -> None:
    from agent.summarize.evaluate import confab_summary

    summary = confab_summary(DIALOGUES[1]["dialogue"], minilm)  # type: ignore[arg-type]
    assert "Tom will send it to Amy tomorrow morning" in summary


def test_baseline_is_the_first_three_turns() -> None:
    from agent.summarize.evaluate import baseline_first_turns

    dialogue = "A: one\nB: two\ncontinued\nA: three\nB: four"
    assert baseline_first_turns(dialogue) == "one\ntwo continued\nthree"
    assert baseline_first_turns(dialogue, with_names=True) == "A: one\nB: two continued\nA: three"


def test_transcript_markup_is_not_read_as_speech() -> None:
    from agent.summarize.evaluate import dialogue_messages

    [turn] = dialogue_messages("Professor E: So {disfmarker} we should {vocalsound} start the {gap} recording .")
    assert turn.text == "So we should start the recording ."
