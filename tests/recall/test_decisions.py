"""Decisions recognised by the word list and by the model over the message's local vector
(agent/recall/decisions.py), and a decision worded without the word list's markers found first."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from agent.embeddings import LocalEmbedder
from agent.recall.decisions import MODEL_EMBEDDER, DecisionModel, decides, decisions, form, likelihoods
from agent.recall.service import RecallService
from agent.recall.train_decisions import read_lines
from agent.storage.ports import Storage
from agent.storage.recall_store import recall_store
from tests.recall.test_search import ALICE_SEES, GENERAL, RANDOM, ids, said

# closed the way people close a thread, without "decided", "agreed", "let's go with", "we'll …"
UNMARKED = ["alright, Nordisk tents for the summer camp, the order goes out tomorrow",
            "ok, the yellow tents then, I'm ordering twelve tomorrow",
            "ok so from now on the summer camp uses the Nordisk tents, the order is out"]
TALK = ["the Nordisk tents look sturdy, my pick for the summer camp", "tents for the summer camp: Nordisk or Vango?",
        "I compared Nordisk and Vango tents for the summer camp, notes in the doc", "ok", "thanks!"]


def test_a_plan_stated_as_fact_is_a_decision_and_talk_about_one_is_not() -> None:
    assert decides("We're moving the office to Kreuzberg in September; the lease is signed")
    assert decides("We will launch the private bug bounty on Intigriti")
    assert not decides("we're seeing errors on billing since the deploy")
    assert not decides("we're still discussing the office move")
    assert not decides("maybe we'll go with Zoom")
    assert not decides("are we moving offices?")


def test_a_vote_a_preference_or_the_options_laid_out_are_no_decision() -> None:
    """They name the topic and an option as the decision does, and would compete with it among the decisions."""
    assert not decides("my vote: we'll go with the Nordisk tents for the camp")
    assert not decides("I'd rather we're renting the tents, buying is a lot")
    assert not decides("options: we'll rent the tents, or buy six and rent the rest")
    assert decides("the vote is in, we'll go with the Nordisk tents")


def test_the_model_recognises_decisions_the_word_list_misses(local_embedder: LocalEmbedder) -> None:
    texts = UNMARKED + TALK
    vectors = local_embedder.embed(texts)
    assert not any(decides(text) for text in UNMARKED)
    assert decisions(texts, vectors, local_embedder.name) == [True] * len(UNMARKED) + [False] * len(TALK)
    # another embedder's vectors mean something else: the word list alone
    assert decisions(texts, vectors, "hash") == [False] * len(texts)
    # a question or an open point is none, whatever the model says
    assert decisions(["alright, Nordisk tents for the summer camp?"], local_embedder.embed(
        ["alright, Nordisk tents for the summer camp?"]), local_embedder.name) == [False]


async def test_a_decision_without_the_word_lists_markers_is_found_first(store: Storage,
                                                                       local_embedder: LocalEmbedder) -> None:
    recall = RecallService(recall_store(store), lambda: local_embedder, retention_days=30)
    talk = ["my vote on the summer camp tents is Vango", "should we go with Vango tents for the summer camp?",
            "Vango tents for the summer camp sound heavy to me", "the summer camp tents: Nordisk vs Vango, thoughts?",
            "parents keep asking about the summer camp tents", "my vote on the summer camp tents is Nordisk"]
    messages = [said(GENERAL, str(i), text, "bob", ago_days=3 - i / 10) for i, text in enumerate(talk)]
    messages += [said(RANDOM, "20", UNMARKED[0], "carol", ago_days=2),
                 said(RANDOM, "21", "the bus for the summer camp leaves at 8", "erin", ago_days=1)]
    for m in messages:
        assert await store.messages.add(m)
    result = await recall.search("which tents did we pick for the summer camp?", GENERAL, ALICE_SEES)
    assert ids(result)[0] == "20" and result.hits[0].decision


def test_the_shipped_model_and_its_training_lines(tmp_path: Path) -> None:
    texts, labels = read_lines()
    assert labels.count(1) >= 150 and labels.count(0) >= 300 and len(set(texts)) == len(texts)
    model = DecisionModel.load()
    assert model.vector_coef.shape == (LocalEmbedder.dim,) and np.isfinite(model.word_coef).all()
    assert np.isfinite(model.form_coef).all() and {"ok", "then", "it", "is", "from", "now"} <= model.form_words
    (tmp_path / "bad.tsv").write_text("maybe\ta line without a known label\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"bad\.tsv:1"):
        read_lines(tmp_path)




def test_a_marked_line_said_many_times_takes_one_place_among_the_decisions() -> None:
    """A vote the model takes for a decision, repeated in the channel, must not push the decision out of the
    first places among the marked rows (where a decision leads, agent.recall.ranking.leads)."""
    from agent.recall.index import ConversationIndex, Entry

    def unit(*values: float) -> np.ndarray:
        vector = np.array(values, dtype=np.float32)
        return vector / np.linalg.norm(vector)

    index = ConversationIndex(3)
    lines = [("t1", "tents for camp: Nordisk or Vango?", unit(1, 0.1, 0), False),
             ("t2", "my vote on the camp tents is Vango", unit(1, 0.2, 0), True),
             ("t3", "my vote on the camp tents is Vango", unit(1, 0.2, 0), True),
             ("t4", "my vote on the camp tents is Vango", unit(1, 0.2, 0), True),
             ("d", "alright, Nordisk tents for the camp", unit(1, 0.4, 0), True)]
    index.add([Entry("c", mid, None, "u", "u", text, 0.0) for mid, text, _, _ in lines],
              np.stack([vector for _, _, vector, _ in lines]), [text.lower().split() for _, text, _, _ in lines],
              [mark for *_, mark in lines])
    found = {f.entry.message_id: f for f in index.search(["tents"], unit(1, 0, 0), ["c"], k=5, marked=True,
                                                         feedback=1)}
    assert found["d"].marked_rank == 1 and found["d"].marked


def test_a_messages_form_keeps_how_it_is_said_and_masks_the_topic() -> None:
    common = frozenset({"it", "is", "fine", "then", "a", "for", "?", "👍"})
    assert form("Linear it is", common) == form("Godot it is.", common) == "_ it is"
    assert form("fine, 20 euros a head for team lunches then", common) == "fine _ a _ for _ then"
    assert form("👍 Godot then?", common) == "👍 _ then ?"


def test_threads_closed_without_decision_words_on_new_topics_are_decisions(local_embedder: LocalEmbedder) -> None:
    """Forms the first model missed ("fine, X then", "👍 X then", "signed with X"), on topics no training line
    has, against the same topics asked, voted on, doubted and a work update in the past tense."""
    closed = ["fine, canvas tote bags for the fair then", "👍 the long route for the charity ride then",
              "signed with the caterer from Porto, deposit is paid"]
    talk = ["kayaks or bikes for the retreat?", "my vote on the fair bags is canvas totes",
            "the caterer from Porto sent a quote", "the long route for the charity ride sounds risky to me",
            "fixed the projector cable in room 2", "can the choir rehearse on Wednesdays?"]
    texts = closed + talk
    assert not any(decides(text) for text in texts)
    assert decisions(texts, local_embedder.embed(texts), local_embedder.name) == [True] * 3 + [False] * 6


def test_among_decisions_as_close_in_meaning_the_one_where_the_talk_was_held_leads() -> None:
    """A decision is made where the topic was discussed: with two decisions as close to the topic, the one in
    the channel holding the talk the question matches comes first among the marked rows."""
    from agent.recall.index import ConversationIndex, Entry

    def unit(*values: float) -> np.ndarray:
        vector = np.array(values, dtype=np.float32)
        return vector / np.linalg.norm(vector)

    index = ConversationIndex(3)
    lines = [("talk", "t1", "the camp tents: Nordisk or Vango?", unit(1, 0.1, 0), False),
             ("talk", "t2", "my vote on the camp tents is Vango", unit(1, 0.2, 0), False),
             ("other", "d1", "we pilot the new camp bus on Fridays", unit(1, 0, 0.5), True),
             ("talk", "d2", "alright, Nordisk it is", unit(1, 0, 0.52), True)]
    index.add([Entry(key, mid, None, "u", "u", text, 0.0) for key, mid, text, _, _ in lines],
              np.stack([vector for *_, vector, _ in lines]), [text.lower().split() for _, _, text, _, _ in lines],
              [mark for *_, mark in lines])
    found = {f.entry.message_id: f for f in index.search(["tents"], unit(1, 0, 0), ["talk", "other"], k=5,
                                                         marked=True, feedback=2)}
    assert found["d2"].marked_rank == 0 and found["d1"].marked_rank == 1


def test_a_decision_followed_by_a_request_or_a_question_is_a_decision(local_embedder: LocalEmbedder) -> None:
    """The question mark closing "…, carol can you book them?" made the whole message a question."""
    decided = ["ok let's go with Thursday then, carol can you finish the docs by Wednesday?",
               "we decided to freeze the branch on Monday. any objections?",
               "ok let's go with the yellow tents then, bob can you order twelve?"]
    asked = ["are we going with Thursday, bob can you check?", "should we go with Thursday?",
             "alright, Nordisk tents for the summer camp?"]
    assert [decides(text) for text in decided[:2] + asked] == [True, True, False, False, False]
    texts = decided + asked
    assert decisions(texts, local_embedder.embed(texts), local_embedder.name) == [True] * 3 + [False] * 3


def test_a_thread_closed_without_markers_then_a_request_is_still_a_decision(local_embedder: LocalEmbedder) -> None:
    """The model read the whole message: a request after the closing sentence ("…, bob can you order twelve?")
    weighed it under the threshold. Each sentence that is no question is read on its own too; a lone "ok." before
    a question decides nothing."""
    closed = ["ok, the yellow tents then, bob can you order twelve?",
              "porto it is then. bob can you book the hotel by friday?"]
    talk = ["ok. lunch at noon?", "we could go with porto. what do you think?", "I pushed the fix. bob can you review?",
            "great, thanks. see you monday"]
    texts = closed + talk
    assert not any(decides(text) for text in texts)
    assert decisions(texts, local_embedder.embed(texts), local_embedder.name) == [True] * 2 + [False] * 4


def test_how_likely_a_message_states_a_decision() -> None:
    """The word list says 1, a question or an open point 0 whatever the model says; another embedder's vectors
    leave the word list alone."""
    texts = ["Decision: the camp uses the Nordisk tents", "alright, Nordisk tents for the summer camp?",
             "the Nordisk tents look sturdy"]
    vectors = np.zeros((3, 384), dtype=np.float32)
    assert likelihoods(texts, vectors, "hash") == [1.0, 0.0, 0.0]
    local = likelihoods(texts, vectors, MODEL_EMBEDDER)
    assert local[:2] == [1.0, 0.0] and 0.0 < local[2] < 1.0


def test_a_decision_the_recogniser_is_unsure_of_still_leads_among_the_decisions() -> None:
    """A line the model finds 0.6 likely a decision (under the threshold: not marked) on the topic the talk is
    about ranks first among the decisions, ahead of a marked decision on another topic; the talk itself (all but
    certainly no decision) takes no place among them."""
    from agent.recall.index import ConversationIndex, Entry

    def unit(*values: float) -> np.ndarray:
        vector = np.array(values, dtype=np.float32)
        return vector / np.linalg.norm(vector)

    index = ConversationIndex(3)
    lines = [("talk", "t1", "the tutorial videos: YouTube or Wistia?", unit(1, 0.1, 0), False, 0.01),
             ("talk", "t2", "my vote on the tutorial videos is Wistia", unit(1, 0.2, 0), False, 0.05),
             ("talk", "d", "Wistia for tutorials. no ads and the embeds track views", unit(1, 0.4, 0.3), False, 0.6),
             ("other", "m", "Decision: the camp uses the Nordisk tents", unit(0.3, 0, 1), True, 1.0)]
    index.add([Entry(key, mid, None, "u", "u", text, 0.0) for key, mid, text, *_ in lines],
              np.stack([vector for *_, vector, _, _ in lines]), [text.lower().split() for _, _, text, *_ in lines],
              [mark for *_, mark, _ in lines], [likely for *_, likely in lines])
    found = {f.entry.message_id: f for f in index.search(["tutorial", "videos"], unit(1, 0, 0), ["talk", "other"],
                                                         k=5, marked=True, feedback=2)}
    assert found["d"].marked_rank == 0 and not found["d"].marked
    assert found["t1"].marked_rank is None and found["t2"].marked_rank is None


async def test_a_decision_on_another_topic_is_no_answer_to_what_was_decided(store: Storage,
                                                                            local_embedder: LocalEmbedder) -> None:
    """In a workspace whose only talk was the export cap, "what did we decide about the acquisition?" answered
    with the export cap's decision: the talk the question matched best (another topic's, or the question about
    the export cap put to Confab before) led to its decision."""
    recall = RecallService(recall_store(store), lambda: local_embedder, retention_days=30)
    talk = ["we decided to cap exports at 50k rows for now", "ok, I'll update the export docs by thursday",
            "what about the csv encoding issue?", "let's go with utf-8 with BOM, excel needs it"]
    for i, text in enumerate(talk):
        assert await store.messages.add(said(GENERAL, str(i), text, "bob", ago_days=1 - i / 100))
    # a question put to Confab before is as close to any decision question as can be, and no talk about the topic
    assert await store.messages.add(said(RANDOM, "9", "@confab what did we decide about the export cap?", "carol"))
    result = await recall.search("what did we decide about the acquisition?", GENERAL, ALICE_SEES)
    assert ids(result) == [], [h.entry.text for h in result.hits]
    result = await recall.search("what did we decide about the export cap?", GENERAL, ALICE_SEES)
    assert ids(result)[0] == "0" and result.hits[0].decision
