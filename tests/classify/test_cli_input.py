"""The input of ``confab eval`` / ``classify`` / ``summarize``: bad lines are named and fail the command,
the obvious label spellings are accepted, and each command's --help says what it reads."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from bot.cli import app

SPAM = ["WINNER! claim your free prize now, call 09061701461", "FREE NITRO giveaway at https://dlscord-gift.com/abc"]
HAM = ["lunch at noon?", "the build is green"]


def write(path: Path, rows: list[Any]) -> Path:
    path.write_text("\n".join(r if isinstance(r, str) else json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    return path


def run(*args: str, stdin: str | None = None) -> Any:
    return CliRunner().invoke(app, list(args), input=stdin)


def test_eval_spam_row_without_a_label_is_named_not_a_traceback(tmp_path: Path) -> None:
    data = write(tmp_path / "d.jsonl", [{"text": SPAM[0], "label": "spam"}, {"text": HAM[0]}])
    confab = Path(sys.executable).with_name("confab")
    done = subprocess.run([str(confab), "eval", "spam", "--data", str(data)], capture_output=True, text=True,
                          timeout=120, env={**os.environ, "HF_HUB_OFFLINE": "1"}, check=False)
    assert done.returncode == 2
    assert f'{data}:2: no "label" field (found: text)' in done.stderr
    assert "Traceback" not in done.stderr and done.stdout == ""


@pytest.mark.parametrize(("positive", "negative"), [(1, 0), ("1", "0"), (True, False), ("true", "false"),
                                                    ("SPAM", "Ham"), ("spam", "not spam")])
def test_eval_spam_accepts_the_obvious_label_spellings(tmp_path: Path, positive: Any, negative: Any) -> None:
    rows = [{"text": t, "label": positive} for t in SPAM] + [{"text": t, "label": negative} for t in HAM]
    result = run("eval", "spam", "--data", str(write(tmp_path / "d.jsonl", rows)), "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["confusion"] == {"tp": 2, "fp": 0, "fn": 0, "tn": 2}


def test_eval_spam_scores_as_a_stranger_a_member_or_a_newcomer_would_post(tmp_path: Path) -> None:
    notice = "Reminder: open enrolment for benefits closes Friday, update your choices at https://benefits.example.com/e"
    rows = [{"text": notice, "label": "ham"}, {"text": SPAM[1], "label": "spam"}]
    data = str(write(tmp_path / "d.jsonl", rows))
    confusion = {sender: json.loads(run("eval", "spam", "--data", data, "--sender", sender, "--json").stdout)
                 ["confusion"] for sender in ("stranger", "member", "newcomer")}
    assert confusion["stranger"] == {"tp": 1, "fp": 1, "fn": 0, "tn": 0}  # the text alone
    assert confusion["member"] == confusion["newcomer"] == {"tp": 1, "fp": 0, "fn": 0, "tn": 1}
    assert run("eval", "spam", "--data", data, "--sender", "guest").exit_code == 2


def test_eval_spam_names_every_bad_line_and_scores_nothing(tmp_path: Path) -> None:
    data = write(tmp_path / "d.jsonl", [{"text": SPAM[0], "label": "spam"}, "", {"text": HAM[0], "label": "maybe"},
                                        "not json", [1, 2], {"label": "ham"}, {"text": 5, "label": "ham"},
                                        {"text": HAM[1], "label": None}])
    result = run("eval", "spam", "--data", str(data), "--json")
    assert result.exit_code == 2 and result.stdout == ""
    lines = result.stderr.splitlines()
    assert lines[:6] == [
        f'confab: {data}:3: "label" "maybe" is not one of spam/ham, 1/0, true/false (or not spam, not_spam)',
        f"confab: {data}:4: not valid JSON (Expecting value at column 1)",
        f"confab: {data}:5: expected a JSON object {{…}}, got a list",
        f'confab: {data}:6: no "text" field (found: label)',
        f'confab: {data}:7: "text" must be a string, got the number 5',
        f'confab: {data}:8: "label" null is not one of spam/ham, 1/0, true/false (or not spam, not_spam)',
    ]
    assert "6 bad line(s)" in lines[-1]


def test_eval_spam_sms_format_checks_its_labels(tmp_path: Path) -> None:
    data = tmp_path / "sms.tsv"
    data.write_text(f"spam\t{SPAM[0]}\nham\t{HAM[0]}\nspma\t{SPAM[1]}\nham only-one-column\n", encoding="utf-8")
    result = run("eval", "spam", "--data", str(data), "--format", "sms", "--split", "all")
    assert result.exit_code == 2
    assert f'{data}:3: "label" "spma" is not one of' in result.stderr
    assert f"{data}:4: expected two tab-separated columns" in result.stderr
    assert run("eval", "spam", "--data", str(data), "--format", "csv").exit_code == 2


def test_eval_sentiment_labels_and_bad_lines(tmp_path: Path) -> None:
    rows = [{"text": "Great phone, love it", "label": 1}, {"text": "Terrible battery, broke in a day", "label": "0"}]
    result = run("eval", "sentiment", "--data", str(write(tmp_path / "s.jsonl", rows)), "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["accuracy"] == 1.0
    uci = tmp_path / "s.txt"
    uci.write_text("Great phone, love it\t1\nTerrible battery\tnegative-ish\n", encoding="utf-8")
    bad = run("eval", "sentiment", "--data", str(uci), "--format", "uci")
    assert bad.exit_code == 2 and f'{uci}:2: "label" "negative-ish" is not one of positive/negative' in bad.stderr


def test_eval_sentiment_scores_a_set_with_neutral_rows_in_three_classes(tmp_path: Path) -> None:
    rows = [{"text": "I love this, it's wonderful, thank you so much!", "label": "positive"},
            {"text": "This is awful and I hate it.", "label": "Negative"},
            {"text": "The meeting moved to room 4 at 3pm.", "label": "neu"},
            {"text": "The report is attached.", "label": "neutral"}]
    result = run("eval", "sentiment", "--data", str(write(tmp_path / "s.jsonl", rows)), "--json")
    assert result.exit_code == 0, result.output
    figures = json.loads(result.stdout)
    assert figures["classes"] == ["negative", "neutral", "positive"]
    confusion = figures["confusion"]
    assert {name: sum(row.values()) for name, row in confusion.items()} == {"negative": 1, "neutral": 2, "positive": 1}
    assert figures["accuracy"] == sum(confusion[c][c] for c in confusion) / 4
    f1 = [figures["per_class"][c]["f1"] for c in figures["classes"]]
    assert figures["macro_f1"] == round(sum(f1) / 3, 4)
    assert confusion["positive"]["positive"] == 1 and confusion["negative"]["negative"] == 1  # plain cases right
    text = run("eval", "sentiment", "--data", str(tmp_path / "s.jsonl"))
    assert "macro-F1" in text.stdout and "neutral" in text.stdout
    bad = write(tmp_path / "b.jsonl", [*rows, {"text": "meh", "label": "mixed"}])
    refused = run("eval", "sentiment", "--data", str(bad))
    assert refused.exit_code == 2 and '"label" "mixed" is not one of positive/negative' in refused.stderr
    assert "neutral/neu" in refused.stderr


def test_classify_reports_bad_lines_and_writes_nothing() -> None:
    lines = [json.dumps({"text": "see you at standup"}), "garbage", json.dumps({"message": "hi"}),
             json.dumps({"text": "x", "ts": "yesterday"})]
    result = run("classify", "--task", "spam", stdin="\n".join(lines) + "\n")
    assert result.exit_code == 2 and result.stdout == ""
    assert "stdin:2: not valid JSON" in result.stderr
    assert 'stdin:3: no "text" field (found: message)' in result.stderr
    assert 'stdin:4: "ts" must be Unix time in seconds (a number), got "yesterday"' in result.stderr


def test_summarize_with_wrong_keys_names_the_line_and_fails(tmp_path: Path) -> None:
    thread = write(tmp_path / "t.jsonl", [{"user": "ana", "msg": "We ship in March."},
                                          {"author": "ben", "text": "ok", "ts": "last tuesday"},
                                          {"author": "cy", "text": "fine", "is_bot": "no"}])
    result = run("summarize", "--file", str(thread))
    assert result.exit_code == 2
    assert "nothing to summarize" not in result.output.lower()
    assert f'{thread}:1: no "author" field (found: msg, user)' in result.stderr
    assert f'{thread}:2: "ts" "last tuesday" is not Unix seconds or an ISO 8601 date' in result.stderr
    assert f'{thread}:3: "is_bot" must be true or false, got "no"' in result.stderr


def test_eval_summarize_names_bad_lines(tmp_path: Path) -> None:
    data = write(tmp_path / "d.jsonl", [{"dialogue": "A: hi\nB: hello", "summary": "A greets B."}, "{broken",
                                        {"dialogue": "A: hi", "summary": ""}, {"text": "A: hi", "summary": "x"}])
    result = run("eval", "summarize", "--data", str(data))
    assert result.exit_code == 2
    assert f"{data}:2: not valid JSON" in result.stderr
    assert f'{data}:3: "summary" must be a non-empty string or a list of strings' in result.stderr
    assert f'{data}:4: no "dialogue" field (found: summary, text)' in result.stderr


@pytest.mark.parametrize(("command", "words"), [
    (["eval", "spam"], ['"text"', '"label"', "spam/ham, 1/0, true/false", "label<TAB>text"]),
    (["eval", "sentiment"], ['"text"', '"label"', "positive/negative", "1/0", "sentence<TAB>label", "neutral",
                             "macro-F1"]),
    (["eval", "summarize"], ['"dialogue"', '"summary"']),
    (["summarize"], ['"author"', '"text"', '"ts"', "ISO 8601", '"is_bot"']),
    (["classify"], ['"text"', '"author"', '"channel"', '"ts"']),
])
def test_help_documents_the_accepted_fields_and_values(command: list[str], words: list[str]) -> None:
    result = CliRunner().invoke(app, [*command, "--help"], env={"COLUMNS": "200", "TERMINAL_WIDTH": "200"})
    assert result.exit_code == 0
    text = " ".join(result.output.split())
    for word in words:
        assert word in text, (word, text)


def test_summarize_llm_with_the_model_misconfigured_names_the_fix(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONFAB_MODEL", "openai:gpt-4.1-mini")
    thread = write(tmp_path / "t.jsonl", [{"author": "ana", "text": "We ship on Monday."}])
    result = run("summarize", "--file", str(thread), "--llm")
    assert result.exit_code == 2  # was an uncaught ConfigError (a traceback)
    assert "needs OPENAI_API_KEY" in result.stderr


def test_eval_retrieval_names_bad_query_lines(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "deploy.md").write_text("# Deploy\nUse Docker.\n", encoding="utf-8")
    queries = write(tmp_path / "q.jsonl", [{"question": "how to deploy?", "gold_doc_ids": ["deploy"]},
                                           {"question": "x", "gold": ["deploy"]}, {"question": "y", "gold_doc_ids": []},
                                           "nope"])
    result = run("eval", "retrieval", "--docs", str(docs), "--queries", str(queries))
    assert result.exit_code == 2
    assert f'{queries}:2: no "gold_doc_ids" field (found: gold, question)' in result.stderr
    assert f'{queries}:3: "gold_doc_ids" must be a non-empty list of document ids' in result.stderr
    assert f"{queries}:4: not valid JSON" in result.stderr
    help_text = " ".join(run("eval", "retrieval", "--help").output.split())
    assert '"question"' in help_text and '"gold_doc_ids"' in help_text


def test_eval_summarize_topics_reads_the_topic_questions(tmp_path: Path) -> None:
    dialogue = ("Ann: The export cap is ten thousand rows.\nBen: The office party is on Friday.\n"
                "Ann: We raise the export cap to fifty thousand rows next week.")
    good = {"dialogue": dialogue, "summary": "They talked.",
            "topic_queries": [{"query": "What about the export cap?",
                               "answer": "The export cap goes to fifty thousand."}]}
    result = run("eval", "summarize", "--data", str(write(tmp_path / "t.jsonl", [good])), "--topics", "--json")
    assert result.exit_code == 0, result.output
    figures = json.loads(result.stdout)
    assert figures["questions"] == 1 and figures["rouge1"] > 0 and "baseline_rouge1" in figures
    bad = write(tmp_path / "b.jsonl", [good, {"dialogue": dialogue, "summary": "x"},
                                       {**good, "topic_queries": [{"query": 3}]}])
    refused = run("eval", "summarize", "--data", str(bad), "--topics")
    assert refused.exit_code == 2
    assert f'{bad}:2: no "topic_queries" field' in refused.stderr
    assert f'{bad}:3: "topic_queries" must be a list of {{"query": "…", "answer": "…"}}' in refused.stderr


def test_eval_spam_scores_the_model_retrained_into_the_data_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                                                   ) -> None:
    """Confab screens with ``CONFAB_DATA_DIR/spam_model.npz`` when it exists; ``confab eval spam`` must score that
    model, not the shipped one (here an inverted copy of it, so the switch shows)."""
    from agent.classify.text_model import MODEL_PATH, TextModel

    rows = [{"text": t, "label": "spam"} for t in SPAM] + [{"text": t, "label": "ham"} for t in HAM]
    data = write(tmp_path / "set.jsonl", rows)
    monkeypatch.chdir(tmp_path)  # no developer .env
    monkeypatch.setenv("CONFAB_DATA_DIR", str(tmp_path / "data"))

    def scored() -> dict[str, Any]:
        result = run("eval", "spam", "--data", str(data), "--json")
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)["confusion"]

    assert scored()["tp"] == 2
    shipped = TextModel.load(MODEL_PATH)
    (tmp_path / "data").mkdir()
    TextModel(shipped.idf, -shipped.coef, -shipped.intercept).save(tmp_path / "data" / "spam_model.npz")
    assert scored()["tn"] < 2  # the inverted model reads the ham as spam


def test_eval_spam_split_test_scores_only_the_held_out_fifth_of_a_jsonl_set(tmp_path: Path) -> None:
    """A set trained on (janitr: ``python -m agent.classify.train --janitr``) is scored on its held-out 20% only."""
    from agent.classify.train import held_out_split

    rows = [{"text": f"{SPAM[i % 2]} #{i}", "label": "spam"} for i in range(10)]
    rows += [{"text": f"{HAM[i % 2]} #{i}", "label": "ham"} for i in range(40)]
    data = write(tmp_path / "set.jsonl", rows)
    texts = [str(r["text"]) for r in rows]
    _, test = held_out_split(texts, [int(r["label"] == "spam") for r in rows])
    everything = json.loads(run("eval", "spam", "--data", str(data), "--json").stdout)
    held_out = json.loads(run("eval", "spam", "--data", str(data), "--split", "test", "--json").stdout)
    assert everything["messages"] == 50 and held_out["messages"] == len(test) == 10


def test_training_with_a_missing_data_file_says_which_and_exits_2(tmp_path: Path) -> None:
    """``python -m agent.classify.train`` on a path that isn't there: one line naming it, not a traceback."""
    done = subprocess.run([sys.executable, "-m", "agent.classify.train", "--sms", str(tmp_path / "nope.tsv"),
                           "--sentiment", str(tmp_path)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and f"--sms {tmp_path / 'nope.tsv'}: no such file" in done.stderr
    assert "Traceback" not in done.stderr


def test_eval_labels_scores_against_label_names_and_names_its_bad_lines(tmp_path: Path) -> None:
    labels = write(tmp_path / "labels.jsonl", [
        {"name": "finance", "description": "invoices, payments and refunds", "examples": ["where is my invoice?"]},
        {"name": "engineering", "description": "code, deploys and outages"}])
    rows = [{"text": t, "label": "finance"} for t in ("the March invoice is missing", "refund my card payment please",
                                                        "can I pay by bank transfer?", "the invoice total is wrong")]
    rows += [{"text": t, "label": "engineering"} for t in ("the deploy failed with a 500", "the API is down again",
                                                            "CI is red on main", "roll back the release")]
    result = run("eval", "labels", "--data", str(write(tmp_path / "rows.jsonl", rows)), "--labels", str(labels),
                 "--shots", "1", "--json")
    assert result.exit_code == 0, result.output
    figures = json.loads(result.stdout)
    assert figures["messages"] == 6 and figures["labels"] == 2  # one example of each drawn, not scored
    assert figures["likeliest_accuracy"] >= 0.8 and 0.0 <= figures["ece"] <= 1.0
    assert {"accuracy", "macro_f1", "labelled", "accuracy_labelled", "names_accuracy", "names_macro_f1"} <= set(figures)
    bad = run("eval", "labels", "--data", str(write(tmp_path / "bad.jsonl", [*rows[:2], {"text": "x", "label": "hr"}])),
              "--labels", str(labels))
    assert bad.exit_code == 2 and f'{tmp_path / "bad.jsonl"}:3: "label" "hr" is not one of the labels' in bad.stderr
    spec = write(tmp_path / "spec.jsonl", [{"name": "a: b"}, {"name": "ok", "examples": "not a list"}])
    bad = run("eval", "labels", "--data", str(tmp_path / "rows.jsonl"), "--labels", str(spec))
    assert bad.exit_code == 2 and ":1: a \"name\" can't hold" in bad.stderr and ':2: "examples" must be' in bad.stderr
    assert run("eval", "labels", "--data", str(tmp_path / "rows.jsonl"), "--labels", str(labels),
               "--split", "half").exit_code == 2
