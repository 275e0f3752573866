"""Fakes shared by the fast tests."""

from __future__ import annotations

import hashlib
import re

import numpy as np

_UNIT = re.compile(r"[\u4e00-\u9fff]|[a-z0-9]+")


class FakeEmbedder:
    """Deterministic bag-of-characters-and-bigrams hashing embedder: texts sharing characters are close."""

    dim = 128

    def __init__(self, model_id: str = "fake-embedder"):
        self.model_id = model_id
        self.calls = 0

    def _vec(self, text: str) -> np.ndarray:
        units = _UNIT.findall(text.lower())
        feats = units + [a + b for a, b in zip(units, units[1:])]
        v = np.zeros(self.dim, dtype=np.float32)
        for f in feats:
            h = int.from_bytes(hashlib.blake2b(f.encode(), digest_size=4).digest(), "little")
            v[h % self.dim] += 1.0 if h & 1 else -1.0
        n = np.linalg.norm(v)
        return v / n if n else v

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        self.calls += 1
        return np.vstack([self._vec(t) for t in texts]).astype(np.float32)

    def encode_passages(self, texts: list[str]) -> np.ndarray:
        self.calls += 1
        return np.vstack([self._vec(t) for t in texts]).astype(np.float32)
