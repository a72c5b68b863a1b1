"""The ``generate_image`` tool: a real image, posted to the conversation as a file."""

from __future__ import annotations

from typing import TYPE_CHECKING

from langchain_core.tools import BaseTool, StructuredTool

from agent.context import report, require_turn
from agent.tools.base import ToolOutput

if TYPE_CHECKING:
    from agent.images.service import ImageService


def make_image_tool(images: ImageService) -> BaseTool:
    async def generate_image(prompt: str, size: str = "1024x1024", style: str = "") -> tuple[str, ToolOutput]:
        turn = require_turn()
        report("drawing…")
        result = await images.create(prompt, turn.author_id, turn.channel_key, turn.thread, size, style)
        if not result.ok or result.file is None:
            return result.message, ToolOutput("generate_image", result.message, ok=False)
        return (f"The image was generated and will be posted with your answer (prompt used: {result.prompt!r}). "
                "Do not describe it as if you could see it.",
                ToolOutput("generate_image", result.message, files=(result.file,)))

    return StructuredTool.from_function(
        coroutine=generate_image,
        name="generate_image",
        description=(
            "Generate an image from a text prompt and post it in the conversation. Write a concrete, visual "
            "prompt (subject, style, composition, colours). `size`: 1024x1024 (default), 1024x1536, 1536x1024. "
            "`style`: optional, 'vivid' or 'natural'. A short follow-up such as 'make it bluer' in the same thread "
            "revises the previous image's prompt."),
        response_format="content_and_artifact",
    )
