import json
from pathlib import Path

from typer.testing import CliRunner

from bot.cli import app
from tests.fakes.harness import Chat


async def test_offline_labels_with_descriptions_and_an_honest_unsure(chat: Chat) -> None:
    reply = await chat.say('@confab classify "the app crashes when I click save" "please add a dark mode" '
                           '"how do I reset my password?" as bug (something is broken or fails) / feature (a request '
                           'for something new) / question (someone asks how to do something)')
    lines = [line for line in reply.splitlines() if line.startswith("•")]
    assert [line.split("**")[1] for line in lines] == ["bug", "feature", "question"], reply
    # names alone: "bug" sits close to every message to the small model, and a near-random pick was shown as a
    # label (0.50-0.59 for everything); now a message no label fits better than even odds is "unsure"
    reply = await chat.say('@confab classify "the app crashes when I click save" "how do I reset my password?" '
                           'as bug / feature / question')
    lines = [line for line in reply.splitlines() if line.startswith("•")]
    assert lines[0].startswith("• **bug** (0.9") and lines[1].startswith("• **unsure** (likeliest "), reply


async def test_mood_of_the_channel(chat: Chat) -> None:
    await chat.say("this release is fantastic, great work everyone!", user="bob")
    await chat.say("I love the new dashboard", user="carol")
    reply = await chat.say("@confab what's the sentiment here?")
    assert "Mood: 🙂 positive" in reply


def test_classify_cli_round_trips_jsonl() -> None:
    lines = [json.dumps({"text": "FREE NITRO at https://dlscord-gift.com/x", "author": "u1"}),
             "", json.dumps({"text": "see you at standup"})]
    result = CliRunner().invoke(app, ["classify", "--task", "spam"], input="\n".join(lines) + "\n")
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert [(r["label"], r["author"] if "author" in r else None) for r in rows] == [("spam", "u1"), ("ham", None)]
    assert rows[0]["reasons"]  # a malformed line fails the command: tests/classify/test_cli_input.py
    sentiment = CliRunner().invoke(app, ["classify", "--task", "sentiment"], input=json.dumps({"text": "I love it"}))
    assert json.loads(sentiment.stdout)["label"] == "positive"
    assert CliRunner().invoke(app, ["classify", "--task", "nope"]).exit_code == 2


def test_eval_spam_and_sentiment_json(tmp_path: Path) -> None:
    data = tmp_path / "spam.jsonl"
    data.write_text("\n".join(json.dumps(r) for r in [
        {"text": "WINNER! claim your free prize now, call 09061701461", "label": "spam"},
        {"text": "FREE NITRO giveaway at https://dlscord-gift.com/abc", "label": "spam"},
        {"text": "lunch at noon?", "label": "ham"}, {"text": "the build is green", "label": "ham"}]))
    result = CliRunner().invoke(app, ["eval", "spam", "--data", str(data), "--json"])
    figures = json.loads(result.stdout)
    assert figures["f1"] == 1.0 and figures["confusion"] == {"tp": 2, "fp": 0, "fn": 0, "tn": 2}
    assert {"precision", "recall", "accuracy", "messages_per_s"} <= set(figures)
    uci = tmp_path / "s.txt"
    uci.write_text("Great phone, love it\t1\nTerrible battery, broke in a day\t0\n")
    sentiment = json.loads(CliRunner().invoke(app, ["eval", "sentiment", "--data", str(uci), "--format", "uci",
                                                    "--json"]).stdout)
    assert sentiment["accuracy"] == 1.0
    missing = CliRunner().invoke(app, ["eval", "spam", "--data", str(tmp_path / "nope")])
    assert missing.exit_code == 2
