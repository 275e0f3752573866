"""`assistant eval`: retrieval accuracy per retriever, scope accuracy, calculation exact match."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from assistant.settings import PROJECT_ROOT, Settings

DEFAULT_QUESTIONS = PROJECT_ROOT / "tests" / "data" / "eval_questions.toml"
DEFAULT_CALC_QUESTIONS = PROJECT_ROOT / "tests" / "data" / "calc_questions.toml"


@dataclass(frozen=True)
class Labelled:
    """One labelled question: acceptable clause ids (empty = out of scope)."""

    q: str
    clauses: tuple[str, ...]
    channel: str = "widget"


@dataclass
class RankStats:
    """Top-1, top-3 and MRR over in-scope questions."""

    n: int = 0
    top1: int = 0
    top3: int = 0
    rr: float = 0.0
    misses: list[str] = field(default_factory=list)

    def add(self, ranked: list[str], gold: tuple[str, ...], q: str) -> None:
        self.n += 1
        rank = next((i + 1 for i, cid in enumerate(ranked) if cid in gold), None)
        if rank == 1:
            self.top1 += 1
        else:
            self.misses.append(f"{q} → {ranked[:3]} (want {list(gold)})")
        if rank and rank <= 3:
            self.top3 += 1
        if rank:
            self.rr += 1.0 / rank

    def line(self, name: str) -> str:
        n = max(self.n, 1)
        return f"{name:<8} top-1 {self.top1 / n:6.1%}  top-3 {self.top3 / n:6.1%}  MRR {self.rr / n:.3f}  (n={self.n})"


def load_labelled(path: Path) -> list[Labelled]:
    """Read a TOML file of [[question]] tables with q, clauses and channel."""
    with path.open("rb") as f:
        raw = tomllib.load(f)
    return [Labelled(r["q"], tuple(r.get("clauses", [])), r.get("channel", "widget")) for r in raw["question"]]


def retrieval_report(assistant, questions: list[Labelled], k: int = 10) -> dict[str, RankStats]:
    """Rank statistics of BM25 alone, dense alone and the fused retriever."""
    from assistant.retrieval.search import Mode

    stats = {m.value: RankStats() for m in Mode}
    for lab in questions:
        if not lab.clauses:
            continue
        for m in Mode:
            r = assistant.retriever.search(lab.q, k=k, mode=m)
            stats[m.value].add([h.clause_id for h in r.hits], lab.clauses, lab.q)
    return stats


@dataclass
class ScopeStats:
    in_ok: int = 0
    in_n: int = 0
    out_ok: int = 0
    out_n: int = 0
    wrong: list[str] = field(default_factory=list)

    def line(self) -> str:
        return (
            f"scope    in-scope kept {self.in_ok}/{self.in_n}   out-of-scope refused {self.out_ok}/{self.out_n}"
        )


def scope_report(assistant, questions: list[Labelled]) -> ScopeStats:
    """How often the scope model keeps in-scope questions and refuses out-of-scope ones (on lookups)."""
    s = ScopeStats()
    for lab in questions:
        r = assistant.retriever.search(lab.q)
        ok = assistant.scope.in_scope(r.signals)
        score = assistant.scope.score(r.signals)
        if lab.clauses:
            s.in_n += 1
            s.in_ok += ok
            if not ok:
                s.wrong.append(f"refused in-scope ({score:.2f}): {lab.q}")
        else:
            s.out_n += 1
            s.out_ok += not ok
            if ok:
                s.wrong.append(f"kept out-of-scope ({score:.2f}): {lab.q} → {r.hits[0].clause_id}")
    return s


def answer_report(assistant, questions: list[Labelled]) -> tuple[RankStats, int, int]:
    """End to end through Assistant.ask: the first citation of each in-scope answer, and OOS answered as such."""
    cited = RankStats()
    oos_ok = oos_n = 0
    for lab in questions:
        a = assistant.ask(lab.q)
        if lab.clauses:
            cited.add([c.clause_id for c in a.citations], lab.clauses, lab.q)
        else:
            oos_n += 1
            oos_ok += a.intent.value == "out_of_scope"
    return cited, oos_ok, oos_n


def calc_report(assistant, path: Path) -> tuple[int, int, list[str]]:
    """Exact-match accuracy of the whole pipeline (routing, calculator choice, result) on calculation questions."""
    with path.open("rb") as f:
        rows = tomllib.load(f)["question"]
    ok, misses = 0, []
    clock = assistant.today
    try:
        for row in rows:
            today = date.fromisoformat(row.get("today", "2026-11-24"))
            assistant.today = lambda today=today: today
            answer = assistant.ask(row["q"])
            calc_ = answer.calculation
            name = calc_.name if calc_ else None
            got = calc_.model_dump(mode="json")["result"] if calc_ else None
            want = None if row["result"] == "null" else row["result"]  # TOML has no null
            if name == row["calculator"] and _same(got, want):
                ok += 1
            else:
                misses.append(f"{row['q']} → {answer.intent.value} {name} {got!r} (want {row['calculator']} {want!r})")
    finally:
        assistant.today = clock
    return ok, len(rows), misses


def _same(a, b) -> bool:
    """Equal results; numbers compare to the cent."""
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool):
        return abs(a - b) < 0.005
    if isinstance(a, dict) and isinstance(b, dict):
        return all(k in a and _same(a[k], v) for k, v in b.items())
    return a == b


def run_eval(settings: Settings, questions: Path | None = None, verbose: bool = False) -> int:
    """Print the report; returns the process exit code."""
    from assistant.answer.assistant import Assistant

    assistant = Assistant.from_settings(settings)
    labelled = load_labelled(questions or DEFAULT_QUESTIONS)
    stats = retrieval_report(assistant, labelled)
    print(f"retrieval on {sum(1 for q in labelled if q.clauses)} in-scope questions:")
    for name, st in stats.items():
        print("  " + st.line(name))
    if verbose:
        for miss in stats["hybrid"].misses:
            print("    miss: " + miss)
    scope = scope_report(assistant, labelled)
    print("  " + scope.line())
    if verbose:
        for w in scope.wrong:
            print("    " + w)
    cited, oos_ok, oos_n = answer_report(assistant, labelled)
    print("answers (Assistant.ask end to end, first citation):")
    print("  " + cited.line("answers") + f"   out-of-scope answered as such {oos_ok}/{oos_n}")
    if verbose:
        for miss in cited.misses:
            print("    miss: " + miss)
    if DEFAULT_CALC_QUESTIONS.exists() and questions is None:
        ok, n, misses = calc_report(assistant, DEFAULT_CALC_QUESTIONS)
        print(f"calculation exact match: {ok}/{n} = {ok / max(n, 1):.1%}")
        if verbose:
            for m in misses:
                print("    miss: " + m)
    return 0
