"""Installer: the knowledge service and the ``search_knowledge`` tool (nothing heavy loads here)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from agent.services import Services


def install(services: Services) -> None:
    from agent.knowledge.service import KnowledgeService
    from agent.tools.knowledge import make_knowledge_tool

    services.features["knowledge"] = KnowledgeService(services.settings, lambda: services.embedder)
    services.tools.append(make_knowledge_tool(services))
