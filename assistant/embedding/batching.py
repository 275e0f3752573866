"""Micro-batching: concurrent query encodes share one encoder call.

An encode costs less per query in a batch, and concurrent single encodes only queue for the same cores. How
much less depends on the machine: the model's cost grows with the tokens encoded, and a batch is padded to its
longest query. On the 2-core machine of bench/load.py a 16-token query takes 6.7 ms alone and 4.6 ms each in a
batch of 8 like it, but real lookups of mixed length 9.4 ms alone and 8.3 ms each in a batch of 8: one query
already keeps both cores near their arithmetic peak there. So queries go to one encoder thread,
which takes everything waiting (up to a batch size), waits a few milliseconds more for other answers in
progress to reach their encode, and runs them as one call.

The wait never delays a lone query: callers that are answering announce it (:meth:`EncodeBatcher.expecting`),
and a batch closes as soon as no announced caller is left that has not queued its query — at once when a
single question is asked, after at most ``wait_s`` under load.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

import numpy as np

__all__ = ["BatchStats", "EncodeBatcher"]


@dataclass
class _Pending:
    """One query waiting for its vector."""

    text: str
    future: Future
    queued_at: float = field(default_factory=time.monotonic)


@dataclass
class _Caller:
    """An answer in progress that announced it may encode; `counted` while it has not queued a query yet."""

    batcher: EncodeBatcher
    counted: bool = True


@dataclass(frozen=True)
class BatchStats:
    """How the batcher has run: encoder calls made and queries they encoded."""

    batches: int
    queries: int


_caller: ContextVar[_Caller | None] = ContextVar("encode_caller", default=None)


class EncodeBatcher:
    """Collects queries from any thread or event loop and encodes them together on one thread.

    Results are those of encoding each query alone up to float rounding (the batch is padded and masked as
    sentence-transformers pads its own batches): tests/embedding/test_batching.py checks 1e-5 on every
    labelled question. The encoder thread starts on the first query and ends after ``idle_s`` without one.
    """

    def __init__(
        self, encode: Callable[[list[str]], np.ndarray], max_batch: int, wait_s: float, idle_s: float = 30.0
    ):
        if max_batch < 1 or wait_s < 0:
            raise ValueError(f"max_batch must be >= 1 and wait_s >= 0, got {max_batch} and {wait_s}")
        self._encode = encode
        self.max_batch = max_batch
        self.wait_s = wait_s
        self.idle_s = idle_s
        self._cond = threading.Condition()
        self._queue: deque[_Pending] = deque()
        self._announced = 0
        self._thread: threading.Thread | None = None
        # True while an encoder call runs (on the batcher's thread or, for a lone query, in its caller's).
        self._busy = False
        self._batches = 0
        self._queries = 0

    @property
    def stats(self) -> BatchStats:
        """Encoder calls made and queries encoded so far."""
        with self._cond:
            return BatchStats(self._batches, self._queries)

    @contextmanager
    def expecting(self) -> Iterator[None]:
        """Within this block the caller counts as an answer that may still bring a query to the batch.

        The batcher holds a batch open (at most ``wait_s``) only while such callers have not queued yet.
        """
        caller = _Caller(self)
        token = _caller.set(caller)
        with self._cond:
            self._announced += 1
        try:
            yield
        finally:
            _caller.reset(token)
            with self._cond:
                self._uncount(caller)
                self._cond.notify_all()

    def _uncount(self, caller: _Caller | None) -> None:
        """The caller will bring no more queries to hold a batch open for (lock held)."""
        if caller is not None and caller.batcher is self and caller.counted:
            caller.counted = False
            self._announced -= 1

    def submit(self, text: str) -> Future:
        """Queue one query; the future gets its vector (or the encoder's exception)."""
        pending = _Pending(text, Future())
        with self._cond:
            self._uncount(_caller.get())
            self._queue.append(pending)
            if self._thread is None:
                self._thread = threading.Thread(target=self._serve, name="encode-batcher", daemon=True)
                self._thread.start()
            self._cond.notify_all()
        return pending.future

    def encode(self, text: str) -> np.ndarray:
        """The query's vector, waiting in this thread.

        When the encoder is idle, nothing is queued and no other answer is in progress, the query would make a
        batch of one: it is encoded right here, sparing the hand-over to the batcher's thread and back (about
        a millisecond). Queries arriving meanwhile queue for the batcher, which starts once this call is done.
        """
        with self._cond:
            alone = not self._busy and not self._queue and self._announced == 0
            if alone:
                self._busy = True
        if not alone:
            return self.submit(text).result()
        try:
            vec = self._encode([text])[0]
        finally:
            with self._cond:
                self._busy = False
                self._batches += 1
                self._queries += 1
                self._cond.notify_all()
        return vec

    async def encode_async(self, text: str) -> np.ndarray:
        """The query's vector, awaited on the event loop (which stays free meanwhile)."""
        return await asyncio.wrap_future(self.submit(text))

    def _serve(self) -> None:
        """The encoder thread: take a batch, encode it, hand out the vectors; end when idle."""
        while True:
            batch = self._take()
            if batch is None:
                return
            # A query whose caller has gone (a cancelled request) is dropped; the others can no longer be cancelled.
            batch = [p for p in batch if p.future.set_running_or_notify_cancel()]
            try:
                if batch:
                    self._run(batch)
            finally:
                with self._cond:
                    self._busy = False
                    self._cond.notify_all()

    def _take(self) -> list[_Pending] | None:
        """The next batch, or None (the thread ends) after idle_s without a query."""
        with self._cond:
            while not self._queue:
                if not self._cond.wait(self.idle_s) and not self._queue:
                    self._thread = None
                    return None
            while self._busy:  # a caller is encoding its lone query; what queues meanwhile makes the next batch
                self._cond.wait()
            deadline = self._queue[0].queued_at + self.wait_s
            while len(self._queue) < self.max_batch and self._announced > 0:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self._cond.wait(remaining)
            self._busy = True
            return [self._queue.popleft() for _ in range(min(self.max_batch, len(self._queue)))]

    def _run(self, batch: list[_Pending]) -> None:
        """Encode the batch's distinct texts in one call and resolve every future."""
        texts = list(dict.fromkeys(p.text for p in batch))
        try:
            vectors = self._encode(texts)
        except BaseException as exc:  # every waiter gets the failure; the thread lives on for the next batch
            for p in batch:
                p.future.set_exception(exc)
            return
        row = {t: i for i, t in enumerate(texts)}
        with self._cond:
            self._batches += 1
            self._queries += len(batch)
        for p in batch:
            p.future.set_result(vectors[row[p.text]])
