"""The recall bench's question sets: only the development sets' misses may be printed, and never a held-out
decision or a line about a held-out topic among their hits (bench/recall.py)."""

from __future__ import annotations

from bench.recall import SETS, developing, held_out
from bench.recall_data import ALL_TOPICS, DEVELOPMENT_2, HELD_OUT, HELD_OUT_2, TOPICS


def test_only_the_development_questions_may_show_their_misses() -> None:
    assert [topics for _, topics in SETS] == [TOPICS, HELD_OUT, HELD_OUT_2, DEVELOPMENT_2]
    assert sum(len(topics) for _, topics in SETS) == len(ALL_TOPICS)
    shown = [n for n in range(len(ALL_TOPICS)) if developing(n)]
    assert [ALL_TOPICS[n] for n in shown] == TOPICS + DEVELOPMENT_2


def test_a_held_out_line_among_a_misses_hits_is_hidden() -> None:
    assert all(held_out(decision) for _, _, decision, _ in HELD_OUT + HELD_OUT_2)
    topic = HELD_OUT_2[0][0]
    assert held_out(f"any update on {topic}?") and held_out(f"any update on {topic.upper()}?")
    assert not any(held_out(decision) for _, _, decision, _ in TOPICS + DEVELOPMENT_2)
    assert not held_out("coffee anyone?")
