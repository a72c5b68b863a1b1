"""Typos in a question are read as the documents' words (agent/knowledge/spelling.py), and the answer says so."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from agent.knowledge.spelling import Spelling
from agent.words import content_words
from tests.fakes.harness import Chat
from tests.knowledge.test_everyday import SAMPLE, open_bot

DOCS = ["Messages older than the retention period are deleted. The spam policy decides the action taken.",
        "Connect Confab to Slack with a bot token. Summarizing a thread takes one command."]


def spelling() -> Spelling:
    return Spelling(DOCS, [stem for words in content_words(DOCS) for stem in words])


@pytest.mark.parametrize("typed, read", [
    ("what is the rentention period?", "what is the retention period?"),  # a letter too many
    ("how do I conect it to slakc?", "how do I connect it to slack?"),  # one missing, two swapped
    ("what is the retnetion period?", "what is the retention period?"),
])
def test_a_typo_is_read_as_the_documents_word(typed: str, read: str) -> None:
    assert spelling().correct(typed)[0] == read


@pytest.mark.parametrize("question", [
    "what is our vacation policy?",  # an English word the documents lack: not in the docs, not a typo
    "what is our vactaion policy?",  # nearer "vacation" than the documents' "action"
    "how do I summarize a thread?",  # another form of a word the documents use
    "what is the detention period?",  # a word in its own right
    "what is the petention period?",  # a first letter is seldom mistyped: another word, most often
    "what is the rtn?",  # too short to tell
])
def test_what_is_not_a_typo_of_the_documents_words_is_left_as_asked(question: str) -> None:
    assert spelling().correct(question) == (question, [])


@pytest.fixture
async def bot(tmp_path: Path) -> AsyncIterator[Chat]:
    shutil.copytree(SAMPLE, tmp_path / "knowledge", dirs_exist_ok=True)
    async with open_bot(tmp_path, replies_in_thread=True) as chat:
        yield chat


async def test_a_question_with_a_typo_is_answered_and_says_how_it_was_read(bot: Chat) -> None:
    """"what is the rentention period?" was refused as not in the docs: the typo matched no word, and the
    embedding model read it as other word pieces."""
    reply = await bot.say("@confab what is the rentention period?")
    assert reply.startswith("From the docs (reading “rentention” as “retention”):"), reply
    assert "`CONFAB_RETENTION_DAYS` (90 days by default)" in reply
    # a follow-up's query holds the question before it: only the asker's own typos are said
    follow = await bot.say("and can I chnage it?", thread="bot-1")
    assert "rentention" not in follow and "“chnage” as “change”" in follow, follow


def test_without_an_english_word_list_nothing_is_corrected(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A broken install can't make every word the documents lack look like a typo, nor fail the search."""
    import agent.knowledge.spelling as spelling_module

    spelling_module.known_words.cache_clear()
    monkeypatch.setattr(spelling_module, "local_model_path", lambda: tmp_path)  # no tokenizer.json there
    try:
        assert spelling().correct("what is the rentention period?") == ("what is the rentention period?", [])
    finally:
        spelling_module.known_words.cache_clear()
