"""Official PRC holiday schedules kept as data, for the years the chinese-calendar package does not cover.

Each year the State Council publishes 《国务院办公厅关于XXXX年部分节假日安排的通知》: for each festival, the days
off (放假) and the weekend days worked instead (调休上班). One file per year, ``corpus/holidays/<year>.toml``
(and optionally one more file named by ``ASSISTANT_HOLIDAYS_FILE``), copies that notice::

    year = 2025
    source = "国务院办公厅关于2025年部分节假日安排的通知（国办发明电〔2024〕12号）"

    [[holiday]]
    name = "春节"
    first = 2025-01-28          # first day off
    last = 2025-02-04           # last day off (weekends inside the run included)
    workdays = [2025-01-26, 2025-02-08]   # 调休上班: weekend days that are working days

Files are checked when loaded (every date inside its year, runs in order and not overlapping, no day both off
and worked, make-up days on a Saturday or Sunday, the file named after its year) and a mistake is refused with
the file, the festival and the date. For a year that a file covers, the file is used, not the package.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from assistant.errors import AssistantError

HOLIDAYS_DIR = "holidays"


class HolidayDataError(AssistantError, ValueError):
    """A holiday schedule file that cannot be used; the message names the file and what is wrong with it."""

    code = "holiday_data_invalid"


class Festival(BaseModel):
    """One festival of a year's notice: its run of days off and the make-up working days that go with it."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1)
    first: date
    last: date
    workdays: list[date] = Field(default_factory=list)

    @model_validator(mode="after")
    def _ordered(self) -> Festival:
        if self.last < self.first:
            raise ValueError(f"{self.name}: last day {self.last} is before first day {self.first}")
        weekdays = [d for d in self.workdays if d.weekday() < 5]
        if weekdays:
            raise ValueError(
                f"{self.name}: make-up workday {weekdays[0]} is a weekday; make-up workdays (调休上班) are weekend days"
            )
        if len(set(self.workdays)) != len(self.workdays):
            raise ValueError(f"{self.name}: a make-up workday is listed twice")
        return self

    def days_off(self) -> list[date]:
        """Every day from first to last."""
        return [self.first + timedelta(days=i) for i in range((self.last - self.first).days + 1)]


class YearSchedule(BaseModel):
    """One year's official schedule, as published by the State Council."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    year: int = Field(ge=1, le=9999)
    source: str = Field(min_length=1, description="the notice the dates were copied from, with its number")
    festivals: list[Festival] = Field(alias="holiday", min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> YearSchedule:
        seen_off: dict[date, str] = {}
        for f in self.festivals:
            for d in [f.first, f.last, *f.workdays]:
                if d.year != self.year:
                    raise ValueError(f"{f.name}: {d} is not in {self.year}")
            for d in f.days_off():
                if d in seen_off:
                    raise ValueError(f"{f.name}: {d} is already a day off of {seen_off[d]}")
                seen_off[d] = f.name
        for f in self.festivals:
            for d in f.workdays:
                if d in seen_off:
                    raise ValueError(f"{f.name}: {d} is listed both as a day off ({seen_off[d]}) and as a workday")
        workdays = [d for f in self.festivals for d in f.workdays]
        if len(set(workdays)) != len(workdays):
            raise ValueError("a make-up workday is listed under two festivals")
        return self


@dataclass(frozen=True)
class HolidayCalendar:
    """The days of the years the schedule files cover, answered like chinese_calendar.get_holiday_detail."""

    days_off: dict[date, str] = field(default_factory=dict)
    workdays: dict[date, str] = field(default_factory=dict)
    sources: dict[int, Path] = field(default_factory=dict)

    @property
    def years(self) -> frozenset[int]:
        return frozenset(self.sources)

    def detail(self, d: date) -> tuple[bool, str | None] | None:
        """(on holiday, festival name or None) for a covered year, None for a year no file covers."""
        if d.year not in self.sources:
            return None
        if d in self.workdays:
            return False, self.workdays[d]
        if d in self.days_off:
            return True, self.days_off[d]
        return d.weekday() > 4, None


def _problems(e: ValidationError) -> str:
    """Pydantic's errors as short lines: where in the file, then what is wrong."""
    lines = []
    for err in e.errors():
        loc = ".".join(str(p) for p in err.get("loc", ()))
        msg = err.get("msg", "").removeprefix("Value error, ")
        lines.append(f"{loc}: {msg}" if loc else msg)
    return "; ".join(lines)


def load_year(path: Path, expect_year_from_name: bool = True) -> YearSchedule:
    """Read and check one schedule file; HolidayDataError names the file and every problem found."""
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as e:
        raise HolidayDataError(f"holiday schedule {path}: cannot be read ({e.strerror or e})") from e
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise HolidayDataError(f"holiday schedule {path}: not valid TOML ({e})") from e
    try:
        schedule = YearSchedule.model_validate(raw)
    except ValidationError as e:
        raise HolidayDataError(f"holiday schedule {path}: {_problems(e)}") from e
    if expect_year_from_name and path.stem != str(schedule.year):
        raise HolidayDataError(f"holiday schedule {path}: it says year = {schedule.year}; name it {schedule.year}.toml")
    return schedule


def load_calendar(folder: Path | None, extra_file: Path | None = None) -> HolidayCalendar:
    """Every ``<year>.toml`` in folder (missing folder: none) plus extra_file; a year given twice is an error."""
    files: list[tuple[Path, bool]] = []
    if folder is not None and Path(folder).is_dir():
        files += [(p, True) for p in sorted(Path(folder).glob("*.toml"))]
    if extra_file is not None:
        files.append((Path(extra_file), False))
    days_off: dict[date, str] = {}
    workdays: dict[date, str] = {}
    sources: dict[int, Path] = {}
    for path, named in files:
        schedule = load_year(path, expect_year_from_name=named)
        if schedule.year in sources:
            raise HolidayDataError(
                f"holiday schedule {path}: year {schedule.year} is already given by {sources[schedule.year]}"
            )
        sources[schedule.year] = path
        for f in schedule.festivals:
            days_off.update(dict.fromkeys(f.days_off(), f.name))
            workdays.update(dict.fromkeys(f.workdays, f.name))
    return HolidayCalendar(days_off=days_off, workdays=workdays, sources=sources)
