"""Citations in a model's answer may only point at passages retrieved in that turn.

The model sees passages numbered [1], [2], ...; any marker in its answer that is not one of them
is removed (a model inventing "[7]" would otherwise look sourced), and a Sources list of the
markers actually used is appended, built from our records, not from the model's text.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from agent.knowledge.loaders import display_name
from agent.tools.base import Citation

_MARKER = re.compile(r"\s?\[(\d{1,3})\]")
_MODEL_SOURCES = re.compile(r"\n+\**(sources|references)\**:?\**\s*\n?(.*)$", re.I | re.S)


def enforce_citations(answer: str, citations: Sequence[Citation]) -> str:
    known = {c.marker: c for c in citations}
    used: list[int] = []

    def keep(match: re.Match[str]) -> str:
        marker = int(match.group(1))
        if marker not in known:
            return ""
        if marker not in used:
            used.append(marker)
        return match.group(0)

    body = _MODEL_SOURCES.sub("", answer) if known else answer
    body = _MARKER.sub(keep, body).rstrip()
    if not used:
        return body
    return body + "\n\n" + format_sources([known[m] for m in sorted(used)])


def format_sources(citations: Sequence[Citation]) -> str:
    return "Sources: " + " · ".join(f"[{c.marker}] {cite_label(c)}" for c in citations)


def cite_label(citation: Citation) -> str:
    """``file › Section (lines 3-9)`` or ``(line 8)``, as a link when the knowledge base has a public URL. A file
    name's control characters are shown escaped: a newline in one forged a line of the answer."""
    where = display_name(citation.source) + (f" › {citation.heading.split(' > ')[-1]}" if citation.heading else "")
    label = f"[{where}]({citation.url})" if citation.url else where
    if citation.lines and citation.lines[0]:
        first, last = citation.lines
        label += f" (line {first})" if first == last else f" (lines {first}-{last})"
    return label
