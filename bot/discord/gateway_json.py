"""Gateway frames with half an emoji: read them instead of dropping the connection.

discord.py parses gateway and REST JSON with orjson when it is installed (LangChain's langsmith brings
it), and orjson rejects a lone UTF-16 surrogate (``"\\ud83d"``, half an emoji), which JSON allows and
clients do send. One such message made discord.py drop the connection and start a new session: the
message was never stored or screened, and anyone could make the bot reconnect (IDENTIFY is limited
per day). Frames orjson refuses are read again with the standard library, which accepts them; the edge
(:func:`bot.text.scrub`) then turns the half emoji into U+FFFD.
"""

from __future__ import annotations

import json
from typing import Any

import discord.utils


def tolerate_lone_surrogates() -> None:
    """Make discord.py's JSON reader fall back to :func:`json.loads` (idempotent, process-wide)."""
    strict = discord.utils._from_json
    if getattr(strict, "confab_lenient", False):
        return

    def lenient(data: Any) -> Any:
        try:
            return strict(data)
        except ValueError:  # orjson.JSONDecodeError is a ValueError, as is json's
            return json.loads(data)

    lenient.confab_lenient = True  # type: ignore[attr-defined]
    discord.utils._from_json = lenient
