"""Hand-computed tables for every calculator, with rows at each boundary the contract draws."""

from __future__ import annotations

from decimal import Decimal

import pytest

from assistant.calc import run
from assistant.calc.formulas.fees import line_price
from assistant.errors import InputNeeded


def result_of(name: str, **inputs):
    """The JSON-form result of one calculator run."""
    return run(name, inputs).result


# ---- 主协议第二十三条 ---------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("bandwidth", "months", "expected"),
    [
        (10, 1, 1100.00),
        (20, 1, 2100.00),
        (50, 1, 5100.00),
        (100, 1, 10000.00),
        (200, 1, 18000.00),
        (50, 12, 61200.00),
        (200, 6, 108000.00),
        (30, 1, None),      # not in the table: no interpolated price
        (1000, 12, None),
        (500, 1, None),
    ],
)
def test_line_fee(bandwidth, months, expected):
    assert result_of("line_fee", bandwidth_mbps=bandwidth, months=months) == expected


@pytest.mark.parametrize(
    ("said", "expected"),
    [(100, "10000"), ("200", "18000"), ("30", None), ("100M", None), (None, None), ("", None)],
)
def test_line_price_reads_a_bandwidth_or_its_digits(said, expected):
    assert line_price(said) == (Decimal(expected) if expected else None)


def test_line_fee_unlisted_bandwidth_names_the_listed_ones():
    steps = run("line_fee", {"bandwidth_mbps": 30}).steps
    assert "10M 1100元/月、20M 2100元/月、50M 5100元/月、100M 10000元/月、200M 18000元/月" in steps[0]
    assert "没有 30M 的价格" in steps[0]


# ---- 主协议第二十八、三十一条 -----------------------------------------------------------------------

@pytest.mark.parametrize(
    ("amount", "pre_tax", "tax"),
    [
        (None, 94.34, 5.66),          # the 100 元 opening fee by default
        ("100", 94.34, 5.66),
        ("5100", 4811.32, 288.68),    # 4811.3207…
        ("10000", 9433.96, 566.04),
        ("1.06", 1.00, 0.06),
        ("106", 100.00, 6.00),
    ],
)
def test_vat_split(amount, pre_tax, tax):
    inputs = {} if amount is None else {"amount": amount}
    assert result_of("vat_split", **inputs) == {"total": float(amount or 100), "pre_tax": pre_tax, "tax": tax}


# ---- 主协议第二十九条: completion month by day ----------------------------------------------------

@pytest.mark.parametrize(
    ("fee", "completed", "expected"),
    [
        ("5100", "2026-03-15", 2796.77),   # 5100 ÷ 31 × 17
        ("5100", "2026-03-01", 5100.00),   # whole month
        ("5100", "2026-03-31", 164.52),    # last day counts as one day used
        ("5100", "2026-04-08", 3910.00),   # 5100 ÷ 30 × 23
        ("2100", "2024-02-29", 72.41),     # leap February: 2100 ÷ 29 × 1
        ("2100", "2028-02-29", 72.41),
        ("2100", "2026-02-28", 75.00),     # common February: 2100 ÷ 28 × 1
        ("10000", "2024-02-15", 5172.41),  # 10000 ÷ 29 × 15
        ("1100", "2026-04-30", 36.67),
        ("1100", "2026-01-20", 425.81),    # rounded once: per-day rounding would give 425.76
    ],
)
def test_prorated_fee(fee, completed, expected):
    assert result_of("prorated_fee", monthly_fee=fee, completion_date=completed) == expected


# ---- 主协议第二十九条 / 附件一第4.5条: late payment ------------------------------------------------

@pytest.mark.parametrize(
    ("owed", "days", "expected"),
    [
        ("5000", 10, 150.00),
        ("1000", 14, 42.00),
        ("1000", 15, 45.00),
        ("1000", 29, 87.00),
        ("1000", 30, 90.00),
        ("5100", 14, 214.20),
        ("333.33", 1, 1.00),      # 0.99999 → half-up
        ("1234.56", 7, 25.93),    # 25.92576
        ("10000", 60, 1800.00),   # simple interest: no penalty on penalty
    ],
)
def test_late_fee(owed, days, expected):
    assert result_of("late_fee", owed=owed, days_overdue=days) == expected


@pytest.mark.parametrize(
    ("days", "cloud_suspend", "cloud_terminate", "until_suspend", "until_terminate"),
    [
        (0, False, False, 15, 30),
        (1, False, False, 14, 29),
        (14, False, False, 1, 16),
        (15, True, False, 0, 15),
        (29, True, False, 0, 1),
        (30, True, True, 0, 0),
        (45, True, True, 0, 0),
    ],
)
def test_overdue_status(days, cloud_suspend, cloud_terminate, until_suspend, until_terminate):
    result = result_of("overdue_status", days_overdue=days)
    assert result["line_may_be_suspended"] is (days >= 1)
    assert result["cloud_may_be_suspended"] is cloud_suspend
    assert result["cloud_may_be_terminated"] is cloud_terminate
    assert result["days_until_cloud_suspension"] == until_suspend
    assert result["days_until_cloud_termination"] == until_terminate


@pytest.mark.parametrize(("since", "terminable", "left"), [(0, False, 61), (59, False, 2), (60, False, 1), (61, True, 0)])
def test_line_termination_after_sixty_days_of_suspension(since, terminable, left):
    result = result_of("overdue_status", days_overdue=40, days_since_suspension=since)
    assert result["all_services_may_be_terminated"] is terminable
    assert result["days_until_all_services_termination"] == left


def test_overdue_status_mentions_48_hour_restoration():
    assert any("48 小时" in s for s in run("overdue_status", {"days_overdue": 20}).steps)


# ---- 主协议第二十条: late activation --------------------------------------------------------------

@pytest.mark.parametrize(
    ("days", "fee", "expected"),
    [
        (1, None, 1.00),
        (3, None, 3.00),
        (99, None, 99.00),
        (100, None, 100.00),   # reaches the cap exactly
        (101, None, 100.00),   # capped at the one-time fee
        (120, "100", 100.00),
        (30, "500", 150.00),
        (150, "500", 500.00),
    ],
)
def test_late_activation_credit(days, fee, expected):
    inputs = {"days_late": days} | ({"one_time_fee": fee} if fee else {})
    assert result_of("late_activation_credit", **inputs) == expected


# ---- 主协议第三十六条: outage credit --------------------------------------------------------------

@pytest.mark.parametrize(
    ("fee", "hours", "expected"),
    [
        ("5100", "23.5", 0.00),     # below the line
        ("5100", "23.99", 0.00),
        ("5100", "24", 167.67),     # 24小时以上 includes 24
        ("5100", "30", 209.59),     # 167.67 × 1.25
        ("5100", "48", 335.34),
        ("1100", "24", 36.16),
        ("10000", "36", 493.16),    # 328.77 × 1.5 = 493.155 → half-up
        ("18000", "25", 616.44),    # 591.78 × 25/24 = 616.4375
        ("18000", "26", 641.10),    # 591.78 × 26 ÷ 24 = 641.095 exactly → half-up (not 641.0949… via 26/24)
    ],
)
def test_outage_credit(fee, hours, expected):
    assert result_of("outage_credit", monthly_fee=fee, outage_hours=hours) == expected


@pytest.mark.parametrize("flags", [{"planned": True}, {"in_operator_network": False}])
def test_outage_credit_exclusions(flags):
    result = run("outage_credit", {"monthly_fee": "5100", "outage_hours": "30", **flags})
    assert result.result == 0.0 and "0" in result.steps[-1]


@pytest.mark.parametrize(
    ("inputs", "why"),
    [
        ({"outage_hours": "10"}, "未达 24 小时"),  # under the line: no fee is needed to say 0
        ({"outage_hours": "23.99"}, "未达 24 小时"),
        ({"outage_hours": "30", "planned": True}, "计划中断"),
        ({"outage_hours": "30", "in_operator_network": False}, "不在乙方网络范围内"),
    ],
)
def test_outage_credit_without_the_fee_when_nothing_is_due(inputs, why):
    result = run("outage_credit", inputs)
    assert result.result == 0.0 and why in result.steps[-1]
    assert "monthly_fee" not in result.inputs  # not used, so not shown as an input


@pytest.mark.parametrize("hours", ["24", "30"])
def test_outage_credit_asks_for_the_fee_when_a_credit_is_due(hours):
    with pytest.raises(InputNeeded) as e:
        run("outage_credit", {"outage_hours": hours})
    assert e.value.field == "monthly_fee" and "基本月租费" in e.value.message


def test_outage_credit_states_hours_to_days():
    steps = run("outage_credit", {"monthly_fee": "5100", "outage_hours": "30"}).steps
    assert any("30 小时 ÷ 24 = 1.25 天" in s for s in steps)
    assert any("5100 × 12 ÷ 365 = 167.67 元/天" in s for s in steps)


# ---- 主协议第十一条, 附件一第6.4条, 附件一第6.3条 -------------------------------------------------------

@pytest.mark.parametrize(("months", "tariff", "expected"), [(8, "5100", 40800.00), (1, "1100", 1100.00), (13, "2100", 27300.00)])
def test_sublease_penalty(months, tariff, expected):
    assert result_of("sublease_penalty", months_used=months, monthly_tariff=tariff) == expected


@pytest.mark.parametrize(
    ("inputs", "expected"),
    [
        ({"remaining_months": 5, "monthly_fee": "5100"}, 25500.00),
        ({"remaining_months": 5, "served_monthly_amounts": ["1000", "1200", "1100"]}, 5500.00),
        ({"remaining_months": 1, "served_monthly_amounts": ["1000", "1001", "1001"]}, 1000.67),
        ({"remaining_months": 5, "monthly_fee": "5100", "operator_at_fault": True}, 0.00),
    ],
)
def test_early_termination_penalty(inputs, expected):
    assert result_of("early_termination_penalty", **inputs) == expected


@pytest.mark.parametrize(("events", "expected"), [(0, False), (5, False), (6, True), (7, True)])
def test_takedown_limit(events, expected):
    assert result_of("takedown_limit", events=events) is expected


# ---- business-day deadlines (国庆 2026: 10/1–10/7 off, 9/20 and 10/10 worked; 春节 2026: 2/15–2/23 off, 2/14 and 2/28 worked)

@pytest.mark.parametrize(
    ("name", "field", "day", "expected"),
    [
        ("activation_deadline", "accepted_on", "2026-09-28", "2026-10-10"),   # ends on the Saturday make-up day
        ("activation_deadline", "accepted_on", "2026-02-10", "2026-02-24"),   # 2/14 make-up counted, 春节 skipped
        ("activation_deadline", "accepted_on", "2026-11-23", "2026-11-30"),   # plain weekend
        ("activation_deadline", "accepted_on", "2026-11-28", "2026-12-04"),   # accepted on a Saturday
        ("billing_start", "opened_on", "2026-09-28", "2026-10-12"),           # 6th business day
        ("billing_start", "opened_on", "2026-03-01", "2026-03-09"),
        ("filing_update_deadline", "changed_on", "2026-09-30", "2026-10-13"),
        ("filing_update_deadline", "changed_on", "2026-09-18", "2026-09-24"), # Sunday 9/20 is a make-up workday
        ("earliest_termination", "notice_on", "2026-02-10", "2026-03-16"),    # 20 business days across 春节
        ("earliest_termination", "notice_on", "2026-09-28", "2026-10-30"),
        ("termination_notice_by", "end_on", "2026-03-16", "2026-02-10"),
        ("termination_notice_by", "end_on", "2026-10-31", "2026-09-28"),      # Saturday end → from Friday 10/30
        ("termination_notice_by", "end_on", "2026-10-30", "2026-09-28"),
    ],
)
def test_business_day_deadlines(name, field, day, expected):
    assert result_of(name, **{field: day}) == expected


def test_business_day_steps_show_holidays_and_makeup_days():
    steps = run("activation_deadline", {"accepted_on": "2026-09-28"}).steps
    text = "\n".join(steps)
    assert "国庆节调休上班" in text and "10月1日—10月7日 国庆节假期" in text and "不计入" in text


# ---- calendar-day deadlines (start day not counted) -----------------------------------------------

@pytest.mark.parametrize(
    ("name", "inputs", "expected"),
    [
        ("force_majeure_notice", {"occurred_on": "2026-07-20"}, "2026-08-04"),
        ("force_majeure_notice", {"occurred_on": "2026-12-20"}, "2027-01-04"),  # calendar days need no holiday data
        ("force_majeure_termination", {"notice_on": "2026-08-25"}, "2026-09-09"),
        ("force_majeure_termination", {"notice_on": "2026-08-25", "started_on": "2026-07-20"}, "2026-09-09"),
        ("force_majeure_termination", {"notice_on": "2026-08-20", "started_on": "2026-07-20"}, "2026-09-04"),
        ("transfer_notice", {"notice_on": "2026-03-01"}, "2026-03-31"),
        ("transfer_notice", {"notice_on": "2026-01-31"}, "2026-03-02"),
        ("transfer_notice", {"notice_on": "2024-01-31"}, "2024-03-01"),         # leap February
        ("early_termination_notice", {"end_on": "2026-06-30"}, "2026-06-02"),
        ("early_termination_notice", {"end_on": "2028-03-01"}, "2028-02-02"),
        ("cloud_delivery_deadline", {"completed_at": "2026-03-01T10:30:00"}, "2026-03-03T10:30:00"),
        ("cloud_delivery_deadline", {"completed_at": "2024-02-28T20:00:00"}, "2024-03-01T20:00:00"),
        ("cloud_delivery_deadline", {"completed_at": "2026-02-28T20:00:00"}, "2026-03-02T20:00:00"),
        ("cloud_delivery_deadline", {"completed_at": "2026-12-31T12:00:00"}, "2027-01-02T12:00:00"),
    ],
)
def test_calendar_day_deadlines(name, inputs, expected):
    assert result_of(name, **inputs) == expected


@pytest.mark.parametrize(
    ("start", "years", "end", "notice_by"),
    [
        ("2026-03-01", 1, "2027-03-01", "2027-01-30"),
        ("2024-02-29", 1, "2025-02-28", "2025-01-29"),   # no corresponding day → month end
        ("2028-02-29", 1, "2029-02-28", "2029-01-29"),
        ("2024-02-29", 4, "2028-02-29", "2028-01-30"),
        ("2026-12-31", 1, "2027-12-31", "2027-12-01"),
    ],
)
def test_contract_term(start, years, end, notice_by):
    assert result_of("contract_term", start_on=start, years=years) == {"end": end, "notice_by": notice_by}


# ---- 附件一第4.2—4.4条: billing calendar -------------------------------------------------------------

@pytest.mark.parametrize(
    ("month", "start", "end"),
    [
        ("2026-04", "2026-03-31", "2026-04-29"),   # the contract's own example
        ("2026-03", "2026-02-28", "2026-03-30"),
        ("2024-03", "2024-02-29", "2024-03-30"),
        ("2026-02", "2026-01-31", "2026-02-27"),
        ("2024-02", "2024-01-31", "2024-02-28"),
        ("2028-02", "2028-01-31", "2028-02-28"),
        ("2026-01", "2025-12-31", "2026-01-30"),
    ],
)
def test_billing_cycle(month, start, end):
    assert result_of("billing_cycle", month=month) == {"start": start, "end": end}


@pytest.mark.parametrize(
    ("day", "bill_month"),
    [
        ("2026-03-31", "2026-04"),
        ("2026-03-30", "2026-03"),
        ("2026-12-31", "2027-01"),
        ("2024-02-29", "2024-03"),
        ("2024-02-28", "2024-02"),
        ("2026-02-28", "2026-03"),
        ("2026-01-01", "2026-01"),
    ],
)
def test_bill_month_of(day, bill_month):
    assert result_of("bill_month_of", usage_on=day)["bill_month"] == bill_month


@pytest.mark.parametrize(
    ("month", "statement_on", "available_after", "due"),
    [
        ("2026-04", "2026-04-30", "2026-05-03", "2026-05-31"),
        ("2026-12", "2026-12-31", "2027-01-03", "2027-01-31"),
        ("2028-01", "2028-01-31", "2028-02-03", "2028-02-29"),
        ("2026-01", "2026-01-31", "2026-02-03", "2026-02-28"),
    ],
)
def test_bill_dates(month, statement_on, available_after, due):
    assert result_of("bill_dates", month=month) == {
        "statement_on": statement_on,
        "available_after": available_after,
        "due": due,
    }


# ---- several lines, bandwidth changes, first payment (主协议第二十三、二十八、二十九条) ---------------------

@pytest.mark.parametrize(
    ("lines", "months", "expected"),
    [
        ([(20, 3), (100, 1)], 1, 16300.00),      # 2100 × 3 + 10000
        ([(20, 3), (100, 1)], 12, 195600.00),
        ([(10, 1)], 1, 1100.00),
        ([(200, 2), (50, 1)], 1, 41100.00),      # 18000 × 2 + 5100
        ([(30, 1), (50, 1)], 1, None),           # 30M is not in the table
    ],
)
def test_line_fee_total(lines, months, expected):
    given = [{"bandwidth_mbps": b, "count": n} for b, n in lines]
    assert result_of("line_fee_total", lines=given, months=months) == expected


@pytest.mark.parametrize(
    ("old", "new", "months", "expected"),
    [
        (200, 100, 1, 8000.00),
        (100, 200, 1, 8000.00),
        (50, 50, 1, 0.00),
        (10, 20, 12, 12000.00),
        (30, 50, 1, None),
    ],
)
def test_line_fee_difference(old, new, months, expected):
    assert result_of("line_fee_difference", from_mbps=old, to_mbps=new, months=months) == expected


@pytest.mark.parametrize(
    ("pre_tax", "tax", "total"),
    [
        ("100", 6.00, 106.00),
        ("5000", 300.00, 5300.00),
        ("94.34", 5.66, 100.00),    # 5.6604 → 5.66
        ("0.01", 0.00, 0.01),       # 0.0006 rounds to nothing
        ("4811.32", 288.68, 5100.00),
    ],
)
def test_vat_from_pre_tax(pre_tax, tax, total):
    assert result_of("vat_from_pre_tax", pre_tax=pre_tax) == {"pre_tax": float(pre_tax), "tax": tax, "total": total}


@pytest.mark.parametrize(
    ("inputs", "expected"),
    [
        ({"monthly_fee": 5100}, 5200.00),
        ({"bandwidth_mbps": 50}, 5200.00),
        ({"bandwidth_mbps": 30}, None),
        ({"monthly_fee": 5100, "completion_date": "2026-03-15"}, 2896.77),   # 100 + 5100 ÷ 31 × 17
        ({"monthly_fee": 2100, "completion_date": "2026-02-01"}, 2200.00),   # a whole February
        ({"bandwidth_mbps": 20, "completion_date": "2026-02-28"}, 175.00),   # 100 + 2100 ÷ 28 × 1
    ],
)
def test_first_payment(inputs, expected):
    assert result_of("first_payment", **inputs) == expected


# ---- derived inputs: each a registered derivation step with its clause -------------------------------

@pytest.mark.parametrize(
    ("bill_month", "paid_on", "days", "fee"),
    [
        ("2026-04", "2026-05-31", 0, 0.00),      # the last day of T+1 is still in time
        ("2026-04", "2026-06-01", 1, 15.00),
        ("2026-04", "2026-06-10", 10, 150.00),
        ("2026-01", "2026-03-01", 1, 15.00),     # February 2026 has 28 days
        ("2026-12", "2027-02-01", 1, 15.00),     # December's bill is due on 31 January
        ("2026-04", "2026-05-10", 0, 0.00),      # paid early
    ],
)
def test_late_fee_from_bill_month_and_payment_date(bill_month, paid_on, days, fee):
    result = run("late_fee", {"owed": 5000, "bill_month": bill_month, "paid_on": paid_on})
    assert result.result == fee and result.inputs["days_overdue"] == days
    assert "A1-4.4" in result.clause_ids and "24时前付清" in result.steps[0]


@pytest.mark.parametrize(
    ("bill_month", "paid_on", "expected"),
    [
        ("2026-04", "2026-05-31", {"overdue": False, "due": "2026-05-31", "days_overdue": 0}),
        ("2026-01", "2026-03-02", {"overdue": True, "due": "2026-02-28", "days_overdue": 2}),
        ("2026-11", "2027-01-01", {"overdue": True, "due": "2026-12-31", "days_overdue": 1}),
    ],
)
def test_payment_overdue(bill_month, paid_on, expected):
    assert result_of("payment_overdue", bill_month=bill_month, paid_on=paid_on) == expected


@pytest.mark.parametrize(
    ("accepted", "activated", "fee", "credit"),
    [
        ("2026-03-02", "2026-03-09", None, 0.00),    # the 5th business day itself is in time
        ("2026-03-02", "2026-03-12", None, 3.00),    # deadline 3月9日, 3 days late
        ("2026-09-30", "2026-10-20", 500, 35.00),    # 国庆: 10/8, 10/9, 10/10 (make-up), 10/12, 10/13 → 7 days late
        ("2026-03-02", "2026-08-31", None, 100.00),  # capped at the fee
    ],
)
def test_late_activation_credit_from_dates(accepted, activated, fee, credit):
    inputs = {"accepted_on": accepted, "activated_on": activated} | ({"one_time_fee": fee} if fee else {})
    assert result_of("late_activation_credit", **inputs) == credit


@pytest.mark.parametrize(
    ("term", "used", "remaining", "penalty"),
    [(36, 14, 22, 112200.00), (12, 11, 1, 5100.00), (24, 0, 24, 122400.00)],
)
def test_remaining_months_from_term_and_months_used(term, used, remaining, penalty):
    result = run("early_termination_penalty", {"term_months": term, "months_used": used, "monthly_fee": 5100})
    assert result.result == penalty and result.inputs["remaining_months"] == remaining


@pytest.mark.parametrize(
    ("start", "end", "hours", "credit"),
    [
        ("2026-03-01T08:00", "2026-03-02T20:00", 36, 251.51),   # 167.67 × 1.5
        ("2026-03-01T08:00", "2026-03-02T07:00", 23, 0.00),     # under 24 hours
        ("2026-03-01T08:00", "2026-03-02T08:00", 24, 167.67),   # exactly 24 hours counts
    ],
)
def test_outage_hours_from_start_and_end(start, end, hours, credit):
    result = run("outage_credit", {"outage_from": start, "outage_to": end, "monthly_fee": 5100})
    assert result.result == credit and result.inputs["outage_hours"] == hours


# ---- suspension, restore and cloud opening (主协议第二十九条, 附件一第4.2、4.5条) ----------------------------

def test_line_termination_date_counts_sixty_days_after_suspension():
    assert result_of("line_termination_date", suspended_on="2026-03-01") == {
        "pay_by": "2026-04-30", "may_terminate_from": "2026-05-01"
    }


@pytest.mark.parametrize(
    ("name", "field", "given", "expected"),
    [
        ("service_restore_deadline", "paid_at", "2026-03-15T10:30", "2026-03-17T10:30:00"),
        ("service_restore_deadline", "paid_at", "2026-02-27T23:00", "2026-03-01T23:00:00"),
        ("cloud_activation_deadline", "confirmed_at", "2026-12-31T20:00", "2027-01-01T20:00:00"),
    ],
)
def test_hour_deadlines(name, field, given, expected):
    assert result_of(name, **{field: given}) == expected


# ---- notice deadlines counted back from a date, with "来得及吗" -------------------------------------------

@pytest.mark.parametrize(
    ("name", "inputs", "expected"),
    [
        ("early_termination_notice", {"end_on": "2026-06-30"}, "2026-06-02"),
        ("early_termination_notice", {"end_on": "2026-06-30", "notice_on": "2026-06-02"}, {"latest": "2026-06-02", "in_time": True}),
        ("early_termination_notice", {"end_on": "2026-06-30", "notice_on": "2026-06-03"}, {"latest": "2026-06-02", "in_time": False}),
        ("transfer_notice_by", {"transfer_on": "2026-06-01"}, "2026-05-02"),
        ("transfer_notice_by", {"transfer_on": "2026-03-01", "notice_on": "2026-01-30"}, {"latest": "2026-01-30", "in_time": True}),
        ("force_majeure_termination_notice_by", {"end_on": "2026-09-30"}, "2026-09-15"),
        ("termination_notice_by", {"end_on": "2026-06-30", "notice_on": "2026-06-01"}, {"latest": "2026-06-01", "in_time": True}),
        ("termination_notice_by", {"end_on": "2026-06-30", "notice_on": "2026-06-02"}, {"latest": "2026-06-01", "in_time": False}),
        ("contract_term", {"end_on": "2027-03-01"}, {"end": "2027-03-01", "notice_by": "2027-01-30"}),
        ("contract_term", {"start_on": "2026-03-01", "notice_on": "2027-01-30"}, {"end": "2027-03-01", "notice_by": "2027-01-30", "in_time": True}),
        ("contract_term", {"end_on": "2027-03-01", "notice_on": "2027-01-31"}, {"end": "2027-03-01", "notice_by": "2027-01-30", "in_time": False}),
    ],
)
def test_notice_deadlines_and_in_time(name, inputs, expected):
    assert result_of(name, **inputs) == expected
