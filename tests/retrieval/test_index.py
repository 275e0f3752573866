import shutil

import pytest

from assistant.corpus.knowledge import load_knowledge
from assistant.errors import IndexUnavailable
from assistant.retrieval import index
from tests.conftest import CORPUS
from tests.fakes import FakeEmbedder


@pytest.fixture
def built(tmp_path, knowledge):
    emb = FakeEmbedder()
    m = index.build(knowledge, emb, tmp_path / "index")
    return tmp_path / "index", emb, m


def test_build_writes_manifest_with_corpus_and_model(built, knowledge):
    d, emb, m = built
    assert m.corpus_sha256 == knowledge.fingerprint
    assert m.model_id == emb.model_id
    assert m.clauses == len(knowledge.corpus.clauses) == 121
    assert m.rows > m.clauses  # clause, note and question vectors
    assert {"faiss-cpu", "bm25s", "jieba"} <= set(m.versions)
    loaded = index.load(knowledge, emb.model_id, d)
    assert loaded.dense.ntotal == m.rows
    assert loaded.bm25_ids == knowledge.corpus.ids


def test_missing_index_is_refused_with_a_reason(tmp_path, knowledge):
    with pytest.raises(IndexUnavailable, match="no built index"):
        index.load(knowledge, "fake-embedder", tmp_path / "nothing")


def test_index_of_another_model_is_stale(built, knowledge):
    d, _, _ = built
    assert "built with model" in index.staleness(knowledge, "other-model", d)
    with pytest.raises(IndexUnavailable, match="assistant index build"):
        index.load(knowledge, "other-model", d)


def test_index_of_another_corpus_is_stale(built, tmp_path):
    d, emb, _ = built
    other = tmp_path / "corpus"
    shutil.copytree(CORPUS, other)
    (other / "synonyms.toml").write_text('[[group]]\nterms = ["暂关"]\nvariants = ["停机"]\n', encoding="utf-8")
    k2 = load_knowledge(other)
    assert "corpus" in index.staleness(k2, emb.model_id, d)


def test_ensure_rebuilds_a_stale_index_or_refuses(built, knowledge):
    d, _, _ = built
    other = FakeEmbedder("another-fake")
    with pytest.raises(IndexUnavailable):
        index.ensure(knowledge, other, d, rebuild=False)
    art = index.ensure(knowledge, other, d)
    assert art.manifest.model_id == "another-fake"
    assert index.staleness(knowledge, "another-fake", d) is None


def test_corrupt_manifest_counts_as_missing(built, knowledge):
    d, emb, _ = built
    (d / index.MANIFEST).write_text("{not json", encoding="utf-8")
    assert index.staleness(knowledge, emb.model_id, d).startswith("no built index")
