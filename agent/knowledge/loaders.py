"""Finding and reading the team's documents: Markdown, text, reStructuredText, HTML and PDF.

Never leaves the knowledge folder: symlinks are resolved and anything pointing outside is skipped,
as are hidden files, binaries and files over the size limit (each with a reason for the summary).
HTML and PDF come back as Markdown-ish text so one chunker handles every format.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from agent.knowledge.front_matter import split_front_matter

log = logging.getLogger(__name__)

TEXT_SUFFIXES = {".md", ".markdown", ".txt", ".text", ".rst"}
HTML_SUFFIXES = {".html", ".htm"}
PDF_SUFFIXES = {".pdf"}
MB = 1024 * 1024  # CONFAB_MAX_FILE_MB counts these
SUPPORTED = TEXT_SUFFIXES | HTML_SUFFIXES | PDF_SUFFIXES


@dataclass(frozen=True, slots=True)
class SourceFile:
    path: Path  # absolute, resolved
    rel: str  # POSIX path relative to the knowledge folder: the citation's source
    size: int


@dataclass(frozen=True, slots=True)
class Skipped:
    rel: str
    reason: str


@dataclass(frozen=True, slots=True)
class LoadedText:
    rel: str
    text: str
    digest: str  # of the file's bytes: the manifest's change detector
    kind: str  # markdown | text | rst | html | pdf (the last two are converted: no line numbers)
    context: str = ""  # the document's front matter (title, tags, ...): shared by all its chunks


def discover(root: Path, max_bytes: int) -> tuple[list[SourceFile], list[Skipped]]:
    """Every supported file under ``root`` (sorted), and what was skipped with why."""
    base = root.resolve()
    found: list[SourceFile] = []
    skipped: list[Skipped] = []
    for path in _walk(root):
        rel = path.relative_to(root).as_posix()
        if any(part.startswith(".") for part in Path(rel).parts):
            continue  # hidden files and folders are silently ignored (.git, .DS_Store, editors' swap files)
        try:
            real = path.resolve(strict=True)
        except OSError:
            skipped.append(Skipped(rel, "broken link"))
            continue
        if not real.is_relative_to(base):
            skipped.append(Skipped(rel, "links outside the knowledge folder"))
            continue
        if not real.is_file():
            continue
        if path.suffix.lower() not in SUPPORTED:
            skipped.append(Skipped(rel, f"unsupported type {path.suffix or '(none)'}"))
            continue
        size = real.stat().st_size
        if size > max_bytes:
            skipped.append(Skipped(rel, f"over the size limit ({size / MB:.1f} MB > {max_bytes / MB:g} MB)"))
            continue
        found.append(SourceFile(real, rel, size))
    return sorted(found, key=lambda f: f.rel), skipped


def _walk(root: Path) -> Iterator[Path]:
    """Files below ``root``; symlinked folders are not entered (a loop or an escape either way)."""
    if not root.is_dir():
        return
    stack = [root]
    while stack:
        folder = stack.pop()
        try:
            entries = sorted(folder.iterdir())
        except OSError as exc:
            log.warning("cannot list a knowledge folder", extra={"folder": str(folder), "error": str(exc)})
            continue
        for entry in entries:
            if entry.is_dir() and not entry.is_symlink():
                stack.append(entry)
            elif not entry.is_dir():
                yield entry


def digest_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def load(source: SourceFile) -> LoadedText | Skipped:
    """Read one file as text; a Skipped with the reason when it can't be read as a document."""
    try:
        data = source.path.read_bytes()
    except OSError as exc:
        return Skipped(source.rel, f"unreadable ({exc.strerror or exc})")
    digest = digest_of(data)
    suffix = source.path.suffix.lower()
    try:
        if suffix in PDF_SUFFIXES:
            return LoadedText(source.rel, _pdf_text(source.path), digest, "pdf")
        if b"\x00" in data[:8192]:
            return Skipped(source.rel, "binary content")
        text = data.decode("utf-8", errors="replace")
        if suffix in HTML_SUFFIXES:
            return LoadedText(source.rel, _html_text(text), digest, "html")
        kind = "rst" if suffix == ".rst" else "text" if suffix in (".txt", ".text") else "markdown"
        body, context = split_front_matter(text.replace("\r\n", "\n").replace("\r", "\n"))
        return LoadedText(source.rel, body, digest, kind, context)
    except Exception as exc:  # a malformed PDF or HTML must not stop the index
        log.warning("cannot read a document", extra={"file": source.rel, "error": f"{type(exc).__name__}: {exc}"})
        return Skipped(source.rel, f"unreadable {suffix[1:]} ({type(exc).__name__})")


def _html_text(html: str) -> str:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html, "html.parser")
    for tag in soup(["script", "style", "nav", "footer", "noscript", "template"]):
        tag.decompose()
    lines: list[str] = []
    for element in soup.find_all(["h1", "h2", "h3", "h4", "h5", "h6", "p", "li", "pre", "td", "th", "dt", "dd"]):
        if element.find_parent(["p", "li", "pre", "td", "th", "dd"]) is not None:
            continue  # nested: its text is part of the parent's
        text = " ".join(element.get_text(" ").split()) if element.name != "pre" else element.get_text()
        if not text.strip():
            continue
        if element.name and element.name[0] == "h" and element.name[1:].isdigit():
            lines += ["", "#" * int(element.name[1:]) + " " + text, ""]
        elif element.name == "li":
            lines.append(f"- {text}")
        else:
            lines += [text, ""]
    return "\n".join(lines).strip() + "\n"


def _pdf_text(path: Path) -> str:
    from pypdf import PdfReader

    reader = PdfReader(str(path))
    pages = []
    for number, page in enumerate(reader.pages, start=1):
        text = (page.extract_text() or "").strip()
        if text:
            pages.append(f"## Page {number}\n\n{text}\n")
    return "\n".join(pages)
