"""The calculator registry: pure formulas registered with their clause ids, validated and run into CalcResult."""

from __future__ import annotations

import inspect
import typing
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from functools import cached_property
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError, create_model

from assistant.errors import CalcInputError, CalculatorNotFound
from assistant.models import CalcResult

from .values import FIRST_YEAR, LAST_YEAR, MAX_DECIMALS, q2

ResultValue = Decimal | int | bool | date | datetime | str | dict[str, Any] | None


class _Deferred:
    """Annotated metadata for an input that some outcomes do not depend on (see DEFERRED)."""

    def __repr__(self) -> str:
        return "DEFERRED"


# Marks an input the contract makes irrelevant in some cases (the monthly fee when an outage is under 24 hours):
# `fee: Annotated[Money | None, Field(...), DEFERRED] = None`. It is still asked for with the required inputs,
# but when only deferred ones are missing the formula runs first, and asks (InputNeeded) only if it needs them.
DEFERRED = _Deferred()


class _Verdict:
    """Annotated metadata for an input that only decides a yes/no (see VERDICT)."""

    def __repr__(self) -> str:
        return "VERDICT"


# Marks an optional input whose only use is a verdict on the result (a planned notice date: in time or not):
# a follow-up that asks no yes/no does not carry it over from the last calculation.
VERDICT = _Verdict()


@dataclass(frozen=True)
class Outcome:
    """What a formula returns: the result in Python types, its unit, and the trace lines."""

    result: ResultValue
    unit: str
    steps: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Derived:
    """What a derivation returns: the derived input's value and the trace lines that show how it was found."""

    value: Any
    steps: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Derivation:
    """One step that derives a formula input from other facts (days overdue from a bill month and a payment date)."""

    target: str
    title: str
    clauses: tuple[str, ...]
    inputs: type[BaseModel]
    summary: str
    func: Callable[..., Derived]

    @cached_property
    def sources(self) -> tuple[str, ...]:
        """The facts it needs, in signature order."""
        return tuple(self.inputs.model_fields)


# target input name -> the derivations that can supply it, in registration order
DERIVATIONS: dict[str, list[Derivation]] = {}


@dataclass(frozen=True)
class Formula:
    """One registered calculator."""

    name: str
    title: str
    clauses: tuple[str, ...]
    inputs: type[BaseModel]
    summary: str
    func: Callable[..., Outcome]
    # Groups of optional inputs of which at least one must be given (a monthly fee or a bandwidth).
    one_of: tuple[tuple[str, ...], ...] = ()

    def derivations(self, name: str) -> list[Derivation]:
        """The derivations that can supply input `name` of this formula."""
        return self._derivations.get(name, [])

    @cached_property
    def _derivations(self) -> dict[str, list[Derivation]]:
        """Input name → its derivations, worked out once (every formula is registered before any question)."""
        return {n: list(DERIVATIONS.get(n, [])) for n in self.inputs.model_fields}

    def derivations_reading(self, fact: str) -> list[Derivation]:
        """The derivations of this formula's inputs that read `fact`."""
        return self._readers.get(fact, [])

    @cached_property
    def _readers(self) -> dict[str, list[Derivation]]:
        """Fact → the derivations of this formula's inputs reading it, worked out once like `_derivations`."""
        out: dict[str, list[Derivation]] = {}
        for ds in self._derivations.values():
            for d in ds:
                for s in d.sources:
                    out.setdefault(s, []).append(d)
        return out

    def source_names(self) -> set[str]:
        """Every fact a derivation of one of this formula's inputs reads."""
        return set(self._readers)

    def satisfied(self, name: str, given: Iterable[str]) -> bool:
        """Whether input `name` is given, or derivable from the given facts."""
        have = set(given)
        return name in have or any(set(d.sources) <= have for d in self.derivations(name))

    def missing(self, given: Iterable[str]) -> list[str]:
        """Required inputs neither given nor derivable, then the first of each unsatisfied one_of group."""
        have = set(given)
        out = [n for n in self.required if not self.satisfied(n, have)]
        out += [group[0] for group in self.one_of if not any(self.satisfied(n, have) for n in group)]
        return out

    def default(self, name: str) -> Any:
        """The default value of one input, or None when it has none (required, or not an input of this formula)."""
        info = self.inputs.model_fields.get(name)
        return None if info is None or info.is_required() else info.default

    def field_title(self, name: str) -> str:
        """The Chinese label of one input, used in questions and errors."""
        info = self.inputs.model_fields.get(name)
        return (info.title if info and info.title else name)

    @cached_property
    def required(self) -> list[str]:
        """Inputs to ask for: those without a default and the deferred ones, in signature order."""
        return [n for n, f in self.inputs.model_fields.items() if f.is_required() or DEFERRED in f.metadata]

    @cached_property
    def droppable(self) -> frozenset[str]:
        """Inputs left out of a result's inputs when not given: the deferred ones and the one_of alternatives."""
        return self.deferred | {n for group in self.one_of for n in group}

    @cached_property
    def deferred(self) -> frozenset[str]:
        """Inputs marked DEFERRED: the formula may decide without them."""
        return frozenset(n for n, f in self.inputs.model_fields.items() if DEFERRED in f.metadata)

    @cached_property
    def verdict_only(self) -> frozenset[str]:
        """Inputs marked VERDICT: they only decide whether the result is met in time."""
        return frozenset(n for n, f in self.inputs.model_fields.items() if VERDICT in f.metadata)


REGISTRY: dict[str, Formula] = {}


def _summary(func: Callable[..., Any]) -> str:
    """The docstring's single line; registration fails loudly without one."""
    doc = inspect.getdoc(func) or ""
    if not doc.strip():
        raise TypeError(f"formula {func.__name__} needs a one-line docstring stating its formula")
    return doc.strip()


def _inputs_model(name: str, func: Callable[..., Any]) -> type[BaseModel]:
    """A pydantic model built from the formula's annotated signature (so the signature is the single source)."""
    hints = typing.get_type_hints(func, include_extras=True)
    fields: dict[str, Any] = {}
    for param in inspect.signature(func).parameters.values():
        default = ... if param.default is inspect.Parameter.empty else param.default
        fields[param.name] = (hints[param.name], default)
    model_name = "".join(part.title() for part in name.split("_")) + "Inputs"
    model = create_model(model_name, __config__=ConfigDict(extra="forbid"), **fields)
    for field_name, info in model.model_fields.items():
        if DEFERRED in info.metadata and info.default is not None:
            raise TypeError(f"formula {name}: deferred input {field_name} must default to None")
    return model


def formula(
    name: str, *, title: str, clauses: tuple[str, ...], one_of: tuple[tuple[str, ...], ...] = ()
) -> Callable[[Callable[..., Outcome]], Callable[..., Outcome]]:
    """Register a pure formula under `name`, citing `clauses`; its docstring is the formula in one line.

    `one_of` lists groups of optional inputs of which at least one must be given.
    """

    def register(func: Callable[..., Outcome]) -> Callable[..., Outcome]:
        if name in REGISTRY:
            raise ValueError(f"calculator {name!r} registered twice")
        if not clauses:
            raise ValueError(f"calculator {name!r} cites no clause")
        model = _inputs_model(name, func)
        for group in one_of:
            unknown = [n for n in group if n not in model.model_fields]
            if unknown or len(group) < 2:
                raise ValueError(f"calculator {name!r}: one_of group {group} must name two or more of its inputs")
        REGISTRY[name] = Formula(name, title, tuple(clauses), model, _summary(func), func, tuple(map(tuple, one_of)))
        return func

    return register


def derivation(target: str, *, title: str, clauses: tuple[str, ...]) -> Callable[[Callable[..., Derived]], Callable[..., Derived]]:
    """Register a pure step deriving input `target` from other facts, citing `clauses`; docstring = its formula."""

    def register(func: Callable[..., Derived]) -> Callable[..., Derived]:
        if not clauses:
            raise ValueError(f"derivation of {target!r} cites no clause")
        model = _inputs_model(f"derive_{target}_{func.__name__}", func)
        DERIVATIONS.setdefault(target, []).append(Derivation(target, title, tuple(clauses), model, _summary(func), func))
        return func

    return register


def _error_text(title: str, err: dict[str, Any]) -> str:
    """A pydantic error in Chinese, for the person who typed the value."""
    kind, ctx, given = err["type"], err.get("ctx") or {}, err.get("input")
    if kind == "missing":
        return f"缺少{title}"
    if kind == "greater_than":
        return f"{title}必须大于{ctx['gt']}，收到 {given}"
    if kind == "greater_than_equal":
        return f"{title}不能小于{ctx['ge']}，收到 {given}"
    if kind in ("less_than_equal", "less_than"):
        limit = ctx.get("le", ctx.get("lt"))
        return f"{title}为 {given}，超过合理范围（上限 {limit}），请核对是否多输了位数"
    if kind.startswith(("date", "datetime")):
        return f"{title}不是有效的日期：{given}（请核对该月是否有这一天）"
    if kind == "string_pattern_mismatch":
        return f"{title}格式应为 YYYY-MM（例如 2026-04，年份 {FIRST_YEAR}—{LAST_YEAR}），收到 {given}"
    if kind == "decimal_max_places":
        return f"{title}最多保留{MAX_DECIMALS}位小数，收到 {str(given)[:40]}"
    if kind.startswith(("int", "decimal", "float", "finite")):
        return f"{title}应为有效数字，收到 {given!r}"
    if kind.startswith("bool"):
        return f"{title}应为是/否，收到 {given!r}"
    return f"{title}无效：{err.get('msg', kind)}"


def _validated(model: type[BaseModel], inputs: dict[str, Any], owner: str, valid: Iterable[str]) -> BaseModel:
    """`inputs` as `model`; CalcInputError naming the first bad field (and, for an unknown one, the valid names)."""
    try:
        checked = model.model_validate(inputs)
        for name in model.model_fields:
            value = getattr(checked, name)
            if isinstance(value, (date, datetime)) and not FIRST_YEAR <= value.year <= LAST_YEAR:
                info = model.model_fields[name]
                raise CalcInputError(name, f"{info.title or name}为{value.year}年，超出可计算的范围（{FIRST_YEAR}—{LAST_YEAR}年）")
        return checked
    except ValidationError as exc:
        err = exc.errors()[0]
        name = str(err["loc"][0]) if err["loc"] else "inputs"
        if err["type"] == "extra_forbidden":
            raise CalcInputError(name, f"{owner} 没有输入项 {name}；可用输入：{'、'.join(valid)}") from None
        info = model.model_fields.get(name)
        title = info.title if info and info.title else name
        raise CalcInputError(name, _error_text(title, err)) from None


def validate(formula_: Formula, inputs: dict[str, Any]) -> BaseModel:
    """The inputs as the formula's model; CalcInputError naming the first bad field otherwise."""
    valid = [*formula_.inputs.model_fields, *sorted(formula_.source_names() - set(formula_.inputs.model_fields))]
    return _validated(formula_.inputs, inputs, formula_.name, valid)


@dataclass
class _Derivations:
    """The inputs a run derived, with the facts they came from, their trace lines and clauses."""

    sources: dict[str, Any] = field(default_factory=dict)
    steps: list[str] = field(default_factory=list)
    clauses: list[str] = field(default_factory=list)


def _derive(formula_: Formula, inputs: dict[str, Any]) -> tuple[dict[str, Any], _Derivations]:
    """Fill inputs that are not given but derivable from given facts; the facts used leave the formula's inputs."""
    values = dict(inputs)
    done = _Derivations()
    for name in formula_.inputs.model_fields:
        if values.get(name) is not None:
            continue
        for d in formula_.derivations(name):
            if not all(values.get(s) is not None for s in d.sources):
                continue
            model = _validated(d.inputs, {s: values[s] for s in d.sources}, d.title, d.sources)
            args = {s: getattr(model, s) for s in d.sources}
            derived = d.func(**args)
            values[name] = derived.value
            done.sources.update(args)
            done.steps += derived.steps
            done.clauses += [c for c in d.clauses if c not in done.clauses]
            break
    for s in done.sources:
        if s not in formula_.inputs.model_fields:
            values.pop(s, None)
    return values, done


def jsonable(value: Any) -> Any:
    """Python values → JSON values: Decimal money → number with 2 decimals, dates → ISO strings."""
    if isinstance(value, bool) or value is None or isinstance(value, (int, str)):
        return value
    if isinstance(value, Decimal):
        # Money is the only fractional value a formula returns; floats are produced only here, at the edge.
        return float(q2(value))
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, BaseModel):
        return jsonable(value.model_dump())
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    raise TypeError(f"not a calculator value: {value!r}")


def get(name: str) -> Formula:
    """The formula called `name`; CalculatorNotFound listing the valid names."""
    try:
        return REGISTRY[name]
    except KeyError:
        raise CalculatorNotFound(name, sorted(REGISTRY)) from None


def run(name: str, inputs: dict[str, Any]) -> CalcResult:
    """Validate `inputs` for calculator `name`, run its formula and return the traced, cited result.

    Raises CalculatorNotFound (naming the valid calculators) for an unknown name and
    CalcInputError (naming the field, message in Chinese) for a missing or unacceptable input.
    """
    formula_ = get(name)
    given, derived = _derive(formula_, inputs)
    model = validate(formula_, given)
    values = {k: getattr(model, k) for k in formula_.inputs.model_fields}
    for group in formula_.one_of:
        if all(values.get(n) is None for n in group):
            titles = "或".join(formula_.field_title(n) for n in group)
            raise CalcInputError(group[0], f"缺少{titles}")
    outcome = formula_.func(**values)
    # A deferred or alternative input the formula decided without is not an input of this result.
    used = {k: v for k, v in values.items() if v is not None or k not in formula_.droppable}
    return CalcResult(
        name=name,
        inputs=_jsonable_inputs({**derived.sources, **used}),
        result=jsonable(outcome.result),
        unit=outcome.unit,
        steps=[*derived.steps, *outcome.steps],
        clause_ids=[*formula_.clauses, *(c for c in derived.clauses if c not in formula_.clauses)],
    )


def _jsonable_inputs(values: dict[str, Any]) -> dict[str, Any]:
    """Inputs as understood; Decimals keep their typed precision as numbers (5100, 0.51)."""
    out: dict[str, Any] = {}
    for key, value in values.items():
        if isinstance(value, Decimal):
            out[key] = int(value) if value == value.to_integral_value() else float(value)
        elif isinstance(value, list):
            out[key] = [_jsonable_inputs({"v": v})["v"] for v in value]
        else:
            out[key] = jsonable(value)
    return out


def catalogue() -> list[dict[str, Any]]:
    """Every calculator with its title, formula line, clause ids and input JSON schema (for GET /v1/calculators)."""
    return [
        {
            "name": f.name,
            "title": f.title,
            "summary": f.summary,
            "clause_ids": list(f.clauses),
            "input_schema": f.inputs.model_json_schema(),
            "one_of": [list(group) for group in f.one_of],
            # Inputs that may be given as other facts instead (days overdue as a bill month and a payment date).
            "derivations": [
                {"input": d.target, "from": list(d.sources), "summary": d.summary, "clause_ids": list(d.clauses),
                 "input_schema": d.inputs.model_json_schema()}
                for n in f.inputs.model_fields for d in f.derivations(n)
            ],
        }
        for f in REGISTRY.values()
    ]


def cited_clause_ids(formulas: Iterable[Formula] | None = None) -> set[str]:
    """Every clause id any calculator cites."""
    return {c for f in (formulas or REGISTRY.values()) for c in f.clauses}


def unknown_clause_ids(known: Iterable[str]) -> dict[str, list[str]]:
    """Calculator name → the clause ids it cites that are not in `known` (empty when all exist)."""
    known_set = set(known)
    return {
        f.name: [c for c in f.clauses if c not in known_set]
        for f in REGISTRY.values()
        if any(c not in known_set for c in f.clauses)
    }
