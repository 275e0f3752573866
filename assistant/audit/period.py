"""The report period from the command line's --since / --until dates."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, tzinfo

DEFAULT_PERIOD_DAYS = 7

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _parse_day(value: str, flag: str) -> date:
    """A YYYY-MM-DD date, or ValueError naming the flag."""
    try:
        if _DATE.fullmatch(value.strip()):
            return date.fromisoformat(value.strip())
    except ValueError:
        pass
    raise ValueError(f"--{flag} {value!r} is not a date; use YYYY-MM-DD, e.g. 2026-03-01")


def _midnight(d: date, tz: tzinfo | None) -> datetime:
    """The start of day d in tz (naive, i.e. local time, when tz is None)."""
    return datetime.combine(d, datetime.min.time(), tzinfo=tz)


def parse_period(since: str | None, until: str | None, now: datetime) -> tuple[float, float]:
    """The report period ``[since, until)`` in epoch seconds from ``--since`` / ``--until`` dates.

    Both days are included: since starts at its midnight, until ends at the following midnight, in ``now``'s
    time zone (local time when ``now`` is naive). Without --until the period ends at ``now``; without --since it
    starts 7 days before its end. Raises ValueError on a malformed date or when since is after until.
    """
    tz = now.tzinfo
    end = _midnight(_parse_day(until, "until") + timedelta(days=1), tz) if until else now
    start = _midnight(_parse_day(since, "since"), tz) if since else end - timedelta(days=DEFAULT_PERIOD_DAYS)
    if start >= end:
        shown_end = until or f"now ({now:%Y-%m-%d %H:%M})"
        raise ValueError(f"--since {since} is after --until {shown_end}; the period would be empty")
    return start.timestamp(), end.timestamp()
