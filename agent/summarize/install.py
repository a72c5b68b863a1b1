"""Installer: the summarizer service and the ``summarize_conversation`` tool (nothing heavy loads here)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from agent.services import Services


def install(services: Services) -> None:
    from agent.brainstorm.service import Brainstormer
    from agent.summarize.service import Summarizer
    from agent.tools.brainstorm import make_brainstorm_tool
    from agent.tools.summarize import make_summarize_tool

    services.features["summarizer"] = Summarizer(services)
    services.features["brainstorm"] = Brainstormer(services)
    services.tools.append(make_summarize_tool(services))
    services.tools.append(make_brainstorm_tool(services))
