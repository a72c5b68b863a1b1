"""Content words: how texts are compared word for word (BM25, the abstain model's word
coverage, focused quotes, conversation search): lower case, stemmed, without stop words and the words every
question has."""

from __future__ import annotations

import re
import threading
from functools import lru_cache
from typing import Any

_per_thread = threading.local()


_NO_VOWEL = re.compile(r"^[^aeiouy]+$")


class _Stems:
    """English Snowball (Porter2) stems, and an abbreviation's plural as the abbreviation: Porter2 drops a plural
    "s" only after a vowel, so "PDFs", "DMs" and "LLMs" stayed "pdfs", "dms", "llms", and "can confab read PDFs?"
    found no "PDF" in the docs (while "URLs" and "APIs" were singular)."""

    def __init__(self, stemmer: Any) -> None:
        self._stemmer = stemmer

    def stemWords(self, words: list[str]) -> list[str]:  # the name bm25s calls
        return [word[:-1] if len(word) >= 3 and word.endswith("s") and _NO_VOWEL.match(word[:-1]) else stem
                for word, stem in zip(words, self._stemmer.stemWords(words), strict=True)]


def _stemmer() -> _Stems:
    """Stems from PyStemmer, the C library bm25s recommends; one per thread, as its stemmers are not thread-safe.
    bm25s stems the vocabulary, once per distinct word."""
    if (stemmer := getattr(_per_thread, "stemmer", None)) is None:
        import Stemmer

        stemmer = _per_thread.stemmer = _Stems(Stemmer.Stemmer("english"))
    return stemmer


# Beyond bm25s' 33 English stop words: the words every question has ("how do we ...?", "how do I get …?",
# "do you send it anywhere?", "what did he say?") carry no topic, yet would count in the abstain model's word
# coverage: "what did I say?" about a voice message was answered from a line of the docs that "says" something,
# and "@confab do you know?" under a colleague's question is that question asked again, with no words of its own.
QUESTION_WORDS = frozenset(
    "how what why when where which who whom whose do does did doing done can could should would shall may might "
    "must has have had been being were am you your yours we our ours us me my mine he him his she her hers its "
    "them those than so any some about please get gets got getting want wants anywhere anything something "
    "instead just say says said saying tell tells told know knows knew anyone anybody someone somebody".split())


@lru_cache(maxsize=1)
def stopwords() -> list[str]:
    from bm25s.stopwords import STOPWORDS_EN

    return sorted(set(STOPWORDS_EN) | QUESTION_WORDS)


def content_words(texts: list[str]) -> list[list[str]]:
    """Stemmed content words; a setting's name counts as its words (``CONFAB_RETENTION_DAYS``: confab,
    retention, days), as people ask about the retention, not the variable."""
    import bm25s

    texts = [text.replace("_", " ") for text in texts]
    tokens = bm25s.tokenize(texts, stopwords=stopwords(), stemmer=_stemmer(), return_ids=False, show_progress=False)
    return [list(t) for t in tokens]
