"""Open questions: asked in the conversation and not answered in it.

A question counts as answered when, among the next messages of its thread, someone other than the asker

- replies to the asker by name ("@carol 4.1, …", "priya — yes, …");
- is the person it was put to, replying on its subject;
- speaks right after it (or in the thread it opened) with an answer: a yes/no, the kind of thing it asks for
  (a person for "who …?": "dave does", "me"; a time for "when …?": "thursday at 3"), or on its subject (shared
  words, or close in meaning);
- or, a little later, says something close in meaning to it;
- or, to a "who …?" ("who writes the changelog?"), gives the task on its subject to someone ("priya, can you
  write the changelog by thursday?").

Small talk right after a question ("lunch anyone?") does not answer it. A request ("can you fix …?") is an
action item, not a question; a question put to the bot is answered by the bot. A proposal in a question's form
("how about Northstar?", "shall we ship on Friday?") waits for a yes, not an answer: no open question either.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from agent.memory.models import StoredMessage
from agent.summarize import signals
from agent.summarize.actions import stems
from agent.summarize.offers import is_offer
from agent.text import after_thanks, sentences

ADDRESSED_WINDOW = 15  # messages after a question in which a reply addressed to the asker counts
SUBJECT_WINDOW = 8  # ... in which a reply on the same subject counts
DIRECT_SIMILARITY = 0.35  # the message right after, close enough in meaning
LATER_SIMILARITY = 0.5  # a later message, close enough in meaning
_ANSWER_CUE = re.compile(r"^(?:(?:haha|lol|hmm+|oh|ah|well|um+)[,!.]*\s+)*"
                         r"(?:yes|no|yep|yeah|yup|nope|nah|sure|not yet|correct|exactly|definitely|probably|"
                         r"absolutely|of course|i'?d rather not|rather not|let'?s not|better not|i don'?t think so|"
                         r"not really|i think so|good idea|makes sense)\b", re.I)

# what a "who …?" and a "when …?" question ask for, as a reply opens with it: a person ("dave does", "me", "@sam
# will", "nobody yet") or a time ("thursday", "not before 3pm": signals.find_due)
_WHO_ASKED = re.compile(r"^(?:(?:hmm+|oh|well|um+)[,!.]*\s+)?who(?:'s|se)?\b", re.I)
_WHEN_ASKED = re.compile(r"^(?:(?:hmm+|oh|well|um+|so|and)[,!.]*\s+)?(?:when|what time|what day|by when|how soon)\b",
                         re.I)
# a person answering "who …?": "dave does", "@sam will", "I do", "nobody has" (not "it does", "that is")
_A_PERSON = re.compile(r"^@?(?!(?:it|that|this|there|which|what|who|why|how|the|yes|no)\b)[\w.\-]+\s+"
                       r"(?:does|do|did|will|would|is|was|has|had|can|should|owns?|took|takes)\b", re.I)
# or a reply that is only a name ("dave", "me!", "@sam", "priya and tom"), not small talk ("lol", "ok")
_ONLY_A_NAME = re.compile(r"^(?!(?:lol|haha+|hah|ok(?:ay)?|sure|nice|cool|thanks|thx|hmm+|yes|no|yep|nope|same|"
                          r"idk|dunno|what|why|huh)\b)@?[\w.\-]+(?:\s+(?:and|&)\s+@?[\w.\-]+)?\s*[.!]*$", re.I)

# a call for someone ("anyone looking?", "can somebody check?") is answered by whoever takes it on ("on it, I'll
# check the logs after lunch", "me", "looking now")
_ASKS_SOMEONE = re.compile(r"\b(?:anyone|anybody|someone|somebody)\b", re.I)
_TAKES_IT = re.compile(r"^(?:(?:ok(?:ay)?|sure|yes|yep|yeah)[,!.]?\s+)?(?:on it|i'?m on it|me|i(?:'ll| will| can)\b|"
                       r"looking(?: into it| at it| now)?|will do|taking (?:it|this|that)|mine)\b", re.I)

_ASKS_WHO = re.compile(r"(?:^|[,;:]\s*|\b(?:and|so|but)\s+)who\b", re.I)  # asks for a person: an owner answers it
_HEDGE = re.compile(r"\b(?:maybe|not sure|no idea|i think|i guess|probably|perhaps|might be|could be)\b|\?\s*$", re.I)

# a proposal put to the team ("should we roll back?", "how about we pin the version?"), and a yes to it
_PROPOSAL = re.compile(r"^(?:(?:so|ok(?:ay)?|then|and|also)[,!]?\s+)?(?:(?:should|shall|can|could) we|how about|"
                       r"what about|why don'?t we)\b", re.I)
_AGREEMENT = re.compile(r"^(?:(?:ok(?:ay)?|so)[,!]?\s+)?(?:yes|yep|yeah|yup|sure|agreed|let'?s do (?:it|that|this)|"
                        r"sounds good|go for it|do it|\+1|👍)(?:[,.!:;\s\u2013\u2014-]+|$)", re.I)


def agreed_proposals(messages: Sequence[StoredMessage]) -> dict[int, tuple[int, str]]:
    """Replies that say yes to a proposal put to the team: by the reply's position, the proposal's position and
    the reply's words after its yes ("should we roll back?" "yes, rolling back to v2.31 now": "rolling back to
    v2.31 now"; "" for a bare yes). Only the first reply by someone else in the proposal's thread counts."""
    found: dict[int, tuple[int, str]] = {}
    for index, proposal in enumerate(messages):
        asked = (sentences(after_thanks(" ".join(proposal.text.split()))) or [""])[-1]
        if not (signals.is_question(asked) and _PROPOSAL.match(asked)):
            continue
        for j in range(index + 1, min(len(messages), index + 1 + SUBJECT_WINDOW)):
            reply = messages[j]
            if reply.author_id == proposal.author_id or not same_thread(proposal, reply):
                continue
            body = " ".join(reply.text.split())
            if (yes := _AGREEMENT.match(body)) is not None and not signals.is_question(body) \
                    and not _decided_after(messages, j, proposal):
                found[j] = (index, body[yes.end():].strip())
            break
    return found


def _decided_after(messages: Sequence[StoredMessage], reply: int, proposal: StoredMessage) -> bool:
    """Is the proposal settled in so many words soon after the yes ("we decided to split the batch into 500s")?
    Then that is the decision, and the yes before it only agreed."""
    return any(same_thread(proposal, later) and signals.is_decision(later.text)
               and stems(later.text) & stems(proposal.text)
               for later in messages[reply + 1:reply + 1 + SUBJECT_WINDOW])


def same_thread(question: StoredMessage, reply: StoredMessage) -> bool:
    return reply.thread == question.thread or (reply.thread is not None and reply.thread == question.id)


def open_questions(messages: Sequence[StoredMessage], vectors: np.ndarray, by_message: dict[int, list[int]],
                   names: Sequence[str], bot_name: str | None = None, requests: set[int] | None = None) -> list[int]:
    """Positions of the questions nobody answered, oldest first."""
    everyone = [*names, *([bot_name] if bot_name else [])]
    found = []
    for index, message in enumerate(messages):
        if index in (requests or set()) or not signals.is_question(message.text) or is_offer(message.text):
            continue
        to, _ = signals.address(message.text, everyone)
        if bot_name is not None and to == bot_name:
            continue  # the bot answers what it is asked
        if not _answered(messages, vectors, by_message, index, to, everyone):
            found.append(index)
    return found


def _answered(messages: Sequence[StoredMessage], vectors: np.ndarray, by_message: dict[int, list[int]],
              index: int, put_to: str | None, everyone: Sequence[str]) -> bool:
    question = messages[index]
    direct = True  # the first message after the question from someone else
    guessed: set[str] = set()  # who guessed at an answer ("hmm not sure, maybe finance?")
    for j in range(index + 1, min(len(messages), index + 1 + ADDRESSED_WINDOW)):
        reply = messages[j]
        if reply.author_id == question.author_id or not same_thread(question, reply):
            continue
        to, body = signals.address(reply.text, everyone)
        on_subject = bool(stems(question.text) & stems(body))
        if (direct or on_subject or reply.thread == question.id) and _HEDGE.search(body):
            guessed.add(reply.author_name)  # a guess at the answer, not other talk
        if on_subject and _ASKS_WHO.search(question.text) and (
                (action := signals.find_action(reply.text, reply.author_name, everyone)) is not None
                and action.owner != signals.TEAM and stems(action.task) & stems(question.text)):
            return True  # "who writes the changelog?" "priya, can you write it by thursday?": an owner named
        if signals.is_question(reply.text) and not (direct and _ANSWER_CUE.match(body)):
            direct = False  # a question back; but "not yet, priya can you post in #support?" answers, then asks
            continue
        if to is not None:
            if to == question.author_name:
                return True
            if to in guessed and to != reply.author_name and (_ANSWER_CUE.match(body) or on_subject):
                return True  # "@jo no, it's the IT lead, alex": an earlier reply corrected is the question answered
            direct = False
            continue  # speaking to someone else
        near = j - index <= SUBJECT_WINDOW
        similarity = _similarity(vectors, by_message, index, j)
        # the message right after it, or any reply in the thread the question opened, may answer it directly
        answers = _ANSWER_CUE.match(body) or on_subject or (similarity or 0.0) >= DIRECT_SIMILARITY \
            or _gives_what_it_asks(question.text, body)
        if (direct or reply.thread == question.id) and answers:
            return True
        if near and put_to is not None and reply.author_name == put_to and on_subject:
            return True
        if near and (similarity >= LATER_SIMILARITY if similarity is not None else
                     len(stems(question.text) & stems(body)) >= 2):
            return True
        direct = False
    return False


def _gives_what_it_asks(question: str, reply: str) -> bool:
    """A reply that opens with what the question asks for: "who owns the migration script?" "dave does, he said
    he'd test it tomorrow" (no word shared, not close in meaning); "when is the freeze?" "wednesday noon";
    "the deploy broke again, anyone looking?" "on it, I'll check the logs after lunch"."""
    asked = (sentences(" ".join(question.split())) or [""])[-1]
    if _HEDGE.search(reply):
        return False  # "maybe finance?", "not sure": a guess, not the answer
    if _ASKS_SOMEONE.search(asked) and _TAKES_IT.match(reply):
        return True
    if _WHO_ASKED.match(asked):
        return _A_PERSON.match(reply) is not None or _ONLY_A_NAME.match(reply) is not None
    if _WHEN_ASKED.match(asked):
        found = signals.find_due(reply)[0]
        return found is not None and reply.lower().find(found.lower()) <= 20
    return False


def _similarity(vectors: np.ndarray, by_message: dict[int, list[int]], i: int, j: int) -> float | None:
    """Closest meaning between two messages' sentences; None when either was not embedded (long windows)."""
    if i not in by_message or j not in by_message:
        return None
    return float((vectors[by_message[i]] @ vectors[by_message[j]].T).max())
