"""``confab summarize --file thread.jsonl`` and ``confab eval summarize --data FILE [--json]``."""

from __future__ import annotations

import json
import logging
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from bot.cli.startup import load_settings_or_exit

log = logging.getLogger(__name__)


def _parse_ts(value: Any) -> datetime:
    """A message time: Unix seconds (a number or a numeric string) or an ISO 8601 date; BadLine otherwise."""
    from bot.cli.input import BadLine

    if isinstance(value, (int, float)) and not isinstance(value, bool):
        try:
            return datetime.fromtimestamp(float(value), UTC)
        except (OverflowError, OSError, ValueError):
            raise BadLine(f'"ts" {value} is out of range') from None
    if isinstance(value, str) and value.strip():
        text = value.strip()
        try:
            return datetime.fromtimestamp(float(text), UTC)
        except (OverflowError, OSError, ValueError):
            pass
        try:
            parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
        except ValueError:
            pass
    raise BadLine(f'"ts" {json.dumps(value)[:40]} is not Unix seconds or an ISO 8601 date (2026-11-20T09:00:00Z)')


def read_thread(path: Path) -> tuple[list[Any], list[Any]]:
    """Messages from JSONL lines ``{"author", "text", "ts"}``, and the problems of the lines that are not."""
    from agent.memory.models import StoredMessage
    from bot.cli.input import BadLine, Problem, field, json_object, numbered_lines, string_field

    last = datetime(1970, 1, 1, tzinfo=UTC)

    def parse(number: int, line: str) -> StoredMessage:
        nonlocal last
        row = json_object(line)
        author = str(string_field(row, "author")).strip()
        field(row, "text")  # present, though it may be empty
        text = str(string_field(row, "text", required=False))
        if "ts" in row and row["ts"] is not None:
            last = _parse_ts(row["ts"])
        ident = row.get("id")
        if ident is not None and (isinstance(ident, bool) or not isinstance(ident, (str, int))):
            raise BadLine('"id" must be a string or a number')
        is_bot = row.get("is_bot", False)
        if not isinstance(is_bot, bool):
            raise BadLine(f'"is_bot" must be true or false, got {json.dumps(is_bot)[:40]}')
        return StoredMessage(channel_key="file", id=str(ident if ident is not None else number), author_id=author,
                             author_name=author, text=text, created_at=last, is_bot=is_bot)

    messages: list[StoredMessage] = []
    problems: list[Problem] = []
    for number, line in numbered_lines(path.read_text(encoding="utf-8", errors="replace")):
        try:
            messages.append(parse(number, line))
        except BadLine as exc:
            problems.append(Problem(number, str(exc)))
    return messages, problems


def check_examples(path: Path, topics: bool = False) -> list[Any]:
    """The problems of ``confab eval summarize`` data: each line {"dialogue": str, "summary": str | [str, …]}, and
    with ``topics`` a "topic_queries" list of {"query": str, "answer": str}."""
    from bot.cli.input import BadLine, collect, field, json_object, numbered_lines, string_field

    def check(line: str) -> None:
        row = json_object(line)
        string_field(row, "dialogue")
        summary = field(row, "summary")
        refs = [summary] if isinstance(summary, str) else summary
        if not isinstance(refs, list) or not all(isinstance(r, str) for r in refs) or not any(
                r.strip() for r in refs):
            raise BadLine('"summary" must be a non-empty string or a list of strings')
        if topics:
            queries = field(row, "topic_queries")
            if not isinstance(queries, list) or not all(
                    isinstance(q, dict) and isinstance(q.get("query"), str) and isinstance(q.get("answer"), str)
                    for q in queries):
                raise BadLine('"topic_queries" must be a list of {"query": "…", "answer": "…"}')

    return collect(numbered_lines(path.read_text(encoding="utf-8", errors="replace")), check)[1]


def summarize(
    file: Annotated[Path, typer.Option("--file", "-f", help="JSONL, one message per line (fields above).")],
    llm: Annotated[bool, typer.Option(help="Use CONFAB_MODEL (map-reduce) instead of the offline summarizer.")]
    = False,
) -> None:
    """Summarize a conversation exported as JSONL and print the Markdown summary.

    One JSON object per line, oldest first: "author" (a string) and "text" (a string), both required.

    Optional: "ts" (Unix seconds, or an ISO 8601 date such as 2026-11-20T09:00:00Z), "id", "is_bot" (true/false).

    Blank lines are ignored. Any other line is reported with its number and reason; nothing is summarized (exit 2).
    """
    import asyncio

    from bot.cli.input import exit_on_problems, read_file_or_exit

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    messages, problems = read_file_or_exit(file, read_thread)
    exit_on_problems(str(file), problems)
    from agent.errors import ConfabError, ConfigError

    try:
        typer.echo(asyncio.run(_summarize(messages, llm)))
    except ConfigError as exc:  # e.g. --llm with CONFAB_MODEL's key or package missing
        typer.echo(f"confab: {exc}", err=True)
        raise typer.Exit(2) from None
    except ConfabError as exc:
        typer.echo(f"confab: {exc.user_message} ({exc})", err=True)
        raise typer.Exit(1) from None


async def _summarize(messages: list[Any], llm: bool) -> str:
    """The platforms' summary service (:class:`~agent.summarize.service.Summarizer`, its model timeout
    and its offline fallback included) over the people's messages of the file, newest last."""
    from agent.deps import open_deps
    from agent.embeddings import LocalEmbedder, make_embedder
    from agent.summarize.model import MAX_MESSAGES
    from agent.summarize.render import render_summary

    settings = load_settings_or_exit()
    use_llm = llm and not settings.is_offline
    if not use_llm:  # the offline summary needs no model, whatever CONFAB_MODEL says
        settings = settings.model_copy(update={"model": "offline"})
    local = LocalEmbedder(model_cache_dir=settings.model_cache_dir)  # the mood reads it whatever is configured
    deps = await open_deps(settings, embedder=make_embedder(settings, local), local_embedder=local)
    try:
        people = [m for m in messages if not m.is_bot and m.text.strip()]
        facts: dict[str, object] = {"available": len(people), "left_out_bot": sum(m.is_bot for m in messages)}
        summary = await deps.summarizer.summarize(people[-MAX_MESSAGES:], facts, use_llm=use_llm)
    finally:
        await deps.close()
    return render_summary(summary, title="Summary")


def eval_summarize(
    data: Annotated[Path, typer.Option("--data", help="JSONL, one example per line (fields above).")],
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    limit: Annotated[int | None, typer.Option(help="Score only the first N examples.")] = None,
    topics: Annotated[bool, typer.Option("--topics", help="Score the summaries about each topic question "
                                                          "instead (/summarize about <topic>).")] = False,
) -> None:
    """ROUGE-1/2/L F1 of Confab's offline summary and of the first-three-turns baseline, in one run.

    One JSON object per line: "dialogue" (a string, "Name: text" turns on separate lines) and "summary"
    (the reference: a string, or a list of strings for several references).

    With --topics, each line also needs "topic_queries": a list of {"query": "…", "answer": "…"} (as in QMSum);
    the summary about each query is scored against its answer, next to the three turns closest to the query.

    Blank lines are ignored. Any other line is reported with its number and reason; nothing is scored (exit 2).
    """
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from agent.embeddings import LocalEmbedder
    from agent.summarize.evaluate import evaluate, evaluate_topics, read_examples
    from bot.cli.input import exit_on_problems, read_file_or_exit

    exit_on_problems(str(data), read_file_or_exit(data, lambda path: check_examples(path, topics)))
    examples, skipped = read_examples(data, limit)
    if not examples:
        typer.echo(f"confab: no usable examples in {data} ({skipped} malformed)", err=True)
        raise typer.Exit(2)
    if topics:
        _report_topics(data, evaluate_topics(examples, LocalEmbedder()), as_json)
        return
    result = evaluate(examples, LocalEmbedder())
    if as_json:
        typer.echo(json.dumps({k: v for k, v in result.items() if k != "examples"} | {"examples": len(examples)}))
        return
    typer.echo(f"{len(examples)} examples from {data}" + (f" ({skipped} malformed lines skipped)" if skipped else ""))
    typer.echo(f"{'':14}{'ROUGE-1':>9}{'ROUGE-2':>9}{'ROUGE-L':>9}")
    for label, prefix in (("confab", ""), ("first-3", "baseline_"), ("first-3+names", "baseline_named_")):
        typer.echo(f"{label:14}" + "".join(f"{result[prefix + m]:9.2f}" for m in ("rouge1", "rouge2", "rougeL")))


def _report_topics(data: Path, result: dict[str, float], as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(result | {"questions": int(result["questions"])}))
        return
    typer.echo(f"{int(result['questions'])} topic questions from {data}")
    typer.echo(f"{'':14}{'ROUGE-1':>9}{'ROUGE-2':>9}{'ROUGE-L':>9}")
    for label, prefix in (("confab about", ""), ("closest-3", "baseline_")):
        typer.echo(f"{label:14}" + "".join(f"{result[prefix + m]:9.2f}" for m in ("rouge1", "rouge2", "rougeL")))
