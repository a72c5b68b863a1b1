"""Pure text hygiene for everything that comes in and goes out.

Incoming: control characters and lone surrogates are replaced so any text can be stored and
shown. Outgoing: broadcast and user mentions written by a model or a document are neutralised, so
the bot never pings anyone because some text said so (adapters add the platform's own guard, e.g.
Discord ``allowed_mentions`` or Slack escaping, on top of this).
"""

from __future__ import annotations

import re
import unicodedata

ZWSP = "\u200b"
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_BROADCAST = re.compile(r"@(everyone|here|channel)\b", re.I)
_SLACK_SPECIAL = re.compile(r"<!(channel|here|everyone|subteam\^[A-Z0-9]+)(\|[^>]*)?>", re.I)
_SLACK_USER = re.compile(r"<@([UW][A-Z0-9]+)(\|[^>]*)?>")
_DISCORD_MENTION = re.compile(r"<@([!&]?)(\d+)>")


def clean_incoming(text: str | None) -> str:
    """Make arbitrary input safe to store and process: valid UTF-8, no control characters."""
    if not text:
        return ""
    text = text.encode("utf-8", "replace").decode("utf-8")  # lone surrogates -> "?"
    text = _CONTROL.sub("", text).replace("\r\n", "\n").replace("\r", "\n")
    return unicodedata.normalize("NFC", text)


def neutralize_mentions(text: str) -> str:
    """Defuse @everyone/@here/@channel and raw platform mention syntax in outgoing text."""
    text = _SLACK_SPECIAL.sub(lambda m: f"@{ZWSP}{m.group(1).split('^')[0]}", text)
    text = _SLACK_USER.sub(lambda m: f"@{ZWSP}{m.group(1)}", text)
    text = _DISCORD_MENTION.sub(lambda m: f"@{ZWSP}{'role-' if m.group(1) == '&' else ''}{m.group(2)}", text)
    return _BROADCAST.sub(lambda m: f"@{ZWSP}{m.group(1)}", text)


def shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: max(0, limit - 1)].rstrip() + "…"
