"""Installer: the image service and the ``generate_image`` tool (nothing heavy loads here)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from agent.services import Services


def install(services: Services) -> None:
    from agent.images.service import ImageService
    from agent.tools.images import make_image_tool

    refine = None
    if not services.settings.is_offline:
        from agent.images.service import REFINE_INSTRUCTIONS

        async def refine_prompt(prompt: str) -> str:
            reply = await services.chat_model.ainvoke(REFINE_INSTRUCTIONS.format(prompt=prompt))
            return str(reply.content)

        refine = refine_prompt
    services.features["images"] = ImageService(services.settings, services.memory, refine=refine)
    services.tools.append(make_image_tool(services))
