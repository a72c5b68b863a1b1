"""``confab summarize --file thread.jsonl`` and ``confab eval summarize --data FILE [--json]``."""

from __future__ import annotations

import json
import logging
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer

log = logging.getLogger(__name__)


def _parse_ts(value: Any, fallback: datetime) -> datetime:
    if isinstance(value, (int, float)):
        return datetime.fromtimestamp(float(value), UTC)
    if isinstance(value, str) and value.strip():
        text = value.strip()
        try:
            return datetime.fromtimestamp(float(text), UTC)
        except ValueError:
            pass
        try:
            parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
        except ValueError:
            return fallback
    return fallback


def read_thread(path: Path) -> tuple[list[Any], int]:
    """Messages from JSONL lines ``{"author", "text", "ts"}``, and how many lines were unusable."""
    from agent.memory.models import StoredMessage

    messages: list[StoredMessage] = []
    bad = 0
    last = datetime(1970, 1, 1, tzinfo=UTC)
    with path.open(encoding="utf-8", errors="replace") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                author, text = str(row["author"]).strip() or "someone", str(row.get("text") or "")
            except (ValueError, KeyError, TypeError, AttributeError):
                bad += 1
                continue
            last = _parse_ts(row.get("ts"), last)
            messages.append(StoredMessage(channel_key="file", id=str(row.get("id") or number), author_id=author,
                                          author_name=author, text=text, created_at=last,
                                          is_bot=bool(row.get("is_bot", False))))
    return messages, bad


def summarize(
    file: Annotated[Path, typer.Option("--file", "-f", help="JSONL, one {\"author\", \"text\", \"ts\"} per line.")],
    llm: Annotated[bool, typer.Option(help="Use CONFAB_MODEL (map-reduce) instead of the offline summarizer.")]
    = False,
) -> None:
    """Summarize a conversation exported as JSONL and print the Markdown summary."""
    import asyncio

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    if not file.is_file():
        typer.echo(f"confab: no such file: {file}", err=True)
        raise typer.Exit(2)
    try:
        messages, bad = read_thread(file)
    except (OSError, UnicodeError) as exc:
        typer.echo(f"confab: cannot read {file}: {exc}", err=True)
        raise typer.Exit(2) from None
    if bad:
        typer.echo(f"confab: skipped {bad} malformed line(s)", err=True)
    typer.echo(asyncio.run(_summarize(messages, llm)))


async def _summarize(messages: list[Any], llm: bool) -> str:
    from agent.settings import load_settings
    from agent.summarize.extractive import describe_coverage
    from agent.summarize.model import MAX_MESSAGES
    from agent.summarize.mood import describe_mood
    from agent.summarize.render import render_summary

    settings = load_settings()
    people = [m for m in messages if not m.is_bot and m.text.strip()]
    available = len(people)
    people = people[-MAX_MESSAGES:]
    facts: dict[str, Any] = {"available": available, "left_out_bot": len(messages) - len(
        [m for m in messages if not m.is_bot])}
    if llm and not settings.is_offline:
        from agent.models import make_chat_model
        from agent.summarize.llm import summarize_with_llm

        summary = await summarize_with_llm(people, make_chat_model(settings), describe_coverage(people, **facts))
    else:
        from agent.embeddings import make_embedder
        from agent.summarize.extractive import summarize_extractive

        summary = await asyncio_to_thread(summarize_extractive, people, make_embedder(settings),
                                          describe_coverage(people, **facts))
    if people:
        summary.mood = describe_mood([m.text for m in people])
    return render_summary(summary, title="Summary")


async def asyncio_to_thread(func: Any, *args: Any) -> Any:
    import asyncio

    return await asyncio.to_thread(func, *args)


def eval_summarize(
    data: Annotated[Path, typer.Option("--data", help="JSONL with {\"dialogue\", \"summary\"} lines.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    limit: Annotated[int | None, typer.Option(help="Score only the first N examples.")] = None,
) -> None:
    """ROUGE-1/2/L F1 of Confab's offline summary and of the first-three-turns baseline, in one run."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from agent.embeddings import shared_local_embedder
    from agent.summarize.evaluate import evaluate, read_examples

    if not data.is_file():
        typer.echo(f"confab: no such file: {data}", err=True)
        raise typer.Exit(2)
    examples, skipped = read_examples(data, limit)
    if not examples:
        typer.echo(f"confab: no usable examples in {data} ({skipped} malformed)", err=True)
        raise typer.Exit(2)
    result = evaluate(examples, shared_local_embedder())
    if as_json:
        typer.echo(json.dumps({k: v for k, v in result.items() if k != "examples"} | {"examples": len(examples)}))
        return
    typer.echo(f"{len(examples)} examples from {data}" + (f" ({skipped} malformed lines skipped)" if skipped else ""))
    typer.echo(f"{'':14}{'ROUGE-1':>9}{'ROUGE-2':>9}{'ROUGE-L':>9}")
    for label, prefix in (("confab", ""), ("first-3", "baseline_"), ("first-3+names", "baseline_named_")):
        typer.echo(f"{label:14}" + "".join(f"{result[prefix + m]:9.2f}" for m in ("rouge1", "rouge2", "rougeL")))


def register(app: typer.Typer, eval_app: typer.Typer) -> None:
    app.command("summarize")(summarize)
    eval_app.command("summarize")(eval_summarize)
