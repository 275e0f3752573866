"""Index build time, start-to-ready, and in-process `ask` latency for lookups next to one bare query encode.

Run with `make bench` (or `.venv/bin/python bench/latency.py`). Prints figures; asserts nothing.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

from assistant.answer.assistant import Assistant
from assistant.corpus.knowledge import load_knowledge
from assistant.embedding.model import load_embedder
from assistant.evaluation import DEFAULT_QUESTIONS, load_labelled
from assistant.retrieval import index
from assistant.settings import Settings


def pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]


def main() -> None:
    s = Settings()
    t0 = time.perf_counter()
    embedder = load_embedder(s)
    t_model = time.perf_counter() - t0
    k = load_knowledge(Path(s.corpus_dir))
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        index.build(k, embedder, Path(tmp) / "index")
        print(f"index build: {time.perf_counter() - t0:.2f} s")

    t0 = time.perf_counter()
    a = Assistant.from_settings(Settings(), rebuild=False)
    print(f"start-to-ready (model load {t_model:.2f} s in a fresh process is comparable): {time.perf_counter() - t0:.2f} s")

    questions = [q.q for q in load_labelled(DEFAULT_QUESTIONS)]
    for q in questions[:10]:  # warm-up
        a.ask(q)
    encode, ask = [], []
    for q in questions:
        t0 = time.perf_counter()
        a.retriever.embedder.encode_queries([q])
        encode.append((time.perf_counter() - t0) * 1000)
        t0 = time.perf_counter()
        a.ask(q)
        ask.append((time.perf_counter() - t0) * 1000)
    print(f"bare encode  p50 {statistics.median(encode):.1f} ms  p99 {pct(encode, 99):.1f} ms  (n={len(encode)})")
    print(f"ask          p50 {statistics.median(ask):.1f} ms  p99 {pct(ask, 99):.1f} ms")
    print(f"ask / encode p50 ratio {statistics.median(ask) / statistics.median(encode):.2f}")


if __name__ == "__main__":
    main()
