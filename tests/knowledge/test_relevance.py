"""The abstain model's inputs, and which passages an offline answer quotes."""

from agent.knowledge.chunking import Chunk
from agent.knowledge.index import Hit, _tokenize
from agent.knowledge.relevance import best_per_document
from agent.knowledge.service import SearchResult
from agent.tools.knowledge import render


def test_a_documents_other_passages_do_not_flatten_the_top() -> None:
    ranked = [("a.md", 0.8), ("a.md", 0.78), ("b.md", 0.4), ("a.md", 0.7), ("c.md", 0.3)]
    assert best_per_document(ranked) == [0.8, 0.4, 0.3]
    assert best_per_document(ranked, n=2) == [0.8, 0.4]
    assert best_per_document([]) == []


def test_words_every_question_has_are_not_content() -> None:
    assert _tokenize(["How do we deploy Confab?", "Does it store our data?"]) == [["deploy", "confab"],
                                                                                  ["store", "data"]]


def test_keywords_are_stemmed_alike_in_every_thread() -> None:
    """Query words meet document words in one form ("added" and "adding" are "add", not Porter's "ad"); the
    index builds in a worker thread while queries are tokenized in others."""
    from concurrent.futures import ThreadPoolExecutor

    texts = ["We added caching", "adding caches", "Deploying deployed deploys"] * 200
    assert _tokenize(texts[:3]) == [["add", "cach"], ["add", "cach"], ["deploy"] * 3]
    with ThreadPoolExecutor(4) as pool:
        assert all(r == _tokenize(texts) for r in pool.map(_tokenize, [texts] * 8))


def hit(source: str, text: str, fused: float, similarity: float) -> Hit:
    return Hit(Chunk(source, "Title", 1, 2, text), fused, similarity, 0.0)


def test_offline_quotes_are_the_passages_close_to_the_most_similar_one() -> None:
    """The fused order can lead with a keyword match that is semantically weaker than the next hit."""
    hits = [hit("talk.md", "Mention it to talk to it.", 0.033, 0.45),
            hit("deploy.md", "Deploy with Docker.", 0.032, 0.66),
            hit("config.md", "Set DISCORD_TOKEN.", 0.031, 0.64)]
    _, output = render(SearchResult(hits, False, 0.9, 0.4, 3), None, "knowledge")
    assert "Deploy with Docker." in output.for_user and "Set DISCORD_TOKEN." in output.for_user
    assert "Mention it" not in output.for_user and "talk.md" not in output.for_user
    # the quotes are numbered [1] [2] for the reader, whatever their rank among the passages the model would see
    assert "Deploy with Docker. [1]" in output.for_user and "Set DISCORD_TOKEN. [2]" in output.for_user
    # each cites the lines it quotes (here the passage's one line), not the whole passage's range
    assert output.for_user.endswith("Sources: [1] deploy.md › Title (line 1) · [2] config.md › Title (line 1)")
    assert [c.marker for c in output.citations] == [1, 2, 3]
