"""One-sentence Chinese answers for a CalcResult, naming the clauses and the conditions attached."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from assistant.corpus.ids import clause_name
from assistant.models import CalcResult

from .planner import CalcPlan
from .vocabulary import vocabulary

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ISO_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
_YEAR_MONTH = re.compile(r"^\d{4}-\d{2}$")


def _show(value: Any, unit: str = "") -> str:
    """A JSON value as a person reads it: 150.00元, 2026年10月12日, 是/否."""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and unit == "元":
        return f"{Decimal(str(value)):.2f}元"
    if isinstance(value, float):
        return format(Decimal(str(value)).normalize(), "f")
    if isinstance(value, list):
        return "、".join(_show(v) for v in value)
    if isinstance(value, str) and _ISO_DATETIME.match(value):
        day, clock = value.split("T")
        y, m, d = (int(p) for p in day.split("-"))
        return f"{y}年{m}月{d}日{clock[:5]}"
    if isinstance(value, str) and _ISO_DATE.match(value):
        y, m, d = (int(p) for p in value.split("-"))
        return f"{y}年{m}月{d}日"
    if isinstance(value, str) and _YEAR_MONTH.match(value):
        y, m = (int(p) for p in value.split("-"))
        return f"{y}年{m}月"
    if value is None:
        return "无"
    return str(value)


def _fields(result: CalcResult) -> dict[str, str]:
    """Template fields: inputs by name, {result}, {r_KEY} for object results, {why} (last step), {steps} (all)."""
    fields = {k: _show(v) for k, v in result.inputs.items()}
    fields.update({f"{k}_cn": _show(v) for k, v in result.inputs.items()})
    if isinstance(result.result, dict):
        money = result.unit == "元"
        for key, value in result.result.items():
            fields[f"r_{key}"] = _show(value, "元" if money else "")
            fields[f"r_{key}_cn"] = _show(value)
    else:
        fields["result"] = _show(result.result, result.unit)
    fields["why"] = result.steps[-1] if result.steps else ""
    fields["steps"] = "；".join(result.steps)
    return fields


def _template(answers: dict[str, str], result: CalcResult) -> str:
    """The most specific answer template for this result (null, zero, true/false, or the plain one)."""
    value = result.result
    if value is None and "answer_null" in answers:
        return answers["answer_null"]
    if isinstance(value, bool) and f"answer_{str(value).lower()}" in answers:
        return answers[f"answer_{str(value).lower()}"]
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value == 0 and "answer_zero" in answers:
        return answers["answer_zero"]
    return answers.get("answer", "计算结果为 {result}")


def answer_text(result: CalcResult, plan: CalcPlan | None = None) -> str:
    """The result in one sentence, the clauses named in words, the contract's conditions and any assumptions.

    `plan` (the plan the result came from, if any) supplies what was assumed, e.g. the year of a date
    given without one, so the person can correct it.
    """
    spec = vocabulary().calculators.get(result.name)
    answers = spec.answers if spec else {}
    fields = _fields(result)
    try:
        body = _template(answers, result).format_map(fields)
    except KeyError:
        # A result shaped differently from the plain template (a yes/no answer with its deciding date): the
        # trace says it in full.
        body = fields["steps"]
    clauses = "、".join(clause_name(c) for c in result.clause_ids)
    text = f"{body}（依据{clauses}）。"
    if spec and spec.conditions:
        text += "条件：" + "；".join(spec.conditions) + "。"
    if plan is not None and plan.assumptions:
        text += "说明：" + "；".join(plan.assumptions) + "。"
    return text
