"""Test helpers: a tiny deterministic embedder and message builders."""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime, timedelta

import numpy as np

from agent.memory.models import StoredMessage


class HashEmbedder:
    """Bag of (lower-cased, crudely stemmed) words hashed into 64 dimensions: similar wording, similar vector."""

    name = "test:hash"
    dim = 64

    def embed(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in re.findall(r"\w+", text.lower()):
                out[row, int(hashlib.blake2b(word[:5].encode(), digest_size=8).hexdigest(), 16) % self.dim] += 1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        norms[norms == 0] = 1.0
        return out / norms

    async def aembed(self, texts: list[str]) -> np.ndarray:
        return self.embed(texts)


def msgs(*lines: str, start: datetime | None = None, channel: str = "test:T1:general") -> list[StoredMessage]:
    """``"alice: text"`` lines as stored messages, one minute apart."""
    start = start or datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
    out = []
    for i, line in enumerate(lines):
        author, _, text = line.partition(": ")
        out.append(StoredMessage(channel_key=channel, id=f"m{i + 1}", author_id=author, author_name=author,
                                 text=text, created_at=start + timedelta(minutes=i)))
    return out
