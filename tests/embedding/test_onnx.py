"""The ONNX export and runtime on a tiny converted e5 model: same vectors as torch, exported once, atomically."""

from __future__ import annotations

import numpy as np
import pytest

from assistant.embedding.convert import convert
from assistant.embedding.export import MODEL_FILE, SPEC_FILE, ensure_onnx, read_spec
from assistant.embedding.model import OnnxEmbedder, SentenceTransformerEmbedder, load_embedder
from assistant.errors import ModelUnavailable
from assistant.settings import Settings
from tests.embedding.test_convert import write_tiny_e5

TEXTS = ["ab a,ab", "ab a,ab ab a a,", " ab ", "a", "ab ab ab ab ab ab ab ab ab ab ab ab ab ab ab ab ab ab ab ab"]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """A tiny converted e5 model (16 positions) and its ONNX export."""
    work = tmp_path_factory.mktemp("tiny-e5-onnx")
    write_tiny_e5(work / "tiny.bin")
    folder = convert(work / "tiny.bin", work / "model")
    return folder, ensure_onnx(folder, work / "model.onnx")


def test_the_onnx_runtime_gives_the_torch_vectors(tiny):
    folder, onnx_dir = tiny
    torch_, onnx_ = SentenceTransformerEmbedder(folder), OnnxEmbedder(folder, onnx_dir, threads=1)
    assert onnx_.model_id == torch_.model_id and onnx_.dim == torch_.dim
    for encode in ("encode_queries", "encode_passages"):  # prompts, strip, padding, truncation to 16 positions
        a, b = getattr(onnx_, encode)(TEXTS), getattr(torch_, encode)(TEXTS)
        assert a.dtype == np.float32 and a.shape == b.shape
        np.testing.assert_allclose(np.linalg.norm(a, axis=1), 1.0, atol=1e-5)
        assert np.min(np.sum(a * b, axis=1)) >= 0.9999
        np.testing.assert_allclose(a, b, atol=1e-5)


def test_the_onnx_runtime_caps_a_query_as_the_torch_one_does(tiny):
    folder, onnx_dir = tiny
    capped_t = SentenceTransformerEmbedder(folder, max_query_tokens=3)
    capped_o = OnnxEmbedder(folder, onnx_dir, max_query_tokens=3, threads=1)
    assert [capped_o._clip(t) for t in TEXTS] == [capped_t._clip(t) for t in TEXTS]
    np.testing.assert_allclose(capped_o.encode_queries(TEXTS), capped_t.encode_queries(TEXTS), atol=1e-5)


def test_the_export_is_made_once_and_again_when_the_model_changes(tiny, tmp_path):
    folder, onnx_dir = tiny
    before = (onnx_dir / MODEL_FILE).stat().st_mtime_ns
    assert ensure_onnx(folder, onnx_dir) == onnx_dir
    assert (onnx_dir / MODEL_FILE).stat().st_mtime_ns == before  # current: not exported again
    spec = read_spec(onnx_dir)
    assert spec.query_prompt == "query: " and spec.passage_prompt == "passage: " and spec.max_length == 16
    assert spec.fused  # an XLM-RoBERTa graph runs fused; the vectors test above holds for the fused graph
    # No temporary folders are left beside it.
    assert sorted(p.name for p in onnx_dir.parent.iterdir() if p.name.startswith(".model.onnx.tmp")) == []

    # A stale export (another model's fingerprint) is replaced; a half-written one (no spec) too.
    stale = tmp_path / "stale.onnx"
    stale.mkdir()
    (stale / MODEL_FILE).write_bytes(b"not a model")
    (stale / SPEC_FILE).write_text(spec.model_copy(update={"source_fingerprint": "other"}).model_dump_json())
    ensure_onnx(folder, stale)
    assert read_spec(stale).source_fingerprint == spec.source_fingerprint
    half = tmp_path / "half.onnx"
    half.mkdir()
    (half / MODEL_FILE).write_bytes(b"cut short")
    assert read_spec(half) is None
    ensure_onnx(folder, half)
    assert read_spec(half) is not None


def test_a_folder_without_mean_pooling_is_refused_with_a_hint(tiny, tmp_path):
    import shutil

    folder, _ = tiny
    other = tmp_path / "cls-model"
    shutil.copytree(folder, other)
    pooling = other / "1_Pooling" / "config.json"
    pooling.write_text(
        pooling.read_text().replace('"pooling_mode_cls_token": false', '"pooling_mode_cls_token": true')
    )
    with pytest.raises(ModelUnavailable, match="ASSISTANT_ENCODER=torch"):
        ensure_onnx(other, tmp_path / "cls.onnx")


def test_load_embedder_picks_the_configured_runtime(tiny, tmp_path):
    folder, _ = tiny
    onnx_ = load_embedder(Settings(embedding_model=str(folder), cache_dir=tmp_path, encoder="onnx"))
    torch_ = load_embedder(Settings(embedding_model=str(folder), cache_dir=tmp_path, encoder="torch"))
    int8 = load_embedder(Settings(embedding_model=str(folder), cache_dir=tmp_path, encoder="ONNX-int8"))
    assert (onnx_.runtime, torch_.runtime, int8.runtime) == ("onnx", "torch", "onnx-int8")
    assert read_spec(tmp_path / "model.onnx") is not None  # exported into the cache folder


def test_a_model_type_without_fusions_keeps_the_traced_graph(tmp_path):
    from types import SimpleNamespace

    from assistant.embedding.export import _fuse

    config = SimpleNamespace(model_type="t5", num_attention_heads=2, hidden_size=8)
    assert _fuse(tmp_path / "traced.onnx", tmp_path / MODEL_FILE, config, {}) is False
    assert list(tmp_path.iterdir()) == []


def test_the_int8_runtime_encodes_queries_near_the_exact_ones_and_stores_only_exact_vectors(tiny):
    from assistant.embedding.export import QUANTIZED_FILE
    from assistant.embedding.model import QuantizedOnnxEmbedder, stored_by

    folder, onnx_dir = tiny
    assert read_spec(onnx_dir).quantized and (onnx_dir / QUANTIZED_FILE).is_file()
    exact, int8 = OnnxEmbedder(folder, onnx_dir, threads=1), QuantizedOnnxEmbedder(folder, onnx_dir, threads=1)
    assert int8.runtime == "onnx-int8" and int8.model_id == exact.model_id  # one index for both
    q8, q = int8.encode_queries(TEXTS), exact.encode_queries(TEXTS)
    np.testing.assert_allclose(np.linalg.norm(q8, axis=1), 1.0, atol=1e-5)
    assert np.min(np.sum(q8 * q, axis=1)) >= 0.95 and not np.allclose(q8, q, atol=1e-6)  # near, yet its own graph
    # Passages, and whatever is stored for queries to be compared with, come from the exact graph.
    np.testing.assert_array_equal(int8.encode_passages(TEXTS), exact.encode_passages(TEXTS))
    assert stored_by(int8) is int8.exact and stored_by(exact) is exact
    np.testing.assert_array_equal(stored_by(int8).encode_queries(TEXTS), q)


def test_an_export_missing_its_int8_graph_is_incomplete(tiny, tmp_path):
    import shutil

    from assistant.embedding.export import QUANTIZED_DATA
    from assistant.embedding.model import QuantizedOnnxEmbedder

    folder, onnx_dir = tiny
    copy = tmp_path / "copy.onnx"
    shutil.copytree(onnx_dir, copy)
    (copy / QUANTIZED_DATA).unlink()
    assert read_spec(copy) is None
    with pytest.raises(ModelUnavailable, match="run `assistant index build`"):
        QuantizedOnnxEmbedder(folder, copy)
