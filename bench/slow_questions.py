"""How much sixteen clients sending slow 500-character questions hold up an ordinary answer.

Issue 12 measured an ordinary answer going from 25 ms to 2.5 s while sixteen clients kept sending 500-character
questions built to cost the most parsing and encoding work. This bench repeats that against a service it starts
(or one given with --url and --pid): first the ordinary questions alone, one at a time, then the same questions
while --clients asyncio clients send slow questions back to back. Each slow question is new (its numbers vary), so
no cache answers it. It prints the ordinary answers' p50 / p95 in both phases and the server CPU per slow question
(from /proc). Traffic goes only to 127.0.0.1. Prints figures; asserts nothing.

    python bench/slow_questions.py                        # starts `assistant serve` on a free port
    python bench/slow_questions.py --url http://127.0.0.1:8000 --pid 4242
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import time

import httpx
from load import assistant_server, free_port, lookup_questions, process_cpu_s, require_local

ORDINARY_CALC = ["欠费5000元逾期10天违约金多少", "50M专线不要云了每个月多少钱", "开户费多少钱"]
LENGTH = 500


def slow_question(rng: random.Random) -> str:
    """A 500-character question of one of the shapes that cost the most: many values, or a long narrative."""
    shape = rng.randrange(4)
    if shape == 0:
        unit = lambda: f"{rng.randint(1, 9)}到{rng.randint(10, 30)}天"  # noqa: E731
    elif shape == 1:
        unit = lambda: f"拖欠{rng.randint(1, 60)}天，"  # noqa: E731
    elif shape == 2:
        unit = lambda: f"{rng.choice([10, 20, 50, 100])}M月租{rng.randint(1000, 9999)}、"  # noqa: E731
    else:
        words = ["我们公司", "专线", "上个月", "断网", "客服说", "合同", "沃云", "暂停", "能不能", "退费", "麻烦", "查一下"]
        unit = lambda: rng.choice(words) + str(rng.randint(1, 99))  # noqa: E731
    text = ""
    while len(text) < LENGTH:
        text += unit()
    return text[:LENGTH]


async def ordinary(client: httpx.AsyncClient, questions: list[str], n: int) -> list[float]:
    """n ordinary questions one after another; their latencies in ms (errors are dropped and counted)."""
    out = []
    for i in range(n):
        t0 = time.perf_counter()
        r = await client.post("/v1/ask", json={"question": questions[i % len(questions)], "channel": "widget"})
        if r.status_code == 200:
            out.append((time.perf_counter() - t0) * 1000)
    return out


async def slow_client(base: str, seed: int, stop: asyncio.Event, done: list[int]) -> None:
    """Slow questions back to back until `stop`."""
    rng = random.Random(seed)
    async with httpx.AsyncClient(base_url=base, timeout=120) as client:
        while not stop.is_set():
            r = await client.post("/v1/ask", json={"question": slow_question(rng), "channel": "widget"})
            if r.status_code == 200:
                done[0] += 1


def summary(name: str, ms: list[float]) -> str:
    """p50 / p95 of a list of latencies."""
    if not ms:
        return f"{name:<34} no successful answers"
    xs = sorted(ms)
    p95 = xs[min(len(xs) - 1, int(round(0.95 * (len(xs) - 1))))]
    return f"{name:<34} p50 {statistics.median(xs):8.1f} ms   p95 {p95:8.1f} ms   (n={len(xs)})"


async def run(base: str, pid: int | None, clients: int, n: int) -> None:
    lookups = [q.question for q in lookup_questions()][:20]
    questions = [q for pair in zip(ORDINARY_CALC * 7, lookups) for q in pair]
    async with httpx.AsyncClient(base_url=base, timeout=120) as client:
        await ordinary(client, questions, len(questions))  # warm-up: caches and the model's first encodes
        alone = await ordinary(client, questions, n)
        print(summary("ordinary, alone", alone))

        stop, done = asyncio.Event(), [0]
        cpu0, t0 = process_cpu_s(pid), time.perf_counter()
        tasks = [asyncio.create_task(slow_client(base, seed, stop, done)) for seed in range(clients)]
        await asyncio.sleep(2)  # let the slow clients fill the server
        loaded = await ordinary(client, questions, n)
        stop.set()
        await asyncio.gather(*tasks)
        cpu1, elapsed = process_cpu_s(pid), time.perf_counter() - t0
    print(summary(f"ordinary, {clients} slow clients", loaded))
    rate = done[0] / elapsed if elapsed else 0.0
    cpu = f"{(cpu1 - cpu0) * 1000 / max(1, done[0] + n):.1f} ms" if cpu0 is not None and cpu1 is not None else "unknown"
    print(f"slow questions answered: {done[0]} ({rate:.1f}/s); server CPU per answer in that phase: {cpu}")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--url", help="a running service (default: start one)")
    p.add_argument("--pid", type=int, help="its process id, for the CPU figure")
    p.add_argument("--clients", type=int, default=16)
    p.add_argument("-n", type=int, default=40, help="ordinary questions per phase")
    args = p.parse_args()
    if args.url:
        asyncio.run(run(require_local(args.url), args.pid, args.clients, args.n))
        return
    with assistant_server(free_port(), "--no-build") as server:
        asyncio.run(run(server.base_url, server.pid, args.clients, args.n))


if __name__ == "__main__":
    main()
