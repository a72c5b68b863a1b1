"""What a configured model is given of the files attached to the message it answers.

Text files: their passages, numbered [n] in the knowledge base's data wrapper (data, never instructions), from
the start of each file until the files' share of the turn's token budget is spent; the rest can be searched
with the ``read_attached_files`` tool. The citations of those numbers are the turn's from the start, so the
model may cite them. Images: OpenAI-style ``image_url`` content parts (base64 data URLs), which LangChain
passes to any provider that accepts images, only when ``CONFAB_MODEL_VISION`` says the model does.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from agent.files.model import AttachedFile
from agent.files.search import TOOL, passage_block
from agent.knowledge.chunking import Chunk
from agent.tools.base import Citation

FILES_BUDGET_SHARE = 0.3  # of the turn's token budget, at ~4 characters per token
IMAGE_TOKENS = 1000  # what an image costs a turn, counted against the budget instead of its base64 length


@dataclass(frozen=True, slots=True)
class FilePrompt:
    text: str = ""  # the passages block ("" without text files)
    images: tuple[dict[str, Any], ...] = ()  # content parts for the person's message
    citations: tuple[Citation, ...] = field(default=())


def file_prompt(files: Sequence[AttachedFile], token_budget: int, vision: bool) -> FilePrompt:
    allowance = int(token_budget * FILES_BUDGET_SHARE) * 4
    passages: list[tuple[Citation, Chunk]] = []
    left_out = 0
    for file in files:
        for chunk in file.chunks:
            allowance -= len(chunk.text) + 80
            if allowance < 0:
                left_out += 1
                continue
            lines = (chunk.start_line, chunk.end_line) if file.lines else None
            passages.append((Citation(len(passages) + 1, file.name, chunk.heading, lines), chunk))
    text = ""
    if passages:
        text = passage_block("Passages from the files attached to the user's message (cite them as [n]).", passages)
        if left_out:
            text += (f"\n({left_out} more passages of the files are not shown here: search them with the {TOOL} "
                     "tool when the question needs them.)")
    images = tuple(image_part(f) for f in files if f.is_image) if vision else ()
    return FilePrompt(text, images, tuple(c for c, _ in passages))


def image_part(file: AttachedFile) -> dict[str, Any]:
    data = base64.b64encode(file.image).decode("ascii")
    return {"type": "image_url", "image_url": {"url": f"data:{file.mime};base64,{data}"}}
