"""Installer: the image service and the ``generate_image`` tool (nothing heavy loads here)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from agent.services import Services


def install(services: Services) -> None:
    from agent.images.service import ImageService
    from agent.tools.images import make_image_tool

    services.features["images"] = ImageService(services.settings, services.memory)
    services.tools.append(make_image_tool(services))
