"""Structure-aware chunking: sections by heading, then paragraphs packed up to a size.

Each chunk keeps its file, heading path and 1-based line range, which is what citations show; its
text keeps the blank lines between its paragraphs, so line ``start_line + k`` of the file is line ``k`` of
the text. Headings: Markdown ATX (``# Title``) and underlined titles (Markdown setext and reStructuredText,
levels by order of appearance as in docutils). Code fences are never read as headings, and split only when huge.
Each item of a bulleted list is a chunk of its own (a list of settings or rules is a list of separate facts,
each found and quoted by itself); numbered lists are steps and stay together.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_CHARS = 1200
_ATX = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
_UNDERLINE = re.compile(r"^([=\-~^*+#`:.'\"_])\1{2,}\s*$")
# a code fence, and a top-level bullet item: how chunks are cut here and read again by passages.py
FENCE = re.compile(r"^\s*(```|~~~)")
BULLET = re.compile(r"^[-*+]\s+\S")


@dataclass(frozen=True, slots=True)
class Chunk:
    source: str
    heading: str  # "Title > Section > Subsection"
    start_line: int
    end_line: int
    text: str
    context: str = ""  # the document's front matter, if any

    def embedding_text(self) -> str:
        """What gets embedded and keyword-indexed: file name, heading path and the document's front
        matter give a passage its topic."""
        title = self.source.rsplit("/", 1)[-1].rsplit(".", 1)[0].replace("-", " ").replace("_", " ")
        head = " | ".join(part for part in (title, self.heading, self.context) if part)
        return f"{head}\n{self.text}"


@dataclass
class _Section:
    path: list[str]
    start: int
    lines: list[tuple[int, str]]


def chunk_text(source: str, text: str, max_chars: int = MAX_CHARS, context: str = "") -> list[Chunk]:
    chunks: list[Chunk] = []
    for section in _sections(text.split("\n")):
        heading = " > ".join(section.path)
        for start, end, body in _pack(_paragraphs(section.lines), max_chars):
            chunks.append(Chunk(source, heading, start, end, body, context))
    return chunks


def _sections(lines: list[str]) -> list[_Section]:
    sections = [_Section([], 1, [])]
    path: list[tuple[int, str]] = []  # (level, title)
    underline_levels: dict[str, int] = {"=": 1, "-": 2}  # Markdown setext; rst titles usually agree
    in_fence = False
    skip_next = False
    for index, line in enumerate(lines):
        number = index + 1
        if skip_next:
            skip_next = False
            continue
        if FENCE.match(line):
            in_fence = not in_fence
        title, level = None, 0
        if not in_fence:
            if match := _ATX.match(line):
                title, level = match.group(2), len(match.group(1))
            elif (line.strip() and index + 1 < len(lines) and (under := _UNDERLINE.match(lines[index + 1]))
                  and len(lines[index + 1].strip()) >= min(3, len(line.strip()))
                  and not line.lstrip().startswith(("-", "*", "|", ">"))):
                char = under.group(1)
                level = underline_levels.setdefault(char, len(underline_levels) + 1)
                title = line.strip()
                skip_next = True
        if title is not None:
            path = [(lv, t) for lv, t in path if lv < level] + [(level, title.strip())]
            sections.append(_Section([t for _, t in path], number, []))
            continue
        sections[-1].lines.append((number, line))
    return [s for s in sections if any(text.strip() for _, text in s.lines)]


def _paragraphs(lines: list[tuple[int, str]]) -> list[tuple[int, int, str]]:
    """Blank-line separated blocks (a fenced code block is one block, a bulleted list one block per item),
    as (first, last, text)."""
    blocks: list[tuple[int, int, str]] = []
    current: list[tuple[int, str]] = []
    in_fence = False

    def flush() -> None:
        if current and any(t.strip() for _, t in current):
            blocks.extend(_items(current))
        current.clear()

    for number, text in lines:
        if FENCE.match(text):
            in_fence = not in_fence
        if not text.strip() and not in_fence:
            flush()
            continue
        current.append((number, text))
    flush()
    return blocks


def _items(block: list[tuple[int, str]]) -> list[tuple[int, int, str]]:
    """A block split before each top-level bullet (its indented lines stay with it)."""
    parts: list[list[tuple[int, str]]] = [[]]
    for number, text in block:
        if BULLET.match(text) and parts[-1]:
            parts.append([])
        parts[-1].append((number, text))
    return [(part[0][0], part[-1][0], "\n".join(t for _, t in part).strip("\n")) for part in parts]


def _pack(blocks: list[tuple[int, int, str]], max_chars: int) -> list[tuple[int, int, str]]:
    """Greedy packing of consecutive blocks (a bullet item stays alone); an over-long block is split on
    sentences/words. Blocks are joined with the blank lines that separated them in the file."""
    packed: list[tuple[int, int, str]] = []
    start = end = 0
    parts: list[str] = []

    def close() -> None:
        if parts:
            packed.append((start, end, "".join(parts)))
            parts.clear()

    for first, last, text in blocks:
        fenced = FENCE.match(text) is not None
        if len(text) > (4 * max_chars if fenced else max_chars):  # code stays whole unless huge
            close()
            packed.extend(_split_long(first, text, max_chars))
            continue
        alone = BULLET.match(text) is not None
        if parts and (alone or sum(len(p) for p in parts) + (first - end) + len(text) > max_chars):
            close()
        if parts:
            parts.append("\n" * (first - end) + text)
        else:
            start = first
            parts.append(text)
        end = last
        if alone:
            close()
    close()
    return packed


def _split_long(first: int, text: str, max_chars: int) -> list[tuple[int, int, str]]:
    """Pieces of an over-long block, each with its own lines (pieces overlap a little)."""
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    splitter = RecursiveCharacterTextSplitter(chunk_size=max_chars, chunk_overlap=max_chars // 10,
                                              separators=["\n\n", "\n", ". ", " ", ""])
    pieces: list[tuple[int, int, str]] = []
    at = 0
    for piece in (p.strip() for p in splitter.split_text(text)):
        if not piece:
            continue
        found = text.find(piece, at)
        if found < 0:  # not expected: the splitter keeps the text; fall back to the block's first line
            found = at
        else:
            at = found + 1
        line = first + text.count("\n", 0, found)
        pieces.append((line, line + piece.count("\n"), piece))
    return pieces
