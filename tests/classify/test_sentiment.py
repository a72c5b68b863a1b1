"""Sentiment: the shipped embedding model labels messages, scores them, and survives bad input."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.classify.sentiment import analyze_sentiment
from agent.classify.train_sentiment import read_sentences
from agent.embeddings import LocalEmbedder


def test_labels_and_scores(local_embedder: LocalEmbedder) -> None:
    good, meh, bad = analyze_sentiment(["This is great, thanks so much!", "The meeting is at 3.", "This is awful :("],
                                       local_embedder)
    assert (good.label, meh.label, bad.label) == ("positive", "neutral", "negative")
    assert good.score > 0.5 and bad.score < -0.5 and abs(meh.score) < good.score


def test_negation_and_context(local_embedder: LocalEmbedder) -> None:
    results = analyze_sentiment(["Not worth the money, it broke in a week.", "Not bad at all, I'd buy it again."],
                                local_embedder)
    assert [r.label for r in results] == ["negative", "positive"]


@pytest.mark.parametrize("text", ["", "   ", "\x00\x01\x02", "\ud800 lone surrogate", "x" * 200_000, "🙂" * 50])
def test_bad_input_gives_a_result(text: str, local_embedder: LocalEmbedder) -> None:
    [result] = analyze_sentiment([text], local_embedder)
    assert result.label in ("positive", "neutral", "negative") and -1.0 <= result.score <= 1.0
    if not text.strip():
        assert (result.label, result.score) == ("neutral", 0.0)


def test_training_sentences_are_well_formed(tmp_path: Path) -> None:
    texts, labels = read_sentences()
    assert len(texts) == len(labels) > 300 and set(labels) == {0, 1, 2}
    (tmp_path / "bad.tsv").write_text("happy\tmislabelled line\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"bad\.tsv:1"):
        read_sentences(tmp_path)


def test_emoji_are_read(local_embedder: LocalEmbedder) -> None:
    """The embedding model has no emoji in its vocabulary: they are spelled out first."""
    party, angry = analyze_sentiment(["🎉🎉", "😡😡"], local_embedder)
    assert (party.label, angry.label) == ("positive", "negative")


def test_informal_chat(local_embedder: LocalEmbedder) -> None:
    """Slang, amusement and a plain remark: the lexicon scores (VADER) beside the embedding, and informal
    training sentences. The embedding alone read "meh" as neutral, a laugh as negative and the weather as a
    complaint."""
    results = analyze_sentiment(["meh", "that's hilarious", "it's raining here"], local_embedder)
    assert [r.label for r in results] == ["negative", "positive", "neutral"]


def test_a_how_to_question_with_a_destructive_verb_is_neutral(local_embedder: LocalEmbedder) -> None:
    """A channel's mood read "how do I make it forget a channel?" (-0.63) and "how do I stop it deleting spam?"
    (-0.85) as complaints: the verbs, not the asker. None of these sentences is in the training lines; the
    complaints with the same verbs stay negative."""
    texts = ["how do I get rid of the old backups?", "how can I shut down the staging cluster?",
             "how do I unsubscribe from the alerts?", "this is broken again, I give up",
             "it wiped my settings again, I'm furious"]
    assert [r.label for r in analyze_sentiment(texts, local_embedder)] == [
        "neutral", "neutral", "neutral", "negative", "negative"]


def test_the_model_reads_what_the_features_hold(local_embedder: LocalEmbedder) -> None:
    from agent.classify.sentiment import SentimentModel, features

    model = SentimentModel.load()
    found = features(["fine", "great!!! 😀"], local_embedder)
    assert found.shape == (2, model.coef.shape[1]) == (2, model.mean.shape[0])
    assert found[1, -1] > 0.5  # VADER's compound score of an exclaimed "great" and a grin
