"""Installer: the classification service and its tools (the text model loads on first use)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from agent.services import Services


def install(services: Services) -> None:
    from agent.classify.service import Classification
    from agent.tools.classify import make_classify_tools

    chat_model = None if services.settings.is_offline else services.chat_model
    services.features["classify"] = Classification(services.settings, lambda: services.embedder, chat_model)
    services.tools.extend(make_classify_tools(services))
