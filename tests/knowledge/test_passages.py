"""Focused quotes (agent/knowledge/passages.py): the sentences of a passage that answer, with what they need."""

from __future__ import annotations

from agent.knowledge.chunking import Chunk
from agent.knowledge.passages import focus, lexical_scores, units

RATING = ("Every answer Confab gives has thumbs-up and thumbs-down buttons under it, whatever asked for it: a\n"
          "mention, a command, a summary or a brainstorm's wrap-up. Click one to say whether the answer was useful;\n"
          "only you see the short confirmation. Each person has one vote per answer: click the other button to\n"
          "change it, or the same one again to take it back. An answer that was forgotten can no longer be rated.\n"
          "Error messages and command confirmations have no buttons.")


def _quote(question: str, text: str) -> str:
    chunk = Chunk("commands.md", "Commands > Rating answers", 10, 10 + text.count("\n"), text)
    found = units(chunk)
    return focus(chunk, lexical_scores(question, [u.text for u in found]), found).text


def test_a_paragraph_s_second_sentence_comes_with_the_opening_that_names_its_subject() -> None:
    """"Click one to say whether the answer was useful" alone doesn't say one of what; the opening sentence does."""
    quoted = _quote("can I vote on whether an answer was useful?", RATING)
    assert quoted.startswith("Every answer Confab gives has thumbs-up and thumbs-down buttons")
    assert "Click one to say whether the answer was useful" in quoted
    assert "Error messages" not in quoted  # the paragraph is too long to quote whole


def test_a_later_sentence_of_a_long_paragraph_is_quoted_without_the_opening() -> None:
    quoted = _quote("which messages have no rating buttons?", RATING)
    assert quoted == "Error messages and command confirmations have no buttons."
