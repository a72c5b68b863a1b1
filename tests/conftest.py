"""Suite-wide fixtures: no network but loopback, no platform/LLM settings from the environment."""

from __future__ import annotations

import gc
import ipaddress
import os
import socket
from collections.abc import Iterator
from typing import Any

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

# the loopback fake OpenAI-compatible server (fixture ``fake_openai``); the real PostgreSQL and Redis of the
# scaled-mode tests (fixtures ``postgres_url``, ``redis_target``)
pytest_plugins = ["tests.fakes.openai_server", "tests.services"]

_ENV_PREFIXES = ("CONFAB_", "SLACK_", "DISCORD_", "OPENAI_", "ANTHROPIC_", "OLLAMA_")


def _is_loopback(address: Any) -> bool:
    if isinstance(address, tuple) and address:
        host = address[0]
    elif isinstance(address, (str, bytes)):
        return True  # AF_UNIX path
    else:
        return False
    if host in ("localhost", ""):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class NetworkBlocked(RuntimeError):
    pass


@pytest.fixture(autouse=True)
def _block_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex

    def guarded_connect(self: socket.socket, address: Any) -> Any:
        if not _is_loopback(address):
            raise NetworkBlocked(f"test tried to reach {address!r}; only loopback is allowed")
        return real_connect(self, address)

    def guarded_connect_ex(self: socket.socket, address: Any) -> Any:
        if not _is_loopback(address):
            raise NetworkBlocked(f"test tried to reach {address!r}; only loopback is allowed")
        return real_connect_ex(self, address)

    monkeypatch.setattr(socket.socket, "connect", guarded_connect)
    monkeypatch.setattr(socket.socket, "connect_ex", guarded_connect_ex)
    yield


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    for name in list(os.environ):
        if name.startswith(_ENV_PREFIXES):
            monkeypatch.delenv(name, raising=False)
    # never read a developer's .env in tests
    monkeypatch.chdir(tmp_path)


@pytest.fixture(scope="session")
def local_embedder() -> Any:
    """One local all-MiniLM-L6-v2 for the whole run (it loads in seconds and takes ~90 MB)."""
    from agent.embeddings import LocalEmbedder

    return LocalEmbedder()


@pytest.fixture(autouse=True)
def _one_local_model(monkeypatch: pytest.MonkeyPatch, local_embedder: Any) -> None:
    """Every app a test builds (``open_deps``) shares the session's local model instead of loading its own."""
    import agent.deps

    monkeypatch.setattr(agent.deps, "LocalEmbedder", lambda **_: local_embedder)


@pytest.fixture(autouse=True)
def _fresh_openai_http_clients() -> Iterator[None]:
    """langchain-openai keeps one httpx client per (base URL, timeout) for the whole process. A process has one
    event loop; tests have one each, and a fake server's loopback port can come round again, so a later test got
    an earlier test's client, bound to its closed loop ("Event loop is closed": one failure in a full run)."""
    yield
    from langchain_openai.chat_models import _client_utils

    _client_utils._cached_async_httpx_client.cache_clear()
    _client_utils._cached_sync_httpx_client.cache_clear()


@pytest.fixture(autouse=True)
def _unfreeze_gc() -> Iterator[None]:
    """The app freezes its startup objects for the process's life; a test's app is gone after it."""
    yield
    gc.unfreeze()


# --- the chat harness ------------------------------------------------------------------------

from collections.abc import AsyncIterator  # noqa: E402

from tests.fakes.harness import Bot, BotFactory  # noqa: E402


@pytest.fixture
async def bot_factory(tmp_path: Any) -> AsyncIterator[BotFactory]:
    """``bot = await bot_factory(chat_model, embedder=..., adapter=..., **settings)``: the one way a test builds
    a bot (``tests.fakes.harness.open_bot``); every bot it built is drained and closed at teardown."""
    factory = BotFactory(tmp_path)
    yield factory
    await factory.aclose()


@pytest.fixture
async def chat(bot_factory: BotFactory) -> Bot:
    """The offline bot behind a recording adapter; ``await chat.say("@confab hi")``."""
    return await bot_factory()


@pytest.fixture
def make_chat(bot_factory: BotFactory) -> Any:
    """``chat = await make_chat(model, moderator=None, **settings)``: the pipeline around ``model`` (the
    offline model when None) and ``moderator`` behind a recording adapter; closed at teardown."""

    async def build(model: Any = None, moderator: Any = None, **settings: Any) -> Bot:
        # moderator None: no spam screen, so tests can repeat themselves
        return await bot_factory(model, moderator=moderator, **settings)

    return build
