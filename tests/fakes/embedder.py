"""A tiny deterministic embedder for tests: similar wording, similar vector; it records its work."""

from __future__ import annotations

import hashlib
import re

import numpy as np


class HashEmbedder:
    """Bag of (lower-cased, crudely stemmed) words hashed into ``dim`` dimensions."""

    def __init__(self, name: str = "test:hash", dim: int = 64) -> None:
        self.name, self.dim = name, dim
        self.embedded: list[str] = []  # every text embedded, in order

    def embed(self, texts: list[str]) -> np.ndarray:
        self.embedded.extend(texts)
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in re.findall(r"\w+", text.lower()):
                out[row, int(hashlib.blake2b(word[:5].encode(), digest_size=8).hexdigest(), 16) % self.dim] += 1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        norms[norms == 0] = 1.0
        return out / norms

    async def aembed(self, texts: list[str]) -> np.ndarray:
        return self.embed(texts)
