"""Exact-match accuracy of plan() + run() over a TOML file of hand-computed questions."""

from __future__ import annotations

import tomllib
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from assistant.errors import AssistantError

from .planner import plan
from .registry import run

NULL = "null"  # TOML has no null; the question file writes an expected null result as this string


class QuestionOutcome(BaseModel):
    """One question: what was expected and what the calculators produced."""

    q: str
    expected_calculator: str
    calculator: str | None
    expected_result: Any
    result: Any
    inputs_ok: bool = False
    error: str | None = None

    @property
    def calculator_ok(self) -> bool:
        return self.calculator == self.expected_calculator

    @property
    def ok(self) -> bool:
        return self.calculator_ok and self.inputs_ok and self.result == self.expected_result and self.error is None


class AccuracyReport(BaseModel):
    """Outcomes of every question and the two exact-match rates."""

    outcomes: list[QuestionOutcome]

    @property
    def calculator_accuracy(self) -> float:
        return sum(o.calculator_ok for o in self.outcomes) / len(self.outcomes)

    @property
    def result_accuracy(self) -> float:
        return sum(o.ok for o in self.outcomes) / len(self.outcomes)


def _expected(value: Any) -> Any:
    """The TOML expectation in CalcResult JSON form."""
    return None if value == NULL else value


def _same(expected: Any, got: Any) -> bool:
    """Input equality across JSON forms: 5100 == "5100" == 5100.0, lists element-wise."""
    if isinstance(expected, list) and isinstance(got, list):
        return len(expected) == len(got) and all(_same(e, g) for e, g in zip(expected, got))
    if isinstance(expected, bool) or isinstance(got, bool):
        return expected is got
    try:
        return Decimal(str(expected)) == Decimal(str(got))
    except InvalidOperation:
        return expected == got


def key_inputs_match(expected: dict[str, Any], got: dict[str, Any]) -> bool:
    """Every key input the question file names was understood with that value."""
    return all(key in got and _same(value, got[key]) for key, value in expected.items())


def evaluate_question(row: dict[str, Any]) -> QuestionOutcome:
    """Plan and run one question row against its clock."""
    today = date.fromisoformat(row["today"])
    base = {"q": row["q"], "expected_calculator": row["calculator"], "expected_result": _expected(row["result"])}
    try:
        found = plan(row["q"], today)
        # As the Assistant does: with only deferred inputs missing the formula runs, and may still need them.
        if found is None or not found.runnable:
            return QuestionOutcome(**base, calculator=found.name if found else None, result=None,
                                   error=f"missing {found.missing}" if found else "no plan")
        return QuestionOutcome(
            **base,
            calculator=found.name,
            result=run(found.name, found.inputs).result,
            inputs_ok=key_inputs_match(row.get("inputs", {}), found.inputs),
        )
    except AssistantError as exc:
        return QuestionOutcome(**base, calculator=None, result=None, error=str(exc))


def evaluate(path: Path) -> AccuracyReport:
    """Every [[question]] in the file, planned and run."""
    rows = tomllib.loads(path.read_text(encoding="utf-8"))["question"]
    return AccuracyReport(outcomes=[evaluate_question(row) for row in rows])
