"""Chat-model factory: the offline default, or any LangChain ``init_chat_model`` spec.

``CONFAB_MODEL=offline`` (default) needs no key and no network. Anything else is a
``provider:model`` spec handed to LangChain (``openai:gpt-4.1-mini``, ``ollama:llama3.1``,
``anthropic:claude-…``); ``OPENAI_BASE_URL`` points the OpenAI provider at any compatible server.
"""

from __future__ import annotations

import difflib
import importlib.util
import logging
import os
from typing import TYPE_CHECKING, Any

from agent.errors import ConfigError

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

    from agent.settings import Settings

log = logging.getLogger(__name__)

# the environment variable each provider's LangChain package reads its key from (providers not listed
# authenticate otherwise, e.g. ollama needs none and bedrock uses the AWS chain)
PROVIDER_KEYS: dict[str, str] = {
    "anthropic": "ANTHROPIC_API_KEY", "azure_openai": "AZURE_OPENAI_API_KEY", "cohere": "COHERE_API_KEY",
    "deepseek": "DEEPSEEK_API_KEY", "fireworks": "FIREWORKS_API_KEY", "google_genai": "GOOGLE_API_KEY",
    "groq": "GROQ_API_KEY", "mistralai": "MISTRAL_API_KEY", "openrouter": "OPENROUTER_API_KEY",
    "perplexity": "PPLX_API_KEY", "together": "TOGETHER_API_KEY", "xai": "XAI_API_KEY",
}


def _builtin_providers() -> dict[str, Any] | None:
    """LangChain's provider table (provider -> module, class, …); None for a LangChain without it."""
    try:
        from langchain.chat_models.base import _BUILTIN_PROVIDERS
    except ImportError:
        return None
    return dict(_BUILTIN_PROVIDERS)


def provider_module(provider: str) -> str:
    """The Python module LangChain imports for ``provider`` (``langchain_ollama`` for ollama)."""
    known = (_builtin_providers() or {}).get(provider)
    return known[0].split(".")[0] if known else f"langchain_{provider}"


def _unknown_provider(model: str, provider: str) -> str | None:
    """What to say when LangChain has no ``provider`` (a typo such as ``opneai``): the likely one and the
    known ones. None when it has it, or when its table cannot be read (then the package check speaks)."""
    known = _builtin_providers()
    if known is None or provider in known:
        return None
    likely = difflib.get_close_matches(provider.lower(), known, n=1)
    hint = f"did you mean {likely[0]!r}? " if likely else ""
    return (f"CONFAB_MODEL={model}: LangChain knows no provider {provider!r}; {hint}use provider:model with one of "
            f"{', '.join(sorted(known))}, or set CONFAB_MODEL=offline")


def check_chat_model(settings: Settings) -> None:
    """Raise ConfigError, naming the fix, when ``CONFAB_MODEL`` cannot work here: its provider's
    LangChain package is not installed or its API key is not set. No network; cheap enough for start-up."""
    if settings.is_offline:
        return
    provider, _, name = settings.model.partition(":")
    if not provider or not name:
        raise ConfigError(f"CONFAB_MODEL={settings.model!r}: use provider:model, e.g. openai:gpt-4.1-mini")
    unknown = _unknown_provider(settings.model, provider)
    if unknown:
        raise ConfigError(unknown)
    module = provider_module(provider)
    if importlib.util.find_spec(module) is None:
        package = module.replace("_", "-")
        raise ConfigError(f"CONFAB_MODEL={settings.model}: the {provider!r} provider needs the {package} package, "
                          f"which is not installed; install it (pip install {package}) or set CONFAB_MODEL=offline")
    if provider == "openai":
        if settings.openai_api_key is None and settings.openai_base_url is None:
            raise ConfigError(f"CONFAB_MODEL={settings.model} needs OPENAI_API_KEY (or OPENAI_BASE_URL for an "
                              "OpenAI-compatible server); set it, or set CONFAB_MODEL=offline")
        return
    key = PROVIDER_KEYS.get(provider)
    if key and not os.environ.get(key, "").strip():
        raise ConfigError(f"CONFAB_MODEL={settings.model} needs {key} in the environment; set it, "
                          "or set CONFAB_MODEL=offline")


def probe_chat_model(settings: Settings, timeout_s: float = 20.0) -> str:
    """One call of at most one token to the configured model; its reply text. Raises what the provider raises."""
    model = make_chat_model(settings.model_copy(update={"agent_model_timeout_s": timeout_s}), max_tokens=1)
    reply = model.invoke("Reply with the single word: ok")
    return str(reply.content)


def make_chat_model(settings: Settings, **extra: Any) -> BaseChatModel:
    if settings.is_offline:
        from agent.offline import OfflineChatModel

        return OfflineChatModel(bot_name=settings.bot_name)
    check_chat_model(settings)
    provider, _, name = settings.model.partition(":")
    kwargs: dict[str, Any] = {
        "temperature": settings.model_temperature,
        "timeout": settings.agent_model_timeout_s,
        "max_retries": 1,
        **extra,
    }
    if provider == "openai":
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
