"""Strict readers for the files and streams the ``confab`` commands take (JSONL and TSV).

Every reader checks every line and collects what is wrong with it (line number and reason);
:func:`exit_on_problems` prints them and exits 2, so a mislabelled or misnamed field is never
silently scored, skipped or summarized as nothing.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import typer

T = TypeVar("T")
MAX_SHOWN = 10  # problems printed before "… and N more"

# label spellings accepted for a binary truth column: value -> is it the positive class
SPAM_LABELS: dict[str, bool] = {"spam": True, "ham": False, "1": True, "0": False, "true": True, "false": False,
                                "not spam": False, "not_spam": False}
# sentiment truth: two classes (UCI's 1/0) or three (a set with any "neutral" row is scored in three classes)
SENTIMENT_LABELS: dict[str, str] = {"positive": "positive", "pos": "positive", "negative": "negative",
                                    "neg": "negative", "neutral": "neutral", "neu": "neutral", "1": "positive",
                                    "0": "negative", "true": "positive", "false": "negative"}
SENTIMENT_SPELLINGS = "positive/negative, pos/neg, 1/0, true/false, and neutral/neu for three classes"


@dataclass(frozen=True)
class Problem:
    line: int
    reason: str


def exit_on_problems(source: str, problems: list[Problem]) -> None:
    """Print ``source:line: reason`` for the first problems and exit 2; nothing when there are none."""
    if not problems:
        return
    for problem in problems[:MAX_SHOWN]:
        typer.echo(f"confab: {source}:{problem.line}: {problem.reason}", err=True)
    if len(problems) > MAX_SHOWN:
        typer.echo(f"confab: … and {len(problems) - MAX_SHOWN} more bad line(s)", err=True)
    typer.echo(f"confab: {len(problems)} bad line(s) in {source}; fix them and run again", err=True)
    raise typer.Exit(2)


def read_file_or_exit(path: Path, read: Callable[[Path], T]) -> T:
    """``read(path)``; a missing or unreadable file exits 2, naming it."""
    if not path.is_file():
        typer.echo(f"confab: no such file: {path}", err=True)
        raise typer.Exit(2)
    try:
        return read(path)
    except (OSError, UnicodeError) as exc:
        typer.echo(f"confab: cannot read {path}: {exc}", err=True)
        raise typer.Exit(2) from None


def numbered_lines(text: str) -> Iterator[tuple[int, str]]:
    """(line number, line) for the non-blank lines of ``text``."""
    for number, line in enumerate(text.split("\n"), 1):
        if line.strip():
            yield number, line.rstrip("\r")


class BadLine(ValueError):
    """What is wrong with one line; the reader turns it into a :class:`Problem`."""


def json_object(line: str) -> dict[str, Any]:
    try:
        row = json.loads(line)
    except json.JSONDecodeError as exc:
        raise BadLine(f"not valid JSON ({exc.msg} at column {exc.colno})") from None
    except ValueError as exc:  # e.g. a number too long to convert
        raise BadLine(f"not valid JSON ({exc})") from None
    if not isinstance(row, dict):
        raise BadLine(f"expected a JSON object {{…}}, got {_kind(row)}")
    return row


def field(row: dict[str, Any], key: str) -> Any:
    """``row[key]``; BadLine naming the key and the keys present when it is missing."""
    if key not in row:
        raise BadLine(f'no "{key}" field (found: {", ".join(sorted(map(str, row))) or "none"})')
    return row[key]


def string_field(row: dict[str, Any], key: str, *, required: bool = True) -> str | None:
    """``row[key]`` as a non-blank string; BadLine naming the key (and the keys present) otherwise."""
    if key not in row and not required:
        return None
    value = field(row, key)
    if not isinstance(value, str):
        raise BadLine(f'"{key}" must be a string, got {_kind(value)}')
    if required and not value.strip():
        raise BadLine(f'"{key}" is empty')
    return value


def binary_label(value: Any, accepted: dict[str, bool], *, key: str = "label") -> bool:
    """A truth label in one of the ``accepted`` spellings (case-insensitive; JSON true/false/1/0 too)."""
    return choice_label(value, accepted, spellings(accepted), key=key)


def choice_label(value: Any, accepted: dict[str, T], described: str, *, key: str = "label") -> T:
    """The class ``value`` names in ``accepted`` (case-insensitive; JSON true/false/1/0 too); ``described``
    lists the spellings for the error message."""
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, int):
        text = str(value)
    elif isinstance(value, str):
        text = value.strip().lower()
    else:
        text = None
    if text is None or text not in accepted:
        raise BadLine(f'"{key}" {json.dumps(value)} is not one of {described}')
    return accepted[text]


def spellings(accepted: dict[str, bool]) -> str:
    """``spam/ham, 1/0, true/false`` for the help text and error messages."""
    positive = [k for k, v in accepted.items() if v]
    negative = [k for k, v in accepted.items() if not v]
    pairs = [f"{p}/{n}" for p, n in zip(positive, negative, strict=False)]
    extra = negative[len(positive):]
    return ", ".join(pairs) + (f" (or {', '.join(extra)})" if extra else "")


def collect(lines: Iterable[tuple[int, str]], parse: Any) -> tuple[list[Any], list[Problem]]:
    """``parse(line)`` for each numbered line; BadLine becomes a Problem instead of a result."""
    found, problems = [], []
    for number, line in lines:
        try:
            found.append(parse(line))
        except BadLine as exc:
            problems.append(Problem(number, str(exc)))
    return found, problems


def read_rows(path: Path, parse: Callable[[str], T]) -> list[T]:
    """``parse`` of each non-blank line of the file at ``path``; a missing file or any bad line is reported (each
    with its number and reason) and exits 2."""
    content = read_file_or_exit(path, lambda p: p.read_text(encoding="utf-8", errors="replace"))
    found, problems = collect(numbered_lines(content), parse)
    exit_on_problems(str(path), problems)
    return found


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float)):
        return f"the number {value}"
    if isinstance(value, str):
        return f"the string {json.dumps(value[:40])}"
    if isinstance(value, list):
        return "a list"
    return "an object"
