"""Pure text hygiene for everything that comes in and goes out.

Incoming: control characters and lone surrogates (half an emoji) are replaced so any text can be
stored and shown; :func:`scrub` does the latter for every text field of an event at the edge.
Outgoing: broadcast and user mentions written by a model or a document are neutralised, so the bot
never pings anyone because some text said so (adapters add the platform's own guard, e.g.
Discord ``allowed_mentions`` or Slack escaping, on top of this), a link whose label names
another site than its target shows the real one (:func:`reveal_disguised_links`), and quoted text can't turn
the bot's own line around (bidirectional overrides are dropped).
"""

from __future__ import annotations

import dataclasses
import re
import unicodedata
from typing import Any, TypeVar
from urllib.parse import urlsplit

ZWSP = "\u200b"
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_BROADCAST = re.compile(r"@(everyone|here|channel)\b", re.I)
_SLACK_SPECIAL = re.compile(r"<!(channel|here|everyone|subteam\^[A-Z0-9]+)(\|[^>]*)?>", re.I)
_SLACK_USER = re.compile(r"<@([UW][A-Z0-9]+)(\|[^>]*)?>")
_DISCORD_MENTION = re.compile(r"<@([!&]?)(\d+)>")
_SURROGATE = re.compile("[\ud800-\udfff]")
# bidirectional overrides, embeddings and isolates: quoted from someone's message, one flips the rest of the bot's
# own line ("Trojan Source": "\u202eevil" shows as "live" and turns the sentence after it around). The marks (LRM,
# RLM) only hint a direction and stay, as right-to-left text needs them
_BIDI_CONTROL = re.compile("[\u202a-\u202e\u2066-\u2069]")
T = TypeVar("T")


def without_lone_surrogates(text: str) -> str:
    """Half an emoji (a lone UTF-16 surrogate such as ``"\\ud83d"``, from a JSON escape or bytes the
    console could not decode) becomes U+FFFD; a complete pair becomes its character. Such text can't
    be encoded as UTF-8, so SQLite, logs and platform APIs would raise on it."""
    if not _SURROGATE.search(text):
        return text
    return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


def scrub(value: T) -> T:
    """``value`` with every string in it (nested frozen dataclasses and tuples too) free of lone
    surrogates: adapters pass each event through this at the edge. ``raw`` payloads are left as they are."""
    if isinstance(value, str):
        return without_lone_surrogates(value)  # type: ignore[return-value]
    if isinstance(value, tuple):
        return type(value)(scrub(v) for v in value) if value else value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        changes: dict[str, Any] = {}
        for f in dataclasses.fields(value):
            if f.name == "raw":
                continue
            old = getattr(value, f.name)
            new = scrub(old)
            if new is not old and new != old:
                changes[f.name] = new
        return dataclasses.replace(value, **changes) if changes else value
    return value


def clean_incoming(text: str | None) -> str:
    """Make arbitrary input safe to store and process: valid UTF-8, no control characters."""
    if not text:
        return ""
    text = without_lone_surrogates(text)
    text = _CONTROL.sub("", text).replace("\r\n", "\n").replace("\r", "\n")
    return unicodedata.normalize("NFC", text)


# [label](url "title") in Markdown and <url|label> in Slack mrkdwn; images (![alt](url)) are left alone
_MARKDOWN_LINK = re.compile(r"(?<!!)\[([^\]\n]*)\]\(\s*(<?)([^)\s>]+)(>?)((?:\s+\"[^\"]*\")?\s*)\)")
_SLACK_LINK = re.compile(r"<((?:https?)://[^|>\s]+)\|([^>\n]*)>", re.I)
_HOST = re.compile(r"^(?:[^\W_](?:[^\W_]|-)*\.)+[^\W\d_]{2,63}$")
# a "name.md" label is a file, not a site, unless written with a scheme, "www." or a path
_FILE_SUFFIXES = frozenset(
    "md mdx rst txt html htm pdf json yaml yml toml ini cfg conf env log csv xml py js ts sh rs go java kt rb "
    "php c h cpp sql ipynb lock png jpg jpeg gif svg zip gz tar doc docx xls xlsx ppt pptx".split())
_TRIM = "()[]<>{}\"'«»“”‘’,;!?*_`"


def _ascii_host(host: str) -> str:
    host = host.lower().rstrip(".").removeprefix("www.")
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError:
        return host


def _named_hosts(label: str) -> list[str]:
    """The site names written in a link's label (``discord.com/login``, ``https://x.y``, ``www.a.b``)."""
    found = []
    for word in label.split():
        word = word.strip(_TRIM)
        explicit = "://" in word or word.lower().startswith("www.")
        if "://" in word:
            try:
                host = urlsplit(word).hostname or ""
            except ValueError:
                continue
        else:
            host, slash, _ = word.partition("/")
            host = host.split(":")[0].rstrip(".")
            explicit = explicit or bool(slash)
        if host and _HOST.match(host) and (explicit or host.rsplit(".", 1)[1].lower() not in _FILE_SUFFIXES):
            found.append(_ascii_host(host))
    return found


def _browser_host(url: str) -> str | None:
    """The host a browser opens for ``url``: for http(s) a backslash ends the host as a slash does (WHATWG),
    so ``https://evil.example\\@discord.com/`` opens evil.example, where urlsplit reads discord.com."""
    if url.lower().startswith(("http:", "https:", "//")):
        url = url.replace("\\", "/")
    try:
        return urlsplit(url).hostname
    except ValueError:
        return None


def reveal_label(label: str, url: str) -> str:
    """``label`` followed by the target's real domain when the label names another site:
    ``discord.com/login`` -> ``discord.com/login (disc0rd.example)``. Anything else is unchanged."""
    target = _browser_host(url.strip())
    if not target:
        return label
    real = _ascii_host(target)
    named = _named_hosts(label)
    same = all(n == real or real.endswith("." + n) or n.endswith("." + real) for n in named)
    if (same and target.isascii()) or label.rstrip().endswith(f"({real})"):  # a non-ASCII domain shows as xn--…
        return label
    return f"{label.rstrip()} ({real})"


def reveal_disguised_links(text: str) -> str:
    """Make every link whose label names another site than its target show the real domain, in
    Markdown (``[discord.com/login](https://disc0rd.example/a)``) and Slack syntax
    (``<https://disc0rd.example/a|discord.com/login>``); idempotent."""
    if "](" in text:
        text = _MARKDOWN_LINK.sub(lambda m: f"[{reveal_label(m.group(1), m.group(3))}]({m.group(2)}{m.group(3)}"
                                            f"{m.group(4)}{m.group(5)})", text)
    if "|" in text:
        text = _SLACK_LINK.sub(lambda m: f"<{m.group(1)}|{reveal_label(m.group(2), m.group(1))}>", text)
    return text


def neutralize_mentions(text: str) -> str:
    """Defuse @everyone/@here/@channel and raw platform mention syntax in outgoing text, reveal disguised links
    and drop bidirectional overrides (every outgoing text passes here)."""
    text = reveal_disguised_links(_BIDI_CONTROL.sub("", text))
    text = _SLACK_SPECIAL.sub(lambda m: f"@{ZWSP}{m.group(1).split('^')[0]}", text)
    text = _SLACK_USER.sub(lambda m: f"@{ZWSP}{m.group(1)}", text)
    text = _DISCORD_MENTION.sub(lambda m: f"@{ZWSP}{'role-' if m.group(1) == '&' else ''}{m.group(2)}", text)
    return _BROADCAST.sub(lambda m: f"@{ZWSP}{m.group(1)}", text)


def settled(text: str) -> str:
    """The part of a text still being written (a streamed answer) that more text can no longer change
    once neutralised, neutralised: whole lines, and of the last line up to the last space outside an
    unfinished ``<…>`` or ``[…](…)``. A mention or link cut in two by the stream is held back until it
    is whole, so ``<!chan`` + ``nel>`` never reaches anyone as a ping; every pattern
    :func:`neutralize_mentions` knows ends within its line (and a broadcast at a space)."""
    start = text.rfind("\n") + 1
    line = text[start:]
    cut = start
    for index in range(len(line) - 1, -1, -1):  # the last space that ends a finished stretch
        if line[index] in " \t" and _closed(line[:index]):
            cut = start + index
            break
    return neutralize_mentions(text[:cut])


def _closed(line: str) -> bool:
    """No ``<`` without its ``>`` and no ``[`` whose link is unfinished, at the end of ``line``."""
    if line.rfind("<") > line.rfind(">"):
        return False
    bracket = line.rfind("[")
    if bracket < 0:
        return True
    closing = line.find("]", bracket)
    if closing < 0:
        return False
    if line.startswith("(", closing + 1):
        return line.find(")", closing + 1) >= 0
    return True


def shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: max(0, limit - 1)].rstrip() + "…"


def _cut_long_line(line: str, limit: int) -> list[str]:
    """Split one over-long line at a space (a word is cut only when it is longer than half a message),
    never inside an HTML entity (``&amp;``) or an ``<…>`` link."""
    pieces: list[str] = []
    while len(line) > limit:
        cut = line.rfind(" ", 0, limit)
        if cut <= limit // 2:
            cut = limit
        for opener, closer in (("&", ";"), ("<", ">")):
            start = line.rfind(opener, 0, cut)
            if start > 0 and line.find(closer, start) >= cut:
                cut = start
        pieces.append(line[:cut].rstrip())
        line = line[cut:].lstrip(" ")
    pieces.append(line)
    return pieces


def split_message(text: str, limit: int) -> list[str]:
    """Cut text into messages of at most ``limit`` characters on line (then word) boundaries.

    A code block cut in two is closed at the end of one message and reopened, with its language, at
    the start of the next, so both halves render as code. Blank text gives no messages.
    """
    limit = max(limit, 40)
    if len(text) <= limit:
        return [text] if text.strip() else []
    close = "```"
    opener: str | None = None  # the fence line of the code block we are in
    chunks: list[str] = []
    current: list[str] = []
    size = 0

    def budget() -> int:  # room kept to close an open fence at the end of a chunk
        return limit - (len(close) + 1 if opener is not None else 0)

    def flush() -> None:
        nonlocal current, size
        body = "\n".join(current) + (f"\n{close}" if opener is not None else "")
        if body.strip() and body.strip() != close and body.strip() != (opener or "").strip():
            chunks.append(body)
        current = [opener] if opener is not None else []
        size = len(opener) + 1 if opener is not None else 0

    reserve = 2 * len(close) + 24  # a reopened fence (with a short language tag) and its close
    for raw_line in text.split("\n"):
        is_fence = raw_line.strip().startswith(close)
        closing = opener is not None and is_fence  # a closing fence may use the reserved room
        for line in _cut_long_line(raw_line, limit - reserve):
            if size + len(line) + 1 > (limit if closing else budget()) and current:
                flush()
            current.append(line)
            size += len(line) + 1
        if is_fence:
            opener = None if opener is not None else raw_line.strip()[: len(close) + 20]
    if current:
        opener = None
        flush()
    return chunks
