"""Bad files in the knowledge folder: a re-index with a PDF bomb, a name that is not UTF-8 and a FIFO, and
questions asked while it runs.

    python -m bench.knowledge_bad_files [--embedder local|hash] [--json]

1. Copies the shipped ``knowledge/`` Markdown into a temporary folder and builds its index (the "previous
   index", saved as a earlier run would have left it).
2. Adds a ~740 KB, 30-page PDF whose pages each expand to megabytes of text (pypdf needs over a minute a
   page, hours for the file), ``caf\\xe9.md`` (a Latin-1 name) and a FIFO ``inbox.md``, plus one good new
   document.
3. A freshly started knowledge service (the previous index only on disk) re-indexes the folder, as the
   watcher or ``/reindex`` does, while a question is asked every 0.5 s; each question's latency and whether
   it was answered from the previous index are recorded.
4. Freshness: with the watcher running on the default, relative ``CONFAB_KNOWLEDGE_DIR=knowledge``, the
   seconds from saving a new file, an edit and a deletion to search results that reflect it.

Targets: the re-index finishes in under 60 s with the three reasons, and every question asked meanwhile is
answered from the previous index in under 2 s. The local embedder is the shipped one (its model converted
once into ``data/models``); ``--embedder hash`` is a stand-in with no model, to isolate the build.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import logging
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from agent.embeddings import Embedder, LocalEmbedder, make_embedder
from agent.knowledge.loaders import display_name
from agent.knowledge.service import KnowledgeService
from agent.settings import load_settings
from tests.knowledge import kb_files  # the tests' PDF bomb

QUESTIONS = ["how do I deploy confab with docker?", "how long are messages kept?", "what does /reindex do?",
             "how do I run confab offline?", "which files can the knowledge folder hold?"]


def copy_docs(folder: Path) -> Path:
    """The shipped documents, copied to a new ``folder``."""
    folder.mkdir()
    for doc in sorted((ROOT / "knowledge").glob("*.md")):
        shutil.copy(doc, folder / doc.name)
    return folder


def add_bad_files(root: Path) -> dict[str, int]:
    bomb = kb_files.pdf_bomb(pages=30, repeats=148_000)
    (root / "bomb.pdf").write_bytes(bomb)
    with open(os.path.join(os.fsencode(root), b"caf\xe9.md"), "wb") as out:
        out.write(b"# Cafe\n\nThe cafe opens at eight.\n")
    os.mkfifo(root / "inbox.md")
    (root / "oncall.md").write_text("# On-call\n\nThe on-call rotation changes on Mondays at ten.\n")
    return {"bomb_bytes": len(bomb)}


async def run(embedder_kind: str) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as work:
        folder = copy_docs(Path(work) / "knowledge")
        settings = load_settings(data_dir=Path(work) / "data", knowledge_dir=folder, knowledge_watch=False)
        embedder = _embedder(embedder_kind, settings)
        first = await KnowledgeService(settings, lambda: embedder).reindex()
        previous_files = first.files
        await asyncio.to_thread(embedder.embed, ["warm up"])  # the model is loaded, as in a running Confab

        figures: dict[str, Any] = add_bad_files(folder)
        service = KnowledgeService(settings, lambda: embedder)  # a fresh start: the previous index is on disk
        started = time.perf_counter()
        build = asyncio.create_task(service.reindex())
        latencies: list[float] = []
        from_previous = 0
        while not build.done():
            # each text new: the embedder caches short texts, and a repeated question would skip the model
            question = f"{QUESTIONS[len(latencies) % len(QUESTIONS)]} (question {len(latencies) + 1})"
            asked = time.perf_counter()
            result = await service.search(question)
            if not build.done():  # the answer came while the build ran
                latencies.append(time.perf_counter() - asked)
                from_previous += result.documents == previous_files
            await asyncio.wait({build}, timeout=0.5)
        report = build.result()
        figures.update({
            "build_seconds": round(time.perf_counter() - started, 1),
            "files": report.files, "previous_files": previous_files,
            "reasons": [f"{display_name(s.rel)}: {s.reason}" for s in report.skipped],
            "questions_meanwhile": len(latencies), "answered_from_previous_index": from_previous,
            "question_p50_s": round(statistics.median(latencies), 3) if latencies else None,
            "question_max_s": round(max(latencies), 3) if latencies else None,
            "new_document_indexed": "oncall.md" in (await service.index()).manifest,
        })
        return figures


async def freshness(embedder_kind: str) -> dict[str, float]:
    """Seconds from saving a file to search results reflecting it, with the watcher running on the default
    relative CONFAB_KNOWLEDGE_DIR=knowledge (a new file, an edit, a deletion)."""
    with tempfile.TemporaryDirectory() as work:
        here = Path.cwd()
        os.chdir(work)
        try:
            copy_docs(Path("knowledge"))
            settings = load_settings(data_dir=Path("data"), knowledge_dir=Path("knowledge"), knowledge_watch=True,
                                     knowledge_min_relevance=0.0)
            embedder = _embedder(embedder_kind, settings)
            service = KnowledgeService(settings, lambda: embedder)
            watcher = asyncio.create_task(service.background())
            while not service._fresh:  # noqa: ASYNC110 (the initial build)
                await asyncio.sleep(0.1)
            figures = {}
            page = Path("knowledge") / "oncall.md"
            steps = [("new", "The on-call rotation changes on Mondays at ten."),
                     ("edited", "The on-call rotation changes on Fridays at noon."), ("deleted", "")]
            for step, line in steps:
                saved = time.perf_counter()
                if line:
                    page.write_text(f"# On-call\n\n{line}\n")
                else:
                    page.unlink()
                while time.perf_counter() - saved < 60:
                    found = await service.search(f"when does the on-call rotation change ({step})", k=10)
                    texts = [h.chunk.text for h in found.hits if h.chunk.source == page.name]
                    if (any(line in t for t in texts) if line else not texts):
                        break
                    await asyncio.sleep(0.1)
                figures[f"{step}_file_seconds"] = round(time.perf_counter() - saved, 2)
            watcher.cancel()
            await asyncio.gather(watcher, return_exceptions=True)
            return figures
        finally:
            os.chdir(here)


@functools.cache
def _local() -> LocalEmbedder:
    """One local model for the whole run, its converted form kept in data/models (converted once, reused)."""
    return LocalEmbedder(model_cache_dir=ROOT / "data" / "models")


def _embedder(kind: str, settings: Any) -> Embedder:
    if kind == "local":
        return make_embedder(settings, _local())
    from tests.fakes.embedder import HashEmbedder

    embedder: Embedder = HashEmbedder()
    return embedder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--embedder", choices=["local", "hash"], default="local")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)  # the skipped files' warnings: their reasons are printed below
    for handler in logging.getLogger().handlers:
        handler.setLevel(logging.ERROR)  # bm25s sets its own logger to DEBUG
    figures = asyncio.run(run(args.embedder))
    figures.update(asyncio.run(freshness(args.embedder)))
    if args.json:
        print(json.dumps(figures))
        return
    print(f"re-index with bad files: {figures['build_seconds']} s (target < 60 s), {figures['files']} files indexed "
          f"(previously {figures['previous_files']}); bomb.pdf is {figures['bomb_bytes'] / 1024:.0f} KB; "
          f"new document indexed: {figures['new_document_indexed']}")
    for reason in figures["reasons"]:
        print(f"  skipped {reason}")
    print(f"questions while it ran: {figures['questions_meanwhile']}, answered from the previous index: "
          f"{figures['answered_from_previous_index']}, p50 {figures['question_p50_s']} s, "
          f"max {figures['question_max_s']} s (target < 2 s)")
    print(f"watched, relative CONFAB_KNOWLEDGE_DIR=knowledge: a change reaches search results in "
          f"{figures['new_file_seconds']} s (new file), {figures['edited_file_seconds']} s (edited), "
          f"{figures['deleted_file_seconds']} s (deleted)")


if __name__ == "__main__":
    main()
