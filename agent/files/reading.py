"""Reading a downloaded attachment with the knowledge loaders (agent/knowledge/loaders.py).

Text, Markdown, reStructuredText, code and logs are read as text (a NUL byte near the start refuses a binary
file with a text name); HTML and PDF go through the same worker process as the knowledge base's, under
``CONFAB_MAX_EXTRACT_SECONDS`` and ``CONFAB_MAX_TEXT_MB``, so a corrupt or hostile document is refused with a
reason instead of stalling the answer. Images are kept as bytes for a model that can see them. Everything
here runs in a worker thread: nothing blocks the event loop.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from agent.files.model import AttachedFile, FileUnreadable
from agent.knowledge.chunking import MAX_CHARS, chunk_text
from agent.knowledge.convert import Converter
from agent.knowledge.loaders import MB, SUPPORTED, Skipped, SourceFile, load
from agent.settings import Settings

IMAGE_TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".gif": "image/gif",
               ".webp": "image/webp"}
# read as plain text (cited by line): code, logs, data and configuration
PLAIN_SUFFIXES = frozenset(
    ".log .out .err .csv .tsv .json .jsonl .yaml .yml .toml .ini .cfg .conf .env .xml .sql .diff .patch .sh .bash "
    ".zsh .ps1 .bat .py .pyi .js .mjs .ts .tsx .jsx .java .kt .go .rs .rb .php .c .h .cc .cpp .hpp .cs .swift "
    ".scala .lua .r .m .pl .dockerfile .tf .proto .graphql .css .scss .vue .svelte .gradle .properties".split())
PLAIN_CHUNK_CHARS = 500
UNSUPPORTED = "I can read text, Markdown, code, logs, HTML, PDF and images, not `{suffix}` files"
NO_TEXT = "it has no text I can read (a scanned PDF has only pictures of text)"


def kind_of(name: str, mime: str) -> str | None:
    """How a file would be read ("image", "document", "plain"), or None when it can't be."""
    suffix = Path(name).suffix.lower()
    if suffix in IMAGE_TYPES or mime in IMAGE_TYPES.values():
        return "image"
    if suffix in SUPPORTED:
        return "document"
    if suffix in PLAIN_SUFFIXES or mime.startswith("text/") or Path(name).name.lower() in ("dockerfile", "makefile"):
        return "plain"
    return None


async def read_attached(path: Path, name: str, mime: str, settings: Settings) -> AttachedFile:
    """The file at ``path`` (named ``name`` by the person who posted it), read; FileUnreadable says why not."""
    return await asyncio.to_thread(_read, path, name, mime, settings)


def _read(path: Path, name: str, mime: str, settings: Settings) -> AttachedFile:
    kind = kind_of(name, mime)
    if kind is None:
        raise FileUnreadable(UNSUPPORTED.format(suffix=Path(name).suffix or "extensionless"))
    if kind == "image":
        image_mime = IMAGE_TYPES.get(Path(name).suffix.lower(), mime)
        return AttachedFile(name, "image", image=path.read_bytes(), mime=image_mime)
    if kind == "plain":  # the loaders read .txt as plain text: no Markdown headings in a log or a script
        plain = path.with_name(path.name + ".txt")
        path.rename(plain)
        path = plain
    source = SourceFile(path, name, path.stat().st_size)
    with Converter(settings.max_extract_seconds, int(settings.max_text_mb * MB)) as converter:
        loaded = load(source, converter)
    if isinstance(loaded, Skipped):
        raise FileUnreadable(_reason(loaded.reason))
    size = PLAIN_CHUNK_CHARS if kind == "plain" else MAX_CHARS  # a log's passages: a few lines each
    chunks = tuple(chunk_text(name, loaded.text, size, context=loaded.context))
    if not chunks:
        raise FileUnreadable(NO_TEXT)
    return AttachedFile(name, "text" if kind == "plain" else loaded.kind, chunks)


def _reason(skipped: str) -> str:
    if skipped == "binary content":
        return "it isn't text, whatever its name says (binary content)"
    return f"it could not be read ({skipped})"
