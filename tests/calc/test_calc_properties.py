"""Properties that must hold for every input, checked with hypothesis."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from assistant.calc import run
from assistant.calc.formulas.billing import cycle

money = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("1000000"), places=2)
days = st.integers(min_value=1, max_value=3650)
covered_dates = st.dates(min_value=date(2005, 1, 1), max_value=date(2026, 11, 30))


def as_decimal(value: float) -> Decimal:
    """A JSON money number back to an exact Decimal."""
    return Decimal(str(value))


@given(money, days, days)
def test_late_fee_grows_with_days_and_is_simple_interest(owed, d1, d2):
    lo, hi = sorted((d1, d2))
    fee_lo = as_decimal(run("late_fee", {"owed": owed, "days_overdue": lo}).result)
    fee_hi = as_decimal(run("late_fee", {"owed": owed, "days_overdue": hi}).result)
    assert fee_lo <= fee_hi
    assert fee_hi == (owed * Decimal("0.003") * hi).quantize(Decimal("0.01"), rounding="ROUND_HALF_UP")


@given(days, money)
def test_late_activation_credit_never_exceeds_the_fee(days_late, fee):
    credit = as_decimal(run("late_activation_credit", {"days_late": days_late, "one_time_fee": fee}).result)
    assert Decimal(0) <= credit <= fee


@given(money)
def test_vat_parts_sum_to_the_total(amount):
    parts = run("vat_split", {"amount": amount}).result
    assert as_decimal(parts["pre_tax"]) + as_decimal(parts["tax"]) == amount
    assert as_decimal(parts["pre_tax"]) <= amount


@given(money, st.decimals(min_value=Decimal("0.1"), max_value=Decimal("744"), places=1))
def test_outage_credit_is_zero_below_24_hours_and_at_least_one_day_above(fee, hours):
    credit = as_decimal(run("outage_credit", {"monthly_fee": fee, "outage_hours": hours}).result)
    per_day = (fee * 12 / 365).quantize(Decimal("0.01"), rounding="ROUND_HALF_UP")
    if hours < 24:
        assert credit == 0
    else:
        assert credit >= per_day


@settings(max_examples=60, deadline=None)
@given(st.dates(min_value=date(2005, 3, 1), max_value=date(2026, 11, 30)))
def test_termination_notice_by_is_the_latest_day_that_still_works(end):
    notice = date.fromisoformat(run("termination_notice_by", {"end_on": end}).result)
    earliest = date.fromisoformat(run("earliest_termination", {"notice_on": notice}).result)
    assert earliest <= end
    next_day = notice + timedelta(days=1)
    while not _is_workday(next_day):
        next_day += timedelta(days=1)
    later = date.fromisoformat(run("earliest_termination", {"notice_on": next_day}).result)
    assert later > end


def _is_workday(d: date) -> bool:
    import chinese_calendar

    return chinese_calendar.is_workday(d)


@given(covered_dates)
def test_every_day_falls_inside_the_cycle_of_its_bill_month(day):
    found = run("bill_month_of", {"usage_on": day}).result
    assert found["start"] <= day.isoformat() <= found["end"]


@given(st.integers(min_value=2001, max_value=2099), st.integers(min_value=1, max_value=12))
def test_billing_cycles_abut_without_gaps(year, month):
    _, end = cycle(year, month)
    next_start, _ = cycle(year + (month == 12), month % 12 + 1)
    assert next_start == end + timedelta(days=1)


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2090, 12, 31)))
def test_calendar_day_deadlines_do_not_count_the_start_day(day):
    assert run("transfer_notice", {"notice_on": day}).result == (day + timedelta(days=30)).isoformat()
    assert run("force_majeure_notice", {"occurred_on": day}).result == (day + timedelta(days=15)).isoformat()
