"""Chat-model factory: the offline default, or any LangChain ``init_chat_model`` spec.

``CONFAB_MODEL=offline`` (default) needs no key and no network. Anything else is a
``provider:model`` spec handed to LangChain (``openai:gpt-4.1-mini``, ``ollama:llama3.1``,
``anthropic:claude-…``); ``OPENAI_BASE_URL`` points the OpenAI provider at any compatible server.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from agent.errors import ConfigError

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

    from agent.settings import Settings

log = logging.getLogger(__name__)


def make_chat_model(settings: Settings) -> BaseChatModel:
    if settings.is_offline:
        from agent.offline import OfflineChatModel

        return OfflineChatModel(bot_name=settings.bot_name)
    provider, _, name = settings.model.partition(":")
    kwargs: dict[str, Any] = {
        "temperature": settings.model_temperature,
        "timeout": settings.agent_model_timeout_s,
        "max_retries": 1,
    }
    if provider == "openai":
        if settings.openai_api_key is None and settings.openai_base_url is None:
            raise ConfigError("OPENAI_API_KEY is required for an openai: model (or set OPENAI_BASE_URL)")
        kwargs["api_key"] = settings.openai_api_key.get_secret_value() if settings.openai_api_key else "not-set"
        if settings.openai_base_url:
            kwargs["base_url"] = settings.openai_base_url
        kwargs["stream_usage"] = True
    try:
        from langchain.chat_models import init_chat_model

        model = init_chat_model(name, model_provider=provider, **kwargs)
    except ImportError as exc:
        raise ConfigError(
            f"CONFAB_MODEL: provider {provider!r} needs its LangChain package ({exc.name or exc}); "
            f"install it, e.g. pip install langchain-{provider}"
        ) from None
    except ValueError as exc:
        raise ConfigError(f"CONFAB_MODEL: {exc}") from None
    log.info("chat model configured", extra={"provider": provider, "model": name})
    chat_model: BaseChatModel = model
    return chat_model
