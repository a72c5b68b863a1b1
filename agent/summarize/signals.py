"""Spotting decisions, action items (with owners) and questions in chat messages.

Cue phrases are English; messages in other languages still take part in the extractive selection, they
are only not classified as decisions/actions.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

_DECISION = re.compile(
    r"\bdecision(?: is)?:|"  # a colon ends this cue: no word boundary after it
    r"\b(we(?:'ve| have)? decided|decided to|let'?s go with|we(?:'ll| will) go with|"
    r"going with|we agreed|agreed(?: on| to| that)?|it'?s settled|settled on|final(?:ly)? (?:call|decision)|"
    r"approved|sign(?:ed)? off on|we(?:'ll| will) (?:use|ship|keep|drop|switch to|move to|postpone)|"
    r"let'?s (?:use|ship|keep|drop|switch to|move to|postpone|do)|consensus)\b", re.I)
_SELF_ACTION = re.compile(
    r"(?:^|[.!;]\s+|\b(?:ok(?:ay)?|sure|yes|fine),?\s+)(?:i'?ll|i will|i can|i'm going to|i am going to|"
    r"let me|i'll take|i'?ll handle|i'?m on it)\b\s*(.*)", re.I)
_TODO = re.compile(r"\b(?:todo|to-do|action item|action|ai)\s*[:\-]\s*(.+)", re.I)
_ASSIGN = re.compile(
    r"^(?:@?([\w.\-]+)[,:]?\s+)(?:can|could|would|will) you\s+(?:please\s+)?(.+?)\??$|"
    r"^@?([\w.\-]+)[,:]?\s+please\s+(.+)$|"
    r"^@?([\w.\-]+)\s+(?:will|is going to|to)\s+(.+)$", re.I)
_QUESTION_WORD = re.compile(
    r"^(who|what|when|where|why|how|which|should|shall|can|could|would|will|do|does|did|is|are|was|were|any "
    r"(?:idea|thoughts)|anyone)\b", re.I)
_DONE_HINT = re.compile(r"\b(done|fixed|merged|shipped|resolved|answered)\b", re.I)


@dataclass(frozen=True, slots=True)
class Action:
    owner: str
    text: str


def is_question(text: str) -> bool:
    stripped = text.strip()
    if not stripped:
        return False
    return stripped.endswith("?") or (_QUESTION_WORD.match(stripped) is not None and len(stripped.split()) <= 25
                                      and "?" in stripped)


def is_decision(text: str) -> bool:
    return _DECISION.search(text) is not None and not is_question(text)


def find_action(text: str, speaker: str, participants: Sequence[str]) -> Action | None:
    """Who is to do what, when a message says so; ``participants`` resolves addressed names."""
    stripped = " ".join(text.split())
    if not stripped or (stripped.endswith("?") and not _ASSIGN.match(stripped)):
        return None
    if match := _TODO.search(stripped):
        owner = _owner_in(match.group(1), participants) or speaker
        return Action(owner, _tidy(match.group(1)))
    if match := _ASSIGN.match(stripped):
        name = match.group(1) or match.group(3) or match.group(5)
        task = match.group(2) or match.group(4) or match.group(6)
        assignee = _resolve(name, participants)
        if assignee is not None and task:
            return Action(assignee, _tidy(task))
    if match := _SELF_ACTION.search(stripped):
        task = (match.group(1) or "").strip()
        if len(task.split()) >= 2 and not _DONE_HINT.search(task[:20]):
            return Action(speaker, _tidy(task))
    return None


def _resolve(name: str | None, participants: Sequence[str]) -> str | None:
    if not name:
        return None
    lowered = name.lower().strip("@")
    for person in participants:
        first = person.lower().split()[0] if person.split() else person.lower()
        if lowered in (person.lower(), first):
            return person
    return None


def _owner_in(text: str, participants: Sequence[str]) -> str | None:
    for word in re.findall(r"@?([\w.\-]+)", text):
        if (owner := _resolve(word, participants)) is not None:
            return owner
    return None


def _tidy(text: str) -> str:
    text = text.strip().rstrip("?.! ")
    return (text[:1].upper() + text[1:])[:200] if text else text
