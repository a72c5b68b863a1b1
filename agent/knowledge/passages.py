"""Focused quotes: the sentences or lines of a retrieved passage that answer the question.

A passage (a chunk) is read as units: a prose paragraph's sentences, a list item, a numbered list
(steps go together), a code block or a table. The unit most similar to the question is quoted with
what it needs: the rest of a short paragraph, the sentence its "it"/"this" points back to, the opening
sentence of a long paragraph before its second (the opening names the subject), the next
sentence when it carries on ("Set it to 0 …") or is as relevant, and the list or code a sentence
ending in ":" introduces. A quote is always whole sentences or whole lines, never cut mid-sentence,
and it cites exactly the lines it spans (chunk text keeps the file's line breaks, see chunking.py).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from agent.knowledge.chunking import BULLET, FENCE, Chunk
from agent.words import content_words

SHORT_PARAGRAPH = 320  # chars: a paragraph this short is quoted whole
MAX_QUOTE = 600  # chars: growing a quote stops here (a single unit is never cut)
AS_RELEVANT = 0.05  # a neighbouring sentence this close to the best one's score joins the quote

_NUMBERED = re.compile(r"^\d{1,3}[.)]\s+\S")
_TABLE = re.compile(r"^\s*\|")
# a sentence ends at . ! ? (then maybe a closing quote, bracket, backtick or emphasis) before a space and
# something that can start a sentence
_END = re.compile(r"(?<=[.!?])[\"')\]`*_]*\s+(?=[\"'(\[`*_]?[A-Z0-9`])")
_ABBREVIATION = re.compile(r"(?i)\b(e\.g|i\.e|etc|vs|cf|approx|fig|no|dr|mr|mrs|ms|st|al)\.$")
_POINTS_BACK = re.compile(r"^(it|its|this|that|these|those|they|them|then|there|such|so|also|otherwise|"
                          r"here|set it|to do (so|this)|in that case)\b", re.I)


@dataclass(frozen=True, slots=True)
class Unit:
    block: int  # which blank-line separated block of the chunk
    kind: str  # "sentence", "item", "steps", "code" or "table"
    first: int  # file lines
    last: int
    text: str


@dataclass(frozen=True, slots=True)
class Quote:
    text: str  # markdown, without the "> " prefixes
    first: int
    last: int
    score: float  # similarity of the question and the best unit
    matched: frozenset[str] = frozenset()  # the question's content words the quote holds (ranking.quote_hits)


def units(chunk: Chunk) -> list[Unit]:
    lines = chunk.text.split("\n")
    found: list[Unit] = []
    for block, (offset, block_lines) in enumerate(_blocks(lines)):
        first = chunk.start_line + offset
        last = first + len(block_lines) - 1
        head = block_lines[0]
        if FENCE.match(head):
            found.append(Unit(block, "code", first, last, "\n".join(block_lines)))
        elif BULLET.match(head):
            found.append(Unit(block, "item", first, last, "\n".join(block_lines)))
        elif _NUMBERED.match(head):
            found.append(Unit(block, "steps", first, last, "\n".join(block_lines)))
        elif _TABLE.match(head):
            found.append(Unit(block, "table", first, last, "\n".join(block_lines)))
        else:
            found.extend(_sentences(block, first, block_lines))
    return found


def focus(chunk: Chunk, scores: Sequence[float], found: Sequence[Unit] | None = None) -> Quote:
    """The quote for ``chunk``, from each unit's similarity to the question (``scores``, in ``units`` order)."""
    found = list(found) if found is not None else units(chunk)
    if not found:
        return Quote(chunk.text.strip(), chunk.start_line, chunk.end_line, 0.0)
    best = max(range(len(found)), key=lambda i: scores[i])
    chosen = {best}
    unit = found[best]
    if unit.kind == "sentence":
        paragraph = [i for i, u in enumerate(found) if u.block == unit.block]
        if sum(len(found[i].text) + 1 for i in paragraph) <= SHORT_PARAGRAPH:
            chosen.update(paragraph)
        else:
            low = high = best
            # the sentence "it"/"this" points back to, and a paragraph's opening sentence before its second: the
            # opening names what the paragraph is about ("`/reindex` re-reads the folder now. Normally this is not
            # needed: …", "… has 👍 and 👎 buttons under it. Click one to say whether the answer helped")
            if (_POINTS_BACK.match(found[low].text) or low - 1 == paragraph[0]) and low - 1 in paragraph:
                low -= 1
            while (high + 1 in paragraph and _size(found, low, high + 1) <= MAX_QUOTE
                   and (_POINTS_BACK.match(found[high + 1].text) or scores[high + 1] >= scores[best] - AS_RELEVANT)):
                high += 1
            chosen.update(range(low, high + 1))
    else:  # a list, code or table: with the sentence that introduces it
        before = best - 1
        if before >= 0 and found[before].block == unit.block - 1 and found[before].text.rstrip().endswith(":"):
            chosen.add(before)
    last = max(chosen)
    if found[last].text.rstrip().endswith(":") and last + 1 < len(found) and found[last + 1].kind != "sentence":
        chosen.add(last + 1)  # "Start it with Docker Compose:" and its code block
    picked = [found[i] for i in sorted(chosen)]
    return Quote(_join(picked), picked[0].first, picked[-1].last, float(scores[best]))


def lexical_scores(question: str, texts: Sequence[str]) -> list[float]:
    """Share of the question's (stemmed, content) words in each text: the scorer when no embedder is used."""
    wanted, *found = content_words([question, *texts])
    if not wanted:
        return [0.0] * len(texts)
    return [len(set(wanted) & set(words)) / len(set(wanted)) for words in found]


def _blocks(lines: list[str]) -> list[tuple[int, list[str]]]:
    blocks: list[tuple[int, list[str]]] = []
    current: list[str] = []
    start = 0
    in_fence = False
    for index, line in enumerate(lines):
        if FENCE.match(line):
            in_fence = not in_fence
        if not line.strip() and not in_fence:
            if current:
                blocks.append((start, current))
            current = []
            continue
        if not current:
            start = index
        current.append(line)
    if current:
        blocks.append((start, current))
    return blocks


def _sentences(block: int, first: int, lines: list[str]) -> list[Unit]:
    text = "\n".join(lines)
    starts = [0]
    for match in _END.finditer(text):
        if not _ABBREVIATION.search(text[: match.start()]):
            starts.append(match.end())
    found = []
    for begin, end in zip(starts, [*starts[1:], len(text)], strict=True):
        sentence = text[begin:end].strip()
        if sentence:
            line = first + text.count("\n", 0, begin)
            found.append(Unit(block, "sentence", line, line + sentence.count("\n"), " ".join(sentence.split())))
    return found


def _size(found: Sequence[Unit], low: int, high: int) -> int:
    return sum(len(found[i].text) + 1 for i in range(low, high + 1))


def _join(picked: Sequence[Unit]) -> str:
    parts: list[str] = []
    for previous, unit in zip([None, *picked[:-1]], picked, strict=True):
        if previous is None:
            parts.append(unit.text)
        elif previous.block == unit.block and unit.kind == "sentence":
            parts.append(" " + unit.text)  # sentences of one paragraph, reflowed
        elif unit.kind == "sentence":
            parts.append("\n\n" + unit.text)  # the next paragraph
        else:
            parts.append("\n" + unit.text)  # the list or code a sentence introduces
    return "".join(parts)
