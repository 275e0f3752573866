"""Input types and number formatting shared by the formulas: money is Decimal, rounded half-up to the fen."""

from __future__ import annotations

from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Annotated

from pydantic import Field

CENT = Decimal("0.01")
# Above these an input is almost certainly a typo (an extra zero, a phone number); refuse rather than compute.
MAX_MONEY = Decimal("100000000")
MAX_DAYS = 3650
MAX_MONTHS = 1200
MAX_MONTH_HOURS = 744  # 31 days × 24: the most a "月累计" outage can be

# At most four decimals: an amount is in fen, and a longer fraction ("1e-999999") is no amount at all.
MAX_DECIMALS = 4
Money = Annotated[Decimal, Field(gt=0, le=MAX_MONEY, allow_inf_nan=False, decimal_places=MAX_DECIMALS)]
Days = Annotated[int, Field(ge=1, le=MAX_DAYS)]
Months = Annotated[int, Field(ge=1, le=MAX_MONTHS)]
# The years a deadline can be worked out for: dates outside them are refused with a clear error, never overflow.
FIRST_YEAR, LAST_YEAR = 1900, 2099
YearMonth = Annotated[str, Field(pattern=r"^(19|20)\d{2}-(0[1-9]|1[0-2])$", description="YYYY-MM (1900–2099)")]


def q2(amount: Decimal) -> Decimal:
    """Round to the fen, half-up, as every amount in the contract is."""
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def num(value: Decimal | int) -> str:
    """A number as typed by a person: 5100.00 → 5100, 0.0030 → 0.003."""
    if isinstance(value, int):
        return str(value)
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "") else text


def yuan(amount: Decimal) -> str:
    """Money with exactly two decimals: 167.6712 → 167.67."""
    return f"{q2(amount):.2f}"


def cn_date(d: date) -> str:
    """2026-03-01 → 2026年3月1日."""
    return f"{d.year}年{d.month}月{d.day}日"


def cn_datetime(dt: datetime) -> str:
    """2026-03-03T10:30 → 2026年3月3日10:30."""
    return f"{cn_date(dt.date())}{dt:%H:%M}"


def parse_year_month(value: str) -> tuple[int, int]:
    """'2026-04' → (2026, 4); the pattern was already checked by the input model."""
    year, month = value.split("-")
    return int(year), int(month)
