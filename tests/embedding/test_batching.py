"""The micro-batcher and the query-vector cache, with a recording encoder (no model)."""

from __future__ import annotations

import asyncio
import contextvars
import threading

import numpy as np
import pytest

from assistant.embedding.batching import EncodeBatcher
from assistant.embedding.queries import QueryEncoder, QueryVectorCache
from tests.fakes import FakeEmbedder

# Long enough that a test relying on the wait ending early fails (by timing out below) rather than passing by luck.
FOREVER = 3600.0
DONE = 60.0  # result() timeouts: only ever reached when the behaviour under test is broken


class Recording:
    """An encoder that records each call's texts and can be held inside a call until released."""

    def __init__(self):
        self.fake = FakeEmbedder()
        self.calls: list[list[str]] = []
        self.hold = threading.Event()
        self.hold.set()
        self.inside = threading.Event()

    def __call__(self, texts: list[str]) -> np.ndarray:
        self.calls.append(list(texts))
        self.inside.set()
        assert self.hold.wait(DONE)
        if any(t == "boom" for t in texts):
            raise RuntimeError("encoder failed")
        return self.fake.encode_queries(texts)


def test_a_lone_query_is_encoded_at_once_whatever_the_wait():
    rec = Recording()
    batcher = EncodeBatcher(rec, max_batch=16, wait_s=FOREVER)
    vec = batcher.submit("专线").result(DONE)  # nobody else is answering: no reason to wait
    np.testing.assert_array_equal(vec, rec.fake.encode_queries(["专线"])[0])
    assert rec.calls == [["专线"]]


def test_a_batch_waits_for_answers_in_progress_and_takes_their_queries_too():
    rec = Recording()
    batcher = EncodeBatcher(rec, max_batch=16, wait_s=FOREVER)
    go = threading.Event()
    results = {}

    def answering():
        with batcher.expecting():
            assert go.wait(DONE)
            results["late"] = batcher.encode("违约金")

    t = threading.Thread(target=answering)
    t.start()
    while batcher._announced != 1:  # the other answer has announced itself
        threading.Event().wait(0.001)
    early = batcher.submit("暂停")
    go.set()
    t.join(DONE)
    early.result(DONE)
    assert rec.calls == [["暂停", "违约金"]]  # one call for both
    np.testing.assert_array_equal(results["late"], rec.fake.encode_queries(["违约金"])[0])


def test_an_answer_that_needs_no_encode_stops_holding_the_batch_when_it_ends():
    rec = Recording()
    batcher = EncodeBatcher(rec, max_batch=16, wait_s=FOREVER)
    done = threading.Event()

    def calculation():
        with batcher.expecting():
            assert done.wait(DONE)  # answers without the model

    t = threading.Thread(target=calculation)
    t.start()
    while batcher._announced != 1:
        threading.Event().wait(0.001)
    fut = batcher.submit("暂停")
    done.set()
    t.join(DONE)
    fut.result(DONE)
    assert rec.calls == [["暂停"]]


def test_queries_arriving_while_the_encoder_is_busy_share_the_next_calls_up_to_the_batch_size():
    rec = Recording()
    batcher = EncodeBatcher(rec, max_batch=16, wait_s=0.0)
    rec.hold.clear()
    first = batcher.submit("q-first")
    assert rec.inside.wait(DONE)  # the encoder is busy with the first query
    texts = [f"q{i}" for i in range(40)]
    futures = [batcher.submit(t) for t in texts]
    rec.hold.set()
    vecs = [f.result(DONE) for f in futures]
    first.result(DONE)
    assert [len(c) for c in rec.calls] == [1, 16, 16, 8]
    np.testing.assert_allclose(np.vstack(vecs), rec.fake.encode_queries(texts), atol=1e-6)
    assert batcher.stats.batches == 4 and batcher.stats.queries == 41


def test_a_text_asked_twice_in_one_batch_is_encoded_once():
    rec = Recording()
    batcher = EncodeBatcher(rec, max_batch=16, wait_s=0.0)
    rec.hold.clear()
    busy = batcher.submit("busy")
    assert rec.inside.wait(DONE)
    a, b = batcher.submit("同一个"), batcher.submit("同一个")
    rec.hold.set()
    busy.result(DONE)
    np.testing.assert_array_equal(a.result(DONE), b.result(DONE))
    assert rec.calls[1] == ["同一个"]


def test_an_encoder_failure_reaches_every_waiter_and_the_batcher_goes_on():
    rec = Recording()
    batcher = EncodeBatcher(rec, max_batch=16, wait_s=0.0)
    rec.hold.clear()
    busy = batcher.submit("busy")
    assert rec.inside.wait(DONE)
    bad, good = batcher.submit("boom"), batcher.submit("fine")
    rec.hold.set()
    busy.result(DONE)
    for fut in (bad, good):
        with pytest.raises(RuntimeError, match="encoder failed"):
            fut.result(DONE)
    assert batcher.submit("again").result(DONE).shape == (FakeEmbedder.dim,)


def test_the_event_loop_awaits_a_vector_without_blocking():
    rec = Recording()
    batcher = EncodeBatcher(rec, max_batch=16, wait_s=FOREVER)

    async def main():
        with batcher.expecting():  # answer B is in progress
            # Answer A's query, from a task of its own (not announced as B).
            first = asyncio.get_running_loop().create_task(batcher.encode_async("甲"), context=contextvars.Context())
            await asyncio.sleep(0)  # the loop is free: A has queued, and the batch is held open for B
            second = await batcher.encode_async("乙")
        return await first, second

    a, b = asyncio.run(main())
    assert rec.calls == [["甲", "乙"]]
    np.testing.assert_array_equal(b, rec.fake.encode_queries(["乙"])[0])


def test_batcher_arguments_are_checked():
    with pytest.raises(ValueError):
        EncodeBatcher(Recording(), max_batch=0, wait_s=0.0)
    with pytest.raises(ValueError):
        EncodeBatcher(Recording(), max_batch=4, wait_s=-1.0)


def test_the_cache_keeps_the_most_recently_used_vectors_and_counts_hits():
    cache = QueryVectorCache(2)
    one, two, three = (np.full(4, i, dtype=np.float32) for i in (1, 2, 3))
    assert cache.get("a") is None
    cache.put("a", one)
    cache.put("b", two)
    assert cache.get("a") is not None  # a is now the most recent: b goes first
    cache.put("c", three)
    assert cache.get("b") is None
    np.testing.assert_array_equal(cache.get("a"), one)
    np.testing.assert_array_equal(cache.get("c"), three)
    s = cache.stats
    assert (s.hits, s.misses, s.entries, s.capacity) == (3, 2, 2, 2)
    assert s.hit_rate == pytest.approx(0.6)
    with pytest.raises(ValueError):
        cache.get("a")[0] = 9.0  # shared vectors are read-only


def test_a_cache_of_size_zero_keeps_nothing():
    cache = QueryVectorCache(0)
    cache.put("a", np.ones(4, dtype=np.float32))
    assert cache.get("a") is None and cache.stats.entries == 0


def test_the_query_encoder_encodes_a_question_once_then_answers_it_from_the_cache():
    fake = FakeEmbedder()
    queries = QueryEncoder(fake, cache_size=8, batch_size=16, wait_ms=2.0)
    assert queries.cached("专线") is None
    vec = queries.encode("专线")
    calls = fake.calls
    np.testing.assert_array_equal(queries.cached("专线"), vec)
    assert fake.calls == calls
    assert queries.cache.stats.hits == 1 and queries.batch_stats.queries == 1


def test_without_batching_the_query_is_encoded_in_the_callers_thread():
    seen = []

    class Where(FakeEmbedder):
        def encode_queries(self, texts):
            seen.append(threading.current_thread().name)
            return super().encode_queries(texts)

    queries = QueryEncoder(Where(), cache_size=0, batch_size=1)
    queries.encode("专线")
    assert seen == [threading.current_thread().name] and not queries.batching


def test_a_cancelled_query_is_dropped_and_the_batcher_goes_on():
    rec = Recording()
    batcher = EncodeBatcher(rec, max_batch=16, wait_s=0.0)
    rec.hold.clear()
    busy = batcher.submit("busy")
    assert rec.inside.wait(DONE)
    gone, kept = batcher.submit("gone"), batcher.submit("kept")
    assert gone.cancel()  # its request was cancelled while it waited
    rec.hold.set()
    busy.result(DONE)
    kept.result(DONE)
    assert rec.calls[1] == ["kept"]
    assert batcher.submit("again").result(DONE).shape == (FakeEmbedder.dim,)


def test_a_lone_query_in_a_thread_is_encoded_there_and_others_queue_meanwhile():
    rec = Recording()
    batcher = EncodeBatcher(rec, max_batch=16, wait_s=0.0)
    where = []
    rec_call = rec.__call__

    def encode(texts):
        where.append(threading.current_thread().name)
        return rec_call(texts)

    batcher._encode = encode
    rec.hold.clear()
    result = {}
    t = threading.Thread(target=lambda: result.setdefault("v", batcher.encode("独自")), name="caller")
    t.start()
    assert rec.inside.wait(DONE)  # encoding in its own thread
    queued = [batcher.submit("甲"), batcher.submit("乙")]  # the encoder is busy: these wait for the batcher
    rec.hold.set()
    t.join(DONE)
    for f in queued:
        f.result(DONE)
    assert where == ["caller", "encode-batcher"] and rec.calls == [["独自"], ["甲", "乙"]]
    np.testing.assert_array_equal(result["v"], rec.fake.encode_queries(["独自"])[0])
