from pathlib import Path

import numpy as np
import pytest

from agent.knowledge.builder import build_index
from agent.knowledge.chunking import Chunk
from agent.knowledge.index import HybridIndex
from tests.fakes.embedder import HashEmbedder
from tests.knowledge.kb_files import write

MB = 1024 * 1024


def kb(tmp_path: Path) -> Path:
    root = tmp_path / "kb"
    write(root, "deploy.md", "# Deploy\n\n## Docker\n\nStart it with docker compose up.\n\n## Systemd\n\n"
                             "Install the unit file and enable the service.\n")
    write(root, "privacy.md", "# Privacy\n\nMessages are kept for ninety days, then pruned.\n")
    write(root, "faq.txt", "Lunch is at noon in the big room.\n")
    return root


def test_build_search_and_reload(tmp_path: Path) -> None:
    embedder = HashEmbedder()
    index, report = build_index(kb(tmp_path), tmp_path / "idx", embedder, MB)
    assert report.files == 3 and report.chunks == len(index) == 4 and report.written
    query = "how do I start it with docker compose"
    found = index.search(query, embedder.embed([query])[0], k=2)
    assert found.hits[0].chunk.source == "deploy.md" and found.hits[0].chunk.heading == "Deploy > Docker"
    assert found.signals.similarity == pytest.approx(max(h.similarity for h in found.hits), abs=1e-5)
    reloaded = HybridIndex.load(tmp_path / "idx")
    assert reloaded is not None and reloaded.embedder == "test:hash" and len(reloaded) == 4
    again = reloaded.search(query, embedder.embed([query])[0], k=2)
    assert [h.chunk for h in again.hits] == [h.chunk for h in found.hits]


def test_reindex_touches_only_what_changed(tmp_path: Path) -> None:
    root, out = kb(tmp_path), tmp_path / "idx"
    embedder = HashEmbedder()
    index, _ = build_index(root, out, embedder, MB)
    embedder.embedded.clear()
    index, report = build_index(root, out, embedder, MB, previous=index)
    assert not report.changed and not report.written and embedder.embedded == []
    write(root, "privacy.md", "# Privacy\n\nMessages are kept for thirty days.\n")
    (root / "faq.txt").unlink()
    write(root, "new.md", "# New\n\nA new page about onboarding.\n")
    index, report = build_index(root, out, embedder, MB, previous=index)
    assert sorted(report.embedded) == ["new.md", "privacy.md"] and report.removed == ["faq.txt"]
    assert report.unchanged == 1 and all("Docker" not in t for t in embedder.embedded)
    assert {c.source for c in index.chunks} == {"deploy.md", "privacy.md", "new.md"}
    # reused vectors are the same as freshly computed ones
    entry = index.manifest["deploy.md"]
    fresh = HashEmbedder().embed([c.embedding_text() for c in index.chunks[entry.first:entry.last]])
    assert np.allclose(index.vectors(entry.first, entry.last), fresh, atol=1e-6)


def test_a_new_embedder_rebuilds_everything(tmp_path: Path) -> None:
    root, out = kb(tmp_path), tmp_path / "idx"
    index, _ = build_index(root, out, HashEmbedder(), MB)
    other = HashEmbedder(name="test:other", dim=32)
    index, report = build_index(root, out, other, MB, previous=index)
    assert index.titles is not None  # the chunks and the section titles, all embedded again
    assert report.full_rebuild and len(other.embedded) == 4 + len(index.titles.texts) and index.dim == 32


def test_a_crash_while_writing_keeps_the_previous_index(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import faiss

    root, out = kb(tmp_path), tmp_path / "idx"
    index, _ = build_index(root, out, HashEmbedder(), MB)
    write(root, "privacy.md", "# Privacy\n\nChanged text.\n")

    def crash(*args: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(faiss, "write_index", crash)
    with pytest.raises(OSError):
        build_index(root, out, HashEmbedder(), MB, previous=index)
    monkeypatch.undo()
    survivor = HybridIndex.load(out)
    assert survivor is not None and "ninety" in " ".join(c.text for c in survivor.chunks)
    assert not [p for p in out.iterdir() if p.name.endswith(".tmp")]


def test_a_damaged_index_is_rebuilt_not_trusted(tmp_path: Path) -> None:
    root, out = kb(tmp_path), tmp_path / "idx"
    build_index(root, out, HashEmbedder(), MB)
    current = out / (out / "CURRENT").read_text()
    (current / "chunks.jsonl").write_text("{not json\n")
    assert HybridIndex.load(out) is None
    (out / "CURRENT").write_text("v-missing")
    assert HybridIndex.load(out) is None
    index, report = build_index(root, out, HashEmbedder(), MB, previous=None)
    assert report.full_rebuild and len(index) == 4


def test_empty_folder_gives_an_empty_index(tmp_path: Path) -> None:
    (tmp_path / "kb").mkdir()
    index, report = build_index(tmp_path / "kb", tmp_path / "idx", HashEmbedder(), MB)
    assert len(index) == 0 and report.files == 0
    assert index.search("anything", np.ones(64, dtype=np.float32) / 8).hits == []


async def test_the_folder_is_watched_and_reindexed_in_the_background(tmp_path: Path) -> None:
    import asyncio

    from agent.knowledge.service import KnowledgeService
    from tests.fakes.settings import make_settings
    from tests.fakes.waiting import until

    root = kb(tmp_path)
    embedder = HashEmbedder()
    service = KnowledgeService(make_settings(tmp_path, knowledge_dir=root, knowledge_watch=True), lambda: embedder)
    watcher = asyncio.create_task(service.background())
    try:
        await until(lambda: service._fresh, 5, "the initial index")

        async def reindexed() -> bool:
            return "oncall.md" in (await service.index()).manifest

        write(root, "oncall.md", "# On-call\n\nRotation changes on Mondays.\n")
        await until(reindexed, 10, "the watcher to index the new file")  # a file watcher: no event to await
        assert "oncall.md" in (await service.index()).manifest
    finally:
        watcher.cancel()
        await asyncio.gather(watcher, return_exceptions=True)


def test_each_build_is_a_version_folder_and_the_newest_three_stay(tmp_path: Path) -> None:
    """Replicas load a version by its folder's name; one still loading the previous version is not broken."""
    from itertools import pairwise

    from agent.knowledge.versions import older

    root, out = kb(tmp_path), tmp_path / "idx"
    versions: list[str] = []
    for n in range(5):
        write(root, "faq.txt", f"Lunch is at {n + 11} in the big room.\n")
        index, _ = build_index(root, out, HashEmbedder(), MB, previous=HybridIndex.load(out))
        assert index.version is not None
        versions.append(index.version)
    assert all(older(a, b) for a, b in pairwise(versions))
    assert sorted(p.name for p in out.iterdir() if p.is_dir()) == sorted(versions[-3:])
    assert (out / "CURRENT").read_text() == versions[-1]
    previous = HybridIndex.load(out, versions[-2])
    assert previous is not None and previous.version == versions[-2]
    assert "Lunch is at 14" in " ".join(c.text for c in previous.chunks)
    assert HybridIndex.load(out, versions[0]) is None  # pruned
    assert HybridIndex.load(out, "../idx") is None  # a name that is no version never names a path


def _sections(words: list[str]) -> HybridIndex:
    chunks = [Chunk("handbook.md", f"Handbook > Part {n}", n, n, text) for n, text in enumerate(words)]
    return HybridIndex(chunks, np.zeros((len(chunks), 4), dtype=np.float32), {}, "test")


def test_the_collections_subject_is_no_evidence_that_a_question_is_covered() -> None:
    index = _sections([f"Acme {topic} `ACME_{topic.upper()}`." for topic in
                       ("deploy", "backup", "login", "billing", "export", "import", "alerts", "search", "audit")]
                      + ["The office is closed on Fridays."])
    assert index.subject() == {"acme"}  # in 9 of the 10 sections
    nowhere = index.search("does Acme support Teams?", np.zeros(4, dtype=np.float32))
    assert nowhere.signals.coverage == 0.0  # a third before: "acme" is in the document
    covered = index.search("how does Acme export?", np.zeros(4, dtype=np.float32))
    assert covered.signals.coverage == 0.75  # "export", found: one word of one counts 0.75 (relevance.py)
    assert index.search("Acme?", np.zeros(4, dtype=np.float32)).signals.coverage == 0.75  # nothing else to weigh


def test_no_subject_in_a_collection_of_separate_topics_or_too_few_sections() -> None:
    # the commonest word of PubMedQA's abstracts, "patients", is in 37 % of them
    spread = _sections([f"{'Patients with' if n % 2 else 'Cases of'} {disease} were seen." for n, disease in
                        enumerate(("asthma", "gout", "flu", "acne", "lupus", "mumps", "polio", "rabies", "scurvy"))]
                       + ["Tetanus was seen."])
    assert spread.subject() == {"seen"}  # in every section; "patients" (4 of 10) and "cases" (5 of 10) are not
    few = _sections(["Acme deploys.", "Acme backs up.", "Acme logs in."])
    assert few.subject() == frozenset()


def test_a_tie_between_the_two_rankings_goes_to_the_passage_with_the_question_s_words() -> None:
    """Reciprocal-rank fusion ties when the rankings disagree symmetrically (first by meaning and second by words,
    or the reverse): 76 of PubMedQA's 500 dev questions tied at the top. The words decide such a tie; the dense
    ranking's order did before, which put the study of a neighbouring question first."""
    chunks = [Chunk("a.md", "A", 1, 1, "Emergency enteroscopy in the hospital."),
              Chunk("b.md", "B", 1, 1, "Double balloon enteroscopy in a community setting: efficacy and safety.")]
    vectors = np.array([[1.0, 0.0], [0.8, 0.6]], dtype=np.float32)  # "a" is nearer the question by meaning
    index = HybridIndex(chunks, vectors, {}, "test")
    found = index.search("is double balloon enteroscopy safe in a community setting?", np.array([1.0, 0.0]))
    first, second = found.hits
    assert first.score == second.score  # a tie: rank 1 + rank 2 either way
    assert first.chunk.source == "b.md" and first.bm25 > second.bm25


def test_word_coverage_is_judged_in_the_document_the_answer_quotes() -> None:
    """The abstain model's word coverage reads the document of the passage the answer quotes (the fused first),
    not of the passage nearest by meaning alone: when those differ, the quoted answer was refused for lacking
    words its own document has ("how do I run several copies of confab for a big community?")."""
    chunks = [Chunk("overview.md", "Adding documents", 1, 1, "Put your team's files in the folder."),
              Chunk("deployment.md", "Several processes", 1, 1, "For a large community, run several copies.")]
    vectors = np.array([[1.0, 0.0], [0.8, 0.6]], dtype=np.float32)  # the overview is nearer by meaning
    index = HybridIndex(chunks, vectors, {}, "test")
    found = index.search("how do I run several copies for a big community?", np.array([1.0, 0.0]))
    assert found.hits[0].chunk.source == "deployment.md"  # first by words, second by meaning
    assert found.signals.coverage == pytest.approx(0.8)  # run, several, copies, community of five; 0.0 before


def test_the_second_passage_leads_when_only_it_would_be_answered() -> None:
    """Reciprocal-rank fusion keeps ranks, not margins: a passage first by meaning alone led one far ahead by words;
    its document lacked most of the question's words, so the answer was refused."""
    chunks = [Chunk("overview.md", "Adding documents", 1, 1, "Put your team's documents in the folder."),
              Chunk("commands.md", "Channel knowledge folders", 1, 1,
                    "Point a channel at a folder: questions asked in #billing search only knowledge/billing."),
              Chunk("privacy.md", "Forgetting", 1, 1, "Forget a channel with a command.")]
    # by meaning: the overview, then the privacy note, then the channel folders; by words: the channel folders first
    vectors = np.array([[1.0, 0.0], [0.6, 0.8], [0.9, 0.436]], dtype=np.float32)
    index = HybridIndex(chunks, vectors, {}, "test")
    question, vector = "how do I make billing questions search only the billing folder?", np.array([1.0, 0.0])
    fused = index.search(question, vector)  # no threshold: the fused order
    assert [h.chunk.source for h in fused.hits[:2]] == ["overview.md", "commands.md"]
    assert fused.signals.relevance() < 0.4  # refused: the overview holds one word of six
    found = index.search(question, vector, threshold=0.4)
    assert [h.chunk.source for h in found.hits[:2]] == ["commands.md", "overview.md"]
    assert found.signals.coverage == pytest.approx(5 / 6)  # billing, questions, search, only, folder (not "make")
    assert found.signals.relevance() >= 0.4
    # a first passage that would be answered keeps its place
    assert index.search(question, vector, threshold=0.01).hits[0].chunk.source == "overview.md"
