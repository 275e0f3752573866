"""Query vectors as retrieval asks for them: from a bounded LRU cache, else from the (batched) encoder."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass

import numpy as np

from assistant.embedding.batching import BatchStats, EncodeBatcher
from assistant.embedding.model import Embedder

__all__ = ["CacheStats", "QueryEncoder", "QueryVectorCache"]


@dataclass(frozen=True)
class CacheStats:
    """Lookups of the query-vector cache so far, and how full it is."""

    hits: int
    misses: int
    entries: int
    capacity: int

    @property
    def hit_rate(self) -> float:
        """Share of lookups answered from the cache (0 before the first lookup)."""
        total = self.hits + self.misses
        return self.hits / total if total else 0.0


class QueryVectorCache:
    """A thread-safe LRU map from the encoder's input text (the normalised question) to its vector.

    Vectors are stored read-only: callers share them.
    """

    def __init__(self, capacity: int):
        if capacity < 0:
            raise ValueError(f"capacity must be >= 0, got {capacity}")
        self.capacity = capacity
        self._items: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()
        self._hits = 0
        self._misses = 0

    def get(self, text: str) -> np.ndarray | None:
        """The cached vector (now the most recently used), or None; counted as a hit or a miss."""
        with self._lock:
            vec = self._items.get(text)
            if vec is None:
                self._misses += 1
                return None
            self._items.move_to_end(text)
            self._hits += 1
            return vec

    def put(self, text: str, vec: np.ndarray) -> np.ndarray:
        """Keep the vector (dropping the least recently used beyond capacity); returns the stored, read-only one."""
        vec = np.array(vec, dtype=np.float32)
        vec.flags.writeable = False
        if self.capacity == 0:
            return vec
        with self._lock:
            self._items[text] = vec
            self._items.move_to_end(text)
            while len(self._items) > self.capacity:
                self._items.popitem(last=False)
        return vec

    @property
    def stats(self) -> CacheStats:
        """Hits, misses and entries so far."""
        with self._lock:
            return CacheStats(self._hits, self._misses, len(self._items), self.capacity)


class QueryEncoder:
    """The query side of an embedder for a serving process: cached, and batched across concurrent callers.

    With ``batch_size`` 1 there is no batcher and each query is encoded in its caller's thread, as before.
    """

    def __init__(self, embedder: Embedder, cache_size: int = 0, batch_size: int = 1, wait_ms: float = 0.0):
        self.embedder = embedder
        self.cache = QueryVectorCache(cache_size)
        self.batcher = (
            EncodeBatcher(embedder.encode_queries, batch_size, wait_ms / 1000) if batch_size > 1 else None
        )

    @property
    def batching(self) -> bool:
        """Whether concurrent queries share encoder calls."""
        return self.batcher is not None

    def cached(self, text: str) -> np.ndarray | None:
        """The cached vector of the text, or None (counted in the cache's hit rate)."""
        return self.cache.get(text)

    def encode(self, text: str) -> np.ndarray:
        """The vector of one text, encoded now (in a batch when batching), then cached."""
        if self.batcher is None:
            vec = self.embedder.encode_queries([text])[0]
        else:
            vec = self.batcher.encode(text)
        return self.cache.put(text, vec)

    async def encode_async(self, text: str) -> np.ndarray:
        """As :meth:`encode`, awaited on the event loop; needs batching (the encode runs on the batcher's thread)."""
        if self.batcher is None:
            raise RuntimeError("encode_async needs batching (batch_size > 1)")
        return self.cache.put(text, await self.batcher.encode_async(text))

    @contextmanager
    def expecting(self) -> Iterator[None]:
        """Announce an answer in progress that may bring a query to the batch (see EncodeBatcher.expecting)."""
        with self.batcher.expecting() if self.batcher is not None else nullcontext():
            yield

    @property
    def batch_stats(self) -> BatchStats:
        """Encoder calls made by the batcher and queries in them (zeros without batching)."""
        return self.batcher.stats if self.batcher is not None else BatchStats(0, 0)
