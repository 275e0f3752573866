"""From a Chinese question to a calculation plan: which calculator, which inputs, what is still missing."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from assistant.corpus.ids import clause_name
from assistant.corpus.phrases import PhraseIndex

from .registry import REGISTRY, Formula, get
from .parse import DateMention, Features, MonthMention, Quantity, extract

TRIGGERS_PATH = Path(__file__).with_name("triggers.toml")
# A value this close after a `near` word is taken to be what that word is about ("还剩5个月").
NEAR_WINDOW = 8
SLOT_BONUS = 0.3


class CalcPlan(BaseModel):
    """What a question asks to compute: the calculator, the inputs understood so far, what is missing."""

    name: str
    inputs: dict[str, Any] = Field(default_factory=dict, description="JSON-able: dates ISO, amounts as decimal strings")
    missing: list[str] = Field(default_factory=list, description="input names still needed, in asking order")
    assumptions: list[str] = Field(default_factory=list, description="what was assumed, in Chinese, to say back")
    clause_ids: list[str] = Field(default_factory=list)

    @property
    def runnable(self) -> bool:
        """Whether run() can be tried with `inputs`: nothing is missing but inputs the formula may decide without."""
        return set(self.missing) <= get(self.name).deferred


@dataclass(frozen=True)
class SlotSpec:
    """How one input is filled from the question."""

    name: str
    kind: str
    near: tuple[str, ...] = ()


@dataclass(frozen=True)
class CalcSpec:
    """The planner's data for one calculator, read from triggers.toml."""

    name: str
    triggers: dict[str, float]
    slots: tuple[SlotSpec, ...]
    one_of: tuple[tuple[str, ...], ...] = ()
    examples: dict[str, str] = field(default_factory=dict)
    defaults: dict[str, str] = field(default_factory=dict)
    answers: dict[str, str] = field(default_factory=dict)
    conditions: tuple[str, ...] = ()


@dataclass(frozen=True)
class Vocabulary:
    """All of triggers.toml, typed."""

    threshold: float
    cues: tuple[str, ...]
    rule_questions: tuple[str, ...]
    flags: dict[str, tuple[str, ...]]
    calculators: dict[str, CalcSpec]


def _slot(name: str, raw: str | dict[str, Any]) -> SlotSpec:
    """A slot from its TOML form: 'money' or {kind = 'date', near = [...]}."""
    if isinstance(raw, str):
        return SlotSpec(name, raw)
    return SlotSpec(name, raw["kind"], tuple(raw.get("near", ())))


@lru_cache(maxsize=1)
def vocabulary(path: Path = TRIGGERS_PATH) -> Vocabulary:
    """triggers.toml, parsed once."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    specs = {}
    for name, raw in data["calculators"].items():
        specs[name] = CalcSpec(
            name=name,
            triggers={k: float(v) for k, v in raw.get("triggers", {}).items()},
            slots=tuple(_slot(k, v) for k, v in raw.get("slots", {}).items()),
            one_of=tuple(tuple(group) for group in raw.get("one_of", ())),
            examples=dict(raw.get("examples", {})),
            defaults=dict(raw.get("defaults", {})),
            answers={k: v for k, v in raw.items() if k.startswith("answer")},
            conditions=tuple(raw.get("conditions", ())),
        )
    threshold = float(data["intent"]["threshold"])
    if threshold <= 0:
        # A calculator none of whose phrases occur scores 0; it must never be chosen for that.
        raise ValueError(f"{path}: [intent].threshold must be > 0, got {threshold}")
    return Vocabulary(
        threshold=threshold,
        cues=tuple(data["intent"]["cues"]),
        rule_questions=tuple(data["intent"]["rule_questions"]),
        flags={k: tuple(v) for k, v in data["flags"].items()},
        calculators=specs,
    )


@dataclass(frozen=True)
class _TriggerIndex:
    """Every calculator's trigger phrases: plain ones indexed, 're:' patterns compiled."""

    plain: PhraseIndex
    patterns: dict[str, re.Pattern[str]]
    # phrase -> the calculators it triggers
    owners: dict[str, frozenset[str]]

    @classmethod
    def of(cls, specs: Iterable[CalcSpec]) -> _TriggerIndex:
        owners: dict[str, set[str]] = {}
        for spec in specs:
            for p in spec.triggers:
                owners.setdefault(p, set()).add(spec.name)
        patterns = {p: re.compile(p[3:]) for p in owners if p.startswith("re:")}
        plain = PhraseIndex(p for p in owners if p not in patterns)
        return cls(plain, patterns, {p: frozenset(names) for p, names in owners.items()})

    def triggered(self, found: set[str]) -> set[str]:
        """The calculators with at least one of the found phrases among their triggers."""
        return {name for p in found for name in self.owners[p]}

    def found(self, features: Features) -> set[str]:
        """The trigger phrases (and 're:' patterns) present in the question or its digit form."""
        texts = (features.original, features.text)
        matched = {p for p, rx in self.patterns.items() if any(rx.search(t) for t in texts)}
        return self.plain.found(*texts) | matched


@lru_cache(maxsize=1)
def _trigger_index() -> _TriggerIndex:
    """The trigger index of the vocabulary, built once."""
    return _TriggerIndex.of(vocabulary().calculators.values())


def keyword_score(spec: CalcSpec, found: set[str]) -> float:
    """Sum of the weights of the calculator's trigger phrases among those found in the question."""
    return sum(w for phrase, w in spec.triggers.items() if phrase in found)


# ---- slot filling ---------------------------------------------------------------------------------

@dataclass
class _Fill:
    """Inputs found for one calculator, and what had to be assumed to get them."""

    inputs: dict[str, Any] = field(default_factory=dict)
    assumptions: list[str] = field(default_factory=list)
    used: set[int] = field(default_factory=set)


def _near_first(items: list[Any], near: tuple[str, ...], features: Features) -> list[Any]:
    """Candidates reordered so that those right after a `near` word come first."""
    if not near:
        return items

    def is_near(item: Any) -> bool:
        window = features.text[max(0, item.start - NEAR_WINDOW): item.start]
        return any(word in window for word in near)

    return [i for i in items if is_near(i)] + [i for i in items if not is_near(i)]


def _year_note(mention: DateMention | MonthMention, today: date) -> str | None:
    """The assumption to say back when a date came without a year."""
    return f"未说明年份，按今年（{today.year}年）计算" if mention.year_assumed else None


def _as_days(q: Quantity) -> tuple[Decimal, str | None] | None:
    """A duration in days: weeks × 7, months × 30 (said back), hours ÷ 24 only when whole."""
    if q.unit == "day":
        return q.value, None
    if q.unit == "week":
        return q.value * 7, None
    if q.unit == "month":
        return q.value * 30, f"“{_num(q.value)}个月”按 {_num(q.value * 30)} 天计算"
    return None


def _as_hours(q: Quantity) -> tuple[Decimal, str | None] | None:
    """A duration in hours: days × 24."""
    if q.unit == "hour":
        return q.value, None
    if q.unit == "day":
        return q.value * 24, f"“{_num(q.value)}天”按 {_num(q.value * 24)} 小时计算"
    return None


def _as_months(q: Quantity) -> tuple[Decimal, str | None] | None:
    """A duration in months: years × 12."""
    if q.unit == "month":
        return q.value, None
    if q.unit == "year":
        return q.value * 12, None
    return None


_DURATION_CONVERTERS = {"days": _as_days, "hours": _as_hours, "months": _as_months}


def _num(value: Decimal) -> str:
    """Decimal as plain text without trailing zeros."""
    return format(value.normalize(), "f")


def _number_value(value: Decimal) -> int | str:
    """Whole numbers as int, fractions as exact decimal strings (plan inputs stay JSON-able and exact)."""
    return int(value) if value == value.to_integral_value() else _num(value)


def _take(slot: SlotSpec, features: Features, fill: _Fill, today: date, vocab: Vocabulary) -> Any:
    """The value for one slot from the question, or None; marks the feature used."""
    kind = slot.kind
    if kind.startswith(("flag:", "!flag:")):
        negate, flag = kind.startswith("!"), kind.split(":", 1)[1]
        hit = any(word in features.original for word in vocab.flags[flag])
        return (not hit) if (negate and hit) else (True if hit and not negate else None)
    quantities = [q for q in features.quantities if id(q) not in fill.used]
    if kind == "money_list":
        amounts = [q for q in quantities if q.kind in ("money", "bare")]
        if len(amounts) < 2:
            return None
        fill.used.update(id(q) for q in amounts)
        return [_num(q.value) for q in amounts]
    if kind == "money":
        pool = [q for q in quantities if q.kind == "money"] or [q for q in quantities if q.kind == "bare"]
        for q in _near_first(pool, slot.near, features):
            fill.used.add(id(q))
            return _num(q.value)
        return None
    if kind in ("bandwidth", "count"):
        pool = [q for q in quantities if q.kind == kind] or [q for q in quantities if q.kind == "bare"]
        for q in _near_first(pool, slot.near, features):
            fill.used.add(id(q))
            return _number_value(q.value)
        return None
    if kind in _DURATION_CONVERTERS:
        convert = _DURATION_CONVERTERS[kind]
        for q in _near_first([q for q in quantities if q.kind == "duration"], slot.near, features):
            converted = convert(q)
            if converted is None:
                continue
            fill.used.add(id(q))
            value, note = converted
            if note:
                fill.assumptions.append(note)
            return _number_value(value)
        return None
    if kind in ("date", "datetime"):
        for d in _near_first([d for d in features.dates if id(d) not in fill.used], slot.near, features):
            fill.used.add(id(d))
            note = _year_note(d, today)
            if note:
                fill.assumptions.append(note)
            if kind == "date":
                return d.value.isoformat()
            if d.at is None:
                fill.assumptions.append("未说明具体时刻，按当日0时计算；实际交付时限为报竣时刻起48小时")
            return datetime.combine(d.value, d.at or time(0, 0)).isoformat()
        return None
    if kind == "year_month":
        for m in [m for m in features.months if id(m) not in fill.used]:
            fill.used.add(id(m))
            note = _year_note(m, today)
            if note:
                fill.assumptions.append(note)
            return f"{m.year:04d}-{m.month:02d}"
        for d in [d for d in features.dates if id(d) not in fill.used]:
            fill.used.add(id(d))
            return f"{d.value.year:04d}-{d.value.month:02d}"
        return None
    if kind == "line_list":
        return None
    raise ValueError(f"unknown slot kind {kind!r} in triggers.toml")


def fill_inputs(spec: CalcSpec, features: Features, today: date, only: set[str] | None = None) -> _Fill:
    """Fill the calculator's slots (or just `only` of them) from the question, in slot order."""
    vocab = vocabulary()
    fill = _Fill()
    for slot in spec.slots:
        if only is not None and slot.name not in only:
            continue
        value = _take(slot, features, fill, today, vocab)
        if value is not None:
            fill.inputs[slot.name] = value
    return fill


def missing_inputs(formula_: Formula, spec: CalcSpec, inputs: dict[str, Any]) -> list[str]:
    """Required inputs not yet given, plus the first of each `one_of` group none of whose members is given."""
    missing = [name for name in formula_.required if name not in inputs]
    for group in spec.one_of:
        if not any(name in inputs for name in group):
            missing.append(group[0])
    return missing


def _default_notes(spec: CalcSpec, inputs: dict[str, Any]) -> list[str]:
    """What the defaults of unfilled optional inputs mean, said back to the person."""
    return [note for name, note in spec.defaults.items() if name not in inputs]


def _build(spec: CalcSpec, inputs: dict[str, Any], assumptions: list[str]) -> CalcPlan:
    """A CalcPlan with its missing list and default notes worked out."""
    formula_ = get(spec.name)
    notes = list(dict.fromkeys([*assumptions, *_default_notes(spec, inputs)]))
    return CalcPlan(
        name=spec.name,
        inputs=inputs,
        missing=missing_inputs(formula_, spec, inputs),
        assumptions=notes,
        clause_ids=list(formula_.clauses),
    )


@dataclass(frozen=True)
class Candidate:
    """One calculator scored against a question."""

    spec: CalcSpec
    keywords: float
    fill: _Fill

    @property
    def score(self) -> float:
        return self.keywords + SLOT_BONUS * len(self.fill.inputs)


def rank(features: Features, today: date) -> list[Candidate]:
    """Every calculator whose keyword score reaches the threshold, best first."""
    vocab = vocabulary()
    index = _trigger_index()
    phrases = index.found(features)
    # The others score 0, under the (positive) threshold.
    triggered = index.triggered(phrases)
    found = []
    for spec in vocab.calculators.values():
        if spec.name not in triggered:
            continue
        keywords = keyword_score(spec, phrases)
        if keywords >= vocab.threshold:
            found.append(Candidate(spec, keywords, fill_inputs(spec, features, today)))
    return sorted(found, key=lambda c: c.score, reverse=True)


def _asks_for_number(features: Features) -> bool:
    """Whether the question is a calculation at all rather than a plain lookup.

    With a number or date in it, yes. Without one, only if it uses a calculation cue ("多少", "哪天")
    and is not asking what the rule itself is ("欠费多少天会被停").
    """
    vocab = vocabulary()
    if features.has_values:
        return True
    if any(phrase in features.original for phrase in vocab.rule_questions):
        return False
    return any(cue in features.original for cue in vocab.cues)


def _complete_pending(pending: CalcPlan, features: Features, today: date) -> CalcPlan | None:
    """The pending plan with its missing inputs filled from this message, or None if it fills none."""
    spec = vocabulary().calculators[pending.name]
    fill = fill_inputs(spec, features, today, only=set(pending.missing) | _one_of_members(spec, pending.missing))
    if not fill.inputs:
        return None
    return _build(spec, {**pending.inputs, **fill.inputs}, [*pending.assumptions, *fill.assumptions])


def _one_of_members(spec: CalcSpec, missing: list[str]) -> set[str]:
    """All members of the one_of groups a missing name heads (either can complete the group)."""
    return {name for group in spec.one_of if group[0] in missing for name in group}


def plan(question: str, today: date, pending: CalcPlan | None = None) -> CalcPlan | None:
    """Work out which calculation `question` asks for and with which inputs.

    `today` is the clock for dates without a year (the plan's assumptions say which year was used).
    With `pending` (a plan from the previous turn that still had missing inputs), a reply such as
    "5000元，逾期10天" completes it, unless the message clearly asks for a different calculation.
    Returns None when the question asks for no number (a plain lookup such as "云专线能暂停吗").
    Raises CalcInputError for an impossible date or time in the question (2月30日).
    """
    features = extract(question, today)
    ranked = rank(features, today) if _asks_for_number(features) else []
    best = ranked[0] if ranked else None
    if pending is not None and pending.name in REGISTRY and pending.missing:
        switching = best is not None and best.spec.name != pending.name and best.keywords >= 2 * vocabulary().threshold
        if not switching:
            completed = _complete_pending(pending, features, today)
            if completed is not None:
                return completed
    if best is None:
        return None
    return _build(best.spec, best.fill.inputs, best.fill.assumptions)


# "那100M呢", "一年呢", "如果是30天", "换成20M": a message that changes the last question rather than asking anew.
_FOLLOW_UP = re.compile(r"^(那么?|如果|要是|假如|换成|改成|换|改)|呢[?？。!！]*$")


def is_follow_up(question: str) -> bool:
    """Whether a message reads as a follow-up to the previous turn rather than a new question."""
    return bool(_FOLLOW_UP.search(question.strip()))


def follow_up(question: str, today: date, last: CalcPlan) -> CalcPlan | None:
    """The last calculation re-planned with the inputs this follow-up changes ("那100M呢" → bandwidth 100).

    Returns None when the message is not a follow-up, fills none of the last calculator's inputs, or clearly asks
    for a different calculation (a new topic starts fresh).
    """
    if last.name not in REGISTRY or not is_follow_up(question):
        return None
    features = extract(question, today)
    if not features.has_values:
        return None
    ranked = rank(features, today)
    if ranked and ranked[0].spec.name != last.name and ranked[0].keywords >= 2 * vocabulary().threshold:
        return None
    spec = vocabulary().calculators[last.name]
    fill = fill_inputs(spec, features, today)
    if not fill.inputs:
        return None
    return _build(spec, {**last.inputs, **fill.inputs}, [*last.assumptions, *fill.assumptions])


def clarify_text(plan_: CalcPlan) -> str:
    """The question asking for exactly the missing inputs, with the clauses the calculation rests on."""
    formula_ = get(plan_.name)
    spec = vocabulary().calculators[plan_.name]
    wanted = "、".join(formula_.field_title(name) for name in plan_.missing)
    examples = "，".join(spec.examples[name] for name in plan_.missing if name in spec.examples)
    clauses = "、".join(clause_name(c) for c in formula_.clauses)
    text = f"要计算{formula_.title}（依据{clauses}），还需要您告诉我：{wanted}。"
    if examples:
        text += f"例如回复：“{examples}”。"
    return text
