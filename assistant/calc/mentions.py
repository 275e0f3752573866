"""Typed mentions: every number, amount, bandwidth, duration, date, month and count in a question, with the words
on both sides of it, plus the yes/no facts (planned, whose side) read with their negation.

`parse.extract` finds the values; this module turns them into `Mention`s that role assignment can score:
retracted values ("十号 不对 十二号") are dropped, runs of amounts become lists, "3条20M" becomes a line count.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import cached_property, lru_cache
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from .parse import Features, TimeMention, extract

# Clause boundaries: a cue word on the far side of one of these is about something else.
CLAUSE_END = re.compile(r"[，,。；;！!？?\n]")
# "说错了 是十三号开始收钱的": the words saying a correction (说) are no value's cue.
CORRECTED = re.compile(r"(?:说|记|搞|弄|写|看|听|算)错了?")
# The mention kinds (and role kinds) that are a day: with or without a clock time.
DAY_KINDS = frozenset({"date", "datetime"})
LEFT_WINDOW = 12
RIGHT_WINDOW = 8
# After a day said with a place (在/于…) or a verb whose object names the event (完成/办理/进行), the words that name
# the day come later: they are read up to the clause's end, at most this far.
PLACE_WINDOW = 40
_EVENT_LATER = re.compile(
    r"^\s*[)）]?\s*(?:(?:在|于|由)(?!\s*\d)|(?:完成|办理|进行)了?|(?:早上|上午|中午|下午|晚上|傍晚|凌晨|夜里)?\s*(?:通过|经由|使用|用))"
)
# What a speaker says right after a value they take back ("十号 不对 十二号", "5000 说错了 是5100").
_RETRACT = re.compile(
    r"^\s*[,，]?\s*(?:[\u4e00-\u9fff]?\s*[呢的]\s*[,，]?\s*)?(?:[了吧啊呀嗯呃额哦]\s*[,，]?\s*){0,3}"
    r"(?:不对|不是不是|哦不|噢不|说错了|说错|错了|不好意思|更正|纠正)"
)
# A rough value made exact ("两千出头 就2050", "两千出头 就按2050算", "三十个小时左右 准确说是31个小时"): the exact
# one is meant.
_EXACT_WORDS = (
    r"\s*[,，]?\s*(?:吧|啊)?\s*[,，]?\s*"
    r"(?:就(?:是|按)?|按|具体(?:是|点|说)?|准确(?:地)?(?:说|讲)?(?:是)?|确切(?:地)?(?:说)?(?:是)?|精确(?:地)?(?:说)?(?:是)?)\s*[:：]?\s*$"
)
_MADE_EXACT = re.compile(r"^\s*(?:出头|左右|上下|来|多|来块|多块)" + _EXACT_WORDS)
# An amount said roughly with its unit ("两千多块钱 就按2050算"): its roughness is inside the mention.
_ROUGH = "多|来|余"
_ROUGH_AMOUNT = re.compile(rf"\d\s*(?:{_ROUGH})")
# …or right after it ("七万多", "7万出头").
_ROUGH_AFTER = re.compile(rf"^\s*(?:{_ROUGH}|出头)")
_EXACT_AFTER = re.compile("^" + _EXACT_WORDS)
# "不是10天，是12天": a value after 不是 with another of its kind after 是/而是; "14个月，并非11个月": one after the
# value meant, at most DENIED_GAP characters from it.
_NOT_BUT = re.compile(r"(?:不是|并非|并不是)\s*$")
# What asks to go by a value ("请按30小时重新核算"): one said again, not one more.
_GO_BY = re.compile(r"按照?\s*$")
# …and the 是 before the value meant, a spoken filler or two after it ("不是一年 是 呃 九个月").
_BUT_IS = re.compile(r"(?:而是|是|就是)\s*(?:[呃嗯额啊]\s*){0,2}$")
# "交的不止100 还有施工费 加起来一共3000": a value the speaker says is less than the one meant, which follows.
_NOT_ONLY = re.compile(r"(?:不止|不只|不仅|不光)(?:是|有)?\s*$")
DENIED_GAP = 8
# "哦 不是 八天 十八天": the value denied, then the one meant right after it with nothing between; not after 是不是,
# which asks ("是不是15天 30天的时候会停").
_DENIED_FIRST = re.compile(r"(?<!是)" + _NOT_BUT.pattern)
_NOTHING_BETWEEN = re.compile(r"^\s*[,，]?\s*$")
# What stands between a value and the same value said again to make it plain ("四月三号呢 就是 四月三号").
_SAID_AGAIN = re.compile(r"^\s*[呢吧啊]?\s*[,，]?\s*(?:我是说|我说的是|也就是说?|就是说?|即)\s*[:：]?\s*$")
# What stands between a bare count and the value correcting it ("不是七个 是九个月"): a classifier, then 是.
_ELIDED_CORRECTED = re.compile(r"^\s*[个條条次天]\s*[,，]?\s*(?:而是|就是|是)\s*$")
TIME_GAP = 16  # a clock time this close after a date belongs to it
HOURS_GAP = 24  # at most this many characters between outages read as one month's list
_RESTATED = re.compile(r"就是|也就是|即|相当于|等于|合计|总共|一共")
_SEPARATOR = re.compile(r"^\s*(?:、|,|，|/|和|及|与|跟|加上|加|\+|还有)\s*(?:元|块)?\s*$")


@dataclass(frozen=True)
class Mention:
    """One value in the question: its kind, value and unit, where it stands and the words around it.

    kinds: money, number (bare), bandwidth, duration (unit hour/day/week/month/year), count, date, datetime,
    month (value (year, month)), money_list (value: list of Decimal), line (value: (bandwidth, count)),
    line_list (value: list of (bandwidth, count)).
    """

    kind: str
    value: Any
    start: int
    end: int
    unit: str = ""
    left: str = ""
    right: str = ""
    # The rest of the value's clause, of which `right` is the start: a word found in the window is read to its end
    # there ("一万八 那个 不含税是多少" asks, though the window stops at 多).
    after: str = ""
    year_assumed: bool = False
    parts: tuple[int, ...] = ()  # indices of the mentions a list is made of
    # A period said roughly ("一个多月"): said, so it bounds its neighbours' cue windows, but no value of any input.
    rough: bool = False

    def overlaps(self, other: Mention) -> bool:
        """Whether the two mentions share text (a list and one of its amounts)."""
        return self.start < other.end and other.start < self.end


@dataclass(frozen=True)
class Flag:
    """A yes/no fact found in the question: which lexicon, the phrase, whether it was negated."""

    name: str
    phrase: str
    start: int
    negated: bool
    end: int = -1


@dataclass
class Mentions:
    """Everything a question states: typed values, the digit text they were read from, and the flags."""

    text: str
    original: str
    items: list[Mention] = field(default_factory=list)
    retracted: list[Mention] = field(default_factory=list)
    # Clock times said with no date before them ("是上午九点半交的"): no value alone, a follow-up's new time of day.
    times: list[TimeMention] = field(default_factory=list)
    # Hours said to be a part of a total the message does not state, of a kind that does not count ("其中有一天是
    # 计划割接" after an outage): taken off the conversation's total (set_apart).
    apart: Decimal | None = None

    @property
    def has_values(self) -> bool:
        return bool(self.items)

    @property
    def has_exact_values(self) -> bool:
        """Whether a value any input could take is said (a period said roughly is none)."""
        return any(not m.rough for m in self.items)

    def of_kind(self, *kinds: str) -> list[Mention]:
        return [m for m in self.items if m.kind in kinds]

    @cached_property
    def asked(self) -> tuple[tuple[int, int], ...]:
        """The spans of the sentences that ask something (多少, 哪天, 吗, ？…), when the text has several sentences:
        in a long e-mail the values beside the question matter more than those in its greeting or signature."""
        spans, start = [], 0
        for m in _SENTENCE_BREAK.finditer(self.text + "\n"):
            spans.append((start, m.end()))
            start = m.end()
        if len(spans) < 2:
            return ()
        out: list[tuple[int, int]] = []
        for k, (a, b) in enumerate(spans):
            if not _ASKING.search(self.text[a:b]):
                continue
            if k and not any(a <= m.start < b for m in self.items) and _POINTS_BACK.search(self.text[a:b]):
                # "…在4月1日才完成缴费。想请问这算不算逾期？": what 这 asks about is the sentence before it.
                out.append(spans[k - 1])
            # "…3月份的账单（8600元）直到5月8日才付款。另外4月份的账单……。请问3月那笔要收多少违约金？": the sentence
            # stating the value the question names again is the one it asks about, not the others beside it.
            named = {(m.kind, str(m.value)) for m in self.items if a <= m.start < b}
            for c, d in spans[:k]:
                if any((m.kind, str(m.value)) in named for m in self.items if c <= m.start < d) and (c, d) not in out:
                    out.append((c, d))
            out.append((a, b))
        return tuple(out)

    def in_question(self, m: Mention) -> bool:
        return any(a <= m.start < b for a, b in self.asked)

    @cached_property
    def clashes(self) -> frozenset[tuple[int, int]]:
        """Pairs of (different) mentions that share text: a list and its parts, a line and its bandwidth."""
        items = self.items
        order = sorted(range(len(items)), key=lambda i: items[i].start)
        pairs: set[tuple[int, int]] = set()
        # In order of start, a mention can only overlap those starting before it ends: a sweep, not all pairs.
        for x, a in enumerate(order):
            for b in order[x + 1:]:
                if items[b].start >= items[a].end:
                    break
                if items[a].overlaps(items[b]):
                    pairs |= {(a, b), (b, a)}
        return frozenset(pairs)


_UNIT = re.compile(r"^(?:个)?(?:月份|月|日|号|年|天|小时|个)")
_WEEKDAY = re.compile(r"\s*[（(](?:周|星期|礼拜)[一二三四五六日天1-7][)）]")


def _unsaid(window: str) -> str:
    """A window with the words saying a correction blanked out, the length kept."""
    return CORRECTED.sub(lambda m: " " * len(m.group(0)), window)


def _windows(text: str, start: int, end: int, lo: int, hi: int) -> tuple[str, str]:
    """The words before (back to a clause boundary or the previous value) and after a span."""
    left = text[max(lo, start - LEFT_WINDOW): start]
    cut = max((m.end() for m in CLAUSE_END.finditer(left)), default=0)
    left = left[cut:]
    if lo > 0 and start - len(left) == lo and text[lo - 1].isdigit():
        # "3月 2470": the unit of the number before belongs to that number, not to this value's words.
        left = _UNIT.sub("", left, count=1)
    weekday = _WEEKDAY.match(text, end)
    if weekday:
        # "3月2日（周一）由你们营业厅受理": the weekday said with a day is part of it; the words after it name the day.
        end = weekday.end()
    right = text[end: min(hi, end + RIGHT_WINDOW)]
    if _EVENT_LATER.match(right):
        # "4月28日在贵司丰台区南四环西路188号营业厅办理了受理": a place said between a day and its verb; the verb
        # still names the day, whatever numbers the address holds. So does the event a verb takes as its object
        # ("7月25日完成我司大兴仓库（兴华大街88号）光专线的竣工"), and the means said before the verb
        # ("5月31日晚上通过对公转账付的").
        right = text[end: end + PLACE_WINDOW]
    stop = CLAUSE_END.search(right)
    right = right[: stop.start()] if stop else right
    return _unsaid(left), _unsaid(right)


def _clause_after(text: str, end: int) -> str:
    """The text after `end` to its clause's end, corrections blanked (positions match the right window's)."""
    stop = CLAUSE_END.search(text, end)
    return _unsaid(text[end: stop.start() if stop else len(text)])


def _raw(features: Features, lone: list[TimeMention]) -> list[Mention]:
    """The parsed values as mentions, in text order (no windows yet); clock times joined to no date go to `lone`."""
    out: list[Mention] = []
    for q in features.quantities:
        kind = "number" if q.kind == "bare" else q.kind
        out.append(Mention(kind, q.value, q.start, q.end, unit=q.unit))
    for d in features.dates:
        if d.at is not None:
            out.append(Mention("datetime", datetime.combine(d.value, d.at), d.start, d.end, year_assumed=d.year_assumed))
        else:
            out.append(Mention("date", d.value, d.start, d.end, year_assumed=d.year_assumed))
    for m in features.months:
        out.append(Mention("month", (m.year, m.month), m.start, m.end, year_assumed=m.year_assumed))
    for t in features.times:
        # A clock time said apart from its date ("3月1日报竣的，下午两点"): joined to the nearest date before it.
        before = [i for i, d in enumerate(out) if d.kind == "date" and d.end <= t.start and t.start - d.end <= TIME_GAP]
        if not before and not any(d.kind == "datetime" and d.start <= t.start < d.end for d in out):
            lone.append(t)
        if before:
            d = out[before[-1]]
            out[before[-1]] = Mention("datetime", datetime.combine(d.value, t.value), d.start, d.end, year_assumed=d.year_assumed)
    return sorted(out, key=lambda m: m.start)


def _carry_year(items: list[Mention]) -> list[Mention]:
    """Dates said without a year after one said with it take the year that puts them nearest to it: its own
    ("2025年10月签的，10月8号"), or the one either side across a new year ("2025年12月28日受理，1月5日才开通";
    "明年1月15号转，12月20号才通知" is this December)."""
    out: list[Mention] = []
    said: Mention | None = None
    for m in items:
        if m.kind in ("date", "datetime", "month") and not m.year_assumed:
            said = m
        elif m.kind in ("date", "datetime", "month") and said is not None:
            year, month = _year_month(said)
            nearest = min((year, year - 1, year + 1), key=lambda y: abs((year - y) * 12 + month - _year_month(m)[1]))
            try:
                value = (nearest, m.value[1]) if m.kind == "month" else m.value.replace(year=nearest)
            except ValueError:  # 2月29日 in a year without one
                value = m.value
            else:
                m = replace(m, value=value, year_assumed=False)
        out.append(m)
    return out


def _year_month(m: Mention) -> tuple[int, int]:
    """The year and month a date or month mention falls in."""
    return (m.value[0], m.value[1]) if m.kind == "month" else (m.value.year, m.value.month)


def _drop_retracted(text: str, items: list[Mention]) -> tuple[list[Mention], list[Mention]]:
    """Values the speaker took back, when another value of the same kind follows."""
    dropped: set[int] = set()
    # The next mention of each family, found walking back from the end (one pass rather than one per mention).
    following: list[int | None] = [None] * len(items)
    nearest: dict[int, int] = {}
    for i in range(len(items) - 1, -1, -1):
        following[i] = min((nearest[f] for f in _families(items[i]) if f in nearest), default=None)
        for f in _families(items[i]):
            nearest[f] = i
    preceding: list[int | None] = [None] * len(items)
    nearest = {}
    for i, m in enumerate(items):
        preceding[i] = max((nearest[f] for f in _families(m) if f in nearest), default=None)
        for f in _families(m):
            nearest[f] = i
    for i, m in enumerate(items):
        before = text[max(0, m.start - 4): m.start]
        if _GO_BY.search(before) and any((o.kind, o.value, o.unit) == (m.kind, m.value, m.unit) for o in items[:i]):
            # "实际中断30小时，不是两天。请按30小时重新核算": the value said before, to go by, not another one.
            dropped.add(i)
            continue
        if preceding[i] is not None and _NOT_BUT.search(before):
            # "用了14个月，并非11个月": the value denied right after the one meant.
            gap = text[items[preceding[i]].end: m.start]
            if len(gap) <= DENIED_GAP and not _SENTENCE_END.search(gap):
                dropped.add(i)
                continue
        if m.kind == "number" and i > 0 and preceding[i] is None and _NOT_BUT.search(before):
            # "是26个小时不是36": a bare number denied right after a value of another kind, its unit left unsaid.
            gap = text[items[i - 1].end: m.start]
            if len(gap) <= DENIED_GAP and not _SENTENCE_END.search(gap):
                dropped.add(i)
                continue
        if m.kind == "number" and i + 1 < len(items) and _NOT_BUT.search(before):
            # "不是七个 是九个月": a bare count whose noun the correction says is the value corrected, of any kind.
            if _ELIDED_CORRECTED.match(text[m.end: items[i + 1].start]):
                dropped.add(i)
                continue
        if following[i] is None:
            continue
        after = text[m.end: items[following[i]].start]
        if m.value == items[following[i]].value and _SAID_AGAIN.match(after):
            # "四月 三号呢 就是 四月三号 解除": one day said twice, its words after the second.
            dropped.add(i)
            continue
        if _months_in_days(m, items[following[i]], after):
            # "整整一个月31天": the months said again in days, exactly; not "一个月零5天", a month and five days.
            dropped.add(i)
            continue
        made_exact = _MADE_EXACT.match(after) or (_ROUGH_AMOUNT.search(text[m.start: m.end]) and _EXACT_AFTER.match(after))
        if (_RETRACT.match(after) or made_exact or _NOT_ONLY.search(before)
                or (_NOT_BUT.search(before) and _BUT_IS.search(after))
                or (_DENIED_FIRST.search(before) and _NOTHING_BETWEEN.match(after))):
            dropped.add(i)
    return [m for i, m in enumerate(items) if i not in dropped], [m for i, m in enumerate(items) if i in dropped]


def said_roughly(text: str, m: Mention) -> bool:
    """Whether an amount is said roughly ("七万多", "两千来块", "7万出头")."""
    return bool(_ROUGH_AMOUNT.search(text[m.start: m.end]) or _ROUGH_AFTER.match(text[m.end:]))


_FAMILIES = ({"money", "number"}, DAY_KINDS, {"duration"}, {"bandwidth"}, {"month"}, {"count"})
# What may stand between months and the same span in days ("1个月31天", "两个月（61天）", "一个月, 即30天").
_IN_DAYS_GAP = re.compile(r"^\s*[,，(（]?\s*(?:也就是|就是|即|共)?\s*$")


def _months_in_days(m: Mention, then: Mention, between: str) -> bool:
    """Whether a number of months is followed by the same span in days: as many days as those months can hold."""
    return (m.kind == then.kind == "duration" and m.unit == "month" and then.unit == "day"
            and 28 * m.value <= then.value <= 31 * m.value and bool(_IN_DAYS_GAP.match(between)))


def _families(m: Mention) -> list[int]:
    """The families of kinds a mention belongs to: two mentions of one family could be the same input (a corrected
    amount, date or duration)."""
    return [i for i, f in enumerate(_FAMILIES) if m.kind in f]


def _list_gap(text: str) -> bool:
    """Whether the text between two amounts only separates or labels them ("、", "，2月 ", " 第2个月", "一个是")."""
    rest = _LIST_LABEL.sub("", text)
    return len(rest) <= 1 and not _SENTENCE_END.search(text)


_LIST_LABEL = re.compile(
    r"第?\s*\d+\s*个?\s*月份?|\d+\s*月份?|(?:还有|另外)?\s*\d*\s*个?\s*是|分别是?|各月|每月|元|块|"
    r"[\s、,，/和及与跟+;；:：]|还有|以及|然后|加上"
)
_SENTENCE_END = re.compile(r"[。！!？?]")
_DAY_AND_HOURS = re.compile(r"^\s*(加上?|零|又|再加)?\s*$")
_SENTENCE_BREAK = re.compile(r"[。！!？?\n]")
_POINTS_BACK = re.compile(r"这|此|该|上述")
_ASKING = re.compile(r"多少|几[号天月点个]|哪[天一个]|什么时候|何时|吗|么|是否|能否|？|\?|最晚|最迟|最早")
# Words that add one more line to those already named ("4个网点用10M专线，另外仓库用的是1条20M").
_LINE_JOIN = re.compile(r"^[^。！!？?\d]{0,14}(?:另外|还有|以及|加上|然后还有|再加)[^。！!？?\d]{0,10}$")
_LABEL_AFTER = re.compile(r"\s*(?:个是|月|个月)")


def _lists(text: str, items: list[Mention]) -> list[Mention]:
    """Runs of amounts ("1000、1200、1100元", "1月 2350、2月 2180") as a money_list and "3条20M" pairs as lines, added
    beside their parts."""
    extra: list[Mention] = []
    run: list[int] = []

    def close() -> None:
        if len(run) >= 2:
            first, last = items[run[0]], items[run[-1]]
            extra.append(Mention("money_list", [items[i].value for i in run], first.start, last.end, "元", parts=tuple(run)))

    for i, m in enumerate(items):
        if m.kind == "number" and _LABEL_AFTER.match(text[m.end: m.end + 3]):
            continue  # "1个是", "2月 ": a label in front of an amount
        if m.kind in ("money", "number"):
            if run and _list_gap(text[items[run[-1]].end: m.start]):
                run.append(i)
                continue
            close()
            run = [i]
        elif m.kind == "month" and run:
            continue  # a month labelling the next amount
        else:
            close()
            run = []
    close()
    hours = [i for i, m in enumerate(items) if m.kind == "duration" and m.unit == "hour"]
    # A total said after the outages ("14小时，…13个小时，合计27小时") restates their sum: the outages before it
    # are still summed, the restated total is not one more outage.
    while len(hours) >= 3 and _RESTATED.search(text[items[hours[-2]].end: items[hours[-1]].start]):
        hours = hours[:-1]
    if len(hours) >= 2 and all(
        items[b].start - items[a].end <= HOURS_GAP
        and not _RESTATED.search(text[items[a].end: items[b].start])
        # Only the dates of the outages, or a word counting each one ("一次10小时，一次20小时"), may stand between
        # them ("3日断了6小时，8日断了9小时").
        and not any(items[a].end <= o.start < items[b].start and o.kind not in DAY_KINDS and not _each_time(o)
                    for o in items)
        for a, b in zip(hours, hours[1:])
    ):
        # Several outages of one month ("5h、9h、14h", "第一次15小时、第二次13小时"): the month's total.
        first, last = items[hours[0]], items[hours[-1]]
        total = sum((items[i].value for i in hours), Decimal(0))
        extra.append(Mention("duration", total, first.start, last.end, "hour", parts=tuple(hours)))
    for a in range(len(items) - 1):
        b = a + 1
        x, y = items[a], items[b]
        joiner = _DAY_AND_HOURS.match(text[x.end: y.start]) if x.kind == y.kind == "duration" else None
        if (joiner and x.unit == "day" and y.unit == "hour"
                and (joiner.group(1) or (x.value == int(x.value) and y.value < 24))):
            # "一天加六个小时", "1天6小时": one duration in hours; not "一天半 三十六个小时", the same one restated.
            extra.append(Mention("duration", x.value * 24 + y.value, x.start, y.end, "hour", parts=(a, b)))
    lines = _line_counts(text, items)
    if lines:
        extra.extend(lines)
        counted = {p for ln in lines for p in ln.parts}
        # A bandwidth said without a count beside counted ones is one line ("总部100M，2个分部各20M"), unless it is
        # what a line is changed to ("一条100M线路…希望降为20M").
        single = [Mention("line", (int(m.value), 1), m.start, m.end, parts=(i,))
                  for i, m in enumerate(items)
                  if m.kind == "bandwidth" and i not in counted and not _CHANGED_TO.search(text[max(0, m.start - 6): m.start])]
        every = sorted(lines + single, key=lambda ln: ln.start)
        groups: list[list[Mention]] = [[every[0]]]
        for line in every[1:]:
            # What a bracket adds between two lines (their addresses) does not part them.
            gap = _BRACKETED.sub("", text[groups[-1][-1].end: line.start])
            taken_back = _LINE_TAKEN_BACK.match(gap)
            if taken_back and not re.search(r"\d", taken_back.group(1)):
                # "1条200兆的 不对 是1条100兆的": the line just said is replaced.
                groups[-1][-1] = line
            elif (taken_back or _SEPARATOR.match(gap) or _LINE_JOIN.search(gap) or _LINE_LABEL_GAP.match(gap)
                    or _LINE_AND.match(gap)):
                # A line taken back inside the gap is gone already ("还有1条200兆 不对 是…"): the next one joins.
                groups[-1].append(line)
            else:
                groups.append([line])
        for g in groups:
            if any(ln in lines for ln in g):
                extra.append(Mention("line_list", [ln.value for ln in g], g[0].start, g[-1].end,
                                     parts=tuple(p for ln in g for p in ln.parts)))
    return extra


def _each_time(m: Mention) -> bool:
    """Whether a mention counts one occurrence ("一次", "一回"), as a list of outages labels each of them."""
    return m.kind == "count" and m.value == 1 and m.unit == "次"  # parse.py reads 回 as 次 too


_BRACKETED = re.compile(r"[（(][^（）()]*[）)]")
_COUNT_BEFORE = re.compile(r"(\d+)\s*(?:(?:条|根|路|个网点|个点)[^\d，,。；;！？!?]{0,8}|个\s*)$")
_COUNT_AFTER = re.compile(
    r"^\s*(?:的)?\s*(?:专线|线路|线)?\s*(?:其实|实际上|实际|应该)?\s*(?:只|就|才)?\s*(?:是|共|一共|总共|共有|有)?\s*(?:(\d+)\s*(?:条|根|路)|[×xX*]\s*(\d+)\s*(?:条|根|路)?)"
)
# A bandwidth a line is changed to ("降为20M", "升级到200M"): the line's new bandwidth, no line of its own.
_CHANGED_TO = re.compile(r"(?:降为|降到|降成|降级到|升为|升到|升成|升级到|升级为|改为|改成|换成|换为|调到|调成|调为|调整为|调整到|提到|提升到|扩到|扩容到|变成|变为)\s*$")
# Several bandwidths named one by one, then one count for each ("50M跟100M各一条", "10M、20M各2条"): the joiner
# between two of them, and the count after the last.
_BANDWIDTH_JOIN = re.compile(r"^\s*(?:的)?\s*(?:专线|线路)?\s*(?:[、,，]|和|及|与|跟|以及)\s*$")
_EACH_AFTER = re.compile(r"^\s*(?:的)?\s*(?:专线|线路|线)?\s*各\s*(?:有|是|要|拉|用|开)?\s*(\d+)\s*(?:条|根|路)")
# Between two lines of a list: "和", "还有", after the product's name ("4条10M专线跟2条200M专线").
_LINE_AND = re.compile(r"^\s*(?:的)?\s*(?:专线|线路|线)?\s*[,，、;；]?\s*(?:再|外|另外)?\s*(?:加上?|和|还有|以及|及|与|跟)?\s*$")
# Between two lines, a take-back: what comes before it (group 1) was taken back, with the line it names if any.
_LINE_TAKEN_BACK = re.compile(
    r"^([^。！!？?]{0,16}?)(?:不对|不是不是|说错了|说错|错了|更正|纠正)\s*[,，]?\s*(?:应该)?\s*(?:是)?\s*$"
)
# Between two lines of a list: a separator (a pause, in speech and chat) and at most a short label of the next site
# ("、分公司", "，两个门店各", " 总部").
_LINE_LABEL_GAP = re.compile(
    r"^\s*(?:的)?\s*(?:云专线|专线|线路)?\s*(?:[,，、;；]\s*[^\d。！!？?,，、;；]{0,6}|\s+[^\d。！!？?,，、;；\s]{1,6})$"
)
# Several sites with the same line each: "2个分部各20M", "3个点每个点1条20M", "三个车间分别一条50M".
_PER_SITE = re.compile(
    r"(\d+)\s*(?:个|家|处)[^\d，,。；;！？!?\s]{0,4}?\s*(?:各|每个[^\d，,。；;！？!?]{0,3}?|每[^\d，,。；;！？!?]{0,2}?|分别|都)"
    r"\s*(?:有|用|拉|是)?\s*(?:(\d+)\s*(?:条|根|路))?\s*$"
)


# A remark in brackets between the sites and their lines ("3家门店（门店编号101、102、205）各有1条10M").
_REMARK = re.compile(r"（[^（）]{0,30}）|\([^()]{0,30}\)")
# Sites named one by one with the same line each: "金融街15号和建国门外大街2号各有一条100M", "A、B、C各1条".
_NAMED_SITES = re.compile(
    r"([^，,。；;！？!?、和及与跟]{1,14}(?:[、和及与跟][^，,。；;！？!?、和及与跟]{1,14}){1,5})各\s*(?:有|用|拉|是)?\s*"
    r"(?:(\d+)\s*(?:条|根|路))?\s*$"
)


def _per_site(text: str, end: int) -> tuple[tuple[int, int] | None, int]:
    """(sites, lines per site) of a bandwidth said for several sites, and where that phrase starts; (None, end)."""
    window_start = max(0, end - 40)
    window = text[window_start:end]
    # Offsets into the window once its bracketed remarks are taken out, so a match maps back to the text.
    kept = [i for i in range(len(window)) if not any(r.start() <= i < r.end() for r in _REMARK.finditer(window))]
    bare = "".join(window[i] for i in kept)
    site = _PER_SITE.search(bare[-16:])
    if site:
        offset = len(bare) - 16 + site.start() if len(bare) > 16 else site.start()
        return (int(site.group(1)), int(site.group(2)) if site.group(2) else 1), window_start + kept[offset]
    named = _NAMED_SITES.search(bare[-32:])
    if named:
        offset = len(bare) - 32 + named.start() if len(bare) > 32 else named.start()
        sites = len(re.findall(r"[、和及与跟]", named.group(1))) + 1
        return (sites, int(named.group(2)) if named.group(2) else 1), window_start + kept[offset]
    return None, end


def _line_counts(text: str, items: list[Mention]) -> list[Mention]:
    """Bandwidths with a number of lines: "3条20M", "20M的3条", "20M专线共8条", "2个分部各20M".

    A count both before and after a bandwidth ("2条200M 1条50M", "200兆的2条 100兆的1条") belongs to the side
    the text's first counted bandwidth uses: people keep one order within a list.
    """
    bandwidths = [i for i, m in enumerate(items) if m.kind == "bandwidth"]
    sides = {i: (_COUNT_BEFORE.search(text[max(0, items[i].start - 8): items[i].start]),
                 _COUNT_AFTER.match(text[items[i].end: items[i].end + 10])) for i in bandwidths}
    order = next(("before" if b else "after" for b, a in sides.values() if bool(b) != bool(a)), "before")
    counts = [j for j, c in enumerate(items) if c.kind in ("number", "count")]
    each = _each_counted(text, items, bandwidths, counts)
    out = []
    for i in bandwidths:
        m = items[i]
        before, after = sides[i]
        site, site_start = _per_site(text, m.start)
        if before and after:
            before, after = (before, None) if order == "before" else (None, after)
        if i in each and not before:
            count, part = each[i]
            out.append(Mention("line", (int(m.value), count), m.start, m.end, parts=(i,) + ((part,) if part is not None else ())))
        elif site:
            start = site_start
            sites, per = site
            parts = tuple(j for j in counts if items[j].start >= start and items[j].end <= m.start)
            out.append(Mention("line", (int(m.value), sites * per), start, m.end, parts=(i, *parts)))
        elif before:
            start = m.start - len(before.group(0))
            part = next((j for j in counts if items[j].start >= start and items[j].end <= m.start), None)
            out.append(Mention("line", (int(m.value), int(before.group(1))), start, m.end, parts=(i,) + ((part,) if part is not None else ())))
        elif after:
            end = m.end + after.end()
            part = next((j for j in counts if items[j].start >= m.end and items[j].end <= end), None)
            count = int(after.group(1) or after.group(2))
            out.append(Mention("line", (int(m.value), count), m.start, end, parts=(i,) + ((part,) if part is not None else ())))
    return out


def _each_counted(text: str, items: list[Mention], bandwidths: list[int], counts: list[int]) -> dict[int, tuple[int, int | None]]:
    """Bandwidth index → (lines, the count's index) for bandwidths named one by one with one count for each after
    the last ("50M跟100M各一条": one line of each)."""
    out: dict[int, tuple[int, int | None]] = {}
    run = bandwidths[:1]
    for i in [*bandwidths[1:], None]:
        if i is not None and _BANDWIDTH_JOIN.match(text[items[run[-1]].end: items[i].start]):
            run.append(i)
            continue
        last = items[run[-1]] if run else None
        each = _EACH_AFTER.match(text[last.end:]) if last is not None and len(run) >= 2 else None
        if each:
            end = last.end + each.end()
            part = next((j for j in counts if items[j].start >= last.end and items[j].end <= end), None)
            out.update({b: (int(each.group(1)), part) for b in run})
        run = [i] if i is not None else []
    return out


def read(question: str, today: date) -> Mentions:
    """All the values of a question as typed mentions with their cue windows.

    Raises CalcInputError for an impossible date (2月30日), as parse.extract does.
    """
    features = extract(question, today)
    text = features.text
    lone: list[TimeMention] = []
    items, retracted = _drop_retracted(text, _carry_year(_raw(features, lone)))
    items = [replace(m, rough=True) if _rough_period(text, m) else m for m in items if not _agreed_period(text, m)]
    items = items + _lists(text, items)
    # Sorted into text order; a list's parts are indices, so they follow their mentions to the new places.
    order = sorted(range(len(items)), key=lambda i: (items[i].start, -items[i].end))
    moved = {old: new for new, old in enumerate(order)}
    items = [replace(items[i], parts=tuple(moved[p] for p in items[i].parts)) for i in order]
    # A mention's windows stop at the nearest other value: the last one ending before it and the first one
    # starting after it. Looked up by bisection, so a text full of values costs n log n rather than n³.
    ends = sorted(m.end for m in items)
    starts = sorted(m.start for m in items)
    out = []
    for m in items:
        before = bisect_right(ends, m.start)
        lo = ends[before - 1] if before else 0
        after = bisect_left(starts, m.end)
        hi = starts[after] if after < len(starts) else len(text)
        left, right = _windows(text, m.start, m.end, lo, hi)
        out.append(replace(m, left=left, right=right, after=_clause_after(text, m.end)))
    return Mentions(text=text, original=features.original, items=out, retracted=retracted, times=lone)


# A period said as what was agreed or promised ("说好五个工作日的 结果拖了好几天", "当时被告知5个工作日内开通"): the rule's figure, which the
# contract states, not a value of the person's case.
_AGREED = re.compile(r"(?:说好|讲好|约定|规定|承诺|答应|告知|保证)(?:了|的|是|要|在|为|好){0,2}\s*$")
_PERIOD_KINDS = frozenset({"number", "duration"})


def _agreed_period(text: str, m: Mention) -> bool:
    """The mention is a period the speaker says was agreed (see _AGREED)."""
    return m.kind in _PERIOD_KINDS and bool(_AGREED.search(text[max(0, m.start - 6): m.start]))


# A period said roughly ("欠费一个多月了", "二十多天", "十来天", "断了两天多"): the situation, not a value to work out
# with ("欠费一个多月 云主机会怎么样" asks what the rule does then). 多 after the unit only where no verb follows it
# ("一年多花多少" is a year's extra cost).
_TIME_UNIT = r"(?:个)?\s*(?:月|天|日|小时|钟头|周|星期|礼拜|年|工作日)"
_ROUGH_PERIOD = re.compile(rf"\d\s*(?:个)?\s*(?:{_ROUGH})\s*{_TIME_UNIT}")
_ROUGH_AFTER_UNIT = re.compile(rf"{_TIME_UNIT}$")
_MORE_AFTER_UNIT = re.compile(r"^\s*多(?=\s|$|[了的，,。？?！!吧啊呢])")


def _rough_period(text: str, m: Mention) -> bool:
    """The mention is a period said roughly (see _ROUGH_PERIOD): a rough marker after one of its digits, within
    or right after it, or 多 after its unit."""
    rough = _ROUGH_PERIOD.search(text, m.start)
    return m.kind in _PERIOD_KINDS and bool(
        (rough and rough.start() < m.end)
        or (_ROUGH_AFTER_UNIT.search(text, m.start, m.end) and _MORE_AFTER_UNIT.match(text[m.end:]))
    )


# ---- a part of a total ---------------------------------------------------------------------------

_PART_SENTENCE_END = re.compile(r"[。！!？?\n；;]")
_HOURS_IN = {"hour": Decimal(1), "day": Decimal(24)}


def set_apart(
    mentions: Mentions, flags: list[Flag], markers: tuple[str, ...], ends: tuple[str, ...], excluded: tuple[str, ...],
    besides: tuple[str, ...] = (),
) -> tuple[Mentions, list[Flag]]:
    """A part of a duration said to be of a kind that does not count ("累计断了50小时，其中20小时是我们自己机房的
    问题"): the part's flags are said of the part only, and the part is taken off the duration said before it
    (30 hours, on the operator's side). With no duration before it (a follow-up: "其中有一天是计划割接"), the part's
    hours are kept as `apart`, to be taken off the conversation's total.

    Only a part one of the `excluded` flags names (not negated) is set apart; the text is read from the first
    marker to the end of its sentence or to the first word saying what the rest is ("其余时间是光缆故障")."""
    mentions, flags = _besides(mentions, flags, besides, ends, excluded)
    part_ = _said_part(mentions, flags, lambda text: _part_span(text, markers, ends), excluded)
    if part_ is None:
        return mentions, flags
    written, of_part, counts_not = part_
    # Hours said as a part of the ones before ("累计46小时（其中22日那一次14小时）") are no further outage to sum.
    mentions = _unsummed(mentions, written)
    if not counts_not:
        return mentions, flags
    items = mentions.items
    inside = _durations_in(items, written)
    if not inside or items[inside[0]].unit not in _HOURS_IN:
        return mentions, flags
    part = inside[0]
    before = [i for i, m in enumerate(items) if m.kind == "duration" and not m.parts and m.end <= written[0] and m.unit in _HOURS_IN]
    hours = items[part].value * _HOURS_IN[items[part].unit]
    kept = [f for f in flags if f not in of_part]
    gone = {part} | {i for i, m in enumerate(items) if part in m.parts}
    if not before:
        return replace(mentions, items=_without(items, gone), apart=hours), kept
    total = items[before[-1]]
    rest = total.value * _HOURS_IN[total.unit] - hours
    if rest < 0:
        return mentions, flags
    items = [replace(m, value=rest, unit="hour") if i == before[-1] else m for i, m in enumerate(items)]
    return replace(mentions, items=_without(items, gone)), kept


def _besides(
    mentions: Mentions, flags: list[Flag], besides: tuple[str, ...], ends: tuple[str, ...], excluded: tuple[str, ...],
) -> tuple[Mentions, list[Flag]]:
    """An outage said besides the total, of a kind that does not count ("非计划中断40小时（另有一次6小时的计划割接，不计
    在内）"): its flags are said of it only, and its hours are neither added to the total nor taken off it."""
    part_ = _said_part(mentions, flags, lambda text: _in_aside(text, _part_span(text, besides, ends)), excluded)
    if part_ is None or not part_[2]:
        return mentions, flags
    written, of_part, _ = part_
    mentions = _unsummed(mentions, written)
    items = mentions.items
    gone = set(_durations_in(items, written))
    if not gone:
        return mentions, flags
    return replace(mentions, items=_without(items, gone)), [f for f in flags if f not in of_part]


def _said_part(
    mentions: Mentions, flags: list[Flag], span: Callable[[str], tuple[int, int] | None], excluded: tuple[str, ...],
) -> tuple[tuple[int, int], list[Flag], bool] | None:
    """The part `span` finds (in the digit text), the flags said in it (found in the text as said) and whether one
    of the `excluded` flags, not negated, is among them; None when the text has no such part."""
    said, written = span(mentions.original), span(mentions.text)
    if said is None or written is None:
        return None
    of_part = [f for f in flags if said[0] <= f.start < said[1]]
    return written, of_part, any(f.name in excluded and not f.negated for f in of_part)


def _durations_in(items: list[Mention], span: tuple[int, int]) -> list[int]:
    """The indices of the durations said (not summed) inside `span`."""
    return [i for i, m in enumerate(items) if m.kind == "duration" and not m.parts and span[0] <= m.start < span[1]]


def _in_aside(text: str, span: tuple[int, int] | None) -> tuple[int, int] | None:
    """A span said in brackets ends with them: what follows is said of the whole again ("（另有…不计在内），均为贵方
    光缆故障")."""
    if span is None:
        return None
    close = re.search(r"[)）]", text[span[0]: span[1]])
    return (span[0], span[0] + close.start()) if close else span


def _unsummed(mentions: Mentions, span: tuple[int, int]) -> Mentions:
    """The mentions without the sums of a list that adds hours inside `span` to hours said before it."""
    items = mentions.items
    summed = {i for i, m in enumerate(items) if m.kind == "duration" and m.parts
              and any(span[0] <= items[p].start < span[1] for p in m.parts)
              and any(items[p].end <= span[0] for p in m.parts)}
    return replace(mentions, items=_without(items, summed)) if summed else mentions


def _part_span(text: str, markers: tuple[str, ...], ends: tuple[str, ...]) -> tuple[int, int] | None:
    """From the first part marker to the end of its sentence or the first word about the rest; None without one."""
    found = [text.find(w) for w in markers if w in text]
    if not found:
        return None
    start = min(found)
    stop = m.start() if (m := _PART_SENTENCE_END.search(text, start)) else len(text)
    rest = [k for w in ends if (k := text.find(w, start)) >= 0]
    return start, min([stop, *rest])


def _without(items: list[Mention], gone: set[int]) -> list[Mention]:
    """The mentions but those at `gone`, each list's part indices moved to the new places."""
    moved = {old: new for new, old in enumerate(i for i in range(len(items)) if i not in gone)}
    return [replace(m, parts=tuple(moved[p] for p in m.parts if p in moved)) for i, m in enumerate(items) if i not in gone]


# ---- yes/no facts ---------------------------------------------------------------------------------

_NEGATORS = ("并不是", "并非", "不是", "不属于", "不算", "没有", "并没", "没", "未", "非", "无", "不")
NEGATION_WINDOW = 10
_COPULA = re.compile(r"(?<![不并])是")


# A question asked both ways ("是不是计划割接", "有没有超过", "要不要罚钱") negates nothing.
_A_NOT_A = re.compile(r"(.)[不没]\1")


def _asked_both_ways(text: str) -> str:
    """`text` with its A-not-A question forms blanked, positions kept."""
    return _A_NOT_A.sub(lambda m: "□" * len(m.group()), text)


def _whole_negator(text: str, lo: int) -> int:
    """`lo` moved back to the start of a negator, or of a question asked both ways, it would cut in two.

    A window starting inside 不是 would read its 是 as a plain one and miss the negator ("均不是贵司提前通知的计划割接");
    one starting inside 是不是 would read its 不是 as a negator ("你们是不是已经可以把他的云停掉了").
    """
    for k in (1, 2):
        if lo - k >= 0 and _A_NOT_A.match(text, lo - k):
            return lo - k
    for n in _SPLITTABLE:
        for k in range(1, min(len(n), lo + 1)):
            if text.startswith(n, lo - k):
                return lo - k
    return lo


def _clause_before(text: str, start: int) -> str:
    """The NEGATION_WINDOW characters before `start` within their clause, A-not-A forms blanked."""
    lo = _whole_negator(text, max(0, start - NEGATION_WINDOW))
    left = _asked_both_ways(text[lo: start])
    cut = max((m.end() for m in CLAUSE_END.finditer(left)), default=0)
    return left[cut:]


def negated(text: str, start: int, end: int | None = None) -> bool:
    """Whether a phrase starting at `start` (ending at `end`) is negated within its own clause ("不是计划割接",
    "没有收到任何割接通知", and after it: "与我方设备无关").

    A plain 是 starts a new statement ("也没提前通知，是你们那边故障"), so a negator before it does not reach.
    """
    left = _clause_before(text, start)
    copula = max((m.end() for m in _COPULA.finditer(left)), default=0)
    if any(n in left[copula:] for n in _NEGATORS):
        return True
    if end is None:
        return False
    right = text[end: end + NEGATION_WINDOW]
    right = right[: m.start()] if (m := CLAUSE_END.search(right)) else right
    return bool(_UNRELATED.match(right))


# What a clause says is unrelated to the fault after naming it ("与我方设备无关", "跟我们机房没关系",
# "与客户机房设备无关"), or sound ("联通那边的线路没有问题", "你们的光缆是正常的"): the phrase is negated as "不是我们机房的
# 问题" would be. Only within a few characters after the phrase (the rest of its noun), so a later 无关 about something
# else does not reach back; "无关紧要" says nothing unrelated.
_UNRELATED = re.compile(
    r"^[^，,。；;！!？?\s]{0,4}?(?:都|也|完全|并|根本|毫)?(?:无关(?!紧要)|没关系|没有关系|没什么关系|没啥关系|不相关|无涉"
    r"|没(?:有)?(?:什么|啥|任何)?(?:问题|毛病|故障)|(?:是|都|一切)?正常)"
)


# Words that deny what follows rather than negate a fact in it: "不是到期不续" says which reading is not meant.
_DENIERS = ("并不是", "而不是", "并非", "而非", "不是", "不属于")
# The negators and deniers a window could cut in two (those of more than one character), each once.
_SPLITTABLE = tuple(dict.fromkeys(w for w in _NEGATORS + _DENIERS if len(w) > 1))


def denied(text: str, start: int) -> bool:
    """Whether the words starting at `start` are what the clause says is not meant ("就合同期内解约 不是到期不续").

    As with `negated`, a plain 是 after the denier starts a new statement ("不是我们，是你们那边故障").
    """
    left = _clause_before(text, start)
    at = max((left.rfind(d) + len(d) for d in _DENIERS if d in left), default=-1)
    return at >= 0 and not _COPULA.search(left, at)


def find_flags(text: str, lexicons: dict[str, tuple[str, ...]]) -> list[Flag]:
    """Every lexicon phrase in `text`, with whether it is negated; within one lexicon the longest of overlapping
    matches. Different lexicons may overlap (a fault in Unicom's network is also Unicom's fault); a role reading
    two opposite lexicons keeps the longer match (flag_values)."""
    matches: list[tuple[int, int, str, str]] = []
    for name, phrase, pattern in _compiled(tuple((k, tuple(v)) for k, v in lexicons.items())):
        if pattern is None:
            at = text.find(phrase)
            while at >= 0:
                matches.append((at, at + len(phrase), name, phrase))
                at = text.find(phrase, at + 1)
        else:
            matches += [(m.start(), m.end(), name, phrase) for m in pattern.finditer(text)]
    found: list[Flag] = []
    taken: dict[str, list[tuple[int, int]]] = {}
    for start, end, name, phrase in sorted(matches, key=lambda x: x[0] - x[1]):
        spans = taken.setdefault(name, [])
        if any(start < b and a < end for a, b in spans):
            continue
        spans.append((start, end))
        found.append(Flag(name, phrase, start, negated(text, start, end), end))
    return sorted(found, key=lambda f: f.start)


@lru_cache(maxsize=8)
def _compiled(lexicons: tuple[tuple[str, tuple[str, ...]], ...]) -> list[tuple[str, str, re.Pattern[str] | None]]:
    """(lexicon, phrase, compiled pattern or None for a plain phrase), built once per lexicon set."""
    return [(name, p, re.compile(p[3:]) if p.startswith("re:") else None) for name, ps in lexicons for p in ps]


def as_time(value: date | datetime) -> datetime:
    """A date as midnight of that day; a datetime as it is."""
    return value if isinstance(value, datetime) else datetime.combine(value, time(0, 0))


__all__ = ["Flag", "Mention", "Mentions", "as_time", "denied", "find_flags", "negated", "read", "set_apart", "Decimal"]
