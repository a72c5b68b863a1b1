"""Section titles as a second signal of meaning (agent/knowledge/titles.py)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from agent.knowledge.builder import build_index
from agent.knowledge.chunking import Chunk
from agent.knowledge.index import HybridIndex
from agent.knowledge.titles import TITLE_WEIGHT, SectionTitles
from tests.fakes.embedder import HashEmbedder

MB = 1024 * 1024
QUESTION = np.array([1.0, 0.0, 0.0], dtype=np.float32)


def _two_sections(titled: bool) -> HybridIndex:
    # no word of the question in either passage or title: the ranking by meaning decides alone
    chunks = [Chunk("deployment.md", "Deployment > Try it locally", 1, 2, "Run `make demo` in the repository."),
              Chunk("overview.md", "Overview > Talking to it", 1, 2, "Mention it, or send it a direct message.")]
    bodies = np.array([[0.1, 0.995, 0.0], [0.5, 0.866, 0.0]], dtype=np.float32)  # the overview's body is nearer
    titles = SectionTitles(["Deployment > Try it locally", "Overview > Talking to it"],
                           np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]], dtype=np.float32), chunks)
    return HybridIndex(chunks, bodies, {}, "test", titles=titles if titled else None)


def test_a_question_put_in_a_section_title_s_terms_finds_that_section() -> None:
    """"how do I test-drive it on my computer?" is near the title "Try it locally" and far from its body, which
    talks of `make demo` (cosine 0.12 with the local model for the laptop question of bench/knowledge_everyday)."""
    plain = _two_sections(titled=False).search("test-drive on my computer?", QUESTION)
    assert plain.hits[0].chunk.source == "overview.md"
    found = _two_sections(titled=True).search("test-drive on my computer?", QUESTION)
    assert found.hits[0].chunk.source == "deployment.md"
    assert found.hits[0].similarity == np.float32(0.1)  # the abstain model still reads the passage's own similarity


def test_a_title_many_documents_share_tells_them_apart_that_much_less() -> None:
    chunks = [Chunk(f"{n}.md", "RESULTS", 1, 1, f"Finding {n}.") for n in range(4)] + [
        Chunk("guide.md", "Guide > Backups", 1, 1, "Copy the data folder.")]
    titles = SectionTitles(["Guide > Backups", "RESULTS"], np.eye(2, 3, dtype=np.float32), chunks)
    assert titles.weights.tolist() == [TITLE_WEIGHT, TITLE_WEIGHT / 4]
    boosts = titles.boosts(np.array([0.0, 1.0, 0.0]))  # the question is the shared label itself
    assert [titles.boost_of(boosts, i) for i in range(5)] == [TITLE_WEIGHT / 4] * 4 + [0.0]
    assert titles.nearest_passages(boosts, limit=3) == []  # a title heading more passages than a pool is skipped


def test_titles_are_saved_and_only_new_ones_embedded_again(tmp_path: Path) -> None:
    root, out = tmp_path / "kb", tmp_path / "idx"
    root.mkdir()
    (root / "guide.md").write_text("# Guide\n\n## Backups\n\nCopy the data folder.\n", encoding="utf-8")
    first, _ = build_index(root, out, HashEmbedder(), MB)
    assert first.titles is not None and first.titles.texts == ["Guide > Backups"]
    (root / "faq.md").write_text("# FAQ\n\n## Restores\n\nCopy it back.\n", encoding="utf-8")
    embedder = HashEmbedder()
    second, _ = build_index(root, out, embedder, MB, previous=HybridIndex.load(out))
    assert embedder.embedded == ["faq | FAQ > Restores\nCopy it back.", "FAQ > Restores"]
    loaded = HybridIndex.load(out)
    assert loaded is not None and loaded.titles is not None
    assert loaded.titles.texts == ["FAQ > Restores", "Guide > Backups"]
    assert np.allclose(loaded.titles.vectors, second.titles.vectors if second.titles else None)
    assert loaded.titles.of_chunk.tolist() == [loaded.titles.texts.index(c.heading) for c in loaded.chunks]
