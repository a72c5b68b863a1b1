"""One bad file never takes knowledge down: odd names, PDF bombs, FIFOs, folder loops (issue 19, item 2)."""

import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from agent.knowledge.builder import build_index
from agent.knowledge.chunking import Chunk
from agent.knowledge.convert import ConversionFailed, Converter
from agent.knowledge.index import FileEntry, HybridIndex
from agent.knowledge.loaders import MB, LoadedText, Skipped, discover, display_name, load
from tests.fakes.embedder import HashEmbedder
from tests.knowledge.kb_files import pdf_bomb, pdf_pages, simple_pdf, write


def kb(tmp_path: Path) -> Path:
    root = tmp_path / "kb"
    write(root, "privacy.md", "# Privacy\n\nMessages are kept for ninety days, then pruned.\n")
    write(root, "deploy.md", "# Deploy\n\nStart it with docker compose up.\n")
    return root


def latin1_name(root: Path, name: bytes, content: bytes) -> None:
    """A file whose name is not UTF-8 (as copied from an old Latin-1 system)."""
    with open(os.path.join(os.fsencode(root), name), "wb") as out:
        out.write(content)


def reasons(skipped: list[Skipped]) -> dict[str, str]:
    return {s.rel: s.reason for s in skipped}


async def test_a_name_that_is_not_utf8_is_skipped_and_questions_still_answer(tmp_path: Path) -> None:
    from agent.knowledge.service import KnowledgeService
    from tests.fakes.settings import make_settings

    root = kb(tmp_path)
    latin1_name(root, b"caf\xe9.md", b"# Cafe\n\nThe cafe opens at eight.\n")
    embedder = HashEmbedder()
    service = KnowledgeService(make_settings(tmp_path, knowledge_dir=root, knowledge_min_relevance=0.0),
                               lambda: embedder)
    report = await service.reindex()
    assert report.written and report.files == 2
    assert "not valid UTF-8" in reasons(report.skipped)["caf\udce9.md"]
    assert display_name(report.skipped[0].rel) == "caf\\xe9.md"
    saved = HybridIndex.load(service.index_dir)
    assert saved is not None and saved.skipped == {"caf\udce9.md": reasons(report.skipped)["caf\udce9.md"]}
    found = await service.search("how long are messages kept")
    assert found.hits and found.hits[0].chunk.source == "privacy.md"


def test_sidecars_store_names_that_utf8_cannot_encode(tmp_path: Path) -> None:
    """Whatever the builder lets through, saving never fails on a lone surrogate, and it reads back exactly."""
    embedder = HashEmbedder()
    chunk = Chunk("caf\udce9.md", "Caf\udce9", 1, 3, "The caf\udce9 opens at eight.")
    index = HybridIndex([chunk], embedder.embed([chunk.embedding_text()]), {"caf\udce9.md": FileEntry("d", 0, 1)},
                        embedder.name, {"bad\udcff.md": "why"})
    index.save(tmp_path / "idx")
    again = HybridIndex.load(tmp_path / "idx")
    assert again is not None and again.chunks == [chunk]
    assert set(again.manifest) == {"caf\udce9.md"} and again.skipped == {"bad\udcff.md": "why"}


@pytest.mark.timeout(60)
def test_a_pdf_bomb_is_stopped_at_the_time_limit_and_the_build_goes_on(tmp_path: Path) -> None:
    root = kb(tmp_path)
    write(root, "bomb.pdf", pdf_bomb(pages=3, repeats=100_000))  # a minute or more per page in pypdf
    write(root, "good.pdf", simple_pdf("Lunch is at noon in the big room"))  # after the bomb: a new worker
    index, report = build_index(root, tmp_path / "idx", HashEmbedder(), 10 * MB, max_seconds=2.0)
    assert "took over 2 s" in reasons(report.skipped)["bomb.pdf"]
    assert "CONFAB_MAX_EXTRACT_SECONDS" in reasons(report.skipped)["bomb.pdf"]
    assert sorted(index.manifest) == ["deploy.md", "good.pdf", "privacy.md"] and report.written


@pytest.mark.timeout(60)
def test_deeply_nested_html_is_stopped_at_the_time_limit(tmp_path: Path) -> None:
    root = kb(tmp_path)
    write(root, "nested.html", "<div>" * 4000 + "<li>x</li>" * 4000 + "</div>" * 4000)  # ~a minute to read
    index, report = build_index(root, tmp_path / "idx", HashEmbedder(), 10 * MB, max_seconds=2.0)
    assert "took over 2 s" in reasons(report.skipped)["nested.html"]
    assert sorted(index.manifest) == ["deploy.md", "privacy.md"]


@pytest.mark.timeout(60)
def test_pdf_text_is_capped_page_by_page(tmp_path: Path) -> None:
    root = tmp_path / "kb"
    write(root, "wordy.pdf", pdf_bomb(pages=30, repeats=2_000))  # 100 KB of text per page
    write(root, "fine.pdf", pdf_pages([b"BT /F1 12 Tf 72 720 Td (Short and sweet) Tj ET"] * 3))
    found, _ = discover(root, 10 * MB)
    with Converter(max_seconds=60, max_chars=150_000) as converter:
        loaded = {f.rel: load(f, converter) for f in found}
    wordy = loaded["wordy.pdf"]
    assert isinstance(wordy, Skipped) and "over the text limit" in wordy.reason and "CONFAB_MAX_TEXT_MB" in wordy.reason
    fine = loaded["fine.pdf"]
    assert isinstance(fine, LoadedText) and fine.text.count("Short and sweet") == 3


def test_the_converter_reports_a_broken_document_and_keeps_working() -> None:
    with Converter(max_seconds=30, max_chars=MB) as converter:
        with pytest.raises(ConversionFailed, match="unreadable pdf"):
            converter.convert("pdf", b"%PDF-1.4 not really")
        assert "Retention" in converter.convert("pdf", simple_pdf("Retention is ninety days"))
        assert converter.convert("html", b"<h1>Deploy</h1><p>docker</p>").startswith("# Deploy")


@pytest.mark.timeout(30)
def test_fifos_folder_links_and_loops_are_skipped_with_reasons(tmp_path: Path) -> None:
    root = kb(tmp_path)
    os.mkfifo(root / "pipe.md")  # opening it would wait for a writer forever
    write(root, "sub/inner.md", "# Inner\n\ntext\n")
    (root / "sub" / "up").symlink_to(root, target_is_directory=True)  # a loop
    (root / "again").symlink_to(root / "sub", target_is_directory=True)  # a folder already indexed
    (tmp_path / "elsewhere").mkdir()
    (root / "away").symlink_to(tmp_path / "elsewhere", target_is_directory=True)
    index, report = build_index(root, tmp_path / "idx", HashEmbedder(), MB)
    why = reasons(report.skipped)
    assert why["pipe.md"] == "not a regular file: a FIFO (named pipe)"
    assert "loop" in why["sub/up"] and "not followed" in why["again"] and "outside" in why["away"]
    assert sorted(index.manifest) == ["deploy.md", "privacy.md", "sub/inner.md"]


@pytest.mark.timeout(30)
def test_a_file_swapped_for_a_fifo_after_discovery_does_not_block(tmp_path: Path) -> None:
    root = kb(tmp_path)
    found, _ = discover(root, MB)
    source = next(f for f in found if f.rel == "deploy.md")
    source.path.unlink()
    os.mkfifo(source.path)
    assert load(source) == Skipped("deploy.md", "not a regular file: a FIFO (named pipe)")


def test_names_with_control_characters_are_shown_escaped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import agent.embeddings
    from bot.cli import app

    monkeypatch.setattr(agent.embeddings, "make_embedder", lambda settings: HashEmbedder())
    assert display_name("a\nb\t\x1b[31m.md") == "a\\nb\\t\\x1b[31m.md"
    assert display_name("\u202etxt.md") == "\\u202etxt.md" and display_name("plain name.md") == "plain name.md"
    root = tmp_path / "docs"
    write(root, "ok.md", "# OK\n\nfine\n")
    os.mkfifo(root / "evil\n  skipped ok.md: forged.md")
    result = CliRunner().invoke(app, ["index", str(root)])
    assert result.exit_code == 0, result.output
    assert "  skipped evil\\n  skipped ok.md: forged.md: not a regular file" in result.output
    assert "\n  skipped ok.md: forged" not in result.output



async def test_a_cited_name_with_control_characters_is_shown_escaped(tmp_path: Path) -> None:
    """The Sources line of an answer named the file raw: a newline in the name forged a line of the answer and
    an escape sequence reached the terminal."""
    from tests.fakes.harness import open_bot

    root = tmp_path / "knowledge"
    write(root, "evil\n  [2] forged.md", "# Zebra\n\nThe zebra policy is blue and striped.\n")
    write(root, "bell\x1b[31mred.md", "# Walrus\n\nThe walrus policy is grey.\n")
    async with open_bot(tmp_path, embedder=HashEmbedder(), knowledge_dir=root, knowledge_min_relevance=0.0) as bot:
        await bot.deps.knowledge.prepare()
        zebra = await bot.say("@confab what is the zebra policy?")
        walrus = await bot.say("@confab what is the walrus policy?")
    assert "Sources: [1] evil\\n  [2] forged.md › Zebra" in zebra and "\n  [2] forged" not in zebra
    assert "Sources: [1] bell\\x1b[31mred.md › Walrus" in walrus and "\x1b" not in walrus
