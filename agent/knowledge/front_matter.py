"""YAML front matter (a leading ``---`` block): a document's metadata, read as YAML and kept as plain words.

Every chunk of the document carries it as context for embedding and keyword search, so it is rendered
without YAML's syntax (``tags: airway, nursing`` rather than ``tags: ["airway", "nursing"]``): quotes and
brackets would cost model tokens on every chunk and mean nothing.
"""

from __future__ import annotations

from typing import Any

import yaml

# libyaml's safe loader when PyYAML has it (its wheels do): the pure-Python one took ~1 ms per file
_LIBYAML = hasattr(yaml, "CSafeLoader")
MAX_LINES = 200
MAX_CHARS = 1000


class _Full(Exception):
    """The rendering reached MAX_CHARS (YAML aliases can make a tiny block expand without bound)."""


def split_front_matter(text: str) -> tuple[str, str]:
    """The text with the front matter's lines blanked (so line numbers stay true), and the front matter as
    ``key: value; key: value``. A block that is not a YAML mapping is prose, returned unchanged."""
    lines = text.split("\n")
    if len(lines) < 3 or lines[0].strip() != "---":
        return text, ""
    end = next((i for i in range(1, min(len(lines), MAX_LINES)) if lines[i].strip() in ("---", "...")), None)
    if end is None:
        return text, ""
    try:
        block = "\n".join(lines[1:end])
        fields = yaml.load(block, Loader=yaml.CSafeLoader) if _LIBYAML else yaml.safe_load(block)
    except yaml.YAMLError:
        return text, ""
    if not isinstance(fields, dict) or not fields:
        return text, ""
    parts: list[str] = []
    try:
        _render(fields, parts, [0])
    except _Full:
        pass
    return "\n".join([""] * (end + 1) + lines[end + 1:]), "".join(parts)[:MAX_CHARS]


def _render(value: Any, parts: list[str], size: list[int]) -> None:
    def emit(piece: str) -> None:
        parts.append(piece)
        size[0] += len(piece)
        if size[0] > MAX_CHARS:
            raise _Full

    if isinstance(value, dict):
        fields = [(k, v) for k, v in value.items() if v not in (None, "", [], {})]
        for n, (key, item) in enumerate(fields):
            emit(("; " if n else "") + f"{' '.join(str(key).split())}: ")
            _render(item, parts, size)
    elif isinstance(value, list | tuple | set):
        for n, item in enumerate(value):
            if n:
                emit(", ")
            _render(item, parts, size)
    else:
        emit(" ".join(str(value).split()))
