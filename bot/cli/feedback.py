"""``confab eval feedback --export FILE``: the answers people rated (👍/👎), as JSONL for offline evaluation."""

from __future__ import annotations

import asyncio
import json
import os
import re
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer

_CHANNEL_KEY = re.compile(r"^[a-z]+:[^:\s]+:[^:\s]+$")

FIELDS_HELP = """Each line is one person's vote on one answer (oldest vote first), a JSON object with these fields:

    question: what the answer answered (a mention's text without the @, the /ask question, or the command, \
e.g. "/summarize today").

    answer: the answer's text as it was sent.

    citations: a list of the sources it cited, e.g. "deploy.md › Deploying (lines 3-9)" (empty when none).

    model: CONFAB_MODEL when it was sent: "offline" or e.g. "openai:gpt-4.1-mini".

    vote: "up" (👍) or "down" (👎).

    channel: the channel key, platform:workspace:channel (e.g. slack:T0123:C0456).

    when: the time of the vote, ISO 8601 in UTC (e.g. 2026-11-29T14:03:00Z).

    Who voted is not exported. Only what Confab still keeps is exported: /forget and CONFAB_RETENTION_DAYS \
remove rated answers with the rest of a channel's memory. Bad arguments exit 2; an unreadable database exits 1."""


def eval_feedback(
    export: Annotated[Path, typer.Option("--export", help="the JSONL file to write (replaced if it exists); "
                                                         "- writes to standard output")],
    channel: Annotated[list[str] | None, typer.Option("--channel", help="only this channel key, e.g. "
                                                      "slack:T0123:C0456 (repeat for several)")] = None,
    since: Annotated[str | None, typer.Option("--since", help="only votes from this date or time on "
                                                            "(ISO 8601, e.g. 2026-11-01)")] = None,
) -> None:
    from bot.cli.startup import load_settings_or_exit

    keys = _channel_keys(channel)
    start = _since(since)
    to_stdout = str(export) == "-"
    if not to_stdout and export.is_dir():
        _fail(f"--export {export} is a directory; name a file, e.g. --export feedback.jsonl")
    if not to_stdout and not export.parent.is_dir():
        _fail(f"--export {export}: the folder {export.parent} does not exist")
    settings = load_settings_or_exit()
    try:
        rows = asyncio.run(_rows(settings, keys, start))
    except Exception as exc:  # the store unreachable or unreadable: said plainly, not as a traceback
        _fail(f"could not read the feedback: {type(exc).__name__}: {str(exc)[:200]}", code=1)
    lines = "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)
    up = sum(1 for row in rows if row["vote"] == "up")
    if to_stdout:
        typer.echo(lines, nl=False)
        return
    _write_atomically(export, lines)
    typer.echo(f"wrote {len(rows)} rated answers to {export} (👍 {up}, 👎 {len(rows) - up})")


eval_feedback.__doc__ = f"""Export the answers people rated with 👍/👎 (in chat, or /rate in the console) as JSONL.

    {FIELDS_HELP}
    """


async def _rows(settings: Any, keys: list[str] | None, since: float | None) -> list[dict[str, Any]]:
    from agent.storage import open_storage

    store = await open_storage(settings)
    try:
        pairs = await store.feedback.pairs(keys, since)
    finally:
        await store.close()
    return [{"question": p.answer.question, "answer": p.answer.answer, "citations": list(p.answer.citations),
             "model": p.answer.model, "vote": p.vote, "channel": p.answer.channel_key,
             "when": datetime.fromtimestamp(p.voted_at, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")}
            for p in pairs]


def _channel_keys(values: list[str] | None) -> list[str] | None:
    if not values:
        return None
    for value in values:
        if not _CHANNEL_KEY.match(value):
            _fail(f"--channel {value[:80]!r} is not a channel key: use platform:workspace:channel, "
                  "e.g. slack:T0123:C0456 (as /confab feedback all shows them)")
    return values


def _since(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        _fail(f"--since {value[:40]!r} is not a date: use ISO 8601, e.g. 2026-11-01 or 2026-11-01T09:00:00Z")
    return (when if when.tzinfo else when.replace(tzinfo=UTC)).timestamp()


def _write_atomically(path: Path, text: str) -> None:
    """The whole export or nothing: written next to ``path``, then renamed over it."""
    handle, temp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(temp, path)
    except OSError as exc:
        Path(temp).unlink(missing_ok=True)
        _fail(f"could not write {path}: {exc.strerror or exc}", code=1)


def _fail(message: str, code: int = 2) -> NoReturn:
    typer.echo(f"confab: {message}", err=True)
    raise typer.Exit(code)
