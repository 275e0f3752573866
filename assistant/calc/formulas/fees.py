"""Money formulas: tariffs, VAT, proration, outage credit, penalties for sublease and early termination."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from assistant.errors import CalcInputError, InputNeeded

from ..registry import DEFERRED, Derived, Outcome, derivation, formula
from ..values import MAX_DECIMALS, MAX_MONTH_HOURS, Money, Months, cn_date, cn_datetime, num, q2, yuan
from ..workdays import count_workdays, days_in_month, workday_steps

# 主协议第二十三条: the line's price once 沃云 stops, by bandwidth in Mbps.
LINE_TARIFF: dict[int, Decimal] = {
    10: Decimal(1100),
    20: Decimal(2100),
    50: Decimal(5100),
    100: Decimal(10000),
    200: Decimal(18000),
}
OPENING_FEE = Decimal(100)  # 主协议第二十八条, tax included
VAT_RATE = Decimal("0.06")  # 主协议第二十八、三十一条
LATE_ACTIVATION_RATE = Decimal("0.01")  # 主协议第二十条: per day late, of the one-time fee
ACTIVATION_WORKDAYS = 5  # 主协议第二十条 "业务受理后 5 个工作日内"
OUTAGE_THRESHOLD_HOURS = Decimal(24)  # 主协议第三十六条 "24小时以上" includes 24


@formula("line_fee", title="停用沃云后的专线月租费", clauses=("M-23",))
def line_fee(
    bandwidth_mbps: Annotated[int, Field(ge=1, le=100000, title="专线带宽（M）")],
    months: Annotated[int, Field(ge=1, le=1200, title="月数")] = 1,
) -> Outcome:
    """停用沃云后专线费用 = 第二十三条价目表中该带宽的月租费（10M 1100、20M 2100、50M 5100、100M 10000、200M 18000 元/月）× 月数。"""
    price, steps = _line_price(bandwidth_mbps, "{bandwidth}M 专线停用沃云后月租费 {price} 元/月")
    if price is None:
        return Outcome(None, "元", steps)
    total = q2(price * months)
    if months > 1:
        steps.append(f"{num(price)} × {months} 个月 = {yuan(total)} 元")
    return Outcome(total, "元", steps)


def line_price(bandwidth_mbps: object) -> Decimal | None:
    """M-23's monthly price of a bandwidth (an int or its digits), or None when the contract lists none."""
    digits = str(bandwidth_mbps) if bandwidth_mbps is not None else ""
    return LINE_TARIFF.get(int(digits)) if digits.isdigit() else None


def _line_price(bandwidth_mbps: int | None, said: str) -> tuple[Decimal | None, list[str]]:
    """M-23's monthly price of a bandwidth with the step saying where it comes from (`said`, formatted with
    `bandwidth` and `price`), or None with the step saying the contract lists no such price."""
    price = line_price(bandwidth_mbps)
    if price is None:
        return None, [_unlisted(bandwidth_mbps or 0)]
    return price, [said.format(bandwidth=bandwidth_mbps, price=num(price))]


def _unlisted(bandwidth_mbps: int) -> str:
    """The step saying the contract lists no price for this bandwidth."""
    listed = "、".join(f"{b}M {num(p)}元/月" for b, p in LINE_TARIFF.items())
    return f"合同只列出 {listed} 这几档带宽的价格，没有 {bandwidth_mbps}M 的价格，不作推算"


Bandwidth = Annotated[int, Field(ge=1, le=100000)]


class LineCount(BaseModel):
    """Lines of one bandwidth: `count` lines of `bandwidth_mbps` M."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    bandwidth_mbps: Bandwidth = Field(title="专线带宽（M）")
    count: int = Field(default=1, ge=1, le=1000, title="条数")


@formula("line_fee_total", title="停用沃云后多条专线的费用合计", clauses=("M-23",))
def line_fee_total(
    lines: Annotated[list[LineCount], Field(min_length=1, max_length=20, title="各带宽的专线条数")],
    months: Annotated[int, Field(ge=1, le=1200, title="月数")] = 1,
) -> Outcome:
    """合计 = Σ 第二十三条价目表中各带宽月租费 × 条数 × 月数。"""
    unlisted = [line.bandwidth_mbps for line in lines if line.bandwidth_mbps not in LINE_TARIFF]
    if unlisted:
        return Outcome(None, "元", [_unlisted(unlisted[0])])
    per_month = sum((LINE_TARIFF[line.bandwidth_mbps] * line.count for line in lines), Decimal(0))
    parts = " + ".join(f"{num(LINE_TARIFF[line.bandwidth_mbps])} × {line.count} 条（{line.bandwidth_mbps}M）" for line in lines)
    total = q2(per_month * months)
    steps = [f"每月 {parts} = {yuan(per_month)} 元"]
    if months > 1:
        steps.append(f"{yuan(per_month)} × {months} 个月 = {yuan(total)} 元")
    return Outcome(total, "元", steps)


@formula("line_fee_difference", title="停用沃云后专线改带宽的费用差额", clauses=("M-23",))
def line_fee_difference(
    from_mbps: Annotated[Bandwidth, Field(title="原带宽（M）")],
    to_mbps: Annotated[Bandwidth, Field(title="新带宽（M）")],
    months: Annotated[int, Field(ge=1, le=1200, title="月数")] = 1,
) -> Outcome:
    """差额 = |第二十三条价目表中新带宽月租费 − 原带宽月租费| × 月数。"""
    for bandwidth in (from_mbps, to_mbps):
        if bandwidth not in LINE_TARIFF:
            return Outcome(None, "元", [_unlisted(bandwidth)])
    old, new = LINE_TARIFF[from_mbps], LINE_TARIFF[to_mbps]
    diff = q2(abs(new - old) * months)
    verb = "少交" if new < old else "多交"
    steps = [f"{from_mbps}M {num(old)} 元/月，{to_mbps}M {num(new)} 元/月，每月{verb} {yuan(abs(new - old))} 元"]
    if months > 1:
        steps.append(f"{yuan(abs(new - old))} × {months} 个月 = {yuan(diff)} 元")
    return Outcome(diff, "元", steps)


@formula("vat_split", title="含税金额价税拆分（6%增值税）", clauses=("M-28", "M-31"))
def vat_split(amount: Annotated[Money, Field(title="含税金额（元）")] = OPENING_FEE) -> Outcome:
    """不含税价 = 含税金额 ÷ 1.06（四舍五入到分），税额 = 含税金额 − 不含税价；开户费默认 100 元（含税）。"""
    total = q2(amount)
    pre_tax = q2(total / (1 + VAT_RATE))
    tax = total - pre_tax
    steps = [
        f"不含税价 = {yuan(total)} ÷ 1.06 = {yuan(pre_tax)} 元",
        f"税额 = {yuan(total)} − {yuan(pre_tax)} = {yuan(tax)} 元",
    ]
    return Outcome({"total": total, "pre_tax": pre_tax, "tax": tax}, "元", steps)


@formula("vat_from_pre_tax", title="不含税金额加6%增值税", clauses=("M-31",))
def vat_from_pre_tax(pre_tax: Annotated[Money, Field(title="不含税金额（元）")]) -> Outcome:
    """税额 = 不含税金额 × 6%（四舍五入到分），含税金额 = 不含税金额 + 税额。"""
    base = q2(pre_tax)
    tax = q2(base * VAT_RATE)
    total = base + tax
    steps = [f"税额 = {yuan(base)} × 6% = {yuan(tax)} 元", f"含税金额 = {yuan(base)} + {yuan(tax)} = {yuan(total)} 元"]
    return Outcome({"pre_tax": base, "tax": tax, "total": total}, "元", steps)


def _month_share(monthly_fee: Decimal, completion_date: date) -> tuple[Decimal, list[str]]:
    """The completion month's fee by the day (M-29), unrounded, with its trace lines."""
    month_days = days_in_month(completion_date.year, completion_date.month)
    used = month_days - completion_date.day + 1
    fee = monthly_fee * used / month_days
    steps = [
        f"{completion_date.month}月共 {month_days} 天，{cn_date(completion_date)}竣工，"
        f"使用 {month_days} − {completion_date.day} + 1 = {used} 天（竣工当日计入）",
        f"{num(monthly_fee)} ÷ {month_days} × {used} = {yuan(fee)} 元",
    ]
    return fee, steps


@formula("first_payment", title="首次缴费（开户费加首月费用）", clauses=("M-28", "M-29", "M-23"),
         one_of=(("monthly_fee", "bandwidth_mbps"),))
def first_payment(
    monthly_fee: Annotated[Money | None, Field(title="月租费（元）")] = None,
    bandwidth_mbps: Annotated[Bandwidth | None, Field(title="专线带宽（M）")] = None,
    completion_date: Annotated[date | None, Field(title="竣工日期")] = None,
) -> Outcome:
    """首次缴费 = 开户费 100 元（含税）+ 首月费用（给出竣工日期时按天计：月租费 ÷ 当月天数 × 使用天数）。"""
    steps = []
    if monthly_fee is None:
        monthly_fee, steps = _line_price(bandwidth_mbps, "{bandwidth}M 专线（停用沃云后）月租费 {price} 元/月（第二十三条）")
        if monthly_fee is None:
            return Outcome(None, "元", steps)
    first = Decimal(monthly_fee)
    if completion_date is not None:
        first, lines = _month_share(first, completion_date)
        steps += lines
    total = q2(OPENING_FEE + q2(first))
    steps.append(f"开户费 {num(OPENING_FEE)} 元 + 首月 {yuan(first)} 元 = {yuan(total)} 元（开户费与首月月租费一并缴纳）")
    return Outcome(total, "元", steps)


@formula("prorated_fee", title="光专线竣工当月按天计费", clauses=("M-29",))
def prorated_fee(
    monthly_fee: Annotated[Money, Field(title="月租费（元）")],
    completion_date: Annotated[date, Field(title="竣工日期")],
) -> Outcome:
    """竣工当月费用 = 月租费 ÷ 当月天数 × 实际使用天数（竣工当日计入），只在最后四舍五入到分。"""
    fee, steps = _month_share(monthly_fee, completion_date)
    return Outcome(q2(fee), "元", steps)


@derivation("days_late", title="超时开通天数", clauses=("M-20",))
def days_late_from_dates(
    accepted_on: Annotated[date, Field(title="业务受理日期")],
    activated_on: Annotated[date, Field(title="实际开通日期")],
) -> Derived:
    """超时天数 = 实际开通日 − 受理日之后第 5 个工作日（自然日，按时开通为 0）。"""
    if activated_on < accepted_on:
        raise CalcInputError("activated_on", f"开通日期{cn_date(activated_on)}早于受理日期{cn_date(accepted_on)}，请核对")
    count = count_workdays(accepted_on, ACTIVATION_WORKDAYS, "accepted_on")
    late = max(0, (activated_on - count.result).days)
    steps = [*workday_steps(count, "受理日"), f"开通期限为{cn_date(count.result)}（受理后第5个工作日）"]
    steps.append(
        f"{cn_date(activated_on)}开通，超过期限 {late} 天" if late else f"{cn_date(activated_on)}开通，未超过期限，没有超时"
    )
    return Derived(late, steps)


@formula("late_activation_credit", title="超时开通退减", clauses=("M-20", "M-28"))
def late_activation_credit(
    days_late: Annotated[int, Field(ge=0, le=3650, title="超时开通天数")],
    one_time_fee: Annotated[Money, Field(title="已付一次性费用（元）")] = OPENING_FEE,
) -> Outcome:
    """超时开通退减 = 一次性费用 × 1% × 超时天数，退减总额不超过甲方支付的一次性费用。"""
    if days_late == 0:
        return Outcome(Decimal(0), "元", ["按时开通，没有超时，不产生退减"])
    raw = one_time_fee * LATE_ACTIVATION_RATE * days_late
    credit = q2(min(raw, one_time_fee))
    steps = [f"{num(one_time_fee)} × 1% × {days_late} 天 = {yuan(raw)} 元"]
    if raw > one_time_fee:
        steps.append(f"超过上限，退减总额以已付一次性费用 {yuan(one_time_fee)} 元封顶")
    return Outcome(credit, "元", steps)


@derivation("outage_hours", title="中断时长", clauses=("M-36",))
def outage_hours_from_times(
    outage_from: Annotated[datetime, Field(title="中断开始时间")],
    outage_to: Annotated[datetime, Field(title="恢复时间")],
) -> Derived:
    """中断小时数 = 恢复时刻 − 中断开始时刻。"""
    if outage_to <= outage_from:
        raise CalcInputError("outage_to", f"恢复时间{cn_datetime(outage_to)}不晚于中断开始{cn_datetime(outage_from)}，请核对")
    hours = Decimal((outage_to - outage_from).total_seconds()) / 3600
    return Derived(hours, [f"{cn_datetime(outage_from)}至{cn_datetime(outage_to)}，中断 {num(hours)} 小时"])


@formula("outage_credit", title="线路中断租费核减", clauses=("M-36",))
def outage_credit(
    outage_hours: Annotated[Decimal, Field(gt=0, le=MAX_MONTH_HOURS, allow_inf_nan=False, decimal_places=MAX_DECIMALS, title="当月累计中断小时数")],
    # Needed only when a credit is due: under 24 hours (or planned, or on the customer's side) nothing is.
    monthly_fee: Annotated[Money | None, Field(title="基本月租费（元）"), DEFERRED] = None,
    planned: Annotated[bool, Field(title="是否计划中断")] = False,
    in_operator_network: Annotated[bool, Field(title="故障点是否在乙方网络范围内")] = True,
) -> Outcome:
    """核减额 = 基本月租费 × 12 ÷ 365（四舍五入到分）× 中断天数（小时 ÷ 24）；仅当月累计非计划中断达 24 小时（含）且故障在乙方网络内。"""
    if planned:
        return Outcome(Decimal(0), "元", ["计划中断不在核减范围内（第三十六条“计划中断除外”），核减额为 0"])
    if not in_operator_network:
        return Outcome(Decimal(0), "元", ["故障点不在乙方网络范围内，不予核减，核减额为 0"])
    if outage_hours < OUTAGE_THRESHOLD_HOURS:
        return Outcome(
            Decimal(0), "元", [f"当月累计中断 {num(outage_hours)} 小时，未达 24 小时，不满足核减条件，核减额为 0"]
        )
    if monthly_fee is None:
        raise InputNeeded("monthly_fee", f"当月累计中断 {num(outage_hours)} 小时，达到核减条件，核减额按基本月租费计算，缺少基本月租费（元）")
    per_day = q2(monthly_fee * 12 / 365)
    days = outage_hours / 24
    # Multiplied before dividing: 591.78 × 26 ÷ 24 is exactly 641.095 (→ 641.10); × (26 ÷ 24) rounds to 641.09.
    credit = q2(per_day * outage_hours / 24)
    shown = _approx(days)
    steps = [
        f"每天减免额 = {num(monthly_fee)} × 12 ÷ 365 = {yuan(per_day)} 元/天",
        f"中断天数 = {num(outage_hours)} 小时 ÷ 24 = {shown} 天（不足一天按小时比例折算）",
        f"{yuan(per_day)} × {shown} = {yuan(credit)} 元，经甲方核实后在下月租费中减免",
    ]
    return Outcome(credit, "元", steps)


def _approx(value: Decimal) -> str:
    """A ratio for display: exact when it has at most 4 decimals, else ≈ rounded to 4."""
    shown = value.quantize(Decimal("0.0001"))
    return num(value) if shown == value else f"≈{num(shown)}"


@formula("sublease_penalty", title="擅自转租违约金", clauses=("M-11", "M-23"),
         one_of=(("monthly_tariff", "bandwidth_mbps"),))
def sublease_penalty(
    months_used: Annotated[Months, Field(title="自开通起累计使用月数")],
    monthly_tariff: Annotated[Money | None, Field(title="该速率光专线标准月资费（元）")] = None,
    bandwidth_mbps: Annotated[Bandwidth | None, Field(title="专线带宽（M）")] = None,
) -> Outcome:
    """转租违约金 = 自开通之日起至终止服务之日止累计使用月数 × 相应速率光专线标准月资费（只给带宽时取第二十三条该速率的专线月资费）。"""
    steps = []
    if monthly_tariff is None:
        # M-11 names "相应速率光专线产品标准资费" without a table; the only per-speed line prices the contract lists
        # are M-23's, so they are used and the step says so.
        monthly_tariff, steps = _line_price(bandwidth_mbps, "相应速率光专线标准资费按合同第二十三条所列 {bandwidth}M 专线月资费计：{price} 元/月")
        if monthly_tariff is None:
            return Outcome(None, "元", steps)
    penalty = q2(monthly_tariff * months_used)
    steps.append(f"{months_used} 个月 × {num(monthly_tariff)} 元/月 = {yuan(penalty)} 元")
    return Outcome(penalty, "元", steps)


@derivation("remaining_months", title="剩余服务月数", clauses=("A1-6.4",))
def remaining_from_term(
    term_months: Annotated[Months, Field(title="服务期限（月）")],
    months_used: Annotated[int, Field(ge=0, le=1200, title="已使用月数")],
) -> Derived:
    """剩余服务月数 = 服务期限月数 − 已使用月数。"""
    remaining = term_months - months_used
    if remaining < 1:
        raise CalcInputError("months_used", f"服务期限 {term_months} 个月已用 {months_used} 个月，没有剩余服务期，不产生提前终止违约金")
    return Derived(remaining, [f"剩余服务期 = {term_months} − {months_used} = {remaining} 个月"])


@formula("early_termination_penalty", title="沃云提前终止违约金", clauses=("A1-6.4",),
         one_of=(("monthly_fee", "served_monthly_amounts"),))
def early_termination_penalty(
    remaining_months: Annotated[Months, Field(title="剩余服务月数")],
    monthly_fee: Annotated[Money | None, Field(title="月服务费（元）")] = None,
    served_monthly_amounts: Annotated[list[Money] | None, Field(title="按量计费时已服务各月费用（元）", max_length=1200)] = None,
    operator_at_fault: Annotated[bool, Field(title="是否可归责于乙方")] = False,
) -> Outcome:
    """违约金 = 剩余月数 × 月服务费（按量计费取已服务各月费用的平均数）；可归责于乙方时为 0。"""
    if operator_at_fault:
        return Outcome(Decimal(0), "元", ["提前终止可归责于乙方，甲方无须支付违约金，违约金为 0"])
    if served_monthly_amounts:
        total, n = sum(served_monthly_amounts, Decimal(0)), len(served_monthly_amounts)
        penalty = q2(total * remaining_months / n)
        parts = " + ".join(num(a) for a in served_monthly_amounts)
        return Outcome(
            penalty, "元", [f"按量计费：({parts}) ÷ {n} × {remaining_months} 个月 = {yuan(penalty)} 元"]
        )
    if monthly_fee is None:
        raise CalcInputError("monthly_fee", "需要月服务费；按量计费的请给出已服务各月的费用")
    penalty = q2(monthly_fee * remaining_months)
    return Outcome(penalty, "元", [f"{remaining_months} 个月 × {num(monthly_fee)} 元/月 = {yuan(penalty)} 元"])
