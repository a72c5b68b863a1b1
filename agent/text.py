"""Small text helpers shared by the agent's features and the platform edge."""

from __future__ import annotations

import re


def clip(text: str, limit: int, *, keep_lines: bool = False) -> str:
    """``text`` on one line (runs of whitespace, line breaks included, become one space; ``keep_lines``
    leaves them as they are), cut to at most ``limit`` characters and ending in "…" when cut."""
    if not keep_lines:
        text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def strip_mention(text: str, bot_name: str) -> str:
    """``text`` without the bot's ``@name`` (and the ":" or "," after it), wherever it stands."""
    return re.sub(rf"(?i)(^|\s)@{re.escape(bot_name)}\b[:,]?", " ", text).strip()
