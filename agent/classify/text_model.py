"""The shipped text model: hashed character and word n-grams, TF-IDF, logistic regression.

Hashing needs no vocabulary, so the whole model is a few arrays in one ``.npz`` (no pickle): the
IDF weights, the coefficients and the intercept. Training is :mod:`agent.classify.train`.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

N_FEATURES = 2**18
MODEL_PATH = Path(__file__).parent / "data" / "spam_model.npz"
RETRAINED_NAME = "spam_model.npz"  # in CONFAB_DATA_DIR: a model retrained with moderators' corrections


def model_path(data_dir: Path | None = None) -> Path:
    """The retrained model in ``data_dir`` when there is one, else the shipped model."""
    if data_dir is not None and (data_dir / RETRAINED_NAME).is_file():
        return data_dir / RETRAINED_NAME
    return MODEL_PATH


def vectorizers() -> tuple[Any, Any]:
    from sklearn.feature_extraction.text import HashingVectorizer

    common: dict[str, Any] = {"n_features": N_FEATURES, "alternate_sign": False, "norm": None,
                              "lowercase": False, "dtype": np.float32}
    return (HashingVectorizer(analyzer="char_wb", ngram_range=(2, 5), **common),
            HashingVectorizer(analyzer="word", ngram_range=(1, 2), token_pattern=r"(?u)\b\w+\b",  # noqa: S106
                              **common))


def features(texts: list[str], idf: np.ndarray) -> Any:
    """Sublinear TF x IDF, L2-normalised rows, over both n-gram spaces."""
    from scipy.sparse import hstack
    from sklearn.preprocessing import normalize

    chars, words = vectorizers()
    counts = hstack([chars.transform(texts), words.transform(texts)]).tocsr()
    counts.data = 1.0 + np.log(counts.data)
    return normalize(counts.multiply(idf).tocsr())


@dataclass
class TextModel:
    idf: np.ndarray
    coef: np.ndarray
    intercept: float

    @classmethod
    def load(cls, path: Path = MODEL_PATH) -> TextModel:
        with np.load(path, allow_pickle=False) as data:
            return cls(data["idf"].astype(np.float32), data["coef"].astype(np.float32), float(data["intercept"][0]))

    def save(self, path: Path = MODEL_PATH) -> None:
        np.savez_compressed(path, idf=self.idf.astype(np.float16), coef=self.coef.astype(np.float16),
                            intercept=np.array([self.intercept], dtype=np.float32))

    @cached_property
    def _weights(self) -> np.ndarray:
        return self.coef.astype(np.float32)

    @cached_property
    def _analyzers(self) -> tuple[Any, Any]:
        chars, words = vectorizers()
        return chars.build_analyzer(), words.build_analyzer()

    def probability(self, folded_text: str) -> float:
        """One text without sparse-matrix overhead (the per-message path): the same hashing as
        :func:`features` (sklearn's signed 32-bit murmurhash, absolute value modulo the size)."""
        from sklearn.utils import murmurhash3_32

        counts: dict[int, int] = {}
        for offset, analyze in zip((0, N_FEATURES), self._analyzers, strict=True):
            for gram in analyze(folded_text):
                index = offset + abs(murmurhash3_32(gram, seed=0)) % N_FEATURES
                counts[index] = counts.get(index, 0) + 1
        if not counts:
            return float(1.0 / (1.0 + np.exp(-self.intercept)))
        indices = np.fromiter(counts, dtype=np.int64, count=len(counts))
        values = (1.0 + np.log(np.fromiter(counts.values(), dtype=np.float32, count=len(counts)))) * self.idf[indices]
        norm = float(np.sqrt(values @ values)) or 1.0
        score = float(values @ self._weights[indices]) / norm + self.intercept
        return float(1.0 / (1.0 + np.exp(-score)))

    def probabilities(self, folded_texts: list[str]) -> np.ndarray:
        """P(spam) per text (texts already folded by :func:`agent.classify.normalize.normalize`)."""
        if not folded_texts:
            return np.zeros(0, dtype=np.float32)
        scores = features(folded_texts, self.idf) @ self._weights + self.intercept
        return 1.0 / (1.0 + np.exp(-np.asarray(scores, dtype=np.float64)))
