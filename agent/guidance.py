"""A channel's guidance, set by its admins: instructions for the model, and the knowledge folders it searches.

Both live in the channel settings (``instructions``, ``knowledge``), are read once per turn
(:func:`read_guidance`) and travel with the turn (:class:`agent.context.TurnContext`). The instructions are
the one admin-trusted text in a prompt (agent/core.py puts them under the safety rules, which win); the
scope restricts retrieval itself (:meth:`agent.knowledge.index.HybridIndex.search`), so a question is ranked
and judged answerable among the channel's own documents only. A scope focuses a channel: it hides nothing
from a channel without one.
"""

from __future__ import annotations

import logging
import unicodedata
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from agent.storage.ports import ChannelSettingsStore

log = logging.getLogger(__name__)

INSTRUCTIONS = "instructions"  # channel setting: the admins' instructions (text)
KNOWLEDGE = "knowledge"  # channel setting: the knowledge folders searched (a list of relative folder paths)
MAX_INSTRUCTIONS_CHARS = 1000
MAX_FOLDERS = 20
MAX_FOLDER_CHARS = 200
SHOWN_FOLDERS = 20  # top-level folders named when a folder is not found
CLEAR_INSTRUCTIONS = frozenset({"off", "none", "clear"})
CLEAR_SCOPE = frozenset({"all", "off", "none"})


@dataclass(frozen=True, slots=True)
class Guidance:
    instructions: str = ""
    scope: tuple[str, ...] = ()  # knowledge folders (relative, "/"-separated); empty: the whole folder


class ScopeRefused(ValueError):
    """A knowledge folder that can't be a scope: ``folder`` (as typed, cut), ``reason``, and the folders that can."""

    def __init__(self, folder: str, reason: str, available: tuple[str, ...] = ()) -> None:
        super().__init__(f"{folder!r}: {reason}")
        self.folder = folder
        self.reason = reason
        self.available = available


def clean_instructions(text: str) -> str:
    """The instructions as stored: control characters (but line breaks and tabs) dropped, lines trimmed."""
    kept = "".join(ch for ch in text.replace("\r\n", "\n").replace("\r", "\n")
                   if ch in "\n\t" or unicodedata.category(ch) not in ("Cc", "Cf", "Cs", "Co", "Cn"))
    return "\n".join(line.rstrip() for line in kept.strip().split("\n"))


def in_scope(source: str, scope: tuple[str, ...]) -> bool:
    """Whether a document (its path in the knowledge folder) is in one of the scope's folders."""
    return any(source.startswith(folder + "/") for folder in scope)


def top_folders(root: Path) -> tuple[str, ...]:
    """The knowledge folder's own (not hidden, not linked) folders, sorted."""
    try:
        return tuple(sorted(e.name for e in root.iterdir()
                            if not e.name.startswith(".") and e.is_dir() and not e.is_symlink())[:SHOWN_FOLDERS])
    except OSError:
        return ()


def scope_folders(root: Path, typed: str) -> tuple[str, ...]:
    """The folders ``typed`` names (separated by commas; without one, a folder whose name has spaces, else
    several separated by spaces), each checked to be a real folder inside ``root`` reached without a link (the
    index does not enter linked folders, and nothing outside is read); raises :class:`ScopeRefused` for the
    first one that isn't."""
    base = root.resolve()
    whole = typed.strip()
    if "," in whole:
        names = [n.strip() for n in whole.split(",") if n.strip()]
    elif len(whole.split()) > 1:
        try:
            return (_folder(root, base, whole),)
        except ScopeRefused:
            names = whole.split()
    else:
        names = [whole] if whole else []
    if not names:
        raise ScopeRefused("", "no folder named", top_folders(root))
    if len(names) > MAX_FOLDERS:
        raise ScopeRefused(names[MAX_FOLDERS][:80], f"more than {MAX_FOLDERS} folders")
    found: list[str] = []
    for name in names:
        folder = _folder(root, base, name)
        if folder not in found:
            found.append(folder)
    return tuple(found)


def _folder(root: Path, base: Path, name: str) -> str:
    shown = name[:80]
    if len(name) > MAX_FOLDER_CHARS or "\\" in name or "\x00" in name or name.startswith(("/", "~")) \
            or (len(name) > 1 and name[1] == ":"):
        raise ScopeRefused(shown, "not a folder inside the knowledge folder (name it relative to it, e.g. `billing`)",
                           top_folders(root))
    parts = [p for p in name.split("/") if p]
    if parts and parts[0] == root.name and not (root / parts[0]).exists():
        parts = parts[1:]  # "knowledge/billing", as the docs write it
    if not parts or any(p in (".", "..") or p.startswith(".") for p in parts):
        raise ScopeRefused(shown, "not a folder inside the knowledge folder", top_folders(root))
    rel = PurePosixPath(*parts)
    path = root.joinpath(*parts)
    try:
        real = path.resolve(strict=True)
    except (OSError, RuntimeError):
        raise ScopeRefused(shown, "no such folder", top_folders(root)) from None
    if real != base.joinpath(*parts):  # a link on the way: outside, or a folder the index doesn't enter
        raise ScopeRefused(shown, "it is (or goes through) a link; name the folder itself", top_folders(root))
    if not real.is_dir():
        raise ScopeRefused(shown, "not a folder", top_folders(root))
    return rel.as_posix()


def stored_scope(value: object) -> tuple[str, ...]:
    """The scope as read from the settings: only relative, dot-free folder paths (a damaged value is logged
    and its bad entries left out)."""
    if value is None:
        return ()
    items = value if isinstance(value, list) else [value]
    scope: list[str] = []
    for item in items:
        if isinstance(item, str) and item and not item.startswith("/") and "\\" not in item \
                and not any(p in ("", ".", "..") for p in item.split("/")):
            scope.append(item)
        else:
            log.warning("damaged knowledge scope entry left out", extra={"entry": repr(item)[:100]})
    return tuple(scope)


def stored_instructions(value: object) -> str:
    if not isinstance(value, str):
        if value is not None:
            log.warning("damaged channel instructions left out", extra={"type": type(value).__name__})
        return ""
    return clean_instructions(value)[:MAX_INSTRUCTIONS_CHARS]


async def read_guidance(settings: ChannelSettingsStore, channel_key: str) -> Guidance:
    """The channel's guidance now (a thread's is its channel's: the key names the channel)."""
    instructions = await settings.get(channel_key, INSTRUCTIONS, None)
    scope = await settings.get(channel_key, KNOWLEDGE, None)
    return Guidance(stored_instructions(instructions), stored_scope(scope))
