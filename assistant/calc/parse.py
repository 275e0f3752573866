"""Numbers, durations, bandwidths and dates as people type or say them, pulled out of a Chinese question."""

from __future__ import annotations

import re
import unicodedata
import warnings
from dataclasses import dataclass, field
from datetime import date, time, timedelta
from decimal import Decimal, InvalidOperation

import cn2an

from assistant.errors import CalcInputError

from .workdays import days_in_month

_CN_DIGITS = "零〇一二两三四五六七八九十百千"
# Every character cn2an.transform rewrites or reads a numeral from (its digits and units, 两, 廿 and 半); a
# text with none of them comes back unchanged, so the transform is skipped for it.
_TRANSFORM = cn2an.Transform()
_CN2AN_CHARS = frozenset(_TRANSFORM.all_num + _TRANSFORM.all_unit + "两廿半")
_CN_NUM = f"[{_CN_DIGITS}]+"



@dataclass(frozen=True)
class Quantity:
    """A number with what it measures: money (元), bandwidth (Mbps), duration, count (次) or bare."""

    kind: str
    value: Decimal
    unit: str
    start: int


@dataclass(frozen=True)
class DateMention:
    """A calendar date in the question; `year_assumed` when the person gave none."""

    value: date
    year_assumed: bool
    start: int
    at: time | None = None


@dataclass(frozen=True)
class MonthMention:
    """A month named without a day ('4月账单', '上个月')."""

    year: int
    month: int
    year_assumed: bool
    start: int


@dataclass
class Features:
    """Everything numeric found in one question, in text order, plus the texts keyword scoring reads."""

    original: str
    text: str
    quantities: list[Quantity] = field(default_factory=list)
    dates: list[DateMention] = field(default_factory=list)
    months: list[MonthMention] = field(default_factory=list)

    @property
    def has_values(self) -> bool:
        """Whether the question carries any number or date at all."""
        return bool(self.quantities or self.dates or self.months)


def normalise(text: str) -> str:
    """NFKC (full-width ５０Ｍ → 50M) and trimmed; the caller should have done it, but be robust."""
    return unicodedata.normalize("NFKC", text).strip()


def _cn_number(token: str) -> Decimal:
    """'五十' / '两' / '50' / '1.5' → Decimal."""
    if re.fullmatch(r"-?\d+(?:\.\d+)?", token):
        return Decimal(token)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return Decimal(str(cn2an.cn2an(token.replace("两", "二"), "smart")))


def _plain(value: Decimal) -> str:
    """A Decimal back to text without exponent or trailing zeros."""
    text = format(value.normalize(), "f")
    return text


def _pre_normalise(text: str) -> str:
    """Colloquial forms cn2an does not know, rewritten into plain digits and units before it runs."""
    # A bare 千兆/万兆 is gigabit/10-gigabit jargon; "两百兆" is a numeral cn2an handles itself.
    not_after_numeral = rf"(?<![{_CN_DIGITS}\d])"
    text = re.sub(not_after_numeral + "万兆", "10000M", text)
    text = re.sub(not_after_numeral + "千兆", "1000M", text)
    text = re.sub(not_after_numeral + "百兆", "100M", text)
    # 一天一夜 / 两天两夜: a whole day and night is 24 hours of outage, not a calendar day.
    text = re.sub(
        rf"({_CN_NUM}|\d+)天\1夜", lambda m: f"{_plain(_cn_number(m.group(1)) * 24)}小时", text
    )
    text = re.sub(rf"({_CN_NUM}|\d+)个半(月|小时|钟头)", lambda m: f"{_plain(_cn_number(m.group(1)) + Decimal('0.5'))}个{m.group(2)}".replace("个小时", "小时").replace("个钟头", "小时"), text)
    text = re.sub(rf"({_CN_NUM}|\d+)年半", lambda m: f"{_plain(_cn_number(m.group(1)) * 12 + 6)}个月", text)
    text = re.sub(rf"({_CN_NUM}|\d+)天半", lambda m: f"{_plain(_cn_number(m.group(1)) + Decimal('0.5'))}天", text)
    text = text.replace("半个月", "0.5个月").replace("半年", "6个月").replace("半小时", "0.5小时")
    text = re.sub(r"两(?=[周次回年个天])", "二", text)
    text = re.sub(rf"{_CN_NUM}点[零一二三四五六七八九]+(?=万|千)", lambda m: _plain(_cn_number(m.group(0))), text)
    return text


def _post_normalise(text: str) -> str:
    """Scale 万/千 amounts to plain yuan after cn2an: 0.51万 → 5100元, 5千 → 5000元."""
    def scaled(m: re.Match[str], factor: int) -> str:
        return f"{_plain(Decimal(m.group(1)) * factor)}元"

    text = re.sub(r"(\d+(?:\.\d+)?)\s*万\s*(?:元|块钱|块)?", lambda m: scaled(m, 10000), text)
    text = re.sub(r"(\d+(?:\.\d+)?)\s*千(?![兆米瓦])\s*(?:元|块钱|块)?", lambda m: scaled(m, 1000), text)
    return text


# Words whose 一/万/千 is not a numeral; cn2an would read 算一下 as 算1下 and 一共 as 1共.
_NOT_NUMERALS = (
    "一下", "一共", "一起", "一般", "一直", "一定", "一旦", "一样", "一些", "一点", "一并", "一方", "一切", "一致",
    "一律", "一概", "一同", "一边", "一向", "一再", "一旁", "统一", "唯一", "万一", "千万", "一会", "一下子", "一一",
)
_PROTECT = re.compile("|".join(sorted(map(re.escape, _NOT_NUMERALS), key=len, reverse=True)))


def to_digits(text: str) -> str:
    """The question with every numeral as digits: '五十兆' → '50兆', '一天一夜' → '24小时', '0.51万' → '5100元'."""
    text = _pre_normalise(normalise(text))
    kept: list[str] = []

    def hide(m: re.Match[str]) -> str:
        kept.append(m.group(0))
        return f"\ue000{len(kept) - 1}\ue001"

    text = _PROTECT.sub(hide, text)
    if not _CN2AN_CHARS.isdisjoint(text):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # cn2an warns on fragments like a lone 万 and leaves them as they are
            try:
                text = cn2an.transform(text, "cn2an")
            except (ValueError, KeyError, IndexError):
                pass  # an odd fragment defeats cn2an; the digits already present are still parsed
    text = re.sub("\ue000(\\d+)\ue001", lambda m: kept[int(m.group(1))], text)
    return _post_normalise(text)


def _make_date(year: int, month: int, day: int, raw: str) -> date:
    """A real date, or CalcInputError explaining why it is not (2月30日)."""
    if not 1 <= month <= 12:
        raise CalcInputError("date", f"“{raw}”不是有效日期：月份只能是1—12")
    if not 1 <= day <= days_in_month(year, month):
        raise CalcInputError(
            "date", f"“{raw}”不是有效日期：{year}年{month}月只有{days_in_month(year, month)}天"
        )
    return date(year, month, day)


_FULL_DATE = re.compile(r"(?<!\d)(\d{4})\s*(?:年|-|/|\.)\s*(\d{1,2})\s*(?:月|-|/|\.)\s*(\d{1,2})\s*[日号]?")
# A year named relative to today ("明年1月15号", "去年12月"): the date's year is then known, not assumed.
_RELATIVE_YEARS = {"前年": -2, "去年": -1, "今年": 0, "明年": 1, "后年": 2}
_YEAR_WORD = "(" + "|".join(_RELATIVE_YEARS) + r")\s*"
_MONTH_DAY = re.compile(r"(?:" + _YEAR_WORD + r")?(?<![\d.个])(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]")
# 3.1 / 3/1 as dates only when nothing after them makes them an amount or a ratio.
_SHORT_DATE = re.compile(
    r"(?:" + _YEAR_WORD + r")?(?<![\d.\-])(\d{1,2})\s*[./]\s*(\d{1,2})"
    r"(?![\d.]|\s*(?:万|千|元|块|M|m|兆|个|天|日|小时|%|次|倍|G))"
)
# The last day of a month: "3月底", "明年3月末", "6月最后一天", "下个月底".
_END = r"\s*(?:底|末|最后\s*[一1]\s*天)"
_MONTH_END = re.compile(r"(?:(?<!\d)(\d{4})\s*年\s*|" + _YEAR_WORD + r")?(?<![\d.个])(\d{1,2})\s*月" + _END)
_TIME = re.compile(r"^\s*(上午|早上|中午|下午|晚上|凌晨)?\s*(\d{1,2})\s*(?:点|时|:)\s*(半|(\d{1,2})\s*分?)?")
_RELATIVE_DAYS = {"大前天": -3, "前天": -2, "昨天": -1, "今天": 0, "今日": 0, "明天": 1, "后天": 2}
# 上上个月 before 上个月, which it contains.
_RELATIVE_MONTHS = {"上上个月": -2, "上个月": -1, "上月": -1, "这个月": 0, "本月": 0, "当月": 0, "下个月": 1, "下月": 1}
_YEAR_MONTH = re.compile(
    r"(?:(?<!\d)(\d{4})\s*年\s*|" + _YEAR_WORD + r")?(?<![\d.个])(\d{1,2})\s*月(?:份)?(?!\s*\d)"
)


def _time_after(text: str, end: int) -> tuple[time | None, int]:
    """A clock time right after a date ('上午10点半'), and where it ends."""
    m = _TIME.match(text[end:])
    if not m:
        return None, end
    hour = int(m.group(2))
    if m.group(1) in ("下午", "晚上") and hour < 12:
        hour += 12
    minute = 30 if m.group(3) == "半" else int(m.group(4) or 0)
    if hour > 24 or minute > 59:
        raise CalcInputError("time", f"“{m.group(0).strip()}”不是有效时刻")
    return (time(0, minute) if hour == 24 else time(hour, minute)), end + m.end()


class _Scanner:
    """Pulls mentions out of the digit text left to right, blanking each span so it is read once."""

    def __init__(self, text: str):
        self.text = text

    def take(self, pattern: re.Pattern[str]) -> list[re.Match[str]]:
        """Every match of pattern in the not-yet-consumed text."""
        found = list(pattern.finditer(self.text))
        for m in found:
            self.consume(m.start(), m.end())
        return found

    def consume(self, start: int, end: int) -> None:
        """Blank text[start:end] (same length, so offsets stay valid)."""
        self.text = self.text[:start] + " " * (end - start) + self.text[end:]


def _year(digits: str | None, word: str | None, today: date) -> tuple[int, bool]:
    """The year of a date or month mention, and whether it was assumed (no year given: this year)."""
    if digits:
        return int(digits), False
    if word:
        return today.year + _RELATIVE_YEARS[word], False
    return today.year, True


def _shifted_month(today: date, offset: int) -> tuple[int, int]:
    """(year, month) `offset` months from today's month: 上个月 is -1."""
    index = today.year * 12 + today.month - 1 + offset
    return index // 12, index % 12 + 1


def _month_end(year: int, month: int, raw: str) -> date:
    """The last day of a month, or CalcInputError for a month that does not exist (13月底)."""
    first = _make_date(year, month, 1, raw)
    return first.replace(day=days_in_month(year, month))


def _dates(scan: _Scanner, today: date) -> list[DateMention]:
    """Full dates, dates without a year (year from `today`), month ends (3月底), and 今天/明天-style days."""
    found: list[DateMention] = []
    for pattern, has_year in ((_FULL_DATE, True), (_MONTH_DAY, False), (_SHORT_DATE, False)):
        for m in list(pattern.finditer(scan.text)):
            if has_year:
                year, assumed = int(m.group(1)), False
            else:
                year, assumed = _year(None, m.group(1), today)
            value = _make_date(year, int(m.group(2)), int(m.group(3)), m.group(0).strip())
            at, end = _time_after(scan.text, m.end())
            scan.consume(m.start(), end)
            found.append(DateMention(value, assumed, m.start(), at))
    for m in scan.take(_MONTH_END):
        year, assumed = _year(m.group(1), m.group(2), today)
        found.append(DateMention(_month_end(year, int(m.group(3)), m.group(0).strip()), assumed, m.start()))
    for word, offset in _RELATIVE_MONTHS.items():
        year, month = _shifted_month(today, offset)
        # A day of a month named relative to today: 上个月15号, 下月1日.
        for m in list(re.finditer(word + r"\s*(\d{1,2})\s*[日号]", scan.text)):
            at, end = _time_after(scan.text, m.end())
            value = _make_date(year, month, int(m.group(1)), m.group(0).strip())
            scan.consume(m.start(), end)
            found.append(DateMention(value, False, m.start(), at))
        for m in scan.take(re.compile(word + r"\s*月?" + _END)):  # 下个月底, 下个月月底
            found.append(DateMention(_month_end(year, month, m.group(0).strip()), False, m.start()))
    for word, offset in _RELATIVE_DAYS.items():
        for m in list(re.finditer(word, scan.text)):
            at, end = _time_after(scan.text, m.end())
            scan.consume(m.start(), end)
            found.append(DateMention(today + timedelta(days=offset), False, m.start(), at))
    return sorted(found, key=lambda d: d.start)


def _months(scan: _Scanner, today: date) -> list[MonthMention]:
    """Months named without a day: '2026年4月', '4月份', '上个月'."""
    found: list[MonthMention] = []
    for word, offset in _RELATIVE_MONTHS.items():
        year, month = _shifted_month(today, offset)
        for m in scan.take(re.compile(word)):
            found.append(MonthMention(year, month, False, m.start()))
    for m in scan.take(_YEAR_MONTH):
        month = int(m.group(3))
        if not 1 <= month <= 12:
            raise CalcInputError("month", f"“{m.group(0).strip()}”不是有效月份")
        year, assumed = _year(m.group(1), m.group(2), today)
        found.append(MonthMention(year, month, assumed, m.start()))
    return sorted(found, key=lambda d: d.start)


_NUM = r"(-?\d+(?:\.\d+)?)"
_QUANTITY_PATTERNS: list[tuple[str, re.Pattern[str], str, int]] = [
    # kind, pattern, unit, multiplier
    ("bandwidth", re.compile(_NUM + r"\s*(?:G|g)(?:bps|b)?(?![a-zA-Z])"), "Mbps", 1000),
    ("bandwidth", re.compile(_NUM + r"\s*(?:Mbps|mbps|MB|Mb|mb|M|m|兆)(?![a-zA-Z])"), "Mbps", 1),
    ("money", re.compile(r"[¥￥]\s*" + _NUM), "元", 1),
    ("money", re.compile(_NUM + r"\s*(?:元|块钱|块|圆|rmb|RMB)"), "元", 1),
    ("duration", re.compile(_NUM + r"\s*个?\s*(?:小时|钟头)"), "hour", 1),
    ("duration", re.compile(_NUM + r"\s*(?:h|H)(?![a-zA-Z])"), "hour", 1),
    ("duration", re.compile(_NUM + r"\s*个?\s*(?:周|星期|礼拜)"), "week", 1),
    ("duration", re.compile(_NUM + r"\s*个\s*多?\s*月"), "month", 1),
    ("duration", re.compile(r"(?<!\d)" + r"(\d{1,2}(?:\.\d+)?)" + r"\s*年(?!\d)"), "year", 1),
    ("duration", re.compile(_NUM + r"\s*(?:天|日)"), "day", 1),
    ("count", re.compile(_NUM + r"\s*(?:次|回)(?!性)"), "次", 1),
]
_BARE = re.compile(r"(?<![\d.])" + _NUM)


def _quantities(scan: _Scanner) -> list[Quantity]:
    """Numbers with units, then any bare numbers left over."""
    found: list[Quantity] = []
    for kind, pattern, unit, factor in _QUANTITY_PATTERNS:
        for m in scan.take(pattern):
            try:
                found.append(Quantity(kind, Decimal(m.group(1)) * factor, unit, m.start()))
            except InvalidOperation:
                continue
    # References, not inputs: ordinals ("第6个工作日", "第二十三条"), "一次性", a bare year ("2026年被删了6次").
    scan.take(re.compile(r"第\s*\d+\s*(?:个|条|款|项|章|次)?|\d+次性|(?<!\d)\d{4}\s*年(?:度)?"))
    for m in scan.take(_BARE):
        found.append(Quantity("bare", Decimal(m.group(1)), "", m.start()))
    return sorted(found, key=lambda q: q.start)


def extract(question: str, today: date) -> Features:
    """Every date, month, amount, bandwidth, duration and count in `question`, read against `today`.

    Raises CalcInputError for an impossible date such as 2月30日.
    """
    original = normalise(question)
    digits = to_digits(original)
    scan = _Scanner(digits)
    dates = _dates(scan, today)
    months = _months(scan, today)
    quantities = _quantities(scan)
    return Features(original=original, text=digits, quantities=quantities, dates=dates, months=months)
