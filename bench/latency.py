"""Per encoder runtime: start-to-ready, memory, index build time, and in-process `ask` latency for lookups next
to one bare query encode.

Each runtime (ASSISTANT_ENCODER=onnx|onnx-int8|torch) is measured in a fresh process of its own, so start-up, imports
(whether torch is loaded at all) and resident memory are comparable. The lookups are the labelled questions of
tests/data/eval_questions.toml that need the model; each is asked once, with the query-vector cache off so every
ask pays its encode, and the bare encode is timed on the very text that ask encodes. `ask` goes through the
micro-batcher as the service does (alone here, it closes each batch at once); `ask, no batcher` encodes in the
caller's thread; `ask, cached` asks the same question again with the cache on (no model).

Run with `make bench` (or `.venv/bin/python bench/latency.py [--runtimes onnx,onnx-int8,torch]`). Prints figures;
asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]


def status_mib(key: str) -> float:
    """A kB field of this process's /proc status (VmRSS, VmHWM) in MiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{key}:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def timed(call) -> float:
    """Milliseconds call() takes."""
    t0 = time.perf_counter()
    call()
    return (time.perf_counter() - t0) * 1000


def measure(runtime: str) -> dict:
    """Every figure of one runtime, in this process (which must not have loaded a model yet)."""
    t0 = time.perf_counter()
    from assistant.answer.assistant import Assistant
    from assistant.corpus.knowledge import load_knowledge
    from assistant.embedding.queries import QueryEncoder
    from assistant.evaluation import DEFAULT_QUESTIONS, load_labelled
    from assistant.retrieval import index
    from assistant.retrieval.search import ModelNeeded, model_free
    from assistant.settings import Settings

    s = Settings(encoder=runtime, query_cache_size=0)
    a = Assistant.from_settings(s, rebuild=False)
    out = {
        "runtime": runtime,
        "ready_s": time.perf_counter() - t0,
        "torch_imported": "torch" in sys.modules,
        "rss_ready_mib": status_mib("VmRSS"),
    }
    embedder = a.retriever.embedder

    def needs(q: str) -> str | None:
        try:
            with model_free():
                a.ask(q)
        except ModelNeeded as need:
            return need.text
        return None

    lookups = [(q.q, t) for q in load_labelled(DEFAULT_QUESTIONS) if (t := needs(q.q))]
    for q, t in lookups[:10]:  # warm-up
        a.ask(q)
        embedder.encode_queries([t])
    measured = lookups[10:]
    batched = a.retriever.queries
    direct = QueryEncoder(embedder, cache_size=0, batch_size=1)
    cached = QueryEncoder(embedder, cache_size=len(lookups), batch_size=batched.batcher.max_batch if batched.batcher else 1)
    encode, ask, ask_direct, ask_cached = [], [], [], []
    for q, t in measured:
        encode.append(timed(lambda: embedder.encode_queries([t])))
        a.retriever.queries = batched
        ask.append(timed(lambda: a.ask(q)))
        a.retriever.queries = direct
        ask_direct.append(timed(lambda: a.ask(q)))
        a.retriever.queries = cached
        a.ask(q)
        ask_cached.append(timed(lambda: a.ask(q)))
    a.retriever.queries = batched
    out.update(
        n=len(measured),
        encode_p50=statistics.median(encode),
        encode_p99=pct(encode, 99),
        ask_p50=statistics.median(ask),
        ask_p99=pct(ask, 99),
        ask_direct_p50=statistics.median(ask_direct),
        ask_cached_p50=statistics.median(ask_cached),
        rss_after_mib=status_mib("VmRSS"),
        peak_rss_mib=status_mib("VmHWM"),
    )
    # Last, so that the figures above are those of a serving process (which does not build the index).
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        index.build(load_knowledge(Path(s.corpus_dir)), embedder, Path(tmp) / "index")
        out["index_build_s"] = time.perf_counter() - t0
    out["rss_after_build_mib"] = status_mib("VmRSS")
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--runtimes", default="onnx,onnx-int8,torch", help="comma-separated: onnx, onnx-int8, torch (default all)")
    p.add_argument("--one", help=argparse.SUPPRESS)  # internal: measure this runtime here and print JSON
    args = p.parse_args(argv)
    if args.one:
        print(json.dumps(measure(args.one)))
        return 0
    runtimes = [r.strip() for r in args.runtimes.split(",") if r.strip()]
    from assistant.settings import ENCODERS

    if not runtimes or set(runtimes) - set(ENCODERS):
        p.error(f"--runtimes must name some of {', '.join(ENCODERS)}, got {runtimes!r}")
    print(f"cpus: {os.cpu_count()}; load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
    rows = []
    for rt in runtimes:
        done = subprocess.run(
            [sys.executable, __file__, "--one", rt], env=env, capture_output=True, text=True, check=False
        )
        if done.returncode:
            sys.exit(f"measuring {rt} failed:\n{done.stderr[-3000:]}")
        rows.append(json.loads(done.stdout.strip().splitlines()[-1]))
    for r in rows:
        print(
            f"\n[{r['runtime']}] start-to-ready {r['ready_s']:.2f} s (imports, model, index; torch imported:"
            f" {'yes' if r['torch_imported'] else 'no'}); RSS ready {r['rss_ready_mib']:.0f} MiB, after asking"
            f" {r['rss_after_mib']:.0f} MiB, peak {r['peak_rss_mib']:.0f} MiB; index build {r['index_build_s']:.2f} s"
            f" (RSS after it {r['rss_after_build_mib']:.0f} MiB)"
        )
        print(f"  bare encode        p50 {r['encode_p50']:6.1f} ms  p99 {r['encode_p99']:6.1f} ms  (n={r['n']} lookups)")
        print(f"  ask                p50 {r['ask_p50']:6.1f} ms  p99 {r['ask_p99']:6.1f} ms"
              f"  = {r['ask_p50'] / r['encode_p50']:.2f} × bare encode")
        print(f"  ask, no batcher    p50 {r['ask_direct_p50']:6.1f} ms")
        print(f"  ask, cached vector p50 {r['ask_cached_p50']:6.1f} ms")
    print(f"\nload average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
