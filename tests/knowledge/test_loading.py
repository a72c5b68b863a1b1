from pathlib import Path

from agent.knowledge.chunking import chunk_text
from agent.knowledge.front_matter import split_front_matter
from agent.knowledge.loaders import MB, LoadedText, Skipped, discover, load
from tests.knowledge.kb_files import simple_pdf, write


def test_discover_skips_what_it_must_and_says_why(tmp_path: Path) -> None:
    root = tmp_path / "kb"
    write(root, "guide.md", "# Guide\n\ntext\n")
    write(root, "sub/notes.txt", "notes")
    write(root, ".hidden.md", "secret")
    write(root, ".git/config.md", "x")
    write(root, "big.md", "x" * 2000)
    write(root, "image.png", b"\x89PNG")
    outside = write(tmp_path, "outside.md", "private")
    (root / "escape.md").symlink_to(outside)
    (root / "loop").symlink_to(root, target_is_directory=True)  # never entered
    (root / "broken.md").symlink_to(tmp_path / "missing.md")
    found, skipped = discover(root, max_bytes=1000)
    assert [f.rel for f in found] == ["guide.md", "sub/notes.txt"]
    reasons = {s.rel: s.reason for s in skipped}
    assert "outside" in reasons["escape.md"] and "size limit" in reasons["big.md"]
    assert "unsupported" in reasons["image.png"] and reasons["broken.md"] == "broken link"
    assert not any(".hidden" in r or ".git" in r for r in reasons)


def test_the_size_limit_is_stated_in_the_unit_it_is_set_in(tmp_path: Path) -> None:
    """CONFAB_MAX_FILE_MB=10 means 10 * 2**20 bytes and the reason says "> 10 MB", not "> 10.5 MB"."""
    write(tmp_path / "kb", "big.md", "x" * (11 * MB))
    _, skipped = discover(tmp_path / "kb", max_bytes=10 * MB)
    assert skipped == [Skipped("big.md", "over the size limit (11.0 MB > 10 MB)")]


def test_missing_folder_is_empty(tmp_path: Path) -> None:
    assert discover(tmp_path / "nope", 1000) == ([], [])


def test_formats_become_text(tmp_path: Path) -> None:
    root = tmp_path / "kb"
    write(root, "page.html", "<html><script>alert(1)</script><h1>Deploy</h1><p>Use <b>docker</b> compose.</p>"
                             "<ul><li>one</li><li>two</li></ul></html>")
    write(root, "doc.pdf", simple_pdf("Retention is ninety days"))
    write(root, "latin1.txt", "caf\xe9 cr\xe8me".encode("latin-1"))
    write(root, "bad.pdf", b"%PDF-1.4 this is not really a pdf")
    write(root, "nul.md", b"abc\x00def")
    found, _ = discover(root, 10**6)
    loaded = {f.rel: load(f) for f in found}
    html = loaded["page.html"]
    assert isinstance(html, LoadedText) and "# Deploy" in html.text and "- one" in html.text
    assert "alert" not in html.text
    pdf = loaded["doc.pdf"]
    assert isinstance(pdf, LoadedText) and "Retention is ninety days" in pdf.text
    text = loaded["latin1.txt"]
    assert isinstance(text, LoadedText) and "caf" in text.text  # undecodable bytes replaced, not fatal
    assert isinstance(loaded["bad.pdf"], Skipped) and "unreadable" in loaded["bad.pdf"].reason
    assert isinstance(loaded["nul.md"], Skipped) and loaded["nul.md"].reason == "binary content"


def test_chunks_keep_heading_path_and_lines() -> None:
    text = ("# Confab\n\nIntro.\n\n## Install\n\nRun make demo.\n\nSecond\nparagraph.\n\n"
            "Usage\n-----\n\n```\n# not a heading\ncode\n```\n")
    chunks = chunk_text("docs/a.md", text, max_chars=20)
    assert [(c.heading, c.start_line, c.end_line) for c in chunks] == [
        ("Confab", 3, 3), ("Confab > Install", 7, 7), ("Confab > Install", 9, 10), ("Confab > Usage", 15, 18)]
    assert chunks[-1].text.startswith("```") and "# not a heading" in chunks[-1].text
    assert chunks[1].embedding_text().startswith("a | Confab > Install")


def test_long_paragraphs_are_split_without_losing_text() -> None:
    words = " ".join(f"word{i}" for i in range(400))
    chunks = chunk_text("a.md", words, max_chars=300)
    assert len(chunks) > 5 and all(len(c.text) <= 300 for c in chunks)
    assert {w for c in chunks for w in c.text.split()} == set(words.split())


def test_front_matter_is_context_not_prose(tmp_path: Path) -> None:
    root = tmp_path / "kb"
    write(root, "paper.md",
          "---\ntitle: Helicopter intubation\ntags: [airway, nursing]\n---\n\n## Methods\n\nManikins.\n")
    [source], _ = discover(root, 10**6)
    loaded = load(source)
    assert isinstance(loaded, LoadedText) and loaded.context == "title: Helicopter intubation; tags: airway, nursing"
    [chunk] = chunk_text(loaded.rel, loaded.text, context=loaded.context)
    assert (chunk.heading, chunk.start_line, chunk.text) == ("Methods", 8, "Manikins.")
    assert "Helicopter intubation" in chunk.embedding_text()


def test_front_matter_is_read_as_yaml() -> None:
    body, context = split_front_matter(
        '---\ntitle: "On-call: the rota"\ntags:\n  - ops\n  - pager\nowner: {team: infra}\ndraft:\n---\nText\n')
    assert context == "title: On-call: the rota; tags: ops, pager; owner: team: infra"
    assert body.split("\n")[8] == "Text" and not body.split("\n")[0]  # line numbers unchanged


def test_a_block_that_is_not_yaml_metadata_stays_prose() -> None:
    for text in ("---\nJust a paragraph between rules.\n---\nMore\n", "---\nkey: [unclosed\n---\n",
                 "---\nno closing rule: here\n"):
        assert split_front_matter(text) == (text, "")


def test_yaml_aliases_cannot_blow_up_the_context() -> None:
    bomb = "---\na: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join([f'*{chr(97 + i)}'] * 9)}]\n" for i in range(8)) + "---\nText\n"
    _, context = split_front_matter(bomb)
    assert 0 < len(context) <= 1000
