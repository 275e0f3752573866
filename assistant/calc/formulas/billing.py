"""附件一 billing calendar: the cycle of month T, which bill a day falls in, when it is issued and due."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import Field

from ..registry import Outcome, formula
from ..values import YearMonth, cn_date, parse_year_month
from ..workdays import last_day_of_month


def _previous(year: int, month: int) -> tuple[int, int]:
    """The month before."""
    return (year - 1, 12) if month == 1 else (year, month - 1)


def _next(year: int, month: int) -> tuple[int, int]:
    """The month after."""
    return (year + 1, 1) if month == 12 else (year, month + 1)


def cycle(year: int, month: int) -> tuple[date, date]:
    """Month T's cycle: last day of T−1 00:00:00 to the day before T's last day 23:59:59 (附件一第4.2条)."""
    start = last_day_of_month(*_previous(year, month))
    end = date(year, month, last_day_of_month(year, month).day - 1)
    return start, end


def _cycle_step(year: int, month: int, start: date, end: date) -> str:
    """The cycle spelled out with its clock times."""
    return f"{year}年{month}月账单计费周期：{cn_date(start)}0时至{cn_date(end)}23时59分59秒"


@formula("billing_cycle", title="某月账单的计费周期", clauses=("A1-4.2",))
def billing_cycle(month: Annotated[YearMonth, Field(title="账单月份")]) -> Outcome:
    """T 月计费周期 = T−1 月最后一日 0 时 至 T 月最后一日前一天 23:59:59。"""
    year, mon = parse_year_month(month)
    start, end = cycle(year, mon)
    return Outcome({"start": start, "end": end}, "日期", [_cycle_step(year, mon, start, end)])


@formula("bill_month_of", title="某日用量计入哪个月的账单", clauses=("A1-4.2",))
def bill_month_of(usage_on: Annotated[date, Field(title="用量发生日期")]) -> Outcome:
    """某日用量计入的账单月 = 该日所在月；若该日是当月最后一日，则计入下月账单。"""
    year, mon = usage_on.year, usage_on.month
    steps = []
    if usage_on == last_day_of_month(year, mon):
        year, mon = _next(year, mon)
        steps.append(f"{cn_date(usage_on)}是当月最后一日，按附件一第4.2条计入下月账单")
    start, end = cycle(year, mon)
    steps.append(_cycle_step(year, mon, start, end))
    return Outcome({"bill_month": f"{year:04d}-{mon:02d}", "start": start, "end": end}, "", steps)


@formula("bill_dates", title="账单出账、可查询与缴费截止日", clauses=("A1-4.3", "A1-4.4"))
def bill_dates(month: Annotated[YearMonth, Field(title="账单月份")]) -> Outcome:
    """T 月账单：T 月最后一日出账，T+1 月 3 日 24 时后可查询，须于 T+1 月最后一日 24 时前付清。"""
    year, mon = parse_year_month(month)
    statement_on = last_day_of_month(year, mon)
    next_year, next_mon = _next(year, mon)
    available_after = date(next_year, next_mon, 3)
    due = last_day_of_month(next_year, next_mon)
    steps = [
        f"出账日：{cn_date(statement_on)}（T 月最后一日）",
        f"可查询：{cn_date(available_after)}24时后",
        f"缴费截止：{cn_date(due)}24时前（T+1 月最后一日）",
    ]
    return Outcome({"statement_on": statement_on, "available_after": available_after, "due": due}, "日期", steps)
