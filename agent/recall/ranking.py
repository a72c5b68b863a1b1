"""Which lines an index search found are worth showing, and in which order when the question asks what was
decided: a decision on the topic moves up, a question ("any update on X?") down.

The index (:mod:`agent.recall.index`) ranks by words and meaning fused; here a line that shares no word with the
question must be close enough in meaning (or a decision leading on the topic), and for a decision question the
ranks are adjusted by about the fused score of one first place (1/61).
"""

from __future__ import annotations

from agent.recall.index import Found

MIN_SIMILARITY = 0.35  # a hit without a shared word must be at least this close in meaning
# When the question asks what was decided, a decision on the topic (sharing a word with the question, or close in
# meaning: another topic's decision gets nothing) moves up, and a question ("any update on X?") down, by about
# the fused score of one first place (1/61).
DECISION_BOOST = 0.02
ON_TOPIC = 0.4
QUESTION_PENALTY = 0.01
LEADING = 2  # a decision moves up when it is among the first this-many decisions by meaning (see leads)
TOPIC_FLOOR = 0.3  # and at least this close to the topic
# the talk a decision question's feedback reads shares a word with it or is at least this close in meaning: in a
# workspace that only talked of the export cap, "what did we decide about the acquisition?" was moved toward that
# talk and answered with its decision (0.35 lost a development question of bench.recall; 0.25 none)
TALK_FLOOR = 0.25
CANDIDATES = 40  # hits reranked when the question asks for a decision
FEEDBACK = 10  # the best hits whose words and meaning rank the decisions too (ConversationIndex.search)


def leads(found: Found) -> bool:
    """A decision among the closest to the topic (the question, moved toward the talk it matches best), and close
    enough: "we standardise on Google Meet" answers "which video call tool?" through the talk naming both."""
    return found.marked_rank is not None and found.marked_rank < LEADING and (found.topic or 0.0) >= TOPIC_FLOOR


def decision_rank(found: Found) -> float:
    text = found.entry.text
    on_topic = leads(found) if found.topic is not None else found.keywords > 0 or found.similarity >= ON_TOPIC
    boost = DECISION_BOOST if on_topic and found.marked else 0.0
    penalty = QUESTION_PENALTY if text.rstrip().endswith("?") else 0.0
    return found.score + boost - penalty


def on_subject(found: Found) -> bool:
    """Shares a word with the question, is close to it in meaning, or is a decision leading on its topic."""
    return found.keywords > 0 or found.similarity >= MIN_SIMILARITY or leads(found)


def ranked(found: list[Found], decision: bool) -> list[Found]:
    """Those on the subject, reranked for a decision question (:func:`decision_rank`)."""
    kept = [f for f in found if on_subject(f)]
    if decision:
        kept.sort(key=decision_rank, reverse=True)
    return kept
