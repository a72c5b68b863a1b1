"""Feedback on answers: which replies carry 👍/👎 (:func:`rated_for`), and a vote turned into a stored one and
the short line the voter is told (:func:`record_vote`).

Every answer the agent produces (knowledge answers, ``/ask``, summaries, brainstorm wrap-ups) is marked
:class:`~bot.events.Rated`; the outbox records it as it is sent and the adapters put the buttons under it
(Slack: a ``context_actions`` block with ``feedback_buttons``, :mod:`bot.slack.feedback`; Discord: a persistent
view, :mod:`bot.discord.feedback`; the console: ``/rate up|down [N]``). Votes come back as
:class:`~bot.events.Vote` values whose voter is who the platform says clicked; the value and the answer's key
are checked here, so a malformed or forged one gets a short answer and a log line.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Sequence

from agent.knowledge.citations import cite_label
from agent.storage.feedback import VOTES, FeedbackStore, VoteValue
from agent.tools.base import Citation
from bot.events import Rated, Vote
from bot.messages import BAD_VOTE, UNKNOWN_ANSWER, VOTE_CHANGED, VOTE_FAILED, VOTE_RECORDED, VOTE_WITHDRAWN

__all__ = ["BAD_VOTE", "UNKNOWN_ANSWER", "rated_for", "record_vote", "vote_value"]

log = logging.getLogger(__name__)

QUESTION_MAX_CHARS = 2000  # what is kept of the question an answer answered
# an answer's key: a platform message id (Slack ts, Discord snowflake, the console's session.number) or a key the
# outbox made (``p`` + hex); anything else did not come from Confab's own buttons
ANSWER_KEY = re.compile(r"^[A-Za-z0-9._-]{1,80}$")

THANKS = {"up": "👍", "down": "👎"}


def rated_for(question: str, model: str, citations: Sequence[Citation] = ()) -> Rated:
    """What an agent answer to ``question`` carries to be rated."""
    return Rated(question.strip()[:QUESTION_MAX_CHARS], tuple(cite_label(c) for c in citations), model)


def vote_value(value: str) -> VoteValue | None:
    """``up`` or ``down`` as they arrive from Confab's buttons (anything else: None)."""
    return next((v for v in VOTES if v == value), None)


async def record_vote(store: FeedbackStore, vote: Vote, now: float | None = None) -> str:
    """Store ``vote`` (one per person per answer: the same value again takes it back) and say what was done."""
    value = vote_value(vote.value)
    if value is None or not ANSWER_KEY.match(vote.answer) or not vote.voter.id:
        log.warning("malformed vote ignored", extra={"platform": vote.channel.platform, "value": vote.value[:20],
                                                     "key_length": len(vote.answer)})
        return BAD_VOTE
    try:
        outcome = await store.vote(vote.channel.key, vote.answer, vote.voter.id, value,
                                   time.time() if now is None else now)
    except Exception:
        log.exception("recording a vote failed", extra={"channel": vote.channel.key})
        return VOTE_FAILED
    log.info("vote", extra={"channel": vote.channel.key, "outcome": outcome, "vote": value})
    if outcome == "unknown":
        return UNKNOWN_ANSWER
    text = {"recorded": VOTE_RECORDED, "changed": VOTE_CHANGED, "withdrawn": VOTE_WITHDRAWN}[outcome]
    return text.format(emoji=THANKS[value])
