"""What a message asks Confab for (agent/intents.py): the offline model's routing and what summaries leave out."""

import pytest

from agent.intents import PAST, asks_for_a_feature


@pytest.mark.parametrize("question", ["what did we decide about the export cap?", "what did carol ask?",
                                      "what did bob suggest for the offsite?", "who said we'd ship friday?"])
def test_questions_about_what_was_said_search_the_conversations(question: str) -> None:
    assert PAST.search(question)


@pytest.mark.parametrize("text, feature", [
    ("summarize please", True), ("what did I miss?", True), ("draw a cat wearing a hat", True),
    ("what is the mood here?", True), ("hi", True), ("thanks!", True),
    ("classify these as bug / feature", True), ("brainstorm names for the wifi", True),
    ("remind us to rerun the upload test tomorrow", False), ("what did we decide about the failover?", False),
    ("how do I summarize a thread?", False), ("the export is broken again", False)])
def test_a_request_for_a_feature_is_told_from_talk_about_the_work(text: str, feature: bool) -> None:
    assert asks_for_a_feature(text) is feature
