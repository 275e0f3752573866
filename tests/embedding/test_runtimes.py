"""The real model on both runtimes, and batched against alone, over every labelled question of tests/data.

Issue 13: the ONNX runtime must give the torch runtime's vectors (cosine ≥ 0.9999) and the same top-5 clauses,
and a batched encode the vectors of an encode alone (within 1e-5) and the same citations.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from assistant.answer.assistant import Assistant
from assistant.answer.sessions import MemorySessionStore
from assistant.bank import DEV, SEALED, load_bank
from assistant.embedding.batching import EncodeBatcher
from assistant.embedding.model import load_embedder
from assistant.evaluation import DEFAULT_CALC_QUESTIONS, DEFAULT_QUESTIONS, load_labelled
from assistant.retrieval.search import ModelNeeded, model_free
from assistant.settings import PROJECT_ROOT, Settings
from tests.conftest import TODAY

pytestmark = pytest.mark.slow


def labelled_questions() -> list[str]:
    """Every labelled question of tests/data: the eval, calculation and scope files and the whole bank."""
    out = []
    for path in (DEFAULT_QUESTIONS, DEFAULT_CALC_QUESTIONS, PROJECT_ROOT / "tests" / "data" / "scope_calibration.toml"):
        out += [q.q for q in load_labelled(path)]
    for part in (DEV, SEALED):
        bank = load_bank(part)
        out += [q.q for q in bank.questions] + [t.q for c in bank.conversations for t in c.turn]
    return list(dict.fromkeys(out))


@pytest.fixture(scope="module")
def questions() -> list[str]:
    qs = labelled_questions()
    assert len(qs) > 2000
    return qs


@pytest.fixture(scope="module")
def onnx_assistant() -> Assistant:
    """The real model on ONNX Runtime over the project's index, storing nothing."""
    return Assistant.from_settings(
        Settings(encoder="onnx"), rebuild=False, audit=None, sessions=MemorySessionStore(), today=lambda: TODAY
    )


@pytest.fixture(scope="module")
def alone(questions, onnx_assistant) -> tuple[dict[str, np.ndarray], dict[str, list[str]]]:
    """Each question searched as it stands with the ONNX runtime, every query encoded alone: the vectors by
    encoder input, and each question's top-5 clauses."""
    retriever = onnx_assistant.retriever
    embedder = retriever.embedder
    vectors: dict[str, np.ndarray] = {}
    top5 = {}
    for q in questions:
        try:
            with model_free(vectors):
                hits = retriever.search(q, k=5).hits
        except ModelNeeded as need:
            vectors[need.text] = embedder.encode_queries([need.text])[0]
            with model_free(vectors):
                hits = retriever.search(q, k=5).hits
        top5[q] = [h.clause_id for h in hits]
    return vectors, top5


def test_onnx_and_torch_give_the_same_vectors_and_top5_on_every_labelled_question(questions, onnx_assistant, alone):
    onnx_vecs, onnx_top5 = alone
    texts = sorted(onnx_vecs)
    torch_ = load_embedder(Settings(encoder="torch"))
    assert torch_.runtime == "torch" and onnx_assistant.retriever.embedder.runtime == "onnx"
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # on a busy machine torch's spinning thread pool is several times slower than one thread
    try:
        torch_all = np.vstack([torch_.encode_queries(texts[i : i + 64]) for i in range(0, len(texts), 64)])
    finally:
        torch.set_num_threads(threads)
    torch_vecs = dict(zip(texts, torch_all))
    cosines = np.array([float(onnx_vecs[t] @ torch_vecs[t]) for t in texts])
    assert cosines.min() >= 0.9999, texts[int(cosines.argmin())]

    retriever = onnx_assistant.retriever
    differ = []
    for q in questions:
        with model_free(torch_vecs):
            theirs = retriever.search(q, k=5).hits
        if [h.clause_id for h in theirs] != onnx_top5[q]:
            with model_free(onnx_vecs):
                ours = retriever.search(q, k=5).hits
            # Clauses scored alike (both fused to 1.0 when each leads one ranking) may come in either order.
            if _tied_groups(ours) != _tied_groups(theirs):
                differ.append(f"{q}: onnx {onnx_top5[q]} torch {[h.clause_id for h in theirs]}")
    assert differ == []


def _tied_groups(hits, tol: float = 1e-6) -> list[frozenset[str]]:
    """The hits in rank order as groups of clauses whose scores are equal within `tol`."""
    groups: list[tuple[float, set[str]]] = []
    for h in hits:
        if groups and abs(groups[-1][0] - h.score) <= tol:
            groups[-1][1].add(h.clause_id)
        else:
            groups.append((h.score, {h.clause_id}))
    return [frozenset(g) for _, g in groups]


def test_batched_encodes_give_the_vectors_and_citations_of_encodes_alone(questions, onnx_assistant, alone):
    a = onnx_assistant
    embedder = a.retriever.embedder
    alone_vecs = dict(alone[0])

    def citations(q: str, vectors: dict[str, np.ndarray]) -> list[str]:
        """The question's citations with these query vectors (one encoded alone when the answer needs another)."""
        while True:
            try:
                with model_free(vectors):
                    return [c.clause_id for c in a.ask(q).citations]
            except ModelNeeded as need:
                vectors[need.text] = embedder.encode_queries([need.text])[0]

    cited_alone = {q: citations(q, alone_vecs) for q in questions}
    texts = sorted(alone_vecs)

    # 16 threads at once through the batcher, as concurrent requests reach it: the calls really are shared.
    calls: list[int] = []

    def encode(batch: list[str]) -> np.ndarray:
        calls.append(len(batch))
        return embedder.encode_queries(batch)

    batcher = EncodeBatcher(encode, max_batch=16, wait_s=0.002)
    start = threading.Barrier(16)

    def worker(part: list[str]) -> list[np.ndarray]:
        start.wait()
        return [batcher.encode(t) for t in part]

    parts = [texts[i::16] for i in range(16)]
    with ThreadPoolExecutor(16) as pool:
        batched = {t: v for part, vecs in zip(parts, pool.map(worker, parts)) for t, v in zip(part, vecs)}
    assert max(calls) > 1 and len(calls) < len(texts)

    worst = max(float(np.max(np.abs(batched[t] - alone_vecs[t]))) for t in texts)
    assert worst <= 1e-5

    differ = [f"{q}: alone {cited_alone[q]} batched {got}" for q in questions if (got := citations(q, batched)) != cited_alone[q]]
    assert differ == []


def test_serving_on_onnx_never_imports_torch():
    import os
    import subprocess
    import sys

    script = (
        "import sys\n"
        "from assistant.answer.assistant import Assistant\n"
        "from assistant.api.app import create_app\n"
        "from assistant.settings import Settings\n"
        "s = Settings(encoder='onnx')\n"
        "a = Assistant.from_settings(s, rebuild=False, audit=None)\n"
        "create_app(s, a)\n"
        "assert a.ask('专线能暂停吗').citations\n"
        "print(sorted(m for m in ('torch', 'transformers', 'sentence_transformers') if m in sys.modules))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT), "HF_HUB_OFFLINE": "1"}
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1] == "[]"


def test_the_int8_runtime_stays_near_the_exact_vectors_on_every_labelled_question(onnx_assistant, alone):
    """The quantised graph moves a query's vector a little (cosine ≥ 0.99 on all but a few in a thousand), never
    far (≥ 0.98 on every one): its retrieval figures are measured in the README, this bounds the drift on every
    labelled question.

    Each query is encoded alone, as a lookup is: dynamic quantisation scales a run's activations by that run's
    range, so a query's vector depends on the batch it is run in; encoded in batches of 64, the minimum fell to
    0.989 once the bank grew (fresh clone of 2da24f8). Alone it stayed above 0.99 until batch AG brought a short
    ASR question ("钱呃是从哪天开始算的啊") at 0.984 (fresh clone of be3eaad, 11041 questions)."""
    onnx_vecs, _ = alone
    texts = sorted(onnx_vecs)
    int8 = load_embedder(Settings(encoder="onnx-int8"))
    assert int8.runtime == "onnx-int8" and int8.model_id == onnx_assistant.retriever.embedder.model_id
    int8_all = np.vstack([int8.encode_queries([t]) for t in texts])
    cosines = np.sum(int8_all * np.vstack([onnx_vecs[t] for t in texts]), axis=1)
    assert cosines.min() >= 0.98, texts[int(cosines.argmin())]
    assert np.mean(cosines >= 0.99) >= 0.999, [texts[i] for i in np.flatnonzero(cosines < 0.99)]
    assert cosines.mean() >= 0.995
