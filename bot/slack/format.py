"""Pure Markdown -> Slack mrkdwn, escaping and splitting.

Everything the bot posts goes through :func:`to_mrkdwn`: ``&``, ``<`` and ``>`` are escaped in all
text (so ``<!channel>``, ``<!here>``, ``<@U…>``, ``<#C…>`` or ``<!subteam^…>`` written by a model or
a document show as text and never notify anyone), bare ``@channel`` / ``@here`` / ``@everyone`` get
a word joiner, and the only ``<…>`` left are the links this module builds itself. Long replies are
cut under Slack's limits by :func:`bot.text.split_message`.
"""

from __future__ import annotations

import re

from bot.text import reveal_label, split_message

WORD_JOINER = "\u2060"
# chat.postMessage truncates past 40k; Slack recommends ~4k characters per message for readability
MAX_CHARS = 3900

_FENCE = re.compile(r"^\s*```")
_INLINE_CODE = re.compile(r"(`+)(.+?)\1", re.S)
_IMAGE_OR_LINK = re.compile(r"!?\[([^\]\n]*)\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
_AUTOLINK = re.compile(r"<((?:https?|mailto):[^>\s]+)>")
_BROADCAST = re.compile(r"(?i)(?<![\w@])@(channel|here|everyone)\b")
_HEADING = re.compile(r"^(\s{0,3})#{1,6}\s+(.+?)\s*#*\s*$")
_BULLET = re.compile(r"^(\s*)[-*+]\s+(?=\S)")
_RULE = re.compile(r"^\s{0,3}([-*_])(\s*\1){2,}\s*$")
_BOLD = re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1")
_ITALIC = re.compile(r"(?<![*\w])\*(?=[^\s*])(.+?)(?<=[^\s*])\*(?![*\w])")
_STRIKE = re.compile(r"~~(?=\S)(.+?)(?<=\S)~~")
_SAFE_SCHEME = re.compile(r"(?i)^(https?://|mailto:)")
_HOLE = "\x00{}\x00"
_HOLES = re.compile(r"\x00(\d+)\x00")
_BOLD_MARK = "\x01"


def escape(text: str) -> str:
    """Slack's three control characters, plus a word joiner that defuses bare broadcasts."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _BROADCAST.sub(lambda m: f"@{WORD_JOINER}{m.group(1)}", text)


def _link(url: str, label: str) -> str | None:
    if not _SAFE_SCHEME.match(url):
        return None
    safe_url = url.replace("&", "&amp;").replace("<", "%3C").replace(">", "%3E").replace("|", "%7C")
    label = reveal_label(label.strip(), url)  # a label naming another site shows the real one
    if not label or label == url:
        return f"<{safe_url}>"
    return f"<{safe_url}|{escape(label).replace('|', '¦')}>"


def _inline(text: str) -> str:
    """One line of Markdown prose (no code fences) -> mrkdwn."""
    holes: list[str] = []

    def hold(value: str) -> str:
        holes.append(value)
        return _HOLE.format(len(holes) - 1)

    text = text.replace("\x00", "").replace(_BOLD_MARK, "")
    text = _INLINE_CODE.sub(lambda m: hold(f"`{escape(m.group(2).replace('`', 'ˋ'))}`"), text)

    def link(match: re.Match[str]) -> str:
        built = _link(match.group(2), match.group(1))
        return hold(built) if built is not None else match.group(0)

    text = _IMAGE_OR_LINK.sub(link, text)
    text = _AUTOLINK.sub(lambda m: hold(_link(m.group(1), "") or m.group(0)), text)
    quote = ""
    stripped = text.lstrip()
    if stripped.startswith(">"):  # keep Markdown block quotes as Slack block quotes
        quote, text = "> ", stripped.lstrip(">").lstrip()
    text = escape(text)
    text = _BOLD.sub(lambda m: f"{_BOLD_MARK}{m.group(2)}{_BOLD_MARK}", text)
    text = _ITALIC.sub(lambda m: f"_{m.group(1)}_", text)
    text = _STRIKE.sub(lambda m: f"~{m.group(1)}~", text)
    text = text.replace(_BOLD_MARK, "*")
    return quote + _HOLES.sub(lambda m: holes[int(m.group(1))], text)


def _line(line: str) -> str:
    if _RULE.match(line):
        return "──────────"
    heading = _HEADING.match(line)
    if heading:
        return f"{heading.group(1)}*{_inline(heading.group(2)).replace('*', '')}*"
    bullet = _BULLET.match(line)
    if bullet:
        return f"{bullet.group(1)}• {_inline(line[bullet.end():])}"
    return _inline(line)


def to_mrkdwn(markdown: str) -> str:
    """Markdown (what the agent and commands write) -> Slack mrkdwn, safe to post."""
    out: list[str] = []
    in_code = False
    for line in markdown.replace("\r\n", "\n").split("\n"):
        if _FENCE.match(line):
            in_code = not in_code
            out.append("```")  # Slack ignores language hints; drop them
            continue
        out.append(escape(line) if in_code else _line(line))
    if in_code:
        out.append("```")
    return "\n".join(out)


def format_reply(markdown: str, limit: int = MAX_CHARS) -> list[str]:
    """The messages to post for one reply."""
    return split_message(to_mrkdwn(markdown), limit)


# --- the adapter's own words --------------------------------------------------------------------

PROGRESS_TEXT = "_⏳ Working on it…_"
PRIVATE_FILES_NOTE = "\n_(files can't be shown privately in Slack; ask again without private mode)_"
