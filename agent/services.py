"""The long-lived parts of Confab's brain, built once at start-up and handed down.

Feature services (knowledge base, classifiers, image generator, summarizer …) are attached by
:func:`open_services`; each is optional so the core runs with whatever is installed and configured.
Heavy ones load lazily, so start-up stays fast.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from agent.memory.store import MemoryStore
from agent.settings import Settings

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel
    from langchain_core.tools import BaseTool

    from agent.embeddings import Embedder

log = logging.getLogger(__name__)

# Functions that add a feature's service to Services; each feature module appends its own.
ServiceInstaller = Callable[["Services"], None]


@dataclass
class Services:
    settings: Settings
    memory: MemoryStore
    chat_model: BaseChatModel
    # feature services by name ("knowledge", "spam", "sentiment", "images", "summarizer", …)
    features: dict[str, Any] = field(default_factory=dict)
    # LangChain tools the agent may call, contributed by features
    tools: list[BaseTool] = field(default_factory=list)
    _embedder: Embedder | None = None

    @property
    def embedder(self) -> Embedder:
        """The configured sentence embedder, created on first use."""
        if self._embedder is None:
            from agent.embeddings import make_embedder

            self._embedder = make_embedder(self.settings)
        return self._embedder

    def feature(self, name: str) -> Any:
        return self.features.get(name)

    async def close(self) -> None:
        for service in self.features.values():
            closer = getattr(service, "aclose", None)
            if closer is not None:
                try:
                    await closer()
                except (Exception, asyncio.CancelledError):  # its work was cancelled by a forced stop
                    log.exception("error while closing a service")
        await self.memory.close()


# Installers run in order by open_services; feature modules are listed here by dotted path
# to a function ``install(services) -> None``.
FEATURE_INSTALLERS: list[str] = [
    "agent.knowledge.install:install",
    "agent.images.install:install",
    "agent.classify.install:install",
    "agent.summarize.install:install",
]


async def open_services(settings: Settings, *, chat_model: BaseChatModel | None = None) -> Services:
    import importlib

    from agent.models import make_chat_model

    chat_model = chat_model or make_chat_model(settings)  # a misconfigured model fails before anything opens
    memory = await MemoryStore.open(settings.database)
    services = Services(settings=settings, memory=memory, chat_model=chat_model)
    try:
        for path in FEATURE_INSTALLERS:
            module_name, _, func_name = path.partition(":")
            installer: ServiceInstaller = getattr(importlib.import_module(module_name), func_name or "install")
            installer(services)
        if settings.retention_days:
            await memory.prune(settings.retention_days)
    except BaseException:  # an open store's threads would keep the process alive after the error
        await services.close()
        raise
    return services
