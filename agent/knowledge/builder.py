"""Building the index from the knowledge folder, incrementally.

Files whose content hash is in the previous index's manifest keep their chunks and vectors; only
changed and added files are read, chunked and embedded; removed files drop out. When the embedder
(name or dimension) changed, everything is embedded again. A file that cannot be read within the limits
(size, conversion time, converted text) is skipped with a reason; it never stops the build.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from agent.embeddings import Embedder
from agent.knowledge.chunking import Chunk, chunk_text
from agent.knowledge.convert import Converter
from agent.knowledge.index import FileEntry, HybridIndex
from agent.knowledge.loaders import (
    DEFAULT_EXTRACT_SECONDS,
    DEFAULT_MAX_TEXT_MB,
    MB,
    LoadedText,
    Skipped,
    SourceFile,
    digest_of,
    discover,
    load,
    read_regular,
)
from agent.knowledge.titles import SectionTitles

log = logging.getLogger(__name__)

# (files done, files total, file being read)
Progress = Callable[[int, int, str], None]


@dataclass
class BuildReport:
    files: int = 0
    chunks: int = 0
    embedded: list[str] = field(default_factory=list)  # changed or added files
    removed: list[str] = field(default_factory=list)
    unchanged: int = 0
    skipped: list[Skipped] = field(default_factory=list)
    seconds: float = 0.0
    full_rebuild: bool = False
    written: bool = False
    version: str | None = None  # the index version in use after the build

    @property
    def changed(self) -> bool:
        return bool(self.embedded or self.removed) or self.full_rebuild


def build_index(
    root: Path, index_dir: Path, embedder: Embedder, max_bytes: int,
    previous: HybridIndex | None = None, progress: Progress | None = None, *,
    max_seconds: float = DEFAULT_EXTRACT_SECONDS, max_text_chars: int = int(DEFAULT_MAX_TEXT_MB * MB),
) -> tuple[HybridIndex, BuildReport]:
    """``max_seconds`` and ``max_text_chars`` bound the conversion of each HTML or PDF file (convert.py)."""
    started = time.perf_counter()
    report = BuildReport()
    sources, report.skipped = discover(root, max_bytes)
    reusable = previous if (previous is not None and previous.embedder == embedder.name
                            and previous.dim == embedder.dim) else None
    report.full_rebuild = reusable is None
    plan: list[tuple[SourceFile, list[Chunk], np.ndarray | None, str]] = []
    to_embed: list[Chunk] = []
    with Converter(max_seconds, max_text_chars) as converter:  # its worker starts with the first HTML or PDF
        for done, source in enumerate(sources):
            if progress is not None:
                progress(done, len(sources), source.rel)
            kept = _reuse(reusable, source)
            if kept is not None:
                plan.append((source, *kept))
                report.unchanged += 1
                continue
            loaded = load(source, converter)
            if isinstance(loaded, Skipped):
                report.skipped.append(loaded)
                continue
            chunks = _chunks_of(loaded)
            if not chunks:
                report.skipped.append(Skipped(source.rel, "no text"))
                continue
            plan.append((source, chunks, None, loaded.digest))
            to_embed.extend(chunks)
            report.embedded.append(source.rel)
    if progress is not None:
        progress(len(sources), len(sources), "")
    if reusable is not None:
        report.removed = sorted(set(reusable.manifest) - {source.rel for source, *_ in plan})
    report.files = len(plan)
    if reusable is not None and not report.changed and reusable.skipped == _skipped_map(report.skipped):
        report.chunks = len(reusable)
        report.seconds = time.perf_counter() - started
        return reusable, report
    fresh = embedder.embed([c.embedding_text() for c in to_embed]) if to_embed else None
    chunks_out: list[Chunk] = []
    vectors_out: list[np.ndarray] = []
    manifest: dict[str, FileEntry] = {}
    cursor = 0
    for source, chunks, vectors, digest in plan:
        if vectors is None:
            assert fresh is not None
            vectors = fresh[cursor:cursor + len(chunks)]
            cursor += len(chunks)
        manifest[source.rel] = FileEntry(digest, len(chunks_out), len(chunks_out) + len(chunks))
        chunks_out.extend(chunks)
        vectors_out.append(vectors)
    matrix = np.concatenate(vectors_out) if vectors_out else np.zeros((0, embedder.dim), dtype=np.float32)
    titles = SectionTitles.embedded(chunks_out, embedder, reusable.titles if reusable is not None else None)
    index = HybridIndex(chunks_out, matrix, manifest, embedder.name, _skipped_map(report.skipped), titles)
    index.dim = embedder.dim
    index.save(index_dir)
    report.written = True
    report.chunks = len(chunks_out)
    report.seconds = time.perf_counter() - started
    log.info("knowledge index built", extra={"files": report.files, "chunks": report.chunks,
                                             "embedded": len(report.embedded), "removed": len(report.removed),
                                             "skipped": len(report.skipped), "seconds": round(report.seconds, 2)})
    return index, report


def _reuse(previous: HybridIndex | None, source: SourceFile) -> tuple[list[Chunk], np.ndarray, str] | None:
    entry = previous.manifest.get(source.rel) if previous is not None else None
    if previous is None or entry is None:
        return None
    try:
        digest = digest_of(read_regular(source.path))
    except OSError:
        return None
    if digest != entry.digest:
        return None
    return previous.chunks[entry.first:entry.last], previous.vectors(entry.first, entry.last), digest


def _chunks_of(loaded: LoadedText) -> list[Chunk]:
    chunks = chunk_text(loaded.rel, loaded.text, context=loaded.context)
    if loaded.kind in ("html", "pdf"):  # lines of converted text would point nowhere in the file
        chunks = [Chunk(c.source, c.heading, 0, 0, c.text, c.context) for c in chunks]
    return chunks


def _skipped_map(skipped: list[Skipped]) -> dict[str, str]:
    return {s.rel: s.reason for s in skipped}
