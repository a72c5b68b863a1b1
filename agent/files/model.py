"""What a turn knows of a file attached to the message it answers."""

from __future__ import annotations

from dataclasses import dataclass

from agent.errors import ConfabError
from agent.knowledge.chunking import Chunk


@dataclass(frozen=True, slots=True)
class AttachedFile:
    """A file read for a turn: ``chunks`` of its text (cited like the knowledge base's passages: file name,
    section or page, lines) or, for an image, its bytes. ``kind``: markdown | text | rst | html | pdf | image;
    ``lines``: True when line numbers in citations are the file's own (not for converted PDF and HTML)."""

    name: str
    kind: str
    chunks: tuple[Chunk, ...] = ()
    image: bytes = b""
    mime: str = ""

    @property
    def is_image(self) -> bool:
        return self.kind == "image"

    @property
    def lines(self) -> bool:
        return self.kind not in ("pdf", "html")

    @property
    def chars(self) -> int:
        return sum(len(c.text) for c in self.chunks)


class FileUnreadable(ConfabError):
    """A file that came with the message could not be read; ``user_message`` says why, briefly."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason, user_message=reason)
        self.reason = reason
