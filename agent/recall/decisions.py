"""Which stored messages state a decision: a word list and a small model over the message's vector.

The word list (:func:`decides`) knows the explicit forms ("decided", "agreed", "let's go with", "we'll …").
People often close a thread without them ("Hetzner wins, cheaper and the latency is fine", "ok Thursday 9pm
then", "no more standups on Fridays"), so a logistic regression over the message's local all-MiniLM-L6-v2
vector (the one the conversation index keeps for every message anyway: no extra embedding) reads the rest
(:class:`DecisionModel`, trained by :mod:`agent.recall.train_decisions` on the hand-written lines in
``data/decision_train/``), beside the message's words and its form (:func:`form`: the topic masked, so that
what the model learns from a thousand lines is how a thread is closed, not which topics the lines were about).
A message is a decision when either says so, and never when it is a question or an open point about one
(:data:`_UNDECIDED`). With another embedder the vectors mean something else, and only the word list is used.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from agent.embeddings import LOCAL_MODEL_NAME
from agent.text import sentences

MODEL_PATH = Path(__file__).parent / "data" / "decision_model.npz"
THRESHOLD = 0.8  # the model's probability from which a message is a decision (chosen on the development set)
MODEL_EMBEDDER = f"local:{LOCAL_MODEL_NAME}"  # the vectors the model reads (LocalEmbedder.name)
MIN_PART_WORDS = 3  # a sentence read on its own has this many words: "ok." before a question decides nothing

# A decision says so ("decided", "agreed", "final call"), or states the team's plan as fact: "we're moving the
# office to …", "we'll launch …" (a commitment in the first person plural, not a question: _UNDECIDED; "we're
# seeing errors", "we're still discussing" are no plan), or a commitment done ("the lease is signed").
_STATES = r"(?:seeing|having|getting|waiting|looking|trying|hoping|thinking|discussing|considering|talking|" \
          r"wondering|hitting|facing)"
_DECISION = re.compile(
    r"\b(decided|decision|decide|agreed|agree on|settled|we(?:'ll| will) go with|let'?s go with|going with|"
    r"we chose|approved|final|conclusion|"
    rf"we(?:['’]re| are) (?!not\b|still\b|{_STATES}\b)\w+ing|we(?:['’]ll| will) (?!not\b|see\b)\w+|"
    r"(?:is|are|was|were|been|got) (?:signed|confirmed|booked))\b", re.IGNORECASE)
# ... nor one person's vote or preference, or the options laid out ("my vote on X is Y", "I'd rather not do X",
# "I wrote up the options for X: A or B"): they name the topic and an option as a decision does
_UNDECIDED = re.compile(r"\b(no decision|not decided|undecided|haven'?t decided|still (?:open|no)|decide on|maybe|"
                        r"might|perhaps|not sure|my (?:vote|pick|preference|two cents)|i(?:'d| would)? (?:vote|rather|"
                        r"prefer)|options)\b|\?\s*$", re.IGNORECASE)


def decides(text: str) -> bool:
    """The word list: one of the message's sentences states a decision ("Decision: …", "we agreed …"), and is no
    question or open point about one ("we're going with Hetzner. any objections?" decides)."""
    return any(_DECISION.search(part) and not _UNDECIDED.search(part) for part in sentences(text))


def _undecided(text: str) -> bool:
    """Does the message leave the point open: each of its sentences a question or an open point? A question after
    the decision ("ok, the yellow tents then, bob can you book them?") leaves it decided."""
    return all(_UNDECIDED.search(part) for part in sentences(text))


WORD_FEATURES = 2**16  # hashed word 1- and 2-grams; as many for the form's 1- to 3-grams
FORM_LINES = 8  # a word belongs to the form when at least this many training lines have it
_FORM_TOKENS = re.compile(r"\w+|[^\w\s.,'\"()\[\]-]")


def word_hasher() -> Any:
    """The model's second reading: which words and word pairs the message has (hashed, no vocabulary), as a
    binary, L2-normalised row: "ok … then", "it is", "from now on", "let's discuss", "my vote"."""
    from sklearn.feature_extraction.text import HashingVectorizer

    return HashingVectorizer(n_features=WORD_FEATURES, ngram_range=(1, 2), alternate_sign=False, norm="l2",
                             binary=True, token_pattern=r"(?u)\b\w+\b", dtype=np.float32)  # noqa: S106


def form_hasher() -> Any:
    """The third reading: the message's form (:func:`form`) as hashed 1- to 3-grams."""
    from sklearn.feature_extraction.text import HashingVectorizer

    return HashingVectorizer(n_features=WORD_FEATURES, ngram_range=(1, 3), alternate_sign=False, norm="l2",
                             binary=True, token_pattern=r"\S+", lowercase=False, dtype=np.float32)  # noqa: S106


def form_tokens(text: str) -> list[str]:
    return _FORM_TOKENS.findall(text.lower())


def form(text: str, vocabulary: frozenset[str]) -> str:
    """The message with its topic taken out: the words common across the training lines' many topics kept
    (they carry how it is said: "ok", "then", "it is", "from now on", "my vote", "?", "👍"), any run of others
    one ``_``. "Linear it is" and "Godot it is" both read "_ it is"; "fine, 20 euros a head then" reads
    "fine _ a _ then": the model learns the way a thread is closed, not the topics it was trained on."""
    out: list[str] = []
    for token in form_tokens(text):
        kept = token if token in vocabulary else "_"
        if kept != "_" or not out or out[-1] != "_":
            out.append(kept)
    return " ".join(out)


@dataclass(frozen=True, slots=True)
class DecisionModel:
    """A logistic regression over the message's vector, its hashed words and its hashed form: the weights of
    the three, with the vector's standardisation folded into its weights and the intercept."""

    vector_coef: np.ndarray  # (384,)
    word_coef: np.ndarray  # (WORD_FEATURES,)
    form_coef: np.ndarray  # (WORD_FEATURES,)
    form_words: frozenset[str]  # the words a message's form keeps (:func:`form`)
    intercept: float

    def probabilities(self, texts: Sequence[str], vectors: np.ndarray) -> np.ndarray:
        """P(decision) per message: ``vectors`` are the local embedder's, of the messages' ``texts``.

        A message of several sentences is as likely as its likeliest sentence that is no question or open point,
        read by its words and form beside the whole message's vector: "porto it is then, bob can you book the
        hotel?" closes the thread as "porto it is then" does (0.98), but read whole, the request after it
        weighed it down to 0.70, under the threshold."""
        texts = list(texts)
        split = [sentences(text) for text in texts]
        parts = [[part for part in found if len(part.split()) >= MIN_PART_WORDS and not _UNDECIDED.search(part)]
                 if len(found) > 1 else [] for found in split]
        owner = [n for n, found in enumerate(parts) for _ in found]
        read = [*texts, *(part for found in parts for part in found)]
        words = _hasher().transform(read)
        forms = _form_hasher().transform([form(text, self.form_words) for text in read])
        said = np.asarray(words @ self.word_coef + forms @ self.form_coef).ravel()
        logits = np.asarray(vectors, dtype=np.float32) @ self.vector_coef + self.intercept
        best = said[:len(texts)].copy()
        for n, value in zip(owner, said[len(texts):], strict=True):
            best[n] = max(best[n], value)
        out: np.ndarray = 1.0 / (1.0 + np.exp(-np.clip(logits + best, -30.0, 30.0)))
        return out

    def save(self, path: Path = MODEL_PATH) -> None:
        np.savez_compressed(path, vector_coef=self.vector_coef.astype(np.float32),
                            word_coef=self.word_coef.astype(np.float32), form_coef=self.form_coef.astype(np.float32),
                            form_words=np.array(sorted(self.form_words), dtype=str),
                            intercept=np.array([self.intercept], np.float32))

    @classmethod
    def load(cls, path: Path = MODEL_PATH) -> DecisionModel:
        with np.load(path, allow_pickle=False) as data:
            return cls(data["vector_coef"], data["word_coef"], data["form_coef"],
                       frozenset(str(w) for w in data["form_words"]), float(data["intercept"][0]))


@lru_cache(maxsize=1)
def _hasher() -> Any:
    return word_hasher()


@lru_cache(maxsize=1)
def _form_hasher() -> Any:
    return form_hasher()


@lru_cache(maxsize=1)
def _model() -> DecisionModel:
    return DecisionModel.load()


def likelihoods(texts: Sequence[str], vectors: np.ndarray, embedder_name: str) -> list[float]:
    """How likely each message states a decision, 0 to 1: 1 when the word list says so, 0 for a question or an
    open point, else the model's probability (when ``vectors`` are the local embedder's; 0 without it)."""
    listed = [decides(text) for text in texts]
    if embedder_name != MODEL_EMBEDDER or not len(texts):
        return [float(said) for said in listed]
    first = {text: i for i, text in reversed(list(enumerate(texts)))}  # each text read once ("ok", "thanks!")
    rows = list(first.values())
    likely = dict(zip(first, _model().probabilities([texts[i] for i in rows], vectors[rows]).tolist(), strict=True))
    return [1.0 if said else 0.0 if _undecided(text) else float(likely[text])
            for text, said in zip(texts, listed, strict=True)]


def decisions(texts: Sequence[str], vectors: np.ndarray, embedder_name: str) -> list[bool]:
    """Which of the messages state a decision: the word list or the model (when ``vectors`` are the local
    embedder's), and no question or open point."""
    return [p >= THRESHOLD for p in likelihoods(texts, vectors, embedder_name)]
