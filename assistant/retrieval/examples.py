"""Labelled example questions as neighbours: which calculators the questions most like a new one ask for, and how
much of their similarity; and how much of it is out of scope.

Two ways of being alike: by the model's vectors (the one retrieval has encoded for the question), and by wording
(BM25 over character uni- and bigrams, no model) where a calculation must stay model-free. The vectors are encoded
once per model and example list and kept in the cache folder (a file named by the sha256 of both), so a service
starts without encoding them again.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Collection
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

import bm25s
import faiss
import numpy as np

from assistant.corpus.normalize import normalize_query
from assistant.embedding.model import Embedder, stored_by

NEIGHBOURS = 5  # examples that vote: more lets the many lookups outvote a calculator's few close examples


@dataclass(frozen=True)
class Example:
    """One labelled question: what it asks for, a calculator's name, or "" for a question that is no calculation."""

    text: str
    label: str
    out_of_scope: bool = False  # a question about something this contract does not cover
    clauses: tuple[str, ...] = ()  # the clauses that answer it, for a lookup
    # For a question too vague to answer as it stands: its readings (calculators and/or clause ids), most likely first.
    readings: tuple[str, ...] = ()


class ExampleIndex:
    """The example questions' vectors (L2-normalised) and wording, each searched by cosine."""

    def __init__(self, examples: list[Example], vectors: np.ndarray, texts: list[str] | None = None):
        """`texts`: the examples' normalised texts, when the caller has them already (normalising 3000 questions
        takes about a quarter of a second)."""
        if len(examples) != len(vectors):
            raise ValueError(f"{len(examples)} examples but {len(vectors)} vectors")
        self.examples = examples
        self.vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        self._flat = faiss.IndexFlatIP(self.vectors.shape[1])
        if len(self.vectors):
            self._flat.add(self.vectors)
        texts = texts if texts is not None else [normalize_query(e.text) for e in examples]
        self._index: dict[str, list[int]] = {}
        for i, text in enumerate(texts):
            self._index.setdefault(text, []).append(i)
        self._labels = np.array([e.label for e in examples], dtype=object)
        self._out = np.array([e.out_of_scope for e in examples], dtype=bool)
        self._clauses = [e.clauses for e in examples]
        self._readings = [e.readings for e in examples]
        # The examples' wording as BM25 over character uni- and bigrams, for nearest_in_wording: the BM25 library
        # retrieval already uses, built here in ~0.1 s (character TF-IDF cosine with scikit-learn cost 0.4 s, and 0.8 s
        # to import it, for the same sealed figures).
        self._wording = bm25s.BM25()
        if texts:
            self._wording.index([_grams(t) for t in texts], show_progress=False)
        self._in_wording = lru_cache(maxsize=2048)(self._wording_nearest)
        self._last: tuple[tuple[bytes, frozenset[int]], int, list[tuple[int, float]]] | None = None

    @classmethod
    def build(cls, examples: list[Example], embedder: Embedder, cache_dir: Path) -> ExampleIndex:
        """Vectors from the cache file for this model and these examples, else encoded now and cached."""
        inputs = [normalize_query(e.text) for e in examples]
        digest = hashlib.sha256(embedder.model_id.encode())
        for text in inputs:
            digest.update(f"{text}\n".encode())  # the vectors depend on the texts alone, not on their labels
        path = Path(cache_dir) / "examples" / f"{digest.hexdigest()[:24]}.npy"
        if path.is_file():
            try:
                vectors = np.load(path)
                if vectors.shape[0] == len(examples):
                    return cls(examples, vectors, inputs)
            except (OSError, ValueError):
                pass  # a damaged cache file is encoded again
        # Stored vectors come from the exact encoder, whichever runtime asks (the cache file is shared).
        vectors = stored_by(embedder).encode_queries(inputs) if examples else np.zeros((0, 1))
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp.npy")
        np.save(tmp, vectors)
        os.replace(tmp, path)
        return cls(examples, vectors, inputs)

    def nearest(self, vector: np.ndarray, exclude: str | Collection[str] = "", k: int = NEIGHBOURS) -> Neighbours:
        """What the k nearest examples ask for, each weighed by its share of their similarity.

        `exclude`: a question never votes for itself, so a bank question scored against examples holding it is
        still scored as unseen.
        """
        found = self._nearest(vector, exclude, k)
        return replace(self._neighbours(_shares(found)), nearest=found[0][1] if found else 0.0)

    def _nearest(self, vector: np.ndarray, exclude: str | Collection[str], k: int) -> list[tuple[int, float]]:
        """The k nearest examples (row, cosine), best first, those whose text is `exclude` left out."""
        n = len(self.examples)
        if not n:
            return []
        left_out = self._left_out(exclude)
        query = np.ascontiguousarray(vector, dtype=np.float32).reshape(1, -1)
        key = (query.tobytes(), frozenset(left_out))
        # One question's lookup asks three times for the same vector's neighbours (the retriever's vote, the
        # calculators' and the vague readings'): the last search, of at least NEIGHBOURS, serves them all.
        last = self._last
        if last is not None and last[0] == key and last[1] >= k:
            return last[2][:k]
        wanted = max(k, NEIGHBOURS)
        # faiss rather than a numpy product: numpy's BLAS threads slow a 3000-row product to ~5 ms when the
        # encoder keeps both cores busy (0.2 ms either way when idle).
        sims, rows = self._flat.search(query, min(n, wanted + len(left_out)))
        found = [(int(i), float(d)) for i, d in zip(rows[0], sims[0]) if i >= 0 and int(i) not in left_out][:wanted]
        self._last = (key, wanted, found)  # one tuple assigned at once: a concurrent reader sees old or new
        return found[:k]

    def answering(self, vector: np.ndarray, floor: float, exclude: str = "", k: int = NEIGHBOURS) -> set[str]:
        """The clauses that answer any of the k nearest examples that is a lookup at least `floor` alike (cosine)."""
        return {c for i, sim in self._nearest(vector, exclude, k) if sim >= floor for c in self._clauses[i]}

    def readings_alike(self, vector: np.ndarray, floor: float, exclude: str = "") -> tuple[str, ...]:
        """The readings of the nearest example when it and the next are vague questions at least `floor` alike
        (cosine), else ()."""
        nearest = self._nearest(vector, exclude, 2)
        if len(nearest) < 2 or not all(sim >= floor and self._readings[i] for i, sim in nearest):
            return ()
        return self._readings[nearest[0][0]]

    def _neighbours(self, nearest: list[tuple[int, float]]) -> Neighbours:
        """The votes of the nearest examples, each with its share."""
        votes: dict[str, float] = {}
        readings: dict[str, float] = {}
        out = vague = 0.0
        for i, w in nearest:
            votes[self._labels[i]] = votes.get(self._labels[i], 0.0) + w
            out += w if self._out[i] else 0.0
            if self._readings[i]:
                vague += w
                # A reading weighs the example's share, the more likely ones (listed first) more.
                for rank, reading in enumerate(self._readings[i]):
                    readings[reading] = readings.get(reading, 0.0) + w / (rank + 1)
        if not (nearest and self._readings[nearest[0][0]]):
            # Vague only when the nearest one is: a question nearest a lookup asks that lookup's rule.
            vague, readings = 0.0, {}
        ranked = tuple(sorted(readings, key=lambda x: -readings[x]))
        if ranked:
            # The nearest one's readings come first: a reading only the farther ones list is less likely meant.
            ranked = tuple(dict.fromkeys([*self._readings[nearest[0][0]], *ranked]))
        return Neighbours({label: share for label, share in votes.items() if label}, out, vague, ranked)

    def nearest_in_wording(self, question: str, exclude: str = "", k: int = NEIGHBOURS) -> Neighbours:
        """As nearest(), by the examples' wording instead of the model: BM25 (bm25s) of the question's character uni-
        and bigrams against each example's, about a millisecond and no encode, so a calculation stays model-free."""
        if not len(self.examples):
            return Neighbours({}, 0.0)
        return self._in_wording(normalize_query(question), normalize_query(exclude), k)

    def _wording_nearest(self, question: str, exclude: str, k: int) -> Neighbours:
        """nearest_in_wording() for a normalised question, remembered per instance (FAQ and IVR questions repeat):
        callers read the Neighbours, never change them."""
        grams = _grams(question)
        if not grams:
            return Neighbours({}, 0.0)
        sims = self._wording.get_scores(grams).astype(np.float64)
        for i in self._left_out(exclude):
            sims[i] = -np.inf
        k = min(k, len(sims))
        top = np.argpartition(-sims, k - 1)[:k] if k < len(sims) else np.arange(len(sims))
        top = top[np.argsort(-sims[top], kind="stable")]
        return self._neighbours(_shares([(int(i), float(sims[i])) for i in top if np.isfinite(sims[i])]))

    def shares(self, vector: np.ndarray, exclude: str = "", k: int = NEIGHBOURS) -> dict[str, float]:
        """Neighbours.shares of the nearest examples."""
        return self.nearest(vector, exclude, k).shares

    def out_of_scope_share(self, vector: np.ndarray, exclude: str | Collection[str] = "", k: int = NEIGHBOURS) -> float:
        """Neighbours.out_of_scope of the nearest examples."""
        return self.nearest(vector, exclude, k).out_of_scope

    def _left_out(self, exclude: str | Collection[str]) -> set[int]:
        """The rows of the examples whose text is `exclude` (or one of them)."""
        texts = [exclude] if isinstance(exclude, str) else exclude
        return {i for text in texts if text for i in self._index.get(normalize_query(text), ())}


def _grams(text: str) -> list[str]:
    """The text's characters and character bigrams, spaces left out: how alike two questions are worded, whatever
    the segmentation of spoken or misspelt Chinese."""
    chars = [c for c in text if not c.isspace()]
    return chars + [a + b for a, b in zip(chars, chars[1:])]


def _shares(nearest: list[tuple[int, float]]) -> list[tuple[int, float]]:
    """Each of the nearest examples with its share of their similarity."""
    # Cosines of near questions are positive; a floor keeps an odd negative one from flipping the shares.
    weight = {i: max(sim, 1e-6) for i, sim in nearest}
    total = sum(weight.values())
    return [(i, w / total) for i, w in weight.items()]


@dataclass(frozen=True)
class Neighbours:
    """What the nearest example questions ask for: `shares` maps a calculator to the share of their similarity
    that asks for it (the rest asks for none); `out_of_scope` is the share about what the contract does not cover;
    `vague` the share too vague to answer as it stands, and `readings` what those could mean."""

    shares: dict[str, float]
    out_of_scope: float
    vague: float = 0.0  # the share of questions too vague to answer as they stand (0 unless the nearest is one)
    readings: tuple[str, ...] = ()  # their readings (calculators and clause ids), the most weighed first
    nearest: float = 0.0  # the nearest one's cosine (by the model's vectors; 0 by wording)
