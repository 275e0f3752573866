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


# What each key of a several-part result is called in a summary.
_KEY_NAMES = {
    "end": "到期", "notice_by": "最晚通知", "latest": "最晚", "pay_by": "最晚缴清", "may_terminate_from": "可终止自",
    "statement_on": "出账", "available_after": "可查询", "due": "缴费截止", "start": "起", "bill_month": "计入",
    "total": "含税", "pre_tax": "不含税", "tax": "税额",
}


def result_summary(result: CalcResult) -> str:
    """The result in at most 40 characters, the answer first: a yes/no before its deciding date or figure."""
    from assistant.answer.summary import short

    from .registry import get

    title = get(result.name).title
    value = result.result
    money = "元" if result.unit == "元" else ""
    if isinstance(value, bool):
        text = ("是" if value else "否") + "：" + (result.steps[-1] if result.steps else title)
    elif isinstance(value, dict) and "in_time" in value:
        latest = value.get("latest") or value.get("notice_by")
        text = ("来得及" if value["in_time"] else "来不及") + f"，最晚{_show(latest)}通知"
    elif isinstance(value, dict) and "overdue" in value:
        text = (f"已逾期{value['days_overdue']}天" if value["overdue"] else "未逾期") + f"，截止{_show(value['due'])}"
    elif isinstance(value, dict) and all(k in _KEY_NAMES for k in value):
        text = "，".join(f"{_KEY_NAMES[k]}{_show(v, money)}" for k, v in value.items())
    elif isinstance(value, dict):
        text = result.steps[0] if result.steps else title
    elif value is None:
        text = f"{title}：合同未列出，不作推算"
    else:
        text = f"{title}：{_show(value, result.unit)}"
    return short(text)
