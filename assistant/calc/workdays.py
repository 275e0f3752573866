"""Calendar-day and PRC business-day arithmetic.

Official holidays and make-up workdays come from the schedule files in ``corpus/holidays`` (see
:mod:`assistant.calc.holidays`) for the years they cover, and from the chinese_calendar package otherwise; a
year neither covers is refused with a clear message rather than guessed.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

import chinese_calendar

from assistant.errors import CalcInputError
from assistant.settings import PROJECT_ROOT

from .holidays import HOLIDAYS_DIR, HolidayCalendar, load_calendar
from .values import cn_date

_HOLIDAY_NAMES = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "抗战胜利纪念日",
}
_WEEKDAYS = "一二三四五六日"


# The schedule files in use; read from the project's corpus on first use unless use_holidays installed others.
_files: HolidayCalendar | None = None


def use_holidays(cal: HolidayCalendar) -> None:
    """Use these schedule files from now on (start-up calls this with the configured ones, already checked)."""
    global _files
    _files = cal
    _holiday_detail.cache_clear()


def _schedule_files() -> HolidayCalendar:
    """The schedule files in use, loading the project's own on first use."""
    global _files
    if _files is None:
        _files = load_calendar(PROJECT_ROOT / "corpus" / HOLIDAYS_DIR)
    return _files


def covered_years() -> list[int]:
    """Every year with official holiday data, from the package or a schedule file, in order."""
    years = {d.year for d in chinese_calendar.holidays} | set(_schedule_files().years)
    return sorted(years)


def calendar_years() -> tuple[int, int]:
    """The first and last year with official holiday data (there may be gaps; see covered_years)."""
    years = covered_years()
    return years[0], years[-1]


def _year_ranges(years: list[int]) -> str:
    """[2004, …, 2026, 2028] → "2004—2026、2028"."""
    runs: list[list[int]] = []
    for y in years:
        if runs and y == runs[-1][1] + 1:
            runs[-1][1] = y
        else:
            runs.append([y, y])
    return "、".join(f"{a}—{b}" if a != b else f"{a}" for a, b in runs)


@lru_cache(maxsize=16384)
def _holiday_detail(d: date) -> tuple[bool, str | None]:
    """(on holiday, holiday name or None), from a schedule file for its year, else chinese_calendar; remembered.

    The data are fixed, each call validates its argument again, and one deadline asks about dozens of days.
    A day is a working day exactly when it is not a holiday (weekends included). NotImplementedError when no
    source covers the year.
    """
    found = _schedule_files().detail(d)
    if found is not None:
        return found
    return chinese_calendar.get_holiday_detail(d)


def _is_workday(d: date, field: str) -> bool:
    """Whether d is a PRC working day; CalcInputError when no source has data for that year."""
    try:
        return not _holiday_detail(d)[0]
    except NotImplementedError:
        raise CalcInputError(
            field,
            f"工作日计算需要国务院公布的法定节假日和调休安排，目前只有{_year_ranges(covered_years())}年的数据，"
            f"{d.year}年的安排尚未收录，无法准确推算工作日",
        ) from None


@dataclass(frozen=True)
class WorkdayCount:
    """The business days counted from an anchor day, in counting order."""

    anchor: date
    counted: tuple[date, ...]

    @property
    def result(self) -> date:
        return self.counted[-1]


def count_workdays(anchor: date, n: int, field: str, backwards: bool = False) -> WorkdayCount:
    """The n business days strictly after (or before) anchor; the anchor day itself is never counted."""
    step = timedelta(days=-1 if backwards else 1)
    counted: list[date] = []
    day = anchor
    while len(counted) < n:
        day += step
        if _is_workday(day, field):
            counted.append(day)
    return WorkdayCount(anchor, tuple(counted))


def last_workday_on_or_before(d: date, field: str) -> date:
    """d itself if it is a business day, else the business day before it."""
    while not _is_workday(d, field):
        d -= timedelta(days=1)
    return d


def day_label(d: date) -> str:
    """2026-10-10 → 10月10日（周六，国庆节调休上班）; plain weekdays get only the weekday."""
    on_holiday, name = _holiday_detail(d)
    note = f"周{_WEEKDAYS[d.weekday()]}"
    if name and not on_holiday:
        note += f"，{_HOLIDAY_NAMES.get(name, name)}调休上班"
    return f"{d.month}月{d.day}日（{note}）"


def skipped_holidays(start: date, end: date) -> list[str]:
    """Official holidays (not plain weekends) between start and end, grouped: ['10月1日—10月7日 国庆节假期']."""
    lo, hi = min(start, end), max(start, end)
    runs: list[tuple[date, date, str]] = []
    day = lo
    while day <= hi:
        on_holiday, name = _holiday_detail(day)
        if on_holiday and name:
            label = _HOLIDAY_NAMES.get(name, name)
            if runs and runs[-1][2] == label and runs[-1][1] == day - timedelta(days=1):
                runs[-1] = (runs[-1][0], day, label)
            else:
                runs.append((day, day, label))
        day += timedelta(days=1)
    return [
        f"{a.month}月{a.day}日—{b.month}月{b.day}日 {label}假期" if a != b else f"{a.month}月{a.day}日 {label}假期"
        for a, b, label in runs
    ]


def workday_steps(count: WorkdayCount, anchor_role: str) -> list[str]:
    """Trace lines for a business-day count: the anchor not counted, the days counted, the holidays skipped."""
    lines = [f"{anchor_role}{cn_date(count.anchor)}当日不计入"]
    direction = "往前" if count.counted[-1] < count.anchor else "往后"
    n = len(count.counted)
    if n <= 6:
        numbered = "、".join(f"{day_label(d)}({i})" for i, d in enumerate(count.counted, 1))
        lines.append(f"{direction}数工作日：{numbered}")
    else:
        # Twenty labelled days make an unreadable line; the ends and the make-up days carry the trace.
        lines.append(f"{direction}数{n}个工作日：第1个为{day_label(count.counted[0])}，第{n}个为{day_label(count.result)}")
        makeup = [day_label(d) for d in count.counted if _holiday_detail(d)[1]]
        if makeup:
            lines.append("其间计入的调休上班日：" + "、".join(makeup))
    holidays = skipped_holidays(count.anchor, count.result)
    if holidays:
        lines.append("跳过法定节假日：" + "、".join(holidays))
    return lines


def add_days(d: date, n: int) -> date:
    """n calendar days after d (Civil Code art. 201: the start day is not counted)."""
    return d + timedelta(days=n)


def add_months(d: date, months: int) -> date:
    """The corresponding day months later, or that month's last day when it has none (Civil Code art. 202)."""
    index = d.month - 1 + months
    year, month = d.year + index // 12, index % 12 + 1
    return date(year, month, min(d.day, calendar.monthrange(year, month)[1]))


def days_in_month(year: int, month: int) -> int:
    """28–31."""
    return calendar.monthrange(year, month)[1]


def last_day_of_month(year: int, month: int) -> date:
    """The month's last calendar day."""
    return date(year, month, days_in_month(year, month))
