"""What tools hand back to the agent core besides the text the model reads.

Tools are LangChain tools with ``response_format="content_and_artifact"``: the content is what a
model reads (retrieved or user-written text is delimited and marked as untrusted data), the
artifact is a :class:`ToolOutput` with a complete human-ready rendering (what the offline model
shows), files to post, and the citations a model's answer may refer to.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from agent.layout import Layout


@dataclass(frozen=True, slots=True)
class FileOut:
    filename: str
    data: bytes
    mime: str = "image/png"
    alt_text: str = ""


@dataclass(frozen=True, slots=True)
class Citation:
    marker: int  # the [n] the model sees
    source: str  # file path relative to the knowledge folder
    heading: str = ""
    lines: tuple[int, int] | None = None
    url: str | None = None


@dataclass(frozen=True, slots=True)
class ToolOutput:
    tool: str
    for_user: str
    files: tuple[FileOut, ...] = ()
    citations: tuple[Citation, ...] = ()
    ok: bool = True
    extra: dict[str, object] = field(default_factory=dict)
    layout: Layout | None = None  # ``for_user``'s structure, for platforms that render it (e.g. a summary)
