"""The abstain model's inputs, and which passages an offline answer quotes."""

import numpy as np
import pytest

from agent.knowledge.chunking import Chunk
from agent.knowledge.index import HybridIndex
from agent.knowledge.ranking import Hit
from agent.knowledge.relevance import best_per_section
from agent.knowledge.service import SearchResult
from agent.settings import Settings
from agent.tools.knowledge import render
from agent.words import content_words


def test_words_every_question_has_are_not_content() -> None:
    assert content_words(["How do we deploy Confab?", "Does it store our data?"]) == [["deploy", "confab"],
                                                                                  ["store", "data"]]


def test_keywords_are_stemmed_alike_in_every_thread() -> None:
    """Query words meet document words in one form ("added" and "adding" are "add", not Porter's "ad"); the
    index builds in a worker thread while queries are tokenized in others."""
    from concurrent.futures import ThreadPoolExecutor

    texts = ["We added caching", "adding caches", "Deploying deployed deploys"] * 200
    assert content_words(texts[:3]) == [["add", "cach"], ["add", "cach"], ["deploy"] * 3]
    with ThreadPoolExecutor(4) as pool:
        assert all(r == content_words(texts) for r in pool.map(content_words, [texts] * 8))


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


def test_competition_is_the_next_sections_of_other_documents() -> None:
    """The best document's own sections are no competition (an abstract's METHODS and RESULTS are one study);
    every other document's sections each compete, so the competition is as deep in a few long documents as in
    many short ones."""
    ranked = [("a.md", "A > Methods", 0.8), ("a.md", "A > Results", 0.78), ("b.md", "B > One", 0.4),
              ("b.md", "B > One", 0.39), ("b.md", "B > Two", 0.35), ("c.md", "C", 0.3), ("a.md", "A", 0.29)]
    assert best_per_section(ranked) == [0.8, 0.4, 0.35, 0.3]
    assert best_per_section(ranked, n=2) == [0.8, 0.4]
    assert best_per_section([]) == []


# A team's knowledge base: three documents about one product, each with several sections. The question's
# similarity to each passage is set by its vector (unit vectors: the query is axis 0, each passage has an
# axis of its own for the rest).
PRODUCT = {
    "overview.md": [("Overview > Offline mode and LLM mode", "Offline mode quotes the documents; set a model "
                     "for LLM mode.", 0.40),
                    ("Overview > What it does", "It answers questions about the documents.", 0.15),
                    ("Overview > How to talk to it", "Mention it in a channel.", 0.12),
                    ("Overview > Adding documents", "Put Markdown files in the folder.", 0.10)],
    "configuration.md": [("Configuration > The model", "The model setting picks the provider.", 0.35),
                         ("Configuration > Storage", "The database lives in the data folder.", 0.10),
                         ("Configuration > Rate limits", "Ten questions a minute per person.", 0.08),
                         ("Configuration > Slack", "Set the Slack tokens.", 0.05)],
    "deployment.md": [("Deployment > Docker", "Run the compose file.", 0.33),
                      ("Deployment > systemd", "Enable the unit with systemctl.", 0.12),
                      ("Deployment > Discord", "Invite the bot to the server.", 0.05),
                      ("Deployment > Slack", "Create the app from the manifest.", 0.05)],
}


def product_index(similarities: dict[tuple[str, str], float] | None = None) -> tuple[HybridIndex, np.ndarray]:
    chunks, rows = [], []
    dim = 1 + sum(len(sections) for sections in PRODUCT.values())
    for source, sections in PRODUCT.items():
        for n, (heading, text, similarity) in enumerate(sections):
            similarity = (similarities or {}).get((source, heading), similarity)
            row = np.zeros(dim, dtype=np.float32)
            row[0], row[1 + len(chunks)] = similarity, (1 - similarity ** 2) ** 0.5
            chunks.append(Chunk(source, heading, 1 + 3 * n, 2 + 3 * n, text))
            rows.append(row)
    query = np.zeros(dim, dtype=np.float32)
    query[0] = 1.0
    return HybridIndex(chunks, np.stack(rows), {}, "test"), query


def test_a_covered_question_in_a_small_single_topic_collection_is_answered() -> None:
    """Counted in documents, the competition was the best passages of the two other documents, all about the
    same product and close behind (gap 0.06): the covered question was refused (relevance 0.15). Counted in
    sections of other documents, it is up to the next nine, and the answer stands out."""
    index, query = product_index()
    found = index.search("how do I use a real LLM instead of the offline mode?", query)
    assert found.hits[0].chunk.heading == "Overview > Offline mode and LLM mode"
    assert found.signals.similarity == pytest.approx(0.40, abs=1e-5)
    # the other documents' eight sections (there are fewer than nine)
    assert found.signals.gap == pytest.approx(0.40 - (0.35 + 0.10 + 0.08 + 0.05 + 0.33 + 0.12 + 0.05 + 0.05) / 8,
                                              abs=1e-5)
    assert found.signals.relevance() >= Settings.model_fields["knowledge_min_relevance"].default


def test_an_uncovered_question_in_a_small_single_topic_collection_is_refused() -> None:
    """A question the documents don't cover: a low, flat top, and none of its words in the best document."""
    index, query = product_index({("overview.md", "Overview > Offline mode and LLM mode"): 0.22,
                                  ("configuration.md", "Configuration > The model"): 0.2,
                                  ("deployment.md", "Deployment > Docker"): 0.19})
    found = index.search("what's the wifi password?", query)
    assert found.signals.coverage == 0.0
    assert found.signals.relevance() < Settings.model_fields["knowledge_min_relevance"].default


async def test_a_quote_with_a_word_of_the_question_the_others_lack_is_shown_first() -> None:
    """"how do I deploy confab?": a one-line passage ranked first on its section's title alone ("Deployment > Run
    the tests") quoted "`confab doctor` checks the configuration" before the sentence that answers."""
    from agent.knowledge.ranking import quote_hits, shown

    doctor = Chunk("deployment.md", "Deployment > Run the tests", 26, 26, "- `confab doctor` checks the configuration.")
    deploy = Chunk("deployment.md", "Deployment", 3, 3, "To deploy confab, pick where it runs: Docker or systemd.")
    hits = [Hit(doctor, 0.033, 0.50, 3.0), Hit(deploy, 0.032, 0.48, 2.0)]  # the fused order: the title's passage
    quotes = await quote_hits("how do I deploy confab?", hits)
    assert shown(hits, quotes)[0][0].chunk is deploy


def test_one_word_found_of_one_is_weak_evidence() -> None:
    """"who is bob?" was answered from a name in the docs' examples (similarity 0.24, relevance 0.80): its one word
    gave full coverage. "where are the logs?", as near by meaning as a covered answer is, is still answered."""
    from agent.knowledge.relevance import signals

    threshold = Settings.model_fields["knowledge_min_relevance"].default
    rest = [0.15] * 9
    bob = signals([0.24, *rest], {"bob"}, {"bob", "alice", "migrat"})
    assert bob.coverage == 0.75 and bob.relevance() < threshold
    logs = signals([0.42, *[0.28] * 9], {"log"}, {"log", "journalctl"})
    assert logs.relevance() >= threshold
    two = signals([0.5, *rest], {"retent", "period"}, {"retent"})
    assert two.coverage == 0.5  # two words or more: the share, as before
