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


# --- checksums: a damaged file is found, rebuilt at start-up, reported by `index build --if-stale` ---------------

# One file of each kind the index holds; the BM25 folder's files are found through the manifest.
CORRUPTIONS = {
    "dense.faiss": lambda p: p.write_bytes(p.read_bytes()[:-100]),
    "rows.json": lambda p: p.write_text('[{"clause_id": "M-1"', encoding="utf-8"),
    "bm25_ids.json": lambda p: p.write_text("[]", encoding="utf-8"),
    "bm25/params.index.json": lambda p: p.write_text("{", encoding="utf-8"),
    "bm25/data.csc.index.npy": lambda p: p.write_bytes(b"\x00" * 64),
    "bm25/vocab.index.json": lambda p: p.unlink(),
}


def test_manifest_records_the_sha256_of_every_file(built):
    d, _, m = built
    assert {"dense.faiss", "rows.json", "bm25_ids.json", "bm25/params.index.json", "bm25/vocab.index.json"} <= set(m.files)
    assert all(len(digest) == 64 for digest in m.files.values())
    assert index.corrupt_files(d, m) == []


@pytest.mark.parametrize("name", CORRUPTIONS)
def test_a_corrupt_file_makes_the_index_stale_and_start_up_rebuilds_it(built, knowledge, name):
    d, emb, m = built
    CORRUPTIONS[name](d / name)
    assert index.corrupt_files(d, m) == [name]
    reason = index.staleness(knowledge, emb.model_id, d)
    assert reason and "corrupt" in reason and name in reason
    # Refused with a clear reason when rebuilding is not allowed (workers, `serve --no-build`)…
    with pytest.raises(IndexUnavailable, match="corrupt"):
        index.ensure(knowledge, emb, d, rebuild=False)
    # …and rebuilt, not a traceback, at start-up.
    art = index.ensure(knowledge, emb, d)
    assert art.dense.ntotal == m.rows
    assert index.staleness(knowledge, emb.model_id, d) is None


def test_an_unreadable_file_that_passes_its_checksum_is_an_index_error(built, knowledge):
    # Checksums recorded for a file that was broken at build time: load reports it, ensure rebuilds.
    d, emb, _ = built
    (d / "rows.json").write_text("not json", encoding="utf-8")
    manifest = index.read_manifest(d)
    manifest.files["rows.json"] = index._sha256(d / "rows.json")
    (d / index.MANIFEST).write_text(manifest.model_dump_json(), encoding="utf-8")
    assert index.staleness(knowledge, emb.model_id, d) is None
    with pytest.raises(IndexUnavailable, match="could not be read"):
        index.load(knowledge, emb.model_id, d)
    assert index.ensure(knowledge, emb, d).dense.ntotal > 0


def test_a_manifest_without_checksums_is_stale(built, knowledge):
    d, emb, _ = built
    manifest = index.read_manifest(d)
    (d / index.MANIFEST).write_text(manifest.model_copy(update={"files": {}}).model_dump_json(), encoding="utf-8")
    assert "corrupt" in index.staleness(knowledge, emb.model_id, d)


@pytest.mark.parametrize("name", ["dense.faiss", "rows.json", "bm25/data.csc.index.npy"])
def test_index_build_if_stale_reports_a_corrupt_file_and_rebuilds(built, knowledge, monkeypatch, capsys, name):
    from assistant import cli
    from assistant.embedding import model

    d, emb, _ = built
    monkeypatch.setenv("ASSISTANT_INDEX_DIR", str(d))
    monkeypatch.setattr(model, "load_embedder", lambda settings: emb)
    assert cli.main(["index", "build", "--if-stale"]) == 0
    assert "up to date" in capsys.readouterr().out
    CORRUPTIONS[name](d / name)
    assert cli.main(["index", "build", "--if-stale"]) == 0
    out = capsys.readouterr().out
    assert "corrupt" in out and name in out and "built" in out
    assert index.staleness(knowledge, emb.model_id, d) is None


@pytest.mark.parametrize(
    "text, sentences",
    [
        ("甲方应按月付费。", ["甲方应按月付费。"]),
        ("当合同终止时，甲方应交还设备。如发生损坏，应赔偿。", ["当合同终止时，甲方应交还设备。", "如发生损坏，应赔偿。"]),
        ("一；二！三？四", ["一；", "二！", "三？", "四"]),
        ("", []),
    ],
)
def test_clause_sentences_cut_after_each_sentence_end(text, sentences):
    assert index.clause_sentences(text) == sentences


def test_each_sentence_of_a_clause_of_several_is_a_dense_row(knowledge):
    passages, _, rows = index.dense_texts(knowledge)
    m5 = knowledge.corpus.get("M-5")
    kinds = [r.kind for r in rows if r.clause_id == "M-5"]
    assert kinds.count("clause") == 1 and kinds.count("sentence") == 2
    texts = [p for p, r in zip(passages, rows) if r.clause_id == "M-5" and r.kind == "sentence"]
    assert texts == [f"{m5.title}\n{s}" for s in index.clause_sentences(m5.text)]
    assert "如发生设备损坏或丢失，应按设备价值进行赔偿。" in texts[1]
    one = next(c for c in knowledge.corpus.clauses if len(index.clause_sentences(c.text)) == 1)
    assert [r.kind for r in rows if r.clause_id == one.id].count("sentence") == 0


def test_paraphrases_are_dense_rows_of_their_own_and_never_in_the_bm25_document(knowledge):
    passages, questions, rows = index.dense_texts(knowledge)
    texts = passages + questions
    para = [t for t, r in zip(texts, rows) if r.clause_id == "M-5" and r.kind == "paraphrase"]
    assert para == list(knowledge.note("M-5").paraphrases) and len(para) >= 2
    assert not any(p in index.clause_document(knowledge, "M-5") for p in para)


@pytest.mark.parametrize(
    ("paraphrases", "error"),
    [
        ('["M-99"]\nquestions = ["设备丢了怎么办"]\n', "paraphrases.toml names clauses the contract lacks: M-99"),
        ('["M-5"]\nquestions = ["设备丢了怎么办", ""]\n', r"paraphrases.toml \[M-5\].questions must be a list"),
        ('["M-5"]\nquestions = "设备丢了怎么办"\n', r"paraphrases.toml \[M-5\].questions must be a list"),
        ('"M-5" = "设备丢了怎么办"\n', r"paraphrases.toml \[M-5\].questions must be a list"),
    ],
)
def test_bad_paraphrases_are_refused_when_loaded(tmp_path, paraphrases, error):
    corpus = tmp_path / "corpus"
    shutil.copytree(CORPUS, corpus)
    (corpus / "paraphrases.toml").write_text(paraphrases, encoding="utf-8")
    with pytest.raises(ValueError, match=error):
        load_knowledge(corpus)


def test_the_paraphrases_are_part_of_the_corpus_fingerprint(tmp_path, knowledge):
    corpus = tmp_path / "corpus"
    shutil.copytree(CORPUS, corpus)
    (corpus / "paraphrases.toml").write_text('["M-49"]\nquestions = ["合同一式几份"]\n', encoding="utf-8")
    assert load_knowledge(corpus).fingerprint != knowledge.fingerprint
