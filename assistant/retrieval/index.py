"""Built retrieval artefacts in `index/`: faiss vectors, the BM25 index and a manifest that says what built them.

The manifest also records the sha256 of every artefact file, so a file damaged after the build (a disk error,
a partial copy, an edit by hand) makes the index count as corrupt: start-up rebuilds it, `assistant index build
--if-stale` reports and rebuilds it, and `/readyz` says not ready.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import shutil
import tempfile
import time
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import bm25s
import faiss
import numpy as np
from pydantic import BaseModel

from assistant import __version__
from assistant.corpus.knowledge import Knowledge
from assistant.embedding.model import Embedder, stored_by
from assistant.errors import IndexUnavailable
from assistant.retrieval.tokenize import Tokenizer

MANIFEST = "manifest.json"
DENSE = "dense.faiss"
ROWS = "rows.json"
BM25_DIR = "bm25"
BM25_IDS = "bm25_ids.json"
# Bump when the way documents are built changes, so old indexes count as stale.
# 4: the manifest records each file's sha256.
# 5: clause numbers ("第四十五条") are one BM25 token.
FORMAT = 7  # 6: each sentence of a clause of several sentences is a dense row of its own; 7: paraphrase rows

log = logging.getLogger(__name__)


class Manifest(BaseModel):
    """What an index was built from; compared with the running corpus and model before use."""

    format: int
    corpus_sha256: str
    model_id: str
    dim: int
    rows: int
    clauses: int
    versions: dict[str, str]
    built_at: str
    build_seconds: float
    # sha256 of every artefact file, by its path relative to the index folder ("bm25/vocab.index.json").
    files: dict[str, str] = {}


_SENTENCE_END = re.compile(r"(?<=[。；！？])")


class Row(BaseModel):
    """One dense vector: which clause it stands for and what text it came from."""

    clause_id: str
    kind: str  # clause | sentence | note | question | paraphrase


@dataclass
class Artefacts:
    """The loaded index, ready to search."""

    manifest: Manifest
    dense: faiss.Index
    rows: list[Row]
    bm25: bm25s.BM25
    bm25_ids: list[str]


def domain_words(k: Knowledge) -> set[str]:
    """Words jieba must keep whole: the synonym dictionary and the clause keywords."""
    return set(k.vocabulary)


def clause_document(k: Knowledge, clause_id: str) -> str:
    """The BM25 document of a clause: heading path, text, and the notes kept beside it."""
    c = k.corpus.get(clause_id)
    n = k.note(clause_id)
    return "\n".join([c.title, c.text, n.topic, " ".join(n.keywords), *n.questions])


def clause_sentences(text: str) -> list[str]:
    """The clause text cut after each sentence end (。；！？), empty pieces dropped."""
    return [piece for piece in _SENTENCE_END.split(text) if piece.strip()]


def dense_texts(k: Knowledge) -> tuple[list[str], list[str], list[Row]]:
    """Passages (clause text, note) and questions to embed, with the row each becomes."""
    passages: list[str] = []
    questions: list[str] = []
    prow: list[Row] = []
    qrow: list[Row] = []
    for c in k.corpus.clauses:
        n = k.note(c.id)
        passages.append(f"{c.title}\n{c.text}")
        prow.append(Row(clause_id=c.id, kind="clause"))
        sentences = clause_sentences(c.text)
        if len(sentences) > 1:
            # A question about one rule of a long clause matches that rule's sentence better than the clause.
            for sentence in sentences:
                passages.append(f"{c.title}\n{sentence}")
                prow.append(Row(clause_id=c.id, kind="sentence"))
        if n.topic or n.keywords:
            passages.append(f"{n.topic}：{'、'.join(n.keywords)}")
            prow.append(Row(clause_id=c.id, kind="note"))
        for q in n.questions:
            questions.append(q)
            qrow.append(Row(clause_id=c.id, kind="question"))
        for q in n.paraphrases:
            questions.append(q)
            qrow.append(Row(clause_id=c.id, kind="paraphrase"))
    return passages, questions, prow + qrow


def _versions() -> dict[str, str]:
    out = {"assistant": __version__}
    for pkg in ("faiss-cpu", "bm25s", "jieba", "sentence-transformers", "torch", "onnxruntime"):
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            out[pkg] = "absent"
    return out


def build(k: Knowledge, embedder: Embedder, index_dir: Path) -> Manifest:
    """Build every artefact into a fresh folder and swap it in, so a failed build never leaves half an index."""
    t0 = time.perf_counter()
    index_dir = Path(index_dir)
    index_dir.parent.mkdir(parents=True, exist_ok=True)
    tokenizer = Tokenizer(domain_words(k))
    ids = k.corpus.ids
    bm25 = bm25s.BM25()
    bm25.index([tokenizer(clause_document(k, cid)) for cid in ids], show_progress=False)

    passages, questions, rows = dense_texts(k)
    exact = stored_by(embedder)
    vecs = np.vstack([exact.encode_passages(passages), exact.encode_queries(questions)])
    dense = faiss.IndexFlatIP(vecs.shape[1])
    dense.add(vecs)

    manifest = Manifest(
        format=FORMAT,
        corpus_sha256=k.fingerprint,
        model_id=embedder.model_id,
        dim=int(vecs.shape[1]),
        rows=len(rows),
        clauses=len(ids),
        versions=_versions(),
        built_at=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        build_seconds=round(time.perf_counter() - t0, 2),
    )
    tmp = Path(tempfile.mkdtemp(prefix=".index-", dir=index_dir.parent))
    try:
        faiss.write_index(dense, str(tmp / DENSE))
        (tmp / ROWS).write_text(json.dumps([r.model_dump() for r in rows], ensure_ascii=False), encoding="utf-8")
        bm25.save(str(tmp / BM25_DIR), show_progress=False)
        (tmp / BM25_IDS).write_text(json.dumps(ids), encoding="utf-8")
        manifest.files = {name: _sha256(tmp / name) for name in _artefact_files(tmp)}
        (tmp / MANIFEST).write_text(manifest.model_dump_json(indent=2), encoding="utf-8")
        _swap_in(tmp, index_dir)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return manifest


def _swap_in(tmp: Path, index_dir: Path) -> None:
    """Replace the artefacts in index_dir by those in tmp, keeping files that are not ours (README)."""
    index_dir.mkdir(parents=True, exist_ok=True)
    for name in (MANIFEST, DENSE, ROWS, BM25_IDS, BM25_DIR):
        old = index_dir / name
        if old.is_dir():
            shutil.rmtree(old)
        elif old.exists():
            old.unlink()
    # The manifest goes last: an index is valid only once its manifest is there.
    for name in (DENSE, ROWS, BM25_IDS, BM25_DIR, MANIFEST):
        shutil.move(str(tmp / name), str(index_dir / name))


def _artefact_files(folder: Path) -> list[str]:
    """The artefact files under folder (the BM25 folder's files included), relative and sorted."""
    names = [name for name in (DENSE, ROWS, BM25_IDS) if (folder / name).is_file()]
    bm25_dir = folder / BM25_DIR
    if bm25_dir.is_dir():
        names += [p.relative_to(folder).as_posix() for p in bm25_dir.rglob("*") if p.is_file()]
    return sorted(names)


def _sha256(path: Path) -> str:
    """The hex sha256 of a file's bytes."""
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def corrupt_files(index_dir: Path, manifest: Manifest) -> list[str]:
    """The artefact files recorded in the manifest that are missing or no longer match their checksum.

    A manifest that records no files at all counts as one whole corrupt index ("manifest.json").
    """
    if not manifest.files:
        return [MANIFEST]
    bad = []
    for name, digest in sorted(manifest.files.items()):
        path = Path(index_dir) / name
        try:
            if _sha256(path) != digest:
                bad.append(name)
        except OSError:
            bad.append(name)
    return bad


def read_manifest(index_dir: Path) -> Manifest | None:
    """The manifest of a built index, or None when there is none or it is unreadable."""
    p = Path(index_dir) / MANIFEST
    try:
        return Manifest.model_validate_json(p.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def staleness(k: Knowledge, model_id: str, index_dir: Path) -> str | None:
    """Why the index in index_dir cannot be used for this corpus and model, or None when it can."""
    m = read_manifest(index_dir)
    if m is None:
        return f"no built index in {index_dir}"
    if m.format != FORMAT:
        return f"index format {m.format} is not the current {FORMAT}"
    if m.corpus_sha256 != k.fingerprint:
        return "the corpus (contract, clause notes or synonyms) changed since the index was built"
    if m.model_id != model_id:
        return f"the index was built with model {m.model_id}, not {model_id}"
    bad = corrupt_files(index_dir, m)
    if bad:
        return f"index files are corrupt (missing or not matching the manifest's sha256): {', '.join(bad)}"
    return None


def load(k: Knowledge, model_id: str, index_dir: Path) -> Artefacts:
    """Load the index; IndexUnavailable with the reason when it is missing or stale."""
    index_dir = Path(index_dir)
    reason = staleness(k, model_id, index_dir)
    if reason:
        raise IndexUnavailable(f"{reason}; run `assistant index build`")
    manifest = read_manifest(index_dir)
    assert manifest is not None
    try:
        rows = [Row.model_validate(r) for r in json.loads((index_dir / ROWS).read_text(encoding="utf-8"))]
        dense = faiss.read_index(str(index_dir / DENSE))
        bm25 = bm25s.BM25.load(str(index_dir / BM25_DIR), show_progress=False)
        bm25_ids = json.loads((index_dir / BM25_IDS).read_text(encoding="utf-8"))
    except Exception as e:
        # The checksums matched, yet a file does not parse (changed between the check and the read, or a
        # library that reads it differently): a broken index, reported like the others, never a traceback.
        log.warning("index in %s could not be read: %s: %s", index_dir, type(e).__name__, e)
        raise IndexUnavailable(f"index in {index_dir} could not be read ({type(e).__name__}); run `assistant index build`") from e
    if dense.ntotal != len(rows) or bm25_ids != k.corpus.ids:
        raise IndexUnavailable(f"index in {index_dir} is inconsistent; run `assistant index build`")
    return Artefacts(manifest, dense, rows, bm25, bm25_ids)


def ensure(k: Knowledge, embedder: Embedder, index_dir: Path, rebuild: bool = True) -> Artefacts:
    """Load the index, rebuilding it first when it is missing, stale or corrupt (or refusing, if rebuild is False).

    An index whose files pass their checksums but still cannot be read is rebuilt once too.
    """
    reason = staleness(k, embedder.model_id, index_dir)
    if reason:
        if not rebuild:
            raise IndexUnavailable(f"{reason}; run `assistant index build`")
        log.warning("rebuilding the index in %s: %s", index_dir, reason)
        build(k, embedder, index_dir)
        return load(k, embedder.model_id, index_dir)
    try:
        return load(k, embedder.model_id, index_dir)
    except IndexUnavailable:
        if not rebuild:
            raise
        build(k, embedder, index_dir)
        return load(k, embedder.model_id, index_dir)
