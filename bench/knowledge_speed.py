"""Knowledge index speed: build rate beside raw embedding time, query latency at 10,000 chunks,
and re-indexing 1,000 unchanged files.

    python -m bench.knowledge_speed --docs ../shared/eval/retrieval/pubmedqa/docs [--files 200] [--json]

1. Builds an index of the first ``--files`` documents with the local embedder and, side by side,
   embeds the same chunk texts directly: chunks/s and the ratio of the two times.
2. Query p50/p99 over 10,000 chunks (the real chunk texts repeated, real vectors) including
   embedding the question, for 200 questions.
3. Re-index of 1,000 small unchanged files (no embedding happens: only hashing and the manifest).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from agent.embeddings import LocalEmbedder
from agent.knowledge.builder import build_index
from agent.knowledge.index import HybridIndex

MB = 1024 * 1024


class CountingEmbedder:
    """Constant vectors, for builds where only chunking and hashing matter (bench/embed_backends.py reads the
    chunks this way too); in the unchanged re-index any embedding call would be a bug."""

    name, dim = "bench:none", 8

    def embed(self, texts: list[str]) -> np.ndarray:
        return np.ones((len(texts), self.dim), dtype=np.float32) / np.sqrt(self.dim)


def copy_sample(docs: Path, files: int, into: Path) -> Path:
    """The first ``files`` Markdown documents of ``docs``, copied to a fresh folder ``into``."""
    into.mkdir()
    for path in sorted(docs.glob("*.md"))[:files]:
        shutil.copy(path, into / path.name)
    return into


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=Path, required=True)
    parser.add_argument("--files", type=int, default=200)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    embedder = LocalEmbedder()
    embedder.embed(["warm up"])
    out: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        docs = copy_sample(args.docs, args.files, work / "docs")
        started = time.perf_counter()
        index, _ = build_index(docs, work / "idx", embedder, MB)
        build_s = time.perf_counter() - started
        texts = [c.embedding_text() for c in index.chunks]
        embedder.clear_cache()  # the raw pass embeds every chunk again, as the build did
        started = time.perf_counter()
        embedder.embed(texts)
        raw_s = time.perf_counter() - started
        out |= {"chunks": len(texts), "index_chunks_per_s": round(len(texts) / build_s, 1),
                "raw_embed_chunks_per_s": round(len(texts) / raw_s, 1), "index_over_raw": round(build_s / raw_s, 3)}

        repeat = -(-10_000 // len(index.chunks))
        chunks = (index.chunks * repeat)[:10_000]
        vectors = np.tile(index.vectors(0, len(index)), (repeat, 1))[:10_000]
        titles = index.titles.over(chunks) if index.titles is not None else None
        big = HybridIndex(chunks, vectors, {}, embedder.name, titles=titles)
        big.search("warm up", embedder.embed(["warm up"])[0])
        questions = [c.text.split(".")[0][:120] for c in index.chunks[:200]]
        timings = []
        for question in questions:
            t0 = time.perf_counter()
            big.search(question, embedder.embed([question])[0], k=5)
            timings.append(time.perf_counter() - t0)
        timings.sort()
        out |= {"query_chunks": len(chunks), "query_p50_ms": round(timings[len(timings) // 2] * 1000, 2),
                "query_p99_ms": round(timings[int(len(timings) * 0.99)] * 1000, 2)}

        many = work / "many"
        for i in range(1000):
            (many / f"d{i // 100}").mkdir(parents=True, exist_ok=True)
            (many / f"d{i // 100}" / f"note{i}.md").write_text(f"# Note {i}\n\nSome text for note {i}.\n")
        first, _ = build_index(many, work / "idx-many", CountingEmbedder(), MB)
        started = time.perf_counter()
        _, again = build_index(many, work / "idx-many", CountingEmbedder(), MB, previous=first)
        out |= {"unchanged_files": again.unchanged, "reindex_unchanged_s": round(time.perf_counter() - started, 3)}
    if args.json:
        print(json.dumps(out))
        return
    print(f"index: {out['chunks']} chunks at {out['index_chunks_per_s']} chunks/s; raw embedding "
          f"{out['raw_embed_chunks_per_s']} chunks/s; index time / raw embedding time = {out['index_over_raw']}")
    print(f"query over {out['query_chunks']} chunks incl. embedding the question: p50 {out['query_p50_ms']} ms, "
          f"p99 {out['query_p99_ms']} ms")
    print(f"re-index of {out['unchanged_files']} unchanged files: {out['reindex_unchanged_s']} s")


if __name__ == "__main__":
    main()
