"""Start-to-ready time and resident memory of the service after it has answered some questions.

Starts `python -m assistant.cli serve --no-build` on a free 127.0.0.1 port (so a missing or stale index
fails fast instead of being rebuilt and timed), waits until /healthz answers, sends --questions questions
(lookups and calculations interleaved; one at a time unless --concurrency says otherwise, and each
concurrent request holds a thread of the server's pool, which keeps its own buffers), then reads VmRSS and
VmHWM (peak) from /proc/<pid>/status for the server and any processes under it, prints them against the
1.5 GiB target, and stops the server.

    python bench/memory.py [--questions 50] [--concurrency 1]

Prints figures; asserts nothing. Linux only (/proc).
"""

from __future__ import annotations

import argparse
import itertools
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

# Run as a script, this folder is on sys.path, so the server helpers of the load bench are shared from there.
from load import assistant_server, calc_questions, free_port, lookup_questions

TARGET_MIB = 1.5 * 1024


def descendants(pid: int) -> list[int]:
    """pid and every live process below it, from the parent ids in /proc/*/stat."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue  # the process ended while we looked
        # The command name (field 2) may hold spaces and parentheses; the fields after its last ")" do not.
        ppid = int(text.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(stat.parent.name))
    found, todo = [], [pid]
    while todo:
        p = todo.pop()
        found.append(p)
        todo.extend(children.get(p, []))
    return found


def status_kib(pid: int, key: str) -> int:
    """A kB field of /proc/<pid>/status (VmRSS, VmHWM, …); 0 when the process or the field is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(f"{key}:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def tree_mib(pid: int, key: str) -> float:
    """The field summed over the process and its descendants, in MiB."""
    return sum(status_kib(p, key) for p in descendants(pid)) / 1024


def main(argv: list[str] | None = None) -> int:
    """Start the server, ask, measure, stop."""
    from assistant.settings import ENCODERS

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--questions", type=int, default=50, help="questions to send before measuring (default 50)")
    p.add_argument("--concurrency", type=int, default=1, help="questions in flight at once (default 1)")
    p.add_argument("--encoder", choices=ENCODERS, help="the server's ASSISTANT_ENCODER (default: as configured)")
    args = p.parse_args(argv)
    if args.questions < 1 or args.concurrency < 1:
        p.error("--questions and --concurrency must be positive")

    questions = list(itertools.chain.from_iterable(zip(lookup_questions(), calc_questions())))
    env = {"ASSISTANT_ENCODER": args.encoder} if args.encoder else None
    with assistant_server(free_port(), "--no-build", ready_timeout=300.0, env=env) as server:
        ready_rss = tree_mib(server.pid, "VmRSS")
        batch = list(itertools.islice(itertools.cycle(questions), args.questions))
        limits = httpx.Limits(max_connections=args.concurrency)
        with httpx.Client(base_url=server.base_url, timeout=120.0, limits=limits) as client:
            with ThreadPoolExecutor(args.concurrency) as pool:
                codes = list(pool.map(lambda q: client.post("/v1/ask", json=q.body()).status_code, batch))
        errors = sum(c != 200 for c in codes)
        pids = descendants(server.pid)
        rss, hwm = tree_mib(server.pid, "VmRSS"), tree_mib(server.pid, "VmHWM")

    print(f"encoder                {args.encoder or 'as configured':>8}")
    print(f"start-to-ready         {server.start_to_ready_s:8.2f} s")
    print(f"RSS when ready         {ready_rss:8.0f} MiB")
    print(f"RSS after questions    {rss:8.0f} MiB  ({rss / TARGET_MIB:.0%} of the 1.5 GiB target)")
    print(f"peak RSS (VmHWM)       {hwm:8.0f} MiB  ({hwm / TARGET_MIB:.0%} of the target)")
    print(f"questions / errors     {args.questions:8d} / {errors}  (concurrency {args.concurrency})")
    print(f"processes measured     {len(pids):8d}")
    print("within target" if max(rss, hwm) <= TARGET_MIB else "OVER TARGET")
    return 0


if __name__ == "__main__":
    sys.exit(main())
