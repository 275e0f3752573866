"""Overdue payment: the 3‰ daily penalty, what the operator may do at N days, and the takedown-count line."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Annotated

from pydantic import Field

from assistant.errors import CalcInputError

from ..registry import Derived, Outcome, derivation, formula
from ..values import MAX_DAYS, Money, YearMonth, cn_date, cn_datetime, num, parse_year_month, q2, yuan
from ..workdays import add_days, last_day_of_month

DAILY_PENALTY_RATE = Decimal("0.003")  # 主协议第二十九条, 附件一第4.5条
CLOUD_SUSPEND_DAYS = 15  # 附件一第4.5条 "逾期15日的"
CLOUD_TERMINATE_DAYS = 30  # 附件一第4.5条 "逾期30日的"
LINE_TERMINATE_AFTER_SUSPENSION = 60  # 主协议第二十九条 "暂停服务后60日内仍未交纳"
TAKEDOWN_LIMIT = 5  # 附件一第6.3条 "超过五次"
RESTORE_HOURS = 48  # 附件一第4.5条 "补交费用和违约金后的 48 小时内"


def payment_due(bill_month: str) -> date:
    """The last day to pay month T's bill: T+1's last day, 24:00 (附件一第4.4条)."""
    year, month = parse_year_month(bill_month)
    year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return last_day_of_month(year, month)


def _lateness(bill_month: str, paid_on: date) -> tuple[date, int, str]:
    """(deadline, days overdue, trace line) for paying month T's bill on `paid_on`."""
    due = payment_due(bill_month)
    year, month = parse_year_month(bill_month)
    days = max(0, (paid_on - due).days)
    head = f"{year}年{month}月账单须于{cn_date(due)}24时前付清（附件一第4.4条）"
    tail = f"{cn_date(paid_on)}缴费，逾期 {days} 天" if days else f"{cn_date(paid_on)}缴费，未逾期"
    return due, days, f"{head}；{tail}"


@derivation("days_overdue", title="逾期天数", clauses=("A1-4.4",))
def days_overdue_from_bill(
    bill_month: Annotated[YearMonth, Field(title="账单月份")],
    paid_on: Annotated[date, Field(title="缴费日期")],
) -> Derived:
    """逾期天数 = 缴费日 − T 月账单缴费截止日（T+1 月最后一日），未超过截止日为 0。"""
    _, days, line = _lateness(bill_month, paid_on)
    return Derived(days, [line])


def service_state_line(days_overdue: int) -> str:
    """One Chinese line: what the operator may do after days_overdue days."""
    if days_overdue <= 0:
        return "未逾期，不产生违约金，服务不受影响"
    if days_overdue < CLOUD_SUSPEND_DAYS:
        wait = CLOUD_SUSPEND_DAYS - days_overdue
        return f"逾期 {days_overdue} 天：乙方已可暂停光专线接入（主协议第二十九条）；再过 {wait} 天（满15日）可暂停沃云服务"
    if days_overdue < CLOUD_TERMINATE_DAYS:
        wait = CLOUD_TERMINATE_DAYS - days_overdue
        return f"逾期 {days_overdue} 天：已满15日，乙方可暂停沃云服务；再过 {wait} 天（满30日）可终止沃云服务"
    return f"逾期 {days_overdue} 天：已满30日，乙方可终止沃云服务并依法追缴欠费和违约金"


@formula("late_fee", title="逾期缴费违约金", clauses=("M-29", "A1-4.5"))
def late_fee(
    owed: Annotated[Money, Field(title="欠费金额（元）")],
    days_overdue: Annotated[int, Field(ge=0, le=MAX_DAYS, title="逾期天数")],
) -> Outcome:
    """逾期违约金 = 欠费金额 × 3‰ × 逾期天数（单利不复利，从缴费期限次日起算）。"""
    if days_overdue == 0:
        return Outcome(Decimal(0), "元", ["未逾期，不产生违约金"])
    penalty = q2(owed * DAILY_PENALTY_RATE * days_overdue)
    steps = [
        f"{num(owed)} × 3‰ × {days_overdue} 天 = {yuan(penalty)} 元（按欠费本金计算，违约金不再计违约金）",
        service_state_line(days_overdue),
    ]
    return Outcome(penalty, "元", steps)


@formula("overdue_status", title="逾期后的服务状态", clauses=("A1-4.5", "M-29"))
def overdue_status(
    days_overdue: Annotated[int, Field(ge=0, le=MAX_DAYS, title="逾期天数")],
    days_since_suspension: Annotated[int | None, Field(ge=0, le=MAX_DAYS, title="暂停服务后经过的天数")] = None,
) -> Outcome:
    """逾期满 15 日沃云可被暂停、满 30 日可被终止；专线逾期即可被暂停，暂停后 60 日期满仍未缴费可终止全部服务。"""
    result: dict[str, int | bool] = {
        "line_may_be_suspended": days_overdue >= 1,
        "cloud_may_be_suspended": days_overdue >= CLOUD_SUSPEND_DAYS,
        "cloud_may_be_terminated": days_overdue >= CLOUD_TERMINATE_DAYS,
        "days_until_cloud_suspension": max(0, CLOUD_SUSPEND_DAYS - days_overdue),
        "days_until_cloud_termination": max(0, CLOUD_TERMINATE_DAYS - days_overdue),
    }
    steps = [service_state_line(days_overdue)]
    if days_since_suspension is not None:
        # "60日内仍未交纳" is only known once the whole 60th day has passed, so termination opens on day 61.
        may_end = days_since_suspension > LINE_TERMINATE_AFTER_SUSPENSION
        result["all_services_may_be_terminated"] = may_end
        result["days_until_all_services_termination"] = max(0, LINE_TERMINATE_AFTER_SUSPENSION + 1 - days_since_suspension)
        steps.append(
            f"暂停后已 {days_since_suspension} 天：" + ("60日期满仍未缴费，乙方可终止全部服务" if may_end
                                                   else "60日期满（第60日24时）前缴清即可避免终止全部服务")
        )
    steps.append("补交欠费和违约金后 48 小时内恢复服务（附件一第4.5条）")
    return Outcome(result, "", steps)


@formula("takedown_limit", title="自然年度内容下架次数是否超过五次", clauses=("A1-6.3",))
def takedown_limit(events: Annotated[int, Field(ge=0, le=100000, title="一个自然年度内的下架/断链次数")]) -> Outcome:
    """一个自然年度内第 2.5.4 条情形发生次数 > 5（即 6 次起）时乙方有权终止合作；5 次及以下不触发。"""
    exceeded = events > TAKEDOWN_LIMIT
    relation = ">" if exceeded else "≤"
    verdict = "超过五次，乙方有权终止与甲方的合作" if exceeded else "未超过五次，不触发该终止条款"
    return Outcome(exceeded, "", [f"{events} 次 {relation} 5 次：{verdict}"])


@formula("payment_overdue", title="某月账单某日缴费是否逾期", clauses=("A1-4.4", "A1-4.5"))
def payment_overdue(
    bill_month: Annotated[YearMonth, Field(title="账单月份")],
    paid_on: Annotated[date, Field(title="缴费日期")],
) -> Outcome:
    """T 月账单在 T+1 月最后一日 24 时前付清不算逾期；逾期天数 = 缴费日 − 该截止日。"""
    due, days, line = _lateness(bill_month, paid_on)
    steps = [line]
    if days:
        steps.append(service_state_line(days))
    return Outcome({"overdue": days > 0, "due": due, "days_overdue": days}, "", steps)


@formula("line_termination_date", title="暂停服务后可终止全部服务的日期", clauses=("M-29",))
def line_termination_date(suspended_on: Annotated[date, Field(title="暂停服务日期")]) -> Outcome:
    """最晚缴费日 = 暂停日 + 60 日（暂停当日不计）；其后一日起仍未缴费的，乙方可终止全部服务。"""
    pay_by = add_days(suspended_on, LINE_TERMINATE_AFTER_SUSPENSION)
    may_end = add_days(pay_by, 1)
    steps = [
        f"{cn_date(suspended_on)}暂停服务，次日起算 60 日，至{cn_date(pay_by)}期满",
        f"{cn_date(pay_by)}24时前缴清可避免终止；自{cn_date(may_end)}起仍未缴费的，乙方有权终止提供所有服务",
    ]
    return Outcome({"pay_by": pay_by, "may_terminate_from": may_end}, "日期", steps)


@formula("service_restore_deadline", title="补缴后恢复服务的时限", clauses=("A1-4.5",))
def service_restore_deadline(paid_at: Annotated[datetime, Field(title="补交欠费和违约金的时间")]) -> Outcome:
    """恢复时限 = 补交欠费和违约金的时刻 + 48 小时。"""
    due = paid_at + timedelta(hours=RESTORE_HOURS)
    return Outcome(due, "时间", [f"{cn_datetime(paid_at)}补交 + 48 小时 = {cn_datetime(due)}前恢复服务并开始正常计费"])
