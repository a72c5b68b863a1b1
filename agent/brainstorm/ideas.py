"""Pure idea handling: telling ideas from votes, near-duplicate detection and theme clustering."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

import numpy as np

from agent.intents import ACKNOWLEDGEMENT, GREETING, THANKS
from agent.summarize.extractive import content_words
from agent.summarize.offers import offered

DUPLICATE_SIMILARITY = 0.82  # cosine at or above which two ideas are the same idea
THEME_DISTANCE = 0.65  # average-linkage cosine distance under which ideas share a theme

_VOTE = re.compile(r"^\s*(\+\s?1|\+\+|👍+|💯|🔥|❤️|(i\s+)?(agree|love (this|that|it)|like (this|that)|same|"
                   r"yes+|yep|this|seconded|second (this|that)|great idea|good idea|nice)[!. ]*)\s*$", re.I)
_BULLET = re.compile(r"^\s*(?:[-*•]|\d+[.)])\s+")
_NOT_A_THEME = frozenset("between across only into about over under after before more less some any every each "
                        "other than then them use using make get new".split())
_META = re.compile(r"^\s*/|^\s*(ok|okay|thanks|thank you|lol|haha)\W*$", re.I)
# a reaction to what was said, not an idea of one word ("interesting", "hmm", "wow")
_REACTION = re.compile(r"^\s*(?:interesting|agreed|hmm+|wow|meh|true|exactly|idk|o+h+|ah+|good one|not sure|maybe|"
                       r"why|what|really|sure|nope|nah|same here|me too|this one|that one|ha+|heh|lmao|omg|fair|"
                       r"indeed|definitely|totally|cool|nice|great|awesome|love it)\W*$", re.I)
SHORT_IDEA_WORDS = 3  # a message this short with one content word is an idea of one word ("Pulse", "Atlas v2")


def is_vote(text: str) -> bool:
    return _VOTE.match(text) is not None


def split_ideas(text: str) -> list[str]:
    """The ideas in a message: one per bullet line, or the message itself. Votes, questions and chatter
    are not ideas; an idea offered as a question is ("how about Northstar?": "Northstar"), and a message of one
    word that names something ("Pulse")."""
    text = text.strip()
    if text.endswith("?"):
        return [(idea.thing[:1].upper() + idea.thing[1:])[:500] for idea in offered(text) if content_words(idea.thing)]
    if not text or is_vote(text) or _META.match(text):
        return []
    lines = [line for line in text.splitlines() if line.strip()]
    bullets = [_BULLET.sub("", line).strip() for line in lines if _BULLET.match(line)]
    candidates = bullets if len(bullets) >= 2 else [" ".join(text.split())]
    return [c[:500] for c in candidates if len(content_words(c)) >= 2 or _named(c)]


def _named(text: str) -> bool:
    """An idea of one word, as naming brainstorms have them ("Pulse", "lens", "Atlas v2"), not a reaction or
    acknowledgement ("interesting", "cool", "ok")."""
    return len(text.split()) <= SHORT_IDEA_WORDS and len(content_words(text)) == 1 \
        and not (_REACTION.match(text) or ACKNOWLEDGEMENT.match(text) or THANKS.match(text) or GREETING.match(text))


def nearest(vector: np.ndarray, vectors: np.ndarray) -> tuple[int, float]:
    if len(vectors) == 0:
        return -1, 0.0
    sims = vectors @ vector
    best = int(np.argmax(sims))
    return best, float(sims[best])


def cluster_themes(vectors: np.ndarray, distance: float = THEME_DISTANCE) -> list[int]:
    """Theme label per idea (agglomerative clustering, cosine, average linkage)."""
    if len(vectors) < 2:
        return [0] * len(vectors)
    from sklearn.cluster import AgglomerativeClustering

    labels = AgglomerativeClustering(n_clusters=None, distance_threshold=distance, metric="cosine",
                                     linkage="average").fit_predict(vectors)
    return [int(label) for label in labels]


def theme_name(texts: Sequence[str], others: Sequence[str] = ()) -> str:
    """Two or three words that are frequent in the theme and rarer elsewhere."""
    inside = Counter(w for t in texts for w in set(content_words(t)) if w not in _NOT_A_THEME)
    outside = Counter(w for t in others for w in set(content_words(t)))
    scored = sorted(inside, key=lambda w: (-(inside[w] / len(texts) - 0.5 * outside[w] / max(1, len(others))), w))
    words = [w for w in scored if len(w) > 2][:3]
    return " / ".join(words) if words else "misc"
