"""``confab index [DIR]`` and ``confab eval retrieval``."""

from __future__ import annotations

import asyncio
import json
import os
import tempfile
from pathlib import Path
from typing import Annotated, Any

import typer


def index(
    folder: Annotated[Path | None, typer.Argument(help="Knowledge folder (default: CONFAB_KNOWLEDGE_DIR)")] = None,
) -> None:
    """Build or refresh the knowledge index (incremental: only changed files are embedded)."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from agent.embeddings import make_embedder
    from agent.errors import ConfabError
    from agent.knowledge.loaders import display_name
    from agent.knowledge.service import KnowledgeService
    from agent.state import open_state
    from bot.cli.startup import load_settings_or_exit
    from bot.logs import setup_logging

    overrides: dict[str, Any] = {"knowledge_dir": folder} if folder is not None else {}
    settings = load_settings_or_exit(**overrides)
    setup_logging(settings.log_level, settings.data_dir / "confab.log")  # the summary below says it for people
    console = Console(stderr=True)
    if not settings.knowledge_dir.is_dir():
        console.print(f"[red]confab: no such folder: {settings.knowledge_dir}[/red]")
        raise typer.Exit(2)

    async def run() -> Any:
        embedder = make_embedder(settings)
        state = open_state(settings)  # the scaled mode: the new version is announced to every replica
        try:
            return await build(KnowledgeService(settings, lambda: embedder, state.versions))
        finally:
            await state.close()

    async def build(knowledge: KnowledgeService) -> Any:
        with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                      TextColumn("{task.fields[file]}"), console=console, transient=True) as bar:
            task = bar.add_task("indexing", total=None, file="")

            def progress(done: int, total: int, name: str) -> None:
                bar.update(task, completed=done, total=total, file=display_name(name))

            return await knowledge.reindex(progress)

    try:
        report = asyncio.run(run())
    except ConfabError as exc:
        console.print(f"[red]confab: {exc.user_message}[/red]")
        raise typer.Exit(1) from None
    typer.echo(f"Indexed {display_name(str(settings.knowledge_dir))}: {report.files} files, {report.chunks} chunks "
               f"({len(report.embedded)} embedded, {report.unchanged} unchanged, {len(report.removed)} removed) "
               f"in {report.seconds:.1f} s -> {display_name(str(settings.knowledge_index_dir))}")
    for skipped in report.skipped:  # names escaped: a newline in one must not forge a line of this summary
        typer.echo(f"  skipped {display_name(skipped.rel)}: {skipped.reason}")


def eval_retrieval(
    docs: Annotated[Path, typer.Option("--docs", help="Folder of documents (ids are file stems)")],
    queries: Annotated[Path, typer.Option("--queries", help="JSONL, one query per line (fields above)")],
    abstain_check: Annotated[int, typer.Option("--abstain-check", help="Remove the gold docs of N queries")] = 0,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object")] = False,
    limit: Annotated[int, typer.Option(help="Use only the first N queries (0 = all)")] = 0,
) -> None:
    """Retrieval quality: document-level R@1/5/10, nDCG@10, MRR, and the abstain check.

    One JSON object per line: "question" (a string) and "gold_doc_ids" (a non-empty list of the ids of
    the documents that answer it; a document's id is its file name without the extension).

    Blank lines are ignored. Any other line is reported with its number and reason; nothing is scored (exit 2).
    """
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from agent.embeddings import make_embedder
    from agent.knowledge.evaluate import evaluate, read_queries
    from bot.cli.input import exit_on_problems
    from bot.cli.startup import load_settings_or_exit

    if not docs.is_dir() or not queries.is_file():
        typer.echo(f"confab: need a folder --docs and a file --queries ({docs}, {queries})", err=True)
        raise typer.Exit(2)
    exit_on_problems(str(queries), check_queries(queries))
    found, bad = read_queries(queries)
    found = found[:limit] if limit else found
    if not found:
        typer.echo(f"confab: no usable queries in {queries} ({bad} malformed lines)", err=True)
        raise typer.Exit(2)
    settings = load_settings_or_exit()
    embedder = make_embedder(settings)
    threshold = settings.knowledge_min_relevance
    with tempfile.TemporaryDirectory() as work:
        result = evaluate(docs, found, embedder, Path(work), threshold, abstain_check)
    if as_json:
        typer.echo(json.dumps(result))
        return
    typer.echo(f"{result['queries']} queries over {result['documents']} documents ({result['chunks']} chunks)"
               + (f", {bad} malformed lines skipped" if bad else ""))
    for key in ("recall@1", "recall@5", "recall@10", "ndcg@10", "mrr"):
        typer.echo(f"  {key:10} {result[key]:.3f}")
    typer.echo(f"  index built in {result['index_seconds']} s; search {result['search_ms_per_query']} ms/query")
    if abstain_check:
        typer.echo(f"  abstain check (threshold {threshold}): abstains on {result['abstain_rate']:.1%} of "
                   f"{result['abstain_queries']} unanswerable, answers {result['answer_rate']:.1%} of "
                   f"{result['answerable_queries']} answerable")


def check_queries(path: Path) -> list[Any]:
    """The problems of ``confab eval retrieval`` queries: each line {"question": str, "gold_doc_ids": [str, …]}."""
    from bot.cli.input import BadLine, collect, field, json_object, numbered_lines, string_field

    def check(line: str) -> None:
        row = json_object(line)
        string_field(row, "question")
        gold = field(row, "gold_doc_ids")
        if not isinstance(gold, list) or not gold or not all(
                isinstance(g, (str, int)) and not isinstance(g, bool) and str(g).strip() for g in gold):
            raise BadLine('"gold_doc_ids" must be a non-empty list of document ids (strings)')

    return collect(numbered_lines(path.read_text(encoding="utf-8", errors="replace")), check)[1]
