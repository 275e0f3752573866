"""The labelled question bank (tests/data/bank): typed rows, validated when loaded, and their expected values.

The bank was written blind from the contract (see tests/data/bank/README.md). A calculation row names the
calculator and the facts the question states; its expected value is what that calculator gives for those facts
(`expected`), and the writer's own hand-computed value (`expect`) is kept beside it as a cross-check.
"""

from __future__ import annotations

import tomllib
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from assistant.settings import PROJECT_ROOT

BANK_DIR = PROJECT_ROOT / "tests" / "data" / "bank"
DEV = BANK_DIR / "dev.toml"
SEALED = BANK_DIR / "sealed.toml"
STYLES = ("chat", "asr", "agent", "email", "traditional")
NULL = "null"  # TOML has no null; a row expecting "no result" writes this string

Kind = Literal["calc", "lookup", "out_of_scope", "vague", "clarify"]


class Labelled(BaseModel):
    """What a correct assistant does with one question (or one turn of a conversation)."""

    model_config = ConfigDict(extra="ignore")

    q: str = Field(min_length=1)
    kind: Kind
    calculator: str | None = None
    inputs: dict[str, Any] = Field(default_factory=dict)
    expect: Any = None
    missing: list[str] = Field(default_factory=list)
    clauses: list[str] = Field(default_factory=list)
    fact: str | None = None
    yesno: str | None = None
    category: str | None = None
    readings: list[str] = Field(default_factory=list)
    tags: list[str] = Field(default_factory=list)
    note: str | None = None

    @model_validator(mode="after")
    def _complete(self) -> Labelled:
        if self.kind in ("calc", "clarify") and not self.calculator:
            raise ValueError(f"a {self.kind} row needs a calculator: {self.q!r}")
        if self.kind == "lookup" and not self.clauses:
            raise ValueError(f"a lookup row needs clauses: {self.q!r}")
        return self


class Question(Labelled):
    id: str
    style: Literal["chat", "asr", "agent", "email", "traditional"]
    today: date


class Turn(Labelled):
    relation: Literal[
        "new", "complete_pending", "same_calc_changed_input", "related_calc_same_inputs", "supplies_value",
        "refer_result", "lookup_prev_subject", "new_topic",
    ]


class Conversation(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: str
    style: Literal["chat", "asr", "agent", "email", "traditional"]
    today: date
    turn: list[Turn] = Field(min_length=1)


class Bank(BaseModel):
    """One part of the bank (dev or sealed)."""

    questions: list[Question] = Field(default_factory=list)
    conversations: list[Conversation] = Field(default_factory=list)


def load_bank(path: Path) -> Bank:
    """A bank part, validated: every calculator it names is registered. Raises ValueError naming the problem."""
    from assistant.calc import REGISTRY

    data = tomllib.loads(path.read_text(encoding="utf-8"))
    bank = Bank(questions=data.get("question", []), conversations=data.get("conversation", []))
    rows = [*bank.questions, *(t for c in bank.conversations for t in c.turn)]
    unknown = sorted({r.calculator for r in rows if r.calculator and r.calculator not in REGISTRY})
    if unknown:
        raise ValueError(f"{path}: unknown calculators {unknown}")
    return bank


def expected(row: Labelled) -> tuple[bool, Any]:
    """(computable, value): what the labelled calculator gives for the labelled facts, in JSON form.

    Not computable when the facts are outside what the calculator accepts (a business day beyond the calendar).
    """
    from assistant.calc import run
    from assistant.errors import AssistantError

    try:
        return True, run(row.calculator, row.inputs).model_dump(mode="json")["result"]
    except AssistantError:
        return False, None


def _number(v: Any) -> Decimal | None:
    if isinstance(v, bool) or v is None:
        return None
    try:
        return Decimal(str(v))
    except (InvalidOperation, ValueError):
        return None


def same(got: Any, want: Any) -> bool:
    """Equal results: numbers to the cent, date-times to the minute, dicts on the keys `want` has."""
    if want == NULL:
        want = None
    if isinstance(want, dict):
        return isinstance(got, dict) and all(k in got and same(got[k], v) for k, v in want.items())
    if isinstance(got, bool) or isinstance(want, bool):
        return isinstance(got, bool) and isinstance(want, bool) and got == want
    a, b = _number(got), _number(want)
    if a is not None and b is not None:
        return abs(a - b) < Decimal("0.005")
    if isinstance(got, str) and isinstance(want, str) and "T" in got + want:
        return got[:16] == want[:16]
    return got == want


def asked(row: Labelled, value: Any) -> Any:
    """The part of a several-part result the question asks for: the keys the writer's answer names (or whose
    value it gives), the whole result otherwise."""
    if not isinstance(value, dict):
        return value
    if isinstance(row.expect, dict):
        keys = [k for k in row.expect if k in value]
        return {k: value[k] for k in keys} if keys else value
    keys = [k for k, v in value.items() if same(v, row.expect)]
    return {k: value[k] for k in keys} if keys else value


def agrees(row: Labelled) -> bool | None:
    """Whether the writer's own value matches the calculator's for the labelled facts (None: not computable)."""
    ok, value = expected(row)
    if not ok:
        return None
    want = row.expect
    if isinstance(value, dict) and not isinstance(want, dict):
        return any(same(v, want) for v in value.values())
    return same(value, want)
