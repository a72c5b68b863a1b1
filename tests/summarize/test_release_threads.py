"""Summaries a team can act on, on two realistic release threads (issue 19, item 8), with the real MiniLM.

The decision is in the TL;DR; every action item has its owner, task and due date, once; only the unanswered
question is open; people are named, never "you"; every line links to its messages.
"""

import re
from typing import Any

import pytest

from agent.summarize.extractive import summarize_extractive
from agent.summarize.model import Summary
from agent.summarize.render import render_summary
from tests.summarize.release_threads import ANDROID_LAUNCH, RELEASE_32
from tests.summarize.summ_fakes import msgs

# (owner, words of the task, due, asked by, cited messages)
RELEASE_32_ACTIONS = [
    ("dave", "fix the flaky checkout test", "wednesday", "alice", ("m6", "m7")),
    ("bob", "take the migration", "tomorrow morning", "alice", ("m16", "m17")),
    ("carol", "write the release notes and the upgrade guide", "before the 3.2 release", None, ("m18",)),
    ("team", "update the status page", "thursday", "dave", ("m24",)),
    ("alice", "send the go/no-go email to the stakeholders", "eod", None, ("m25",)),
]
ANDROID_ACTIONS = [
    ("tom", "update the play store screenshots", "end of day friday", "maria", ("m11", "m12")),
    ("li", "take the smoke tests on the release build", "tomorrow", None, ("m13",)),
    ("li", "draft the rollout announcement", "thursday", "maria", ("m14", "m15")),
    ("priya", "write the rollback runbook", "next tuesday", None, ("m16",)),
    ("maria", "flip the release flag", "monday at 9", None, ("m19",)),
]
CASES = {
    "release-3.2": (RELEASE_32, "ship 3.2 on thursday", "m14", RELEASE_32_ACTIONS, "m27", "mobile team"),
    "android-launch": (ANDROID_LAUNCH, "staged rollout", "m9", ANDROID_ACTIONS, "m24", "support macros"),
}


@pytest.fixture(scope="module", params=sorted(CASES))
def case(request: pytest.FixtureRequest, minilm: Any) -> tuple[Any, Summary]:
    lines, *expected = CASES[request.param]
    return expected, summarize_extractive(msgs(*lines), minilm, bot_name="confab")


def test_the_decision_is_in_the_tldr(case: tuple[Any, Summary]) -> None:
    (decision, source, *_), summary = case
    assert decision in summary.tldr.lower()
    assert source in summary.tldr_sources
    assert source in [s for d in summary.decisions for s in d.sources]


def test_every_action_item_has_owner_task_and_due_once(case: tuple[Any, Summary]) -> None:
    (_, _, actions, *_), summary = case
    got = summary.action_items
    assert len(got) == len(actions), [(a.owner, a.text) for a in got]
    for (owner, task, due, asked_by, sources), item in zip(actions, got, strict=True):
        assert item.owner == owner
        assert item.text.lower().startswith(task), item.text
        assert item.due is not None and item.due.lower().startswith(due), item.due
        assert item.asked_by == asked_by
        assert item.sources == sources
        # no garbled fragments: one clause, no question left in it, no pronoun for a person
        assert "?" not in item.text and not re.search(r"\b(you|your|it|me)\b", item.text, re.I), item.text


def test_only_the_unanswered_question_is_open(case: tuple[Any, Summary]) -> None:
    (_, _, _, open_source, subject), summary = case
    assert [q.sources for q in summary.open_questions] == [(open_source,)]
    assert subject in summary.open_questions[0].text


def test_people_are_named_never_you(case: tuple[Any, Summary]) -> None:
    _, summary = case
    text = render_summary(summary)
    assert not re.search(r"\b(you|your|yours)\b", text, re.I), [
        line for line in text.splitlines() if re.search(r"\byou", line, re.I)]


def test_every_line_links_to_its_messages(case: tuple[Any, Summary]) -> None:
    _, summary = case
    text = render_summary(summary, link=lambda mid: f"https://chat.example/{mid}")
    bullets = [line for line in text.splitlines() if line.startswith(("• ", "**TL;DR**"))]
    assert len(bullets) >= 1 + len(summary.key_points) + len(summary.action_items) + 1
    for line in bullets:
        assert re.search(r"\(\[#\d+\]\(https://chat\.example/m\d+\)", line), line


def test_requests_read_as_asked_by_name() -> None:
    """In a group chat "bob, can you …" is bob's, asked by the speaker: never "alice asks whether you …"."""
    from tests.summarize.summ_fakes import HashEmbedder

    summary = summarize_extractive(msgs(
        "carol: The migration needs someone on call tomorrow morning for the production run.",
        "dave: I can't, I'm out tomorrow.",
        "alice: bob, can you take the migration?",
        "bob: yes"), HashEmbedder())
    [item] = summary.action_items
    assert (item.owner, item.text, item.asked_by, item.sources) == ("bob", "Take the migration", "alice",
                                                                    ("m3", "m4"))
    assert "**bob**: Take the migration (asked by alice)" in render_summary(summary)
    retold = [p.text for p in summary.key_points if p.sources == ("m3",)]
    assert retold in ([], ["alice asks bob to take the migration."])
