"""`assistant fit`: fit the calculator-selection weights (selection.toml) on the dev part of the question bank.

Every dev question (and every conversation turn but those that continue the last calculation, each with the
conversation's previous question) is read once; each calculator a trigger phrase names becomes one row of
features, labelled 1 when it is the calculator the question asks for. The
rows are scored three ways, without retrieval, with the lexical ranking and with the model's ranking as
well, because plan() is used all three ways. A logistic regression (scikit-learn, only needed here) gives the weights; the
threshold is the one that answers most dev questions right (a calculation when one is asked, none otherwise).
The dev part's standalone questions are also written to examples.toml, the example questions the `similar`
feature compares a question with; a bank question is never its own neighbour there. The sealed part is never read
here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from assistant.corpus.normalize import normalize_query
from assistant.errors import CalcInputError

from assistant.retrieval.examples import Example as Labelled

from .examples import write_examples
from .selection import FEATURES, WEIGHTS_PATH, Model, candidates, understand


@dataclass(frozen=True)
class Example:
    """One standalone labelled question: its text, clock and the calculator it asks for (an empty set: none)."""

    q: str
    today: date
    calculators: frozenset[str]
    previous: str = ""  # the conversation's previous question (in scope), for the "previous" ranking
    origin: str = ""  # the bank question this one was made from (a value left out), never its own neighbour
    writer: str = ""  # the bank batch it comes from, whose other questions are never its neighbours


def _wanted(row) -> frozenset[str]:
    from .registry import REGISTRY

    # A vague question is none of its readings until the person has chosen (the options are asked separately).
    return frozenset({row.calculator}) if row.kind in ("calc", "clarify") and row.calculator in REGISTRY else frozenset()


def examples(part) -> list[Example]:
    """The questions of a bank part and the turns that start afresh, plus each calculation question with one of
    its values left out: a person who leaves an input out still asks for that calculation (and is asked back)."""
    out = [Example(q.q, q.today, _wanted(q), writer=_writer(q.id)) for q in part.questions]
    for c in part.conversations:
        previous = ""
        for i, t in enumerate(c.turn):
            # Turns that continue the last calculation are read against it (calc.follow_up), not planned afresh.
            if i == 0 or t.relation not in ("same_calc_changed_input", "supplies_value", "complete_pending"):
                out.append(Example(t.q, c.today, _wanted(t), previous, writer=_writer(c.id)))
            if t.kind != "out_of_scope":
                previous = normalize_query(t.q)
    return out + [v for ex in out if len(ex.calculators) == 1 for v in _without_one_value(ex)]


def labelled_examples(part) -> list[Labelled]:
    """The part's standalone questions as the example questions selection compares a question with, and its
    conversations' lookup turns, each with the clauses that answer it (a follow-up worded alike is answered alike:
    "那联通可以直接终止协议吗" after a sublease)."""
    out = [
        Labelled(
            q.q, next(iter(_wanted(q)), ""), q.kind == "out_of_scope", tuple(q.clauses) if q.kind == "lookup" else (),
            tuple(q.readings) if q.kind == "vague" else (),
        )
        for q in part.questions
    ]
    return out + [Labelled(t.q, "", False, tuple(t.clauses)) for c in part.conversations for t in c.turn if t.kind == "lookup"]


def project_examples() -> list[Example]:
    """The project's own labelled questions (tests/data): calculation questions and lookups (no calculation)."""
    import tomllib

    from assistant.evaluation import DEFAULT_CALC_QUESTIONS, DEFAULT_QUESTIONS

    calc_rows = tomllib.loads(DEFAULT_CALC_QUESTIONS.read_text(encoding="utf-8"))["question"]
    lookups = tomllib.loads(DEFAULT_QUESTIONS.read_text(encoding="utf-8"))["question"]
    out = [Example(r["q"], date.fromisoformat(r.get("today", "2026-11-24")), frozenset({r["calculator"]})) for r in calc_rows]
    return out + [Example(r["q"], date(2026, 11, 24), frozenset()) for r in lookups]


def _without_one_value(ex: Example) -> list[Example]:
    """The question with each of its values removed in turn (at most three variants)."""
    from .mentions import read

    text = normalize_query(ex.q)
    mentions = read(text, ex.today)
    singles = [m for m in mentions.items if not m.parts][:3]
    if len(singles) < 2:
        return []
    return [Example(mentions.text[: m.start] + mentions.text[m.end:], ex.today, ex.calculators, ex.previous, ex.q, ex.writer)
            for m in singles]


def _ranks(hits) -> dict[str, int]:
    return {h.clause_id: i for i, h in enumerate(hits, 1)}


def feature_rows(retriever, items: list[Example], examples=None):
    """(question index, calculator, features, label, variant) for every candidate, scored without retrieval (plan()
    on its own), with the lexical ranking, and with the model's ranking (and the nearest `examples`) as well."""
    from assistant.retrieval.search import Mode

    rows = []
    # A question's own writer's examples are left out of its neighbours, as for the scope gate (scope_rows): a
    # writer's near-repeats would weigh `similar` as if every new writer wrote alike.
    by_writer: dict[str, list[str]] = {}
    for ex in items:
        if ex.writer and not ex.origin:
            by_writer.setdefault(ex.writer, []).append(ex.q)
    for k, ex in enumerate(items):
        query = normalize_query(ex.q)
        try:
            reading = understand(query, ex.today)
        except CalcInputError:
            continue  # an impossible date: the service explains it, no calculator is chosen
        lexical = _ranks(retriever.search(query, k=10, mode=Mode.bm25).hits)
        model_pass = retriever.search(query, k=10)
        fused = _ranks(model_pass.hits)
        before = {"previous": _ranks(retriever.search(ex.previous, k=10, mode=Mode.bm25).hits)} if ex.previous else {}
        # As the service does in its model pass (with the vector retrieval encoded), but a bank question is never
        # its own neighbour, nor that of the questions made from it.
        own = [ex.origin or ex.q, *by_writer.get(ex.writer, ())]
        near = {"similar": examples.nearest(model_pass.query_vector, exclude=own).shares} if examples else {}
        for variant, ranks in enumerate(({}, {"lexical": lexical, **before}, {"lexical": lexical, "dense": fused, **before, **near})):
            for c in candidates(reading, ranks):
                rows.append((k, c.name, c.features, int(c.name in ex.calculators), variant))
    return rows


def fit(rows, items: list[Example], c_value: float = 1.0) -> Model:
    """Logistic regression over the rows; threshold chosen for the most right decisions on these questions."""
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    x = np.array([[f[name] for name in FEATURES] for _, _, f, _, _ in rows], dtype=float)
    y = np.array([label for _, _, _, label, _ in rows])
    lr = LogisticRegression(C=c_value, max_iter=5000)
    lr.fit(x, y)
    weights = {name: float(w) for name, w in zip(FEATURES, lr.coef_[0])}
    probe = Model(weights, float(lr.intercept_[0]), 0.5, 0.0)
    best = max((decisions(probe, rows, items, t), t) for t in [i / 20 for i in range(2, 19)])
    return Model(weights, probe.bias, best[1], 0.0)


def decisions(m: Model, rows, items: list[Example], threshold: float) -> int:
    """How many questions the model decides right at `threshold` (every scoring variant counted)."""
    right = 0
    for variant in (0, 1, 2):
        best: dict[int, tuple[float, str]] = {}
        for k, name, f, _, v in rows:
            if v != variant:
                continue
            p = m.probability(f)
            if k not in best or p > best[k][0]:
                best[k] = (p, name)
        for k, ex in enumerate(items):
            p, name = best.get(k, (0.0, None))
            chosen = name if p >= threshold else None
            right += chosen in ex.calculators if ex.calculators else chosen is None
    return right


def write(m: Model, path: Path = WEIGHTS_PATH, note: str = "") -> None:
    """selection.toml with the fitted weights."""
    lines = [
        "# Weights of the calculator-selection model (calc/selection.py), fitted by `assistant fit` on the dev part",
        f"# of the question bank. {note}".rstrip(),
        f"bias = {m.bias:.6f}",
        f"threshold = {m.threshold}",
        f"margin = {m.margin}",
        "",
        "[weights]",
        *(f"{name} = {m.weights[name]:.6f}" for name in FEATURES),
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def run_fit(settings, path: Path = WEIGHTS_PATH) -> int:
    """Fit the selection model and then the scope gate on the dev part; writes selection.toml and
    scope_weights.toml and prints how the dev questions fare."""
    from assistant import bank
    from assistant.answer.assistant import Assistant
    from assistant.answer.sessions import MemorySessionStore

    from . import selection

    dev = bank.load_bank(bank.DEV)
    write_examples(labelled_examples(dev))
    assistant = Assistant.from_settings(settings, sessions=MemorySessionStore(), audit=None)
    items = examples(dev) + project_examples()
    rows = feature_rows(assistant.retriever, items, assistant.examples)
    m = fit(rows, items)
    right = decisions(m, rows, items, m.threshold)
    write(m, path, f"{len(items)} questions, {len(rows)} candidate rows; {right}/{3 * len(items)} decided right.")
    selection.model.cache_clear()
    selection.forget_candidates()
    # The scope gate reads the calculator probability, so it is fitted with the new selection weights.
    from assistant.answer import scope

    srows = scope_rows(assistant, bank.load_bank(bank.DEV))
    sm = fit_scope(srows, keep=SCOPE_KEEP)
    kept = sum(sm.probability_of(f) >= sm.threshold for f, label, d in srows if label and d) / max(1, sum(1 for _, label, d in srows if label and d))
    refused = sum(sm.probability_of(f) < sm.threshold for f, label, d in srows if not label and d) / max(1, sum(1 for _, label, d in srows if not label and d))
    write_scope(sm, scope.WEIGHTS_PATH, f"{len(srows) // 2} questions and turns; dev in scope kept {kept:.1%}, out of scope refused {refused:.1%}.")
    scope.default_model.cache_clear()
    print(f"scope gate: dev in scope kept {kept:.1%}, out of scope refused {refused:.1%} (threshold {sm.threshold:.3f})")
    print(f"fitted on {len(items)} dev questions ({len(rows)} rows): {right}/{3 * len(items)} decisions right, "
          f"threshold {m.threshold}")
    return 0


# ---- the scope gate (answer/scope.py) -------------------------------------------------------------------

# The share of in-scope dev questions the gate's threshold keeps: of 0.985, 0.99, 0.993 and 0.996, the one with the
# most dev questions refused or kept rightly (0.99 and 0.993 tied; 0.993 kept more lookups right).
SCOPE_KEEP = 0.993

def scope_rows(assistant, part) -> list[tuple[dict[str, float], int, bool]]:
    """(features, in scope, dense computed) for every dev question and conversation turn, scored lexically and
    with the model's scores, as the service scores them."""
    from assistant.answer.scope import features
    from assistant.retrieval.search import Mode

    from .selection import candidates, understand

    from .dialogue import is_follow_up, refers_back

    rows = []
    # A question's own writer's examples are left out of its neighbours: the same writer's near-repeats would
    # weigh near_out as if every new writer wrote alike (a blind batch from a new writer is what it must fit).
    by_writer: dict[str, list[str]] = {}
    for q in part.questions:
        by_writer.setdefault(_writer(q.id), []).append(q.q)
    items = [(q.q, q.today, q.kind, "", _writer(q.id)) for q in part.questions]
    for c in part.conversations:
        previous = ""
        for t in c.turn:
            query = normalize_query(t.q)
            # As the service does: a follow-up is judged with the question it follows.
            follows = previous and (is_follow_up(query) or refers_back(query) or len(query) <= 12)
            items.append((t.q, c.today, t.kind, previous if follows else "", _writer(c.id)))
            if t.kind != "out_of_scope":
                previous = query
    for q, today, kind, context, writer in items:
        query = normalize_query(q)
        text = f"{context} {query}".strip()
        lexical = assistant.retriever.search(text, k=10, mode=Mode.bm25)
        fused = assistant.retriever.search(text, k=10)
        alone = fused if text == query else assistant.retriever.search(query, k=10)
        # As the service does, but a bank question is never its own neighbour.
        own = [q, *by_writer.get(writer, [])]
        near_out = assistant.examples.out_of_scope_share(alone.query_vector, exclude=own) if assistant.examples else 0.0
        ranks = {"lexical": _ranks(lexical.hits)}
        try:
            found = candidates(understand(query, today), ranks)
        except Exception:  # an impossible date: the question still has a scope
            found = []
        calc = found[0].probability if found else 0.0
        label = int(kind != "out_of_scope")
        rows.append((features(lexical.signals, calc), label, False))
        rows.append((features(fused.signals, calc, near_out), label, True))
    return rows


def _writer(row_id: str) -> str:
    """The writer of a bank row: its id's prefix ("T" of "T-C16", "A" of "A-017")."""
    return row_id.split("-", 1)[0]


def fit_scope(rows, keep: float = 0.985, keep_lexical: float = 0.997):
    """Logistic regression over the scope features; the threshold keeps `keep` of in-scope questions (scored with
    the model), the lexical refusal bound keeps `keep_lexical` of them (scored lexically only)."""
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    from assistant.answer.scope import FEATURES, ScopeModel

    x = np.array([[f[k] for k in FEATURES] for f, _, _ in rows], dtype=float)
    y = np.array([label for _, label, _ in rows])
    lr = LogisticRegression(C=1.0, max_iter=5000)
    lr.fit(x, y)
    model = ScopeModel({k: float(w) for k, w in zip(FEATURES, lr.coef_[0])}, float(lr.intercept_[0]), 0.5, 0.5)

    def bound(dense: bool, share: float) -> float:
        kept = sorted(model.probability_of(f) for f, label, d in rows if label and d == dense)
        return max(0.01, min(0.99, kept[int((1 - share) * len(kept))]))

    threshold, refuse = bound(True, keep), bound(False, keep_lexical)
    return ScopeModel(model.weights, model.bias, max(threshold, refuse), min(refuse, threshold))


def write_scope(model, path: Path, note: str = "") -> None:
    """scope_weights.toml with the fitted weights and thresholds."""
    from assistant.answer.scope import FEATURES

    lines = [
        "# Weights of the scope gate (answer/scope.py), fitted by `assistant fit` on the dev part of the question bank.",
        f"# {note}".rstrip(),
        f"bias = {model.bias:.6f}",
        f"threshold = {model.threshold:.4f}",
        f"refuse_below = {model.refuse_below:.4f}",
        "",
        "[weights]",
        *(f"{k} = {model.weights[k]:.6f}" for k in FEATURES),
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
