"""Ideas offered in a question's form: "how about Northstar?", "what about a Friday release?", "why don't we pin
it?", "shall we ship it?", "what if we split the batch?". They wait for a yes, not an answer: no open question
in a summary, retold as a suggestion, and an idea in a brainstorm. Told by the form, not by the words offered:
"what about the migration?" (something already there) and "what about the migration, who owns it?" (a question
after it) ask; "what if the disk fills up?" asks.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from agent.summarize import signals
from agent.text import sentences

_OFFER = re.compile(r"^(?:(?:so|ok(?:ay)?|then|and|also|or|hmm+|well|maybe|idea)[,!:.]?\s+)*"
                    r"(?:(how|what) about|(why don'?t we|shall we|what if we)|why not)\b\s*(.*)$", re.I)
# "what about the migration?", "how about you?": about something already there, or someone; asks after it
_GIVEN = re.compile(r"^(?:the|our|your|my|his|her|their|its|this|that|these|those|it|them|him|you|me)\b", re.I)
# a further question in the same sentence: "what about the migration, who owns it?"
_ASKS_ON = re.compile(r"[,;:\u2013\u2014-]\s*(?:@?[\w.\-]+,?\s+)?(?:who|what|when|where|why|how|which|whose|is|are|was|"
                      r"were|do|does|did|can|could|will|would|should|has|have)\b", re.I)
_WH = re.compile(r"^(?:who|what|when|where|why|how|which|whose)\b", re.I)


class Offer(NamedTuple):
    thing: str  # "Northstar", "a Friday release", "pin the version"
    act: bool  # something to do together ("why don't we pin the version?"): "we pin the version"

    def said(self) -> str:
        """As a summary tells it after "suggests": "Northstar", "we pin the version"."""
        return f"we {self.thing}" if self.act else self.thing


def offered(text: str) -> list[Offer]:
    """What ``text`` offers, when every question in it is an idea offered in a question's form ("how about
    Northstar?": Northstar; "what about a Friday release? thoughts?": a Friday release); [] otherwise. A short
    tag after the offer ("thoughts?", "anyone?") asks about it."""
    asked = [part for part in sentences(" ".join(text.split())) if signals.is_question(part)]
    offers: list[Offer] = []
    for part in asked:
        match = _OFFER.match(part)
        if match is not None:
            about, together, rest = match.group(1), match.group(2), match.group(3).rstrip(" ?!.")
            if _ASKS_ON.search(rest) or (about and _GIVEN.match(rest)) or not rest:
                return []
            clause = re.match(r"we\s+(.+)$", rest, re.I) if about else None  # "how about we pin it"
            offers.append(Offer(clause.group(1), True) if clause else Offer(rest, together is not None))
        elif not offers or len(part.split()) > 3 or _WH.match(part):
            return []  # a question of its own, not a tag after the offer
    return offers


def is_offer(text: str) -> bool:
    """Is every question in ``text`` an idea offered in a question's form?"""
    return bool(offered(text))
