import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app
from tests.fakes.embedder import HashEmbedder
from tests.knowledge.kb_files import write


@pytest.fixture(autouse=True)
def hash_embedder(monkeypatch: pytest.MonkeyPatch) -> None:
    import agent.embeddings

    monkeypatch.setattr(agent.embeddings, "make_embedder", lambda settings: HashEmbedder())


def test_index_prints_a_summary_and_is_incremental(tmp_path: Path) -> None:
    root = tmp_path / "docs"
    write(root, "a.md", "# A\n\nalpha text\n")
    write(root, "b.txt", "beta text")
    write(root, "c.bin.md", b"\x00\x00")
    runner = CliRunner()
    first = runner.invoke(app, ["index", str(root)])
    assert first.exit_code == 0, first.output
    assert "2 files, 2 chunks (2 embedded, 0 unchanged, 0 removed)" in first.output
    assert "skipped c.bin.md: binary content" in first.output
    # the log lines go to the log file (the working folder's data/ here), the terminal gets the summary only
    assert "knowledge file skipped" not in first.output
    assert "knowledge file skipped file='c.bin.md'" in (Path("data") / "confab.log").read_text()
    second = runner.invoke(app, ["index", str(root)])
    assert "(0 embedded, 2 unchanged, 0 removed)" in second.output


def test_index_of_a_missing_folder_fails_clearly(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["index", str(tmp_path / "nope")])
    assert result.exit_code == 2 and "no such folder" in result.output


def test_eval_retrieval_json(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    write(docs, "d1.md", "# Cats\n\nCats purr and sleep most of the day.\n")
    write(docs, "d2.md", "# Rockets\n\nRockets burn fuel to reach orbit.\n")
    write(docs, "d3.md", "# Bread\n\nBread rises because yeast makes gas.\n")
    queries = tmp_path / "q.jsonl"
    queries.write_text("\n".join([
        json.dumps({"question": "why do cats purr", "gold_doc_ids": ["d1"]}),
        json.dumps({"question": "how do rockets reach orbit", "gold_doc_ids": ["d2"]}),
        "",  # a malformed line fails the command: tests/classify/test_cli_input.py
        json.dumps({"question": "what makes bread rise", "gold_doc_ids": ["d3"]}),
    ]) + "\n")
    result = CliRunner().invoke(app, ["eval", "retrieval", "--docs", str(docs), "--queries", str(queries),
                                      "--abstain-check", "1", "--json"])
    assert result.exit_code == 0, result.output
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    assert figures["recall@1"] == 1.0 and figures["mrr"] == 1.0 and figures["queries"] == 3
    assert {"recall@5", "recall@10", "ndcg@10", "abstain_rate", "answer_rate"} <= set(figures)
