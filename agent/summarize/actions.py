"""Action items for a whole conversation: one item per task, with its owner, due date and who asked.

A request ("bob, can you take the migration?") and the owner's reply taking it on ("sure, I'll take it",
"will do", "I'll have it ready by Thursday") are one item citing both messages; the reply's due date fills
in when the request had none. The same task said twice by the same owner is one item. Replies that only
point back ("I'll take it") never become items of their own.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache

from agent.memory.models import StoredMessage
from agent.summarize import signals
from agent.summarize.model import ActionItem
from agent.text import after_thanks
from agent.words import content_words

TAKE_ON_WINDOW = 8  # a reply within this many messages can take on a request
REPEAT_WINDOW = 50  # a task said again is looked for among this many latest items
_NUMBER = re.compile(r"[\w.\-]*\d[\w.\-]*")
# "can someone update the docs?": a request to whoever takes it on; asked as "can you …" of ANYONE
_TO_ANYONE = re.compile(r"^(?:(?:hey|so|ok(?:ay)?|also)[,!]?\s+)?(?:(can|could|would|will) (?:someone|somebody|anyone|"
                        r"anybody)(?: please)?|(?:someone|somebody|anyone|anybody),? (please|pls))\s+(?=\w)", re.I)
# "can we add an alert for that?": an idea for the team, whoever takes it on ("sure, I'll add one tomorrow") owns it;
# a bare "sure" agrees with the idea and takes on nothing (signals.takes_on)
# ... as is a "let's" that closes a discussion ("ok, let's bump the replica to 8GB": "I'll resize it today")
_TO_US = re.compile(r"^(?:(?:hey|so|ok(?:ay)?|also)[,!]?\s+)?(?:can|could) we(?: please)?\s+(?=\w)|"
                    r"^(?:ok(?:ay)?|alright|so|fine|then)[,!.]?\s+(?=" + signals.LETS + r")let'?s\s+", re.I)
ANYONE = "\x00anyone"  # the owner of such a request until someone takes it on
_COMMON = signals.STOP_WORDS | frozenset(
    "ready about into make take done does need want anyone someone something then than been were".split())


@dataclass
class _Item:
    owner: str
    task: str
    due: str | None
    asked_by: str | None
    index: int
    sources: list[str] = field(default_factory=list)
    kind: str = "self"
    open: bool = True  # a request nobody has taken on yet
    committed_only: bool = False  # taken on only by a reply that says so, not by "sure" (an idea put to the team)
    about: str | None = None  # what a request with no task of its own reported ("the staging db is down again")


def stems(text: str) -> set[str]:
    """The words that carry a message's subject, compared as every search compares them (agent/words.py:
    "testing" meets "test"; a five-letter prefix, as before, did not). Words of four letters or more: the
    shorter ones are mostly everyday words ("new", "get", "set") that put small talk on any subject."""
    return {word for word in content_words([text])[0] if len(word) >= 4} - _common_stems()


@cache
def _common_stems() -> frozenset[str]:
    return frozenset(content_words([" ".join(sorted(_COMMON))])[0])


def collect_actions(messages: Sequence[StoredMessage], names: Sequence[str], bot_name: str | None = None,
                    addressees: Sequence[str | None] = ()) -> tuple[list[ActionItem], set[int]]:
    """The conversation's action items, oldest first, and the positions of messages that were requests."""
    items: list[_Item] = []
    requests: set[int] = set()
    taken: tuple[int, _Item] | None = None  # the item a message took on, for a date in its next clause
    by_id = {m.id: m for m in messages}
    for index, message, text in ((i, m, clause) for i, m in enumerate(messages) for clause in _commitments(m.text)):
        speaker = message.author_name
        addressee = addressees[index] if index < len(addressees) else None
        action = signals.find_action(text, speaker, names, bot_name, addressee)
        said = after_thanks(text)
        to_us = False
        if action is None and (put := _WHO_TAKES.search(said) or _NEEDS_SOMEONE.search(said)):
            items.append(_Item(ANYONE, "", None, speaker, index, [message.id], "request", about=put.group("about")))
            continue
        report, said = _after_report(said) if action is None else ("", said)
        if action is None and (anyone := _TO_ANYONE.match(said) or _TO_US.match(said)):
            to_us = anyone.re is _TO_US
            asked = "can you " if to_us else f"{anyone.group(1)} you " if anyone.group(1) else "please "
            action = signals.find_action(asked + said[anyone.end():], speaker, names, bot_name, ANYONE)
            if action is None:  # "can someone look into it?": no task to name, but taken on it is no open question
                items.append(_Item(ANYONE, "", None, speaker, index, [message.id], "request",
                                   about=signals.subject_of(report) if report else None))
                continue
        pending = _pending_for(items, speaker, index)
        named = None  # "the staging db is down again, can someone look?" "on it, I'll restart it after lunch"
        if pending is not None and not pending.task and pending.about and action is None:
            named = signals.find_action(text, speaker, names, bot_name, addressee, pending.about)
            if named is not None and named.kind == "self":
                pending.task = named.task  # restart the staging db
            else:
                named = None
        taken_on = signals.takes_on if pending is not None and pending.committed_only else signals.accepts
        if pending is not None and (
                (action is None and (named is not None or taken_on(text)))
                or (action is not None and action.kind == "self" and stems(action.task) & stems(pending.task))):
            if pending.owner == ANYONE:  # whoever takes it on owns it, and it was no open question
                pending.owner = speaker
                requests.add(pending.index)
            pending.sources.append(message.id)
            # the owner's own date, when the reply states one, is the commitment ("by friday?" "by thursday")
            pending.due = (action.due if action is not None else None) or signals.find_due(text)[0] or pending.due
            pending.open = False
            taken = (index, pending)
            continue
        if action is None and (about := _thread_subject(by_id, message)) is not None:
            # "the staging db is slow again" … in its thread "I'll look at it after lunch": look at the staging db
            action = signals.find_action(text, speaker, names, bot_name, addressee, about)
            action = action if action is not None and action.kind == "self" else None
        if action is None:
            if taken is not None and taken[0] == index and (due := signals.find_due(text)[0]):
                taken[1].due = due  # "I'll write it, and I'll have it done by friday"
            continue
        if action.kind in ("request", "assign") and action.owner != ANYONE:
            requests.add(index)
        same = next((item for item in reversed(items[-REPEAT_WINDOW:])
                     if item.owner == action.owner and _same_task(item.task, action.task)), None)
        if same is not None:
            same.sources.append(message.id)
            same.due = same.due or action.due
            continue
        items.append(_Item(action.owner, action.task, action.due, action.asked_by, index, [message.id],
                           action.kind, open=action.kind in ("request", "assign"), committed_only=to_us))
    # what the bot was asked to do ("@confab explain this to @bob") it did, or said it can't: no one's action item
    # a request to anyone that nobody took on stays an open question; one with no task to name is no item
    return [ActionItem(i.owner, i.task, tuple(dict.fromkeys(i.sources)), i.due, i.asked_by) for i in items
            if i.owner != ANYONE and i.task and (bot_name is None or i.owner.lower() != bot_name.lower())], requests


def _thread_subject(by_id: dict[str, StoredMessage], message: StoredMessage) -> str | None:
    """What the thread a reply is in is about, when its first message opens with it ("the staging db is slow
    again": "the staging db"); None outside threads or when the first message is not in the summary."""
    root = by_id.get(message.thread) if message.thread is not None and message.thread != message.id else None
    return signals.subject_of(root.text) if root is not None else None


# "I'll write it, and I'll add an alert tomorrow": two commitments, the second with a date of its own
_I_WILL = r"(?:I'll|I will|I'm going to|I am going to)\b"
_NEXT_COMMITMENT = re.compile(rf"(?:\s*[,;]\s*|\s+)(?:and|also|then|plus)\s+(?={_I_WILL})"
                              rf"|(?<=[.!])\s+(?=(?:and|also|then|plus),?\s+{_I_WILL})", re.I)


# "who wants the changelog?", "the migration guide needs someone who knows the auth flow": a task put to anyone,
# named by its subject; whoever takes it on says what they will do with it ("me, I'll draft it tomorrow")
_WHO_TAKES = re.compile(r"(?:^|(?<=[.!?,;:]\s))(?:who(?:'s| is)?\s+(?:wants(?: to (?:take|do|own))?|"
                        r"can (?:take|do|own)|will (?:take|do|own)|is taking|taking|is on|volunteers for)|"
                        r"any (?:takers|volunteers) for)"
                        r"\s+(?P<about>[^?.!]{2,80})\?", re.I)
_NEEDS_SOMEONE = re.compile(r"(?:^|(?<=[.!?;:]\s))(?P<about>(?:the|our|this|that)\s+[\w\s.'-]{2,60}?)\s+"
                            r"(?:still\s+)?needs?\s+(?:someone|somebody|an owner|a volunteer|a taker)\b", re.I)
# "the staging db is down again, can someone look?": a report, then the request it makes (to anyone)
_REPORT_THEN_ASK = re.compile(r"^(?P<report>[^,.;!?]{3,120}?)[,.;!:\u2013\u2014-]+\s+"
                              r"(?P<ask>(?=(?:can|could|would|will)\s+(?:someone|somebody|anyone|anybody)\b).*)$",
                              re.I | re.S)


def _after_report(text: str) -> tuple[str, str]:
    """(the report, the request after it), or ("", the whole text)."""
    match = _REPORT_THEN_ASK.match(text)
    return (match.group("report"), match.group("ask")) if match else ("", text)


def _commitments(text: str) -> list[str]:
    """The message's parts that each take something on, or the whole message."""
    return [part for part in _NEXT_COMMITMENT.split(text) if part.strip()] or [text]


def _pending_for(items: Sequence[_Item], owner: str, index: int) -> _Item | None:
    for item in reversed(items):
        if index - item.index > TAKE_ON_WINDOW:
            return None
        if item.open and (item.owner == owner or (item.owner == ANYONE and item.asked_by != owner)):
            return item
    return None


def _same_task(a: str, b: str) -> bool:
    """Mostly the same words, and the same numbers and ids ("ticket 12" is not "ticket 13")."""
    if set(_NUMBER.findall(a)) != set(_NUMBER.findall(b)):
        return False
    left, right = stems(a), stems(b)
    return bool(left and right) and len(left & right) / len(left | right) >= 0.6
