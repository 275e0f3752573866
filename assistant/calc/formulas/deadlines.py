"""Deadlines: PRC business days (M-17, M-20, M-21, A1-13.1) and calendar days, start day not counted (Civil Code art. 201)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Annotated

from pydantic import Field

from assistant.errors import CalcInputError

from ..registry import VERDICT, Outcome, formula
from ..values import cn_date, cn_datetime
from ..workdays import add_days, add_months, count_workdays, last_workday_on_or_before, workday_steps

CLOUD_DELIVERY_HOURS = 48  # 主协议第二十六条
CLOUD_ACTIVATION_HOURS = 24  # 附件一第4.2条 "甲方确认订单后，24小时内"
TERMINATION_NOTICE_WORKDAYS = 20  # 附件一第13.1条
EARLY_TERMINATION_NOTICE_DAYS = 28  # 附件一第6.4条 "提前四周"
NON_RENEWAL_NOTICE_DAYS = 30  # 主协议第四十四条 "届满前三十天"
TRANSFER_NOTICE_DAYS = 30  # 附件一第3.5条 "提前 30天书面通知"
FORCE_MAJEURE_NOTICE_DAYS = 15  # 主协议第四十条 "发生后 15日内"
FORCE_MAJEURE_TERMINATION_DAYS = 15  # 附件一第10.2条 "提前 15天书面通知"

NoticeOn = Annotated[date | None, Field(title="计划（或已经）发出通知的日期"), VERDICT]


def _with_notice(latest: date, notice_on: date | None, steps: list[str]) -> Outcome:
    """The latest notice date; with a planned notice date, also whether it is in time (a yes/no question)."""
    if notice_on is None:
        return Outcome(latest, "日期", steps)
    in_time = notice_on <= latest
    verdict = "来得及" if in_time else "来不及"
    steps = [*steps, f"{cn_date(notice_on)}通知{'不晚于' if in_time else '晚于'}最晚通知日{cn_date(latest)}：{verdict}"]
    return Outcome({"latest": latest, "in_time": in_time}, "日期", steps)


def _calendar_step(anchor: date, days: int, role: str, target: date, what: str) -> str:
    """'2026年3月1日通知，次日起算 30 天，至2026年3月31日' style line."""
    direction = "往前" if target < anchor else "次日起算"
    return f"{role}{cn_date(anchor)}，{direction} {days} 天：{what}{cn_date(target)}"


@formula("filing_update_deadline", title="网站备案信息变更报备期限", clauses=("M-17",))
def filing_update_deadline(changed_on: Annotated[date, Field(title="备案信息变更日期")]) -> Outcome:
    """报备期限 = 备案信息变更日之后第 5 个工作日（变更当日不计，按法定节假日和调休）。"""
    count = count_workdays(changed_on, 5, "changed_on")
    return Outcome(count.result, "日期", [*workday_steps(count, "变更日"), f"最晚于{cn_date(count.result)}向乙方报备"])


@formula("activation_deadline", title="业务开通期限", clauses=("M-20",))
def activation_deadline(accepted_on: Annotated[date, Field(title="业务受理日期")]) -> Outcome:
    """开通期限 = 业务受理日之后第 5 个工作日（受理当日不计，按法定节假日和调休）。"""
    count = count_workdays(accepted_on, 5, "accepted_on")
    return Outcome(count.result, "日期", [*workday_steps(count, "受理日"), f"乙方应在{cn_date(count.result)}前（含当日）完成开通"])


@formula("billing_start", title="未确认开通时的起租日", clauses=("M-21",))
def billing_start(opened_on: Annotated[date, Field(title="电路开通日期")]) -> Outcome:
    """甲方开通后 5 个工作日内未确认也未书面异议时，起租日 = 开通日之后第 6 个工作日。"""
    count = count_workdays(opened_on, 6, "opened_on")
    return Outcome(count.result, "日期", [*workday_steps(count, "开通日"), f"第6个工作日{cn_date(count.result)}为起租日"])


@formula("earliest_termination", title="提前20个工作日通知后的最早解除日", clauses=("A1-13.1",))
def earliest_termination(notice_on: Annotated[date, Field(title="书面通知日期")]) -> Outcome:
    """最早解除日 = 书面通知日之后第 20 个工作日（通知当日不计），且须经对方书面同意。"""
    count = count_workdays(notice_on, TERMINATION_NOTICE_WORKDAYS, "notice_on")
    return Outcome(count.result, "日期", [*workday_steps(count, "通知日"), f"最早于{cn_date(count.result)}解除"])


@formula("termination_notice_by", title="想在某日解除时最晚的书面通知日", clauses=("A1-13.1",))
def termination_notice_by(end_on: Annotated[date, Field(title="希望解除的日期")], notice_on: NoticeOn = None) -> Outcome:
    """最晚通知日 = 解除日（非工作日取其前最近的工作日）往前数第 20 个工作日。"""
    anchor = last_workday_on_or_before(end_on, "end_on")
    count = count_workdays(anchor, TERMINATION_NOTICE_WORKDAYS, "end_on", backwards=True)
    steps = []
    if anchor != end_on:
        steps.append(f"{cn_date(end_on)}不是工作日，按其前最近的工作日{cn_date(anchor)}往前数")
    steps += workday_steps(count, "解除日")
    steps.append(f"最晚于{cn_date(count.result)}书面通知对方")
    return _with_notice(count.result, notice_on, steps)


@formula("force_majeure_notice", title="不可抗力告知期限", clauses=("M-40",))
def force_majeure_notice(occurred_on: Annotated[date, Field(title="不可抗力发生日期")]) -> Outcome:
    """告知期限 = 不可抗力发生日 + 15 个自然日（发生当日不计）。"""
    due = add_days(occurred_on, FORCE_MAJEURE_NOTICE_DAYS)
    return Outcome(due, "日期", [_calendar_step(occurred_on, FORCE_MAJEURE_NOTICE_DAYS, "不可抗力发生于", due, "最晚告知并提供证明的日期为")])


@formula("force_majeure_termination", title="不可抗力持续一个月以上时的通知终止日", clauses=("A1-10.2",))
def force_majeure_termination(
    notice_on: Annotated[date, Field(title="书面通知日期")],
    started_on: Annotated[date | None, Field(title="不可抗力开始妨碍履行的日期")] = None,
) -> Outcome:
    """终止日 = 书面通知日 + 15 个自然日（通知当日不计）；须不可抗力妨碍履行已达 1 个月以上。"""
    steps = []
    if started_on is not None:
        month_on = add_months(started_on, 1)
        if notice_on < month_on:
            raise CalcInputError(
                "notice_on",
                f"不可抗力自{cn_date(started_on)}起妨碍履行，到{cn_date(month_on)}才满1个月，此前不能依附件一第10.2条通知终止",
            )
        steps.append(f"自{cn_date(started_on)}起妨碍履行，{cn_date(month_on)}满1个月，可以通知终止")
    end = add_days(notice_on, FORCE_MAJEURE_TERMINATION_DAYS)
    steps.append(_calendar_step(notice_on, FORCE_MAJEURE_TERMINATION_DAYS, "书面通知于", end, "协议终止日为"))
    return Outcome(end, "日期", steps)


@formula("force_majeure_termination_notice_by", title="因不可抗力想在某日终止时最晚的通知日", clauses=("A1-10.2",))
def force_majeure_termination_notice_by(
    end_on: Annotated[date, Field(title="希望终止的日期")], notice_on: NoticeOn = None
) -> Outcome:
    """最晚通知日 = 希望终止日 − 15 个自然日；须不可抗力等事件妨碍履行已达 1 个月以上。"""
    latest = add_days(end_on, -FORCE_MAJEURE_TERMINATION_DAYS)
    steps = [_calendar_step(end_on, FORCE_MAJEURE_TERMINATION_DAYS, "希望终止于", latest, "最晚书面通知日为")]
    return _with_notice(latest, notice_on, steps)


@formula("transfer_notice", title="乙方转让协议的提前通知", clauses=("A1-3.5",))
def transfer_notice(notice_on: Annotated[date, Field(title="乙方书面通知日期")]) -> Outcome:
    """最早转让日 = 乙方书面通知日 + 30 个自然日（通知当日不计）。"""
    earliest = add_days(notice_on, TRANSFER_NOTICE_DAYS)
    return Outcome(earliest, "日期", [_calendar_step(notice_on, TRANSFER_NOTICE_DAYS, "乙方书面通知于", earliest, "最早可转让的日期为")])


@formula("transfer_notice_by", title="乙方想在某日转让时最晚的通知日", clauses=("A1-3.5",))
def transfer_notice_by(transfer_on: Annotated[date, Field(title="转让日期")], notice_on: NoticeOn = None) -> Outcome:
    """最晚通知日 = 转让日 − 30 个自然日。"""
    latest = add_days(transfer_on, -TRANSFER_NOTICE_DAYS)
    steps = [_calendar_step(transfer_on, TRANSFER_NOTICE_DAYS, "转让于", latest, "乙方最晚书面通知日为")]
    return _with_notice(latest, notice_on, steps)


@formula("early_termination_notice", title="沃云提前终止的申请期限", clauses=("A1-6.4",))
def early_termination_notice(end_on: Annotated[date, Field(title="希望终止的日期")], notice_on: NoticeOn = None) -> Outcome:
    """最晚申请日 = 希望终止日 − 4 周（28 个自然日）。"""
    latest = add_days(end_on, -EARLY_TERMINATION_NOTICE_DAYS)
    steps = [_calendar_step(end_on, EARLY_TERMINATION_NOTICE_DAYS, "希望终止于", latest, "最晚书面申请日为")]
    return _with_notice(latest, notice_on, steps)


@formula("contract_term", title="协议到期日与不续签通知期限", clauses=("M-44",), one_of=(("start_on", "end_on"),))
def contract_term(
    start_on: Annotated[date | None, Field(title="起租日期")] = None,
    years: Annotated[int, Field(ge=1, le=50, title="第几个协议年")] = 1,
    end_on: Annotated[date | None, Field(title="协议到期日")] = None,
    notice_on: NoticeOn = None,
) -> Outcome:
    """到期日 = 起租日起第 years 年的对应日（无对应日取月末）；不续签须在到期日前 30 天书面通知，否则自动逐年顺延。"""
    if start_on is not None:
        end = add_months(start_on, 12 * years)
        steps = [f"起租日{cn_date(start_on)}，次日起算 {years} 年，到期月的对应日{cn_date(end)}为最后一日"]
    else:
        end = end_on
        steps = [f"协议于{cn_date(end)}到期"]
    notice_by = add_days(end, -NON_RENEWAL_NOTICE_DAYS)
    steps.append(f"不再续签须于{cn_date(end)}前 30 天，即最晚{cn_date(notice_by)}书面通知对方，否则自动顺延一年")
    result: dict[str, date | bool] = {"end": end, "notice_by": notice_by}
    if notice_on is not None:
        result["in_time"] = notice_on <= notice_by
        steps.append(f"{cn_date(notice_on)}通知：{'来得及' if result['in_time'] else '来不及，协议将自动顺延一年'}")
    return Outcome(result, "日期", steps)


@formula("cloud_delivery_deadline", title="沃云资源交付时限", clauses=("M-26",))
def cloud_delivery_deadline(completed_at: Annotated[datetime, Field(title="光专线报竣时间")]) -> Outcome:
    """沃云资源交付时限 = 光专线报竣时刻 + 48 小时。"""
    due = completed_at + timedelta(hours=CLOUD_DELIVERY_HOURS)
    return Outcome(due, "时间", [f"{cn_datetime(completed_at)}报竣 + 48 小时 = {cn_datetime(due)}"])


@formula("cloud_activation_deadline", title="确认订单后沃云服务开通时限", clauses=("A1-4.2",))
def cloud_activation_deadline(confirmed_at: Annotated[datetime, Field(title="确认订单的时间")]) -> Outcome:
    """沃云服务开通时限 = 甲方确认订单时刻 + 24 小时。"""
    due = confirmed_at + timedelta(hours=CLOUD_ACTIVATION_HOURS)
    return Outcome(due, "时间", [f"{cn_datetime(confirmed_at)}确认订单 + 24 小时 = {cn_datetime(due)}"])
