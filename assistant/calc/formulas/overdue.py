"""Overdue payment: the 3‰ daily penalty, what the operator may do at N days, and the takedown-count line."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from pydantic import Field

from ..registry import Outcome, formula
from ..values import MAX_DAYS, Days, Money, num, q2, yuan

DAILY_PENALTY_RATE = Decimal("0.003")  # 主协议第二十九条, 附件一第4.5条
CLOUD_SUSPEND_DAYS = 15  # 附件一第4.5条 "逾期15日的"
CLOUD_TERMINATE_DAYS = 30  # 附件一第4.5条 "逾期30日的"
LINE_TERMINATE_AFTER_SUSPENSION = 60  # 主协议第二十九条 "暂停服务后60日内仍未交纳"
TAKEDOWN_LIMIT = 5  # 附件一第6.3条 "超过五次"


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
    days_overdue: Annotated[Days, Field(title="逾期天数")],
) -> Outcome:
    """逾期违约金 = 欠费金额 × 3‰ × 逾期天数（单利不复利，从缴费期限次日起算）。"""
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
