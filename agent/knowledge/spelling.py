"""Typos in a question, read as the documents' own words: "what is the rentention period?" asks about "retention".

A misspelt word matches no passage by its letters (BM25) and reads as other word pieces to the embedding model
("rent ##ention"), so the question was refused as not in the docs. A word of the question is corrected only when

- neither it nor its stem is in the collection, and it is not an English word the local embedding model knows
  whole (its WordPiece vocabulary, ~22,500 words): "what is our vacation policy?" stays as asked, and the docs
  still don't cover it;
- it has five letters or more, and a word of the collection that starts with the same letter is within one edit of
  it (two from eight letters; a transposition is one edit, Damerau-Levenshtein); the nearest wins, then the most
  frequent in the collection. Typing seldom misses a word's first letter, and a word that differs there is most
  often another word: PubMedQA's "septic" is not "peptic", "intracorporeal" not "extracorporeal";
- no English word the collection lacks is as near: "what is our vactaion policy?" is not read as "action".
"""

from __future__ import annotations

import json
import logging
import re
from collections import Counter
from collections.abc import Iterable
from functools import cache

from rapidfuzz.distance import DamerauLevenshtein
from rapidfuzz.process import extract

from agent.embeddings import local_model_path
from agent.words import content_words

log = logging.getLogger(__name__)

MIN_LETTERS = 5
TWO_EDITS_FROM = 8  # letters
_WORD = re.compile(r"[^\W\d_]+")


@cache
def known_words() -> frozenset[str]:
    """The whole words of the local model's WordPiece vocabulary (lower case), read from its tokenizer file; none
    when it can't be read (then nothing is corrected: without it every word the documents lack looks like a typo)."""
    try:
        vocabulary = json.loads((local_model_path() / "tokenizer.json").read_text(encoding="utf-8"))["model"]["vocab"]
    except (OSError, ValueError, KeyError, TypeError, ImportError) as error:
        log.warning("no English word list for reading typos; questions are read as typed", extra={"error": str(error)})
        return frozenset()
    return frozenset(piece for piece in vocabulary if piece.isalpha() and not piece.startswith("##"))


def read_as(text: str, corrections: Iterable[tuple[str, str]]) -> str:
    """``text`` with each typed word replaced by the word it was read as."""
    replace = dict(corrections)
    return _WORD.sub(lambda m: replace.get(m.group(0), m.group(0)), text) if replace else text


def said_as(corrections: Iterable[tuple[str, str]]) -> str:
    """"“rentention” as “retention”, …": how a question was read, for the answer to say."""
    return ", ".join(f"“{typed}” as “{word}”" for typed, word in corrections)


class Spelling:
    def __init__(self, texts: Iterable[str], stems: Iterable[str]) -> None:
        """``texts``: the collection's passages; ``stems``: its words as the keyword index holds them."""
        # a shorter word is more than the edits allowed away from any word corrected
        self._counts = Counter(word for text in texts for word in _WORD.findall(text.lower())
                               if len(word) >= MIN_LETTERS - 1)
        self._starting: dict[str, list[str]] = {}  # the collection's words by their first letter
        for word in self._counts:
            self._starting.setdefault(word[0], []).append(word)
        self._stems = frozenset(stems)
        self._others: list[str] | None = None

    def correct(self, question: str) -> tuple[str, list[tuple[str, str]]]:
        """The question with its typos replaced by the collection's words, and each (typed, read as) pair."""
        corrections: dict[str, str] = {}
        for typed in dict.fromkeys(_WORD.findall(question)):
            if (word := self._nearest(typed.lower())) is not None:
                corrections[typed] = word
        pairs = list(corrections.items())
        return read_as(question, pairs), pairs

    def _nearest(self, typed: str) -> str | None:
        english = known_words()
        if len(typed) < MIN_LETTERS or typed in self._counts or typed in english or not english:
            return None
        stems = content_words([typed])[0]
        if not stems or stems[0] in self._stems:  # another form of a word the documents use, or a stop word
            return None
        edits = 2 if len(typed) >= TWO_EDITS_FROM else 1
        found = extract(typed, self._starting.get(typed[0], ()), scorer=DamerauLevenshtein.distance,
                        score_cutoff=edits, limit=None)
        if not found:
            return None
        word, distance, _ = min(found, key=lambda match: (match[1], -self._counts[match[0]]))
        if extract(typed, self._elsewhere(), scorer=DamerauLevenshtein.distance, score_cutoff=distance, limit=1):
            return None  # as near to a word the documents don't use: "vactaion" is "vacation", not "action"
        return str(word)

    def _elsewhere(self) -> list[str]:
        """The English words the collection doesn't use."""
        if self._others is None:
            self._others = sorted(known_words() - self._counts.keys())
        return self._others
