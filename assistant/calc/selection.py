"""Choosing the calculator: each candidate scored from several signals by a logistic model fitted on the dev bank.

Signals: the trigger phrases found, how well the question's mentions fit the calculator's inputs (and how many
are left unused), whether the question asks for a number at all, and whether retrieval ranks the calculator's
clauses high. The weights live in selection.toml, written by `assistant fit` (calc/fit.py); nothing here is
tuned by hand.
"""

from __future__ import annotations

import math
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path

from .mentions import Flag, Mention, Mentions, find_flags, read, set_apart
from .registry import REGISTRY
from .roles import Assignment, assign, flag_values, refused, today_values
from .vocabulary import CalcSpec, Vocabulary, keyword_score, trigger_index, vocabulary

WEIGHTS_PATH = Path(__file__).with_name("selection.toml")
RETRIEVAL_CANDIDATES = 3  # calculators whose clause ranks this high lexically are candidates without a trigger

FEATURES = (
    "keywords",       # sum of the calculator's trigger weights found
    "keyword_lead",   # its keyword score minus the best other candidate's (0 when alone)
    "fill",           # share of the required inputs the question gives (or derivable facts)
    "complete",       # 1 when nothing required is missing
    "cued",           # inputs filled by a value a cue word names
    "cue_strength",   # how strongly, on average: a cue right before the value counts most
    "cue_deficit",    # how much more strongly another candidate's input words name the values this one takes
    "refused",        # values of an input's kind the question states as something else ("不含税25500" for a total)
    "unused",         # values in the question the calculator leaves unused
    "composite",      # it takes a list or sum the question gives (several lines, monthly amounts, outages)
    "partial",        # it takes one part of such a list or sum and leaves the whole unused ("5条20M" read as one 20M)
    "coverage",       # share of the question's values it uses
    "no_values",      # the question has no value at all
    "asks",           # it asks for a number or a date (多少, 哪天…)
    "compute",        # it asks outright for a calculation (帮我算, 计算)
    "compute_no_values",  # …with no value given yet: the inputs are to be asked for
    "rule_question",  # it asks what the rule is (多少天会被停…)
    "verdict",        # it asks yes or no (来得及吗) and this calculator's result is a verdict
    "no_verdict",     # it asks yes or no and this calculator's result is not one
    "lexical",        # 1/rank of the calculator's best clause in the lexical (BM25) ranking, 0 if not in the top 10
    "dense",          # 1/rank in the fused ranking with the model, 0 if not computed or not in the top 10
    "previous",       # 1/rank in the lexical ranking of the conversation's previous question (0 if none / not top 10)
    "similar",        # the share of the nearest example questions' similarity that asks for it (0 if not computed)
)


@dataclass(frozen=True)
class Model:
    """A fitted logistic model over FEATURES, the probability a calculation needs, and when two are too close."""

    weights: dict[str, float]
    bias: float
    threshold: float
    margin: float

    def probability(self, x: Mapping[str, float]) -> float:
        z = self.bias + sum(self.weights.get(f, 0.0) * x.get(f, 0.0) for f in FEATURES)
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))


def load_model(path: Path = WEIGHTS_PATH) -> Model:
    """selection.toml, checked: every weight names a known feature, threshold in (0, 1), margin ≥ 0."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    weights = {k: float(v) for k, v in data["weights"].items()}
    unknown = sorted(set(weights) - set(FEATURES))
    if unknown:
        raise ValueError(f"{path}: unknown features {unknown}; known: {', '.join(FEATURES)}")
    threshold, margin = float(data["threshold"]), float(data["margin"])
    if not 0 < threshold < 1 or margin < 0:
        raise ValueError(f"{path}: threshold must be in (0, 1) and margin >= 0, got {threshold}, {margin}")
    return Model(weights, float(data["bias"]), threshold, margin)


@lru_cache(maxsize=1)
def model() -> Model:
    """The fitted selection model, loaded once."""
    return load_model()


@dataclass
class Reading:
    """What one question states: its mentions, yes/no facts, trigger phrases and intent cues."""

    mentions: Mentions
    flags: list[Flag]
    phrases: set[str]
    asks: bool
    compute: bool
    rule_question: bool
    yes_no: bool
    today: date
    # Phrases said only within a change said as done ("降到50M以后一年要交多少"): they describe the line as it will
    # be, so after a calculation of that change they do not name it again.
    settled: frozenset[str] = frozenset()

    @property
    def text(self) -> str:
        return self.mentions.text


def understand(question: str, today: date, vocab: Vocabulary | None = None) -> Reading:
    """Read a question once for every calculator. Raises CalcInputError for an impossible date.

    Reading is a pure function of the question and the day, and a Reading is never changed once made, so the
    project's vocabulary's readings are remembered for repeated questions (FAQ and IVR traffic repeats).
    """
    if vocab is None:
        return _understood(question, today)
    return _understand(question, today, vocab)


@lru_cache(maxsize=2048)
def _understood(question: str, today: date) -> Reading:
    return _understand(question, today, vocabulary())


def _understand(question: str, today: date, vocab: Vocabulary) -> Reading:
    mentions = read(question, today)
    texts = (mentions.original, mentions.text)
    flags = find_flags(_as_said_by_speaker(mentions.original, vocab), vocab.flags)
    mentions, flags = set_apart(mentions, flags, vocab.part_markers, vocab.part_ends, vocab.part_excluded, vocab.part_besides)
    phrases, settled = trigger_index().read(*texts)
    return Reading(
        mentions=mentions,
        flags=flags,
        phrases=phrases,
        settled=settled,
        asks=any(says(c, t) for c in vocab.cues for t in texts),
        compute=any(c in t for c in vocab.compute for t in texts),
        rule_question=any(p in mentions.original for p in vocab.rule_questions),
        yes_no=any(says(w, t) for w in vocab.yes_no for t in texts),
        today=today,
    )


def _as_said_by_speaker(text: str, vocab: Vocabulary) -> str:
    """The text with an agent's "我们" / "我司" as the operator's words (乙方), when it speaks of the customer in the
    third person and never to the operator ("客户专线断了30小时，初步判断是我们网络故障"); else as it is."""
    if not any(says(w, text) for w in vocab.third_person) or any(w in text for w in vocab.second_person):
        return text
    for word in vocab.first_person:
        text = text.replace(word, "乙方")  # two characters for two (checked when loaded): spans stay where they were
    return text


def says(word: str, text: str) -> bool:
    """Whether text holds the word ("re:" marks a regular expression, as in the trigger phrases)."""
    return bool(re.search(word[3:], text)) if word.startswith("re:") else word in text


@dataclass
class Candidate:
    """One calculator read against a question: its inputs as assigned, and the features that score it."""

    spec: CalcSpec
    keywords: float
    fill: Assignment
    flags: dict[str, bool]
    features: dict[str, float]
    probability: float = 0.0
    asked: str = ""  # the one kind of figure the question asks for ("money", "date", "rate"), if one
    text: str = ""  # the question as read

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def inputs(self) -> dict:
        return {**self.fill.inputs, **self.flags}


def fill(
    spec: CalcSpec, reading: Reading, only: set[str] | None = None, given: frozenset[str] = frozenset()
) -> tuple[Assignment, dict[str, bool]]:
    """The calculator's inputs from this question: values by joint assignment, flags, and 'now' dates.

    `given` are the inputs the conversation already has (see roles.assign).
    """
    assignment = assign(spec, reading.mentions, reading.today, only, given)
    flags = flag_values(spec, reading.flags, only)
    skip = set(assignment.inputs) | ({r.name for r in spec.roles} - only if only is not None else set())
    now, notes = today_values(spec, reading.mentions.original, reading.today, skip)
    assignment.inputs.update(now)
    assignment.assumptions += notes
    return assignment, flags


def _missing(name: str, inputs: Mapping[str, object]) -> list[str]:
    """Required inputs neither given nor derivable."""
    return REGISTRY[name].missing(inputs)


def features(spec: CalcSpec, keywords: float, best_other: float, assignment: Assignment, reading: Reading,
             ranks: Mapping[str, Mapping[str, float]]) -> dict[str, float]:
    """The feature vector of one candidate (see FEATURES)."""
    formula = REGISTRY[spec.name]
    needed = len(formula.required) + len(formula.one_of)
    missing = _missing(spec.name, assignment.inputs)
    used = assignment.used
    values = [i for i, m in enumerate(reading.mentions.items) if m.kind not in ("money_list", "line", "line_list") and not m.rough]
    unused = sum(1 for i in values if i not in used)

    def agreement(kind: str) -> float:
        rank = min((ranks.get(kind, {}).get(c, 99) for c in formula.clauses), default=99)
        return 1.0 / rank if rank <= 10 else 0.0

    return {
        "keywords": keywords,
        "keyword_lead": keywords - best_other,
        "fill": (needed - len(missing)) / needed if needed else 1.0,
        "complete": 0.0 if missing else 1.0,
        "cued": float(assignment.cued),
        "cue_strength": assignment.cue_total / max(1, len(assignment.inputs)),
        "unused": float(unused),
        "coverage": (len(values) - unused) / len(values) if values else 0.0,
        "composite": 1.0 if any(reading.mentions.items[i].parts for i in used if i < len(reading.mentions.items)) else 0.0,
        "refused": float(refused(spec, reading.mentions)),
        "partial": float(sum(1 for m in reading.mentions.items
                             if _plural(m) and m.parts and set(m.parts) & used and not set(m.parts) <= used)),
        "no_values": 0.0 if reading.mentions.has_exact_values else 1.0,
        "asks": 1.0 if reading.asks else 0.0,
        "compute": 1.0 if reading.compute else 0.0,
        "compute_no_values": 1.0 if reading.compute and not reading.mentions.has_exact_values else 0.0,
        "rule_question": 1.0 if reading.rule_question else 0.0,
        "verdict": 1.0 if reading.yes_no and spec.verdict else 0.0,
        "no_verdict": 1.0 if reading.yes_no and not spec.verdict else 0.0,
        "lexical": agreement("lexical"),
        "dense": agreement("dense"),
        "previous": agreement("previous"),
        # Keyed by calculator, not clause: how much of the nearest labelled example questions ask for it.
        "similar": float(ranks.get("similar", {}).get(spec.name, 0.0)),
    }


def _plural(m: Mention) -> bool:
    """Whether a composite mention stands for more than one thing (3 lines, several amounts or outages)."""
    if m.kind == "line":
        return m.value[1] > 1
    if m.kind == "line_list":
        return sum(count for _, count in m.value) > 1
    return m.kind == "money_list" or (m.kind == "duration" and len(m.parts) > 1)


def candidates(reading: Reading, ranks: Mapping[str, Mapping[str, float]] | None = None,
               scorer: Model | None = None) -> list[Candidate]:
    """Every calculator a trigger phrase names, scored, most probable first.

    A pure function of the question, its day and the rankings, with the project's model: remembered for repeated
    questions and for a lookup that resumes after its encode (callers read the candidates, never change them).
    """
    if scorer is not None:
        return _candidates(reading, ranks, scorer)
    key = (reading.mentions.original, reading.today, frozenset(reading.phrases), _frozen(ranks))
    found = _REMEMBERED.get(key)
    if found is None:
        found = _candidates(reading, ranks, model())
        if len(_REMEMBERED) >= REMEMBERED_SIZE:
            _REMEMBERED.clear()
        _REMEMBERED[key] = found
    return list(found)


_REMEMBERED: dict[tuple, list[Candidate]] = {}
REMEMBERED_SIZE = 2048


def forget_candidates() -> None:
    """Drop the remembered candidates (after the model is refitted: their probabilities are the old model's)."""
    _REMEMBERED.clear()


def _frozen(ranks: Mapping[str, Mapping[str, float]] | None) -> tuple:
    """The rankings as a hashable key."""
    return tuple(sorted((kind, tuple(sorted(r.items()))) for kind, r in (ranks or {}).items()))


def _candidates(reading: Reading, ranks: Mapping[str, Mapping[str, float]] | None, scorer: Model) -> list[Candidate]:
    """Every calculator a trigger phrase names, scored, most probable first.

    `ranks` maps "lexical" / "dense" to clause id → rank from retrieval, when the caller has them,
    "previous" to the lexical ranking of the conversation's previous question (what the conversation is about), and
    "similar" to calculator → share of the nearest example questions asking for it (retrieval/examples.py).
    """
    vocab = vocabulary()
    wanted = asked_kind(reading.text, vocab)
    if wanted == "rate":
        # A rate is the contract's own figure: no calculator's result, an amount, a day or a verdict, gives it.
        return []
    names = trigger_index().triggered(reading.phrases)
    scored = {n: keyword_score(vocab.calculators[n], reading.phrases) for n in names}
    scored = {n: s for n, s in scored.items() if s > 0}
    # Retrieval's best clauses propose their calculators too, so a wording no trigger phrase knows still reaches
    # the calculator whose clause it is about (the features then decide); so do the previous question's.
    top = {c for kind in ("lexical", "previous") for c, rank in (ranks or {}).get(kind, {}).items() if rank <= RETRIEVAL_CANDIDATES}
    near = _most_similar((ranks or {}).get("similar", {}))
    if reading.mentions.has_exact_values or reading.compute:
        for name, formula in REGISTRY.items():
            if name not in scored and (top & set(formula.clauses) or name in near):
                scored[name] = 0.0
    filled = {name: fill(vocab.calculators[name], reading) for name in scored}
    out = []
    for name, keywords in scored.items():
        spec = vocab.calculators[name]
        best_other = max((s for n, s in scored.items() if n != name), default=0.0)
        assignment, flags = filled[name]
        x = features(spec, keywords, best_other, assignment, reading, ranks or {})
        others = [a for n, (a, _) in filled.items() if n != name]
        x["cue_deficit"] = _cue_deficit(assignment, others)
        out.append(Candidate(spec, keywords, assignment, flags, x, scorer.probability(x), asked=wanted, text=reading.text))
    if wanted:
        # A question asking only for an amount (a day) is never answered with a day (an amount); one asking only
        # for a rule, with neither.
        out = [c for c in out if c.spec.gives in ("", wanted)]
    elif asks_only_duration(reading.text, vocab):
        out = [c for c in out if c.spec.gives != "money"]
    return sorted(out, key=lambda c: (-c.probability, -c.keywords, c.name))


def _most_similar(shares: Mapping[str, float]) -> set[str]:
    """The calculator most of the nearest example questions ask for, if more do than ask for no calculation."""
    if not shares:
        return set()
    best = max(shares, key=lambda n: (shares[n], n))
    return {best} if shares[best] > 1.0 - sum(shares.values()) else set()


def asked_kind(text: str, vocab) -> str:
    """"money", "date", "rate" or "rule" when the question asks for exactly one of them, else ""."""
    kinds = [k for k, words in (("money", vocab.asks_money), ("date", vocab.asks_date), ("rate", vocab.asks_rate),
                                ("rule", vocab.asks_rule)) if any(says(w, text) for w in words)]
    return kinds[0] if len(kinds) == 1 else ""


def asks_only_duration(text: str, vocab) -> bool:
    """The question asks how long something takes and for no amount, day, rate, rule or rule's period."""
    others = (vocab.asks_money, vocab.asks_date, vocab.asks_rate, vocab.asks_rule, vocab.asks_period)
    return any(says(w, text) for w in vocab.asks_duration) and not any(says(w, text) for words in others for w in words)


def _cue_deficit(mine: Assignment, others: list[Assignment]) -> float:
    """For each value this candidate takes, how much more strongly some other candidate's input words name it
    ("不含税25500" names a pre-tax amount, not a tax-inclusive one): the value is probably that other input."""
    return sum(
        max(0.0, max((o.cue_of.get(i, 0.0) for o in others), default=0.0) - cue)
        for i, cue in mine.cue_of.items()
    )
