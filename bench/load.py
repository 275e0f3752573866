"""HTTP load on a running service: requests/s and latency of POST /v1/ask at several concurrencies.

Two workloads go to the service: lookup questions (the in-scope colloquial questions of
tests/data/eval_questions.toml, each with its channel) and calculation questions (tests/data/calc_questions.toml).
Each (workload, concurrency) run stops at --requests requests or --seconds seconds, whichever comes first;
requests already sent then finish (bounded by --timeout). The same client drives bench/bare_app.py, a bare
FastAPI endpoint this script serves itself with uvicorn on a free 127.0.0.1 port, right after each calculation
run at the same concurrency, so the service's throughput reads as a share of what FastAPI, uvicorn and this
client allow on the machine at that moment. This machine's speed drifts by tens of percent from minute to
minute, so the whole sequence runs --rounds times and the summary gives medians, the share as the median of
the rounds' paired runs. "cpu ms" is the server process's CPU time per answered request (from /proc), the
figure least moved by that drift. Last, one bare query encode of the real model is timed in this process,
next to the lookup p50.

    python bench/load.py                      # a service already listening on http://127.0.0.1:8000
    python bench/load.py --url http://127.0.0.1:8765 --pid 4242 --concurrency 1,8,32
    python bench/load.py --start-server       # starts `assistant serve` itself and reports start-to-ready
    python bench/load.py --start-server --encoders onnx,torch --batching on,off --workloads lookup

With --start-server the service is started once per encoder runtime (ASSISTANT_ENCODER) and batching setting
(off: ASSISTANT_ENCODE_BATCH_SIZE=1), one after the other, each measured the same way; the calculation workload
(which needs no encoder) runs with the first of them only. The query-vector cache is off in those servers
(ASSISTANT_QUERY_CACHE_SIZE=0) unless --cache is given: the lookup workload repeats its questions, so with the
cache every lookup after the first round would skip the model and the figures would not measure the encoder.
Last, one bare query encode of each runtime is timed in this process (single, and per query in batches of 8
and 32), next to the lookup p50s.

Each of the `concurrency` asyncio workers owns an httpx.AsyncClient holding one keep-alive connection.
A service started by --start-server gets a per-client budget the bench cannot exhaust; one started by hand
needs ASSISTANT_RATE_PER_MINUTE_IP raised likewise, or its 429s show under errors.
Traffic goes only to 127.0.0.1. requests/s and percentiles count successful (200) responses; anything else,
a transport error or a timeout included, is counted under errors. The client shares the machine's CPUs with
the server, so figures at high concurrency are those of the pair. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import math
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import tomllib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import httpx

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
LOCAL_HOSTS = {"127.0.0.1", "localhost"}
# Defaults for the servers the benches start; the caller's environment wins. The model loads offline, as
# `make run` does; every bench request comes from 127.0.0.1, so the per-client budget is lifted to measure
# the service rather than its rate limiter.
SERVER_ENV = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "TOKENIZERS_PARALLELISM": "false",
    "ASSISTANT_RATE_PER_MINUTE_IP": "1000000000",
}


@dataclass(frozen=True)
class Question:
    """One request body for POST /v1/ask."""

    question: str
    channel: str = "widget"

    def body(self) -> dict[str, str]:
        """The JSON body of the request."""
        return {"question": self.question, "channel": self.channel}


@dataclass
class RunResult:
    """What one (target, workload, concurrency) run measured."""

    workload: str
    concurrency: int
    latencies_ms: list[float] = field(default_factory=list)
    error_kinds: Counter[str] = field(default_factory=Counter)
    elapsed_s: float = 0.0
    # CPU seconds the server process spent during the run (None when its pid is unknown).
    server_cpu_s: float | None = None

    @property
    def errors(self) -> int:
        """Requests that got no 200: other status codes, transport errors and timeouts."""
        return sum(self.error_kinds.values())

    @property
    def rps(self) -> float:
        """Successful requests per second of wall time."""
        return len(self.latencies_ms) / self.elapsed_s if self.elapsed_s else 0.0

    def pct(self, p: float) -> float:
        """Nearest-rank percentile of the successful latencies, in ms (NaN when none succeeded)."""
        xs = sorted(self.latencies_ms)
        if not xs:
            return float("nan")
        return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]

    @property
    def cpu_ms(self) -> float:
        """Server CPU per answered request, in ms (NaN when unknown)."""
        if self.server_cpu_s is None or not self.latencies_ms:
            return float("nan")
        return self.server_cpu_s * 1000 / len(self.latencies_ms)

    def row(self) -> str:
        """One line of the results table."""
        return (
            f"{self.workload:<12} {self.concurrency:>5} {self.rps:>9.1f} {self.pct(50):>9.1f} {self.pct(99):>9.1f}"
            f" {self.cpu_ms:>9.2f} {self.errors:>7} {len(self.latencies_ms) + self.errors:>6}"
            + (f"  ({', '.join(f'{k}×{n}' for k, n in self.error_kinds.most_common())})" if self.errors else "")
        )


HEADER = (
    f"{'workload':<12} {'conc':>5} {'req/s':>9} {'p50 ms':>9} {'p99 ms':>9} {'cpu ms':>9} {'errors':>7} {'sent':>6}"
)


def process_cpu_s(pid: int | None) -> float | None:
    """User + system CPU seconds of a process so far, from /proc (None without a pid or on other systems)."""
    if pid is None:
        return None
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def lookup_questions(path: Path = DATA / "eval_questions.toml") -> list[Question]:
    """The in-scope labelled questions (out-of-scope ones take a different, shorter path)."""
    with path.open("rb") as f:
        raw = tomllib.load(f)["question"]
    return [Question(r["q"], r.get("channel", "widget")) for r in raw if r.get("clauses")]


def calc_questions(path: Path = DATA / "calc_questions.toml") -> list[Question]:
    """The colloquial calculation questions."""
    with path.open("rb") as f:
        raw = tomllib.load(f)["question"]
    return [Question(r["q"], r.get("channel", "widget")) for r in raw]


def require_local(url: str) -> str:
    """The URL without a trailing slash; exits unless it points at this machine's loopback."""
    host = urlsplit(url).hostname
    if host not in LOCAL_HOSTS:
        sys.exit(f"refusing to send load to {host!r}: only 127.0.0.1 is allowed")
    return url.rstrip("/")


def check_up(base_url: str) -> None:
    """Exit with a hint unless the service answers GET /healthz."""
    try:
        httpx.get(f"{base_url}/healthz", timeout=5.0).raise_for_status()
    except httpx.HTTPError as e:
        sys.exit(f"no service at {base_url} ({e}); start one with `assistant serve` or pass --start-server")


def load_average() -> str:
    """The 1, 5 and 15 minute load averages (read before a run: during one, the server's own threads count)."""
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ServerProcess:
    """A server subprocess that is ready once `probe` answers 200, and is always stopped on exit."""

    def __init__(
        self,
        argv: list[str],
        base_url: str,
        probe: tuple[str, str, dict | None],
        ready_timeout: float,
        env: dict[str, str] | None = None,
    ):
        self.argv = argv
        self.env = env or {}
        self.base_url = base_url
        self.probe = probe
        self.ready_timeout = ready_timeout
        self.proc: subprocess.Popen | None = None
        # A file, not a pipe: nobody reads the server's output while it runs, and a full pipe would block it.
        self.log = tempfile.NamedTemporaryFile(prefix="bench-server-", suffix=".log", delete=False)
        self.start_to_ready_s = float("nan")

    @property
    def pid(self) -> int:
        """The server's process id."""
        assert self.proc is not None
        return self.proc.pid

    def __enter__(self) -> ServerProcess:
        t0 = time.perf_counter()
        self.proc = subprocess.Popen(
            self.argv, cwd=ROOT, env={**SERVER_ENV, **os.environ, **self.env}, stdout=self.log, stderr=subprocess.STDOUT
        )
        try:
            self._wait_ready()
        except BaseException:
            self.stop()
            raise
        self.start_to_ready_s = time.perf_counter() - t0
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _wait_ready(self) -> None:
        """Poll the probe until it answers 200; exits with the server's log tail if it dies or times out."""
        method, path, body = self.probe
        deadline = time.monotonic() + self.ready_timeout
        with httpx.Client(base_url=self.base_url, timeout=5.0) as client:
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    self._fail(f"server exited with code {self.proc.returncode} before it was ready")
                try:
                    if client.request(method, path, json=body).status_code == 200:
                        return
                except httpx.TransportError:
                    pass  # not listening yet
                time.sleep(0.1)
        self._fail(f"server not ready after {self.ready_timeout:.0f} s")

    def _fail(self, message: str) -> None:
        """Exit with `message` and the end of the server's log."""
        tail = Path(self.log.name).read_text(errors="replace").splitlines()[-20:]
        self.stop()
        sys.exit(f"{message}: {' '.join(self.argv)}\n" + "\n".join(tail))

    def stop(self) -> None:
        """SIGTERM (uvicorn shuts down gracefully), then SIGKILL if it lingers."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        Path(self.log.name).unlink(missing_ok=True)


def assistant_server(
    port: int, *extra: str, ready_timeout: float = 600.0, env: dict[str, str] | None = None
) -> ServerProcess:
    """`python -m assistant.cli serve` on 127.0.0.1:port; ready at /healthz (serve loads the model before listening).

    `env` overrides the server's environment (e.g. ASSISTANT_ENCODER) over the caller's.
    """
    argv = [sys.executable, "-m", "assistant.cli", "serve", "--host", "127.0.0.1", "--port", str(port), *extra]
    return ServerProcess(argv, f"http://127.0.0.1:{port}", ("GET", "/healthz", None), ready_timeout, env=env)


def bare_server(port: int, ready_timeout: float = 60.0) -> ServerProcess:
    """bench/bare_app.py under uvicorn with one worker; it has no /healthz, so its own endpoint is the probe."""
    argv = [sys.executable, "-m", "uvicorn", "--app-dir", str(ROOT / "bench"), "bare_app:app"]
    argv += ["--host", "127.0.0.1", "--port", str(port), "--workers", "1", "--log-level", "warning"]
    probe = ("POST", "/v1/ask", Question("ping").body())
    return ServerProcess(argv, f"http://127.0.0.1:{port}", probe, ready_timeout)


async def drive(
    base_url: str,
    workload: str,
    questions: list[Question],
    concurrency: int,
    max_requests: int,
    max_seconds: float,
    timeout: float,
) -> RunResult:
    """POST questions round-robin from `concurrency` workers until max_requests are sent or max_seconds pass."""
    result = RunResult(workload, concurrency)
    sent = 0
    # One client with one connection per worker: a single AsyncClient shared by 32 workers spends more CPU in
    # its connection pool than the bare endpoint does answering, and would cap the figures at the client.
    clients = [
        httpx.AsyncClient(base_url=base_url, timeout=timeout, limits=httpx.Limits(max_connections=1))
        for _ in range(concurrency)
    ]
    try:
        # Warm-up outside the measurement: first requests pay for connection set-up and lazy initialisation.
        warm_up = (c.post("/v1/ask", json=questions[i % len(questions)].body()) for i, c in enumerate(clients))
        await asyncio.gather(*warm_up, return_exceptions=True)
        t0 = time.perf_counter()
        deadline = t0 + max_seconds

        async def worker(client: httpx.AsyncClient) -> None:
            nonlocal sent
            # The check and the increment run without an await between them, so workers never overshoot the count.
            while sent < max_requests and time.perf_counter() < deadline:
                q = questions[sent % len(questions)]
                sent += 1
                start = time.perf_counter()
                try:
                    r = await client.post("/v1/ask", json=q.body())
                except httpx.HTTPError as e:
                    result.error_kinds[type(e).__name__] += 1
                    continue
                if r.status_code == 200:
                    result.latencies_ms.append((time.perf_counter() - start) * 1000)
                else:
                    result.error_kinds[str(r.status_code)] += 1

        await asyncio.gather(*(worker(c) for c in clients))
        result.elapsed_s = time.perf_counter() - t0
    finally:
        await asyncio.gather(*(c.aclose() for c in clients))
    return result


@dataclass(frozen=True)
class Target:
    """A server under load: where it listens and, when known, its process id (for its CPU time)."""

    base_url: str
    pid: int | None = None


def run_one(target: Target, workload: str, questions: list[Question], concurrency: int, args: argparse.Namespace):
    """One measured run, printed as it completes."""
    cpu0 = process_cpu_s(target.pid)
    r = asyncio.run(drive(target.base_url, workload, questions, concurrency, args.requests, args.seconds, args.timeout))
    cpu1 = process_cpu_s(target.pid)
    r.server_cpu_s = cpu1 - cpu0 if cpu0 is not None and cpu1 is not None else None
    print(r.row(), flush=True)
    return r


@dataclass(frozen=True)
class Pair:
    """A calculation run and the bare endpoint's run right after it, at the same concurrency."""

    service: RunResult
    bare: RunResult

    @property
    def share(self) -> float:
        """The service's requests/s as a fraction of the bare endpoint's (NaN when the bare run failed)."""
        return self.service.rps / self.bare.rps if self.bare.rps else float("nan")


def run_rounds(
    service: Target, bare: Target | None, workloads: dict[str, list[Question]], args: argparse.Namespace
) -> tuple[list[RunResult], list[Pair]]:
    """`args.rounds` rounds; in each, every workload at every concurrency, each calculation run followed by the
    bare endpoint (given the same bodies: its answer is constant, so only the bytes sent matter) at the same
    concurrency, so that the pair shares the machine's state of the moment."""
    runs: list[RunResult] = []
    pairs: list[Pair] = []
    for i in range(args.rounds):
        print(f"-- round {i + 1} of {args.rounds}")
        for name, questions in workloads.items():
            for c in args.concurrency:
                runs.append(run_one(service, name, questions, c, args))
                if name == "calculation" and bare is not None:
                    pairs.append(Pair(runs[-1], run_one(bare, "bare", questions, c, args)))
    return runs, pairs


def summarise(runs: list[RunResult], pairs: list[Pair], concurrency: list[int]) -> None:
    """Medians over the rounds, and the calculation throughput as a share of the bare endpoint's."""
    every = runs + [p.bare for p in pairs]
    med = statistics.median
    print(f"\nmedians over the rounds\n{HEADER.replace('sent', 'runs')}")
    for workload in dict.fromkeys(r.workload for r in every):
        for c in concurrency:
            group = [r for r in every if r.workload == workload and r.concurrency == c]
            cpu = [r.cpu_ms for r in group if not math.isnan(r.cpu_ms)]
            print(
                f"{workload:<12} {c:>5} {med(r.rps for r in group):>9.1f} {med(r.pct(50) for r in group):>9.1f}"
                f" {med(r.pct(99) for r in group):>9.1f} {med(cpu) if cpu else float('nan'):>9.2f}"
                f" {sum(r.errors for r in group):>7} {len(group):>6}"
            )
    if not pairs:
        return
    print("\ncalculation req/s as % of the bare FastAPI endpoint (median of the rounds' paired runs):")
    for c in concurrency:
        shares = sorted(p.share for p in pairs if p.service.concurrency == c)
        print(f"  conc {c:>3}: {med(shares):6.1%}  (rounds: {', '.join(f'{x:.0%}' for x in shares)})")


@dataclass(frozen=True)
class EncodeTimes:
    """One runtime's bare encode, in this process: p50 of a single query, and per query in batches."""

    runtime: str
    single_ms: float
    per_query_ms: dict[int, float]


def encode_ms(questions: list[Question], runtime: str, n: int = 30, batches: tuple[int, ...] = (8, 32)) -> EncodeTimes:
    """Median of one bare query encode of the real model on `runtime`, in this process, and per query in batches."""
    from assistant.embedding.model import load_embedder
    from assistant.settings import Settings

    embedder = load_embedder(Settings(encoder=runtime))
    texts = [q.question for q in questions[:n]]
    for t in texts[:5]:  # warm-up: the first calls allocate
        embedder.encode_queries([t])
    times = []
    for t in texts:
        t0 = time.perf_counter()
        embedder.encode_queries([t])
        times.append((time.perf_counter() - t0) * 1000)
    per_query = {}
    for size in batches:
        batch = [questions[i % len(questions)].question for i in range(size)]
        embedder.encode_queries(batch)
        runs = []
        for _ in range(5):
            t0 = time.perf_counter()
            embedder.encode_queries(batch)
            runs.append((time.perf_counter() - t0) * 1000 / size)
        per_query[size] = statistics.median(runs)
    return EncodeTimes(runtime, statistics.median(times), per_query)


@dataclass(frozen=True)
class Config:
    """One way of starting the service: its encoder runtime and whether lookups share encoder calls."""

    encoder: str
    batching: bool

    @property
    def name(self) -> str:
        return f"{self.encoder}, batching {'on' if self.batching else 'off'}"

    def env(self, cache: bool) -> dict[str, str]:
        """The server's environment for this configuration."""
        env = {"ASSISTANT_ENCODER": self.encoder}
        if not self.batching:
            env["ASSISTANT_ENCODE_BATCH_SIZE"] = "1"
        if not cache:
            env["ASSISTANT_QUERY_CACHE_SIZE"] = "0"
        return env


def lookup_table(results: dict[Config, list[RunResult]], concurrency: list[int], encodes: dict[str, EncodeTimes]) -> None:
    """Lookups of every configuration side by side (medians over the rounds), with the issue's targets."""
    med = statistics.median
    print(f"\nlookups by configuration (medians over the rounds)\n{'configuration':<22} {'conc':>5} {'req/s':>9}"
          f" {'p50 ms':>9} {'p99 ms':>9} {'cpu ms':>9}  p50 / bare encode")
    for config, runs in results.items():
        rows = {}
        for c in concurrency:
            group = [r for r in runs if r.workload == "lookup" and r.concurrency == c]
            if not group:
                continue
            cpu = [r.cpu_ms for r in group if not math.isnan(r.cpu_ms)]
            rows[c] = (med(r.rps for r in group), med(r.pct(50) for r in group), med(r.pct(99) for r in group))
            enc = encodes.get(config.encoder)
            ratio = f"{rows[c][1] / enc.single_ms:5.1f} ×" if enc else ""
            print(f"{config.name:<22} {c:>5} {rows[c][0]:>9.1f} {rows[c][1]:>9.1f} {rows[c][2]:>9.1f}"
                  f" {med(cpu) if cpu else float('nan'):>9.2f}  {ratio}")
        if 1 in rows and 8 in rows:
            print(f"{'':<22} conc 8 / conc 1 req/s {rows[8][0] / rows[1][0]:.1f}× (target ≥ 3×); "
                  f"p99 at 8 / p50 at 1 {rows[8][2] / rows[1][1]:.1f}× (target ≤ 4×)")
        if 32 in rows:
            print(f"{'':<22} conc 32 {rows[32][0]:.0f} req/s (target ≥ 192, 4× the 48 before issue 13)")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--url", default="http://127.0.0.1:8000", help="the running service (127.0.0.1 only)")
    p.add_argument("--concurrency", default="1,8,32", help="comma-separated concurrencies (default 1,8,32)")
    p.add_argument("--requests", type=int, default=200, help="requests per run at most (default 200)")
    p.add_argument("--seconds", type=float, default=30.0, help="seconds per run at most (default 30)")
    p.add_argument("--timeout", type=float, default=30.0, help="per-request timeout in seconds (default 30)")
    p.add_argument("--start-server", action="store_true", help="start `assistant serve` on a free port, then stop it")
    p.add_argument(
        "--workloads", default="lookup,calculation", help="comma-separated: lookup, calculation (default both)"
    )
    p.add_argument("--rounds", type=int, default=3, help="interleaved rounds; the summary takes medians (default 3)")
    p.add_argument("--pid", type=int, help="process id of the service given by --url, to report its CPU time")
    p.add_argument("--encoders", default="onnx,onnx-int8,torch", help="with --start-server: runtimes to serve with (default all)")
    p.add_argument("--batching", default="on,off", help="with --start-server: on and/or off (default on,off)")
    p.add_argument("--cache", action="store_true", help="with --start-server: keep the query-vector cache on")
    args = p.parse_args(argv)
    args.encoders = [e.strip() for e in args.encoders.split(",") if e.strip()]
    from assistant.settings import ENCODERS

    if not args.encoders or set(args.encoders) - set(ENCODERS):
        p.error(f"--encoders must name some of {', '.join(ENCODERS)}, got {args.encoders!r}")
    batching = [b.strip() for b in args.batching.split(",") if b.strip()]
    if not batching or set(batching) - {"on", "off"}:
        p.error(f"--batching must be on and/or off, got {batching!r}")
    args.batching = [b == "on" for b in batching]
    args.workloads = [w.strip() for w in args.workloads.split(",") if w.strip()]
    if not args.workloads or set(args.workloads) - {"lookup", "calculation"}:
        p.error(f"--workloads must name lookup and/or calculation, got {args.workloads!r}")
    try:
        args.concurrency = [int(c) for c in args.concurrency.split(",") if c.strip()]
    except ValueError:
        p.error(f"--concurrency must be comma-separated integers, got {args.concurrency!r}")
    if not args.concurrency or min(args.concurrency) < 1 or args.requests < 1 or args.seconds <= 0 or args.rounds < 1:
        p.error("concurrency, requests, seconds and rounds must be positive")
    return args


def main(argv: list[str] | None = None) -> int:
    """Run the service workloads interleaved with the bare endpoint, then the encodes, and print the comparison."""
    args = parse_args(argv)
    if not args.start_server:
        base_url = require_local(args.url)
        check_up(base_url)
    sources = {"lookup": lookup_questions, "calculation": calc_questions}
    workloads = {name: sources[name]() for name in args.workloads}
    print(f"limits: {args.requests} requests or {args.seconds:g} s per run; concurrency {args.concurrency}")
    # Other work on the machine skews every figure; the load average tells whether the run had it to itself.
    print(f"cpus: {os.cpu_count()}; load average before: {load_average()}")

    configs = [Config(e, b) for e in args.encoders for b in args.batching] if args.start_server else [None]
    results: dict[Config, list[RunResult]] = {}
    all_runs, all_pairs = [], []
    for i, config in enumerate(configs):
        # Calculations need no encoder: measured once, with the first configuration.
        loads = workloads if i == 0 else {k: v for k, v in workloads.items() if k != "calculation"}
        if not loads:
            continue
        with contextlib.ExitStack() as stack:
            if config is not None:
                server = stack.enter_context(assistant_server(free_port(), env=config.env(args.cache)))
                service = Target(server.base_url, server.pid)
                print(f"\n== service: assistant serve, {config.name}, query cache {'on' if args.cache else 'off'};"
                      f" start-to-ready {server.start_to_ready_s:.2f} s ({server.base_url}); load average"
                      f" {load_average()}")
            else:
                service = Target(base_url, args.pid)
                print(f"service: {base_url}")
            bare = None
            if "calculation" in loads:  # the bare endpoint is only the yardstick for calculations
                bare_proc = stack.enter_context(bare_server(free_port()))
                bare = Target(bare_proc.base_url, bare_proc.pid)
                print(f"bare endpoint: {bare.base_url}")
            print(f"cpu ms = server CPU time per answered request\n\n{HEADER}")
            runs, pairs = run_rounds(service, bare, loads, args)
        if config is not None:
            results[config] = runs
        all_runs += runs
        all_pairs += pairs
        summarise(runs, pairs, args.concurrency)

    if any(r.error_kinds["429"] for r in all_runs):
        print("\nthe service rate-limited the bench: start it with ASSISTANT_RATE_PER_MINUTE_IP=1000000000")

    if "lookup" not in workloads:
        return 0
    runtimes = list(dict.fromkeys(c.encoder for c in configs)) if args.start_server else [os.environ.get("ASSISTANT_ENCODER", "onnx")]
    encodes = {rt: encode_ms(workloads["lookup"], rt) for rt in runtimes}
    print("\nbare encode in this process (p50 of one query; per query in a batch):")
    for e in encodes.values():
        batches = "  ".join(f"batch {n}: {ms:.1f} ms/query" for n, ms in e.per_query_ms.items())
        print(f"  {e.runtime:<6} single {e.single_ms:6.1f} ms  {batches}")
    if results:
        lookup_table(results, args.concurrency, encodes)
    else:
        enc = next(iter(encodes.values()))
        print(f"\nlookup p50 next to one bare model encode ({enc.runtime}, p50 {enc.single_ms:.1f} ms, in-process):")
        for c in args.concurrency:
            p50 = statistics.median(r.pct(50) for r in all_runs if r.workload == "lookup" and r.concurrency == c)
            print(f"  conc {c:>3}: lookup p50 {p50:8.1f} ms = {p50 / enc.single_ms:5.1f} × encode")
    print(f"load average after: {load_average()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
