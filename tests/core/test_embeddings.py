"""The local embedder: unit vectors, a bounded cache of recent texts, and junk-proof input."""

from typing import Any

import numpy as np

from agent.embeddings import LocalEmbedder, shared_local_embedder


def test_cache_reuses_vectors_and_stays_bounded(monkeypatch: Any) -> None:
    embedder = LocalEmbedder(cache_size=3)
    embedder._model = shared_local_embedder()._load()  # the loaded model, a private cache
    encoded: list[list[str]] = []
    encode = embedder._encode
    monkeypatch.setattr(embedder, "_encode", lambda texts: (encoded.append(texts), encode(texts))[1])

    first = embedder.embed(["the deploy failed", "lunch at noon?"])
    again = embedder.embed(["lunch at noon?", "the deploy failed", "a new one"])
    assert encoded == [["the deploy failed", "lunch at noon?"], ["a new one"]]
    assert np.array_equal(again[:2], first[::-1])
    assert np.allclose(np.linalg.norm(again, axis=1), 1.0, atol=1e-5)
    embedder.embed(["four", "five"])
    assert len(embedder._cache) == 3
    assert embedder.embed([]).shape == (0, 384)


def test_text_that_is_not_valid_unicode() -> None:
    [vector] = shared_local_embedder().embed(["\ud800 lone surrogate"])
    assert np.isfinite(vector).all()
