"""Finding and reading the team's documents: Markdown, text, reStructuredText, HTML and PDF.

Never leaves the knowledge folder: symlinks are resolved and anything pointing outside is skipped,
as are binaries, files over the size limit, FIFOs and other special files, symlinked folders and loops,
and names that are not UTF-8 (each with a reason for the summary; hidden files are ignored silently).
HTML and PDF come back as Markdown-ish text so one chunker handles every format; they are converted
in a worker process under time and text limits (convert.py), so no single file can stall a build.
"""

from __future__ import annotations

import hashlib
import logging
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from agent.knowledge.convert import ConversionFailed, Converter
from agent.knowledge.front_matter import split_front_matter

log = logging.getLogger(__name__)

TEXT_SUFFIXES = {".md", ".markdown", ".txt", ".text", ".rst"}
HTML_SUFFIXES = {".html", ".htm"}
PDF_SUFFIXES = {".pdf"}
MB = 1024 * 1024  # CONFAB_MAX_FILE_MB counts these
SUPPORTED = TEXT_SUFFIXES | HTML_SUFFIXES | PDF_SUFFIXES
# per-file limits on converting HTML and PDF (CONFAB_MAX_EXTRACT_SECONDS, CONFAB_MAX_TEXT_MB; see convert.py)
DEFAULT_EXTRACT_SECONDS = 30.0
DEFAULT_MAX_TEXT_MB = 5.0


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
    for path, not_entered in _walk(root):
        rel = path.relative_to(root).as_posix()
        if not_entered:
            skipped.append(Skipped(rel, not_entered))
            continue
        if _undecodable(rel):
            skipped.append(Skipped(rel, "its name is not valid UTF-8 (rename the file to index it)"))
            continue
        try:
            real = path.resolve(strict=True)
            info = real.stat()
        except RuntimeError:  # Python 3.11's resolve() on a loop of links
            skipped.append(Skipped(rel, "a loop of links"))
            continue
        except OSError:
            skipped.append(Skipped(rel, "broken link"))
            continue
        if not real.is_relative_to(base):
            skipped.append(Skipped(rel, "links outside the knowledge folder"))
            continue
        if not stat.S_ISREG(info.st_mode):
            skipped.append(Skipped(rel, _special(info.st_mode)))
            continue
        if path.suffix.lower() not in SUPPORTED:
            skipped.append(Skipped(rel, f"unsupported type {path.suffix or '(none)'}"))
            continue
        size = info.st_size
        if size > max_bytes:
            skipped.append(Skipped(rel, f"over the size limit ({size / MB:.1f} MB > {max_bytes / MB:g} MB)"))
            continue
        found.append(SourceFile(real, rel, size))
    return sorted(found, key=lambda f: f.rel), skipped


def _walk(root: Path) -> Iterator[tuple[Path, str]]:
    """Entries below ``root`` that are not folders, with "" or, for a folder that is not entered, the reason.

    Hidden entries are passed over silently (.git, .DS_Store, editors' swap files). Symlinked folders are
    not entered (a loop or an escape either way; a folder inside is indexed where it really is), nor is a
    folder already seen (a loop made by a bind mount). Nothing is opened here, so a FIFO cannot block.
    """
    if not root.is_dir():
        return
    base = root.resolve()
    seen: set[tuple[int, int]] = set()
    stack = [root]
    while stack:
        folder = stack.pop()
        try:
            info = folder.stat()
            entries = sorted(folder.iterdir())
        except OSError as exc:
            log.warning("cannot list a knowledge folder",
                        extra={"folder": display_name(str(folder)), "error": str(exc)})
            continue
        if (info.st_dev, info.st_ino) in seen:
            yield folder, "a folder seen twice (a loop); not entered"
            continue
        seen.add((info.st_dev, info.st_ino))
        for entry in entries:
            if entry.name.startswith("."):
                continue
            if entry.is_symlink() and entry.is_dir():
                yield entry, _folder_link(entry, base)
            elif entry.is_dir():
                stack.append(entry)
            else:
                yield entry, ""


def _folder_link(link: Path, base: Path) -> str:
    real = link.resolve()
    if link.parent.resolve().is_relative_to(real):
        return "a link to a folder above it (a loop); not followed"
    if not real.is_relative_to(base):
        return "links outside the knowledge folder"
    return "a link to a folder; not followed (the files are indexed where they are)"


def _special(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        kind = "a FIFO (named pipe)"
    elif stat.S_ISSOCK(mode):
        kind = "a socket"
    elif stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        kind = "a device"
    else:
        kind = "a special file"
    return f"not a regular file: {kind}"


def _undecodable(name: str) -> bool:
    """Bytes that were not UTF-8 in a file name come back from the OS as lone surrogates (PEP 383)."""
    return any("\udc80" <= c <= "\udcff" for c in name)


def display_name(name: str) -> str:
    """A file name as it can be shown on one line of a log, a reply or a terminal: control and invisible
    characters escaped (``a\\nb.md``), bytes that are not UTF-8 shown as ``\\xe9``."""
    if name.isprintable():
        return name
    out = []
    for char in name:
        if char.isprintable():
            out.append(char)
        elif "\udc80" <= char <= "\udcff":
            out.append(f"\\x{ord(char) - 0xDC00:02x}")
        else:
            out.append(repr(char)[1:-1])
    return "".join(out)


class NotRegularFile(OSError):
    """What was discovered as a file is now a FIFO, socket or device."""


def read_regular(path: Path) -> bytes:
    """The bytes of a regular file. Opened without blocking and checked once open: a FIFO swapped in
    after discovery is refused instead of waiting forever for a writer."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise NotRegularFile(_special(mode))
        file = os.fdopen(fd, "rb")
        fd = -1  # the file object closes it
        with file:
            return file.read()
    finally:
        if fd >= 0:
            os.close(fd)


def digest_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def load(source: SourceFile, converter: Converter | None = None) -> LoadedText | Skipped:
    """Read one file as text; a Skipped with the reason when it can't be read as a document.

    HTML and PDF are converted by ``converter`` (a worker process with time and text limits); without
    one, a converter with the default limits is started for this file alone."""
    try:
        data = read_regular(source.path)
    except NotRegularFile as exc:
        return Skipped(source.rel, str(exc))
    except OSError as exc:
        return Skipped(source.rel, f"unreadable ({exc.strerror or exc})")
    digest = digest_of(data)
    suffix = source.path.suffix.lower()
    if suffix in PDF_SUFFIXES or suffix in HTML_SUFFIXES:
        kind = "pdf" if suffix in PDF_SUFFIXES else "html"
        if kind == "html" and b"\x00" in data[:8192]:
            return Skipped(source.rel, "binary content")
        if converter is None:
            with Converter(DEFAULT_EXTRACT_SECONDS, int(DEFAULT_MAX_TEXT_MB * MB)) as own:
                return load(source, own)
        try:
            return LoadedText(source.rel, converter.convert(kind, data), digest, kind)
        except ConversionFailed as failed:
            log.warning("cannot read a document", extra={"file": display_name(source.rel), "reason": failed.reason})
            return Skipped(source.rel, failed.reason)
    if b"\x00" in data[:8192]:
        return Skipped(source.rel, "binary content")
    text = data.decode("utf-8", errors="replace")
    kind = "rst" if suffix == ".rst" else "text" if suffix in (".txt", ".text") else "markdown"
    body, context = split_front_matter(text.replace("\r\n", "\n").replace("\r", "\n"))
    return LoadedText(source.rel, body, digest, kind, context)
