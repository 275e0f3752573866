"""Numbers, durations, bandwidths and dates as people type or say them, pulled out of a Chinese question."""

from __future__ import annotations

import re
import unicodedata
import warnings
from dataclasses import dataclass, field, replace
from datetime import date, time, timedelta
from decimal import Decimal, InvalidOperation

import cn2an

from assistant.errors import CalcInputError

from .values import FIRST_YEAR, LAST_YEAR
from .workdays import add_months, days_in_month

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
    end: int = -1


@dataclass(frozen=True)
class DateMention:
    """A calendar date in the question; `year_assumed` when the person gave none."""

    value: date
    year_assumed: bool
    start: int
    at: time | None = None
    end: int = -1


@dataclass(frozen=True)
class TimeMention:
    """A clock time said on its own ('下午两点交的'), not right after a date."""

    value: time
    start: int
    end: int
    part_said: bool = False  # 上午/下午/半夜… said with it: the hour is meant as said


@dataclass(frozen=True)
class MonthMention:
    """A month named without a day ('4月账单', '上个月')."""

    year: int
    month: int
    year_assumed: bool
    start: int
    end: int = -1


@dataclass
class Features:
    """Everything numeric found in one question, in text order, plus the texts keyword scoring reads."""

    original: str
    text: str
    quantities: list[Quantity] = field(default_factory=list)
    dates: list[DateMention] = field(default_factory=list)
    months: list[MonthMention] = field(default_factory=list)
    times: list[TimeMention] = field(default_factory=list)
    # Spans of the digit text that hold numbers which are never inputs: phone, ID and order numbers, ports…
    protected: list[tuple[int, int]] = field(default_factory=list)

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


_UNITS = {"万": 10000, "千": 1000, "百": 100}
# A filler may stand on either side of the words taking it back ("三号 呃 不是 四号", "不对 那个 是九月一号").
_FILLER = r"(?:(?:呃|嗯|额|啊|那个)\s*)*"
_TAKE_BACK = rf"\s*[,，]?\s*{_FILLER}(?:不对|不是|哦不对|噢不对|哦不|噢不|说错了|说错|错了)\s*[,，]?\s*{_FILLER}(?:是)?\s*"
# What was said of the day before it is taken back ("15号受理的 哦不对 是16号"): kept, said of the corrected day.
_SAID_OF_DAY = r"(\s*[\u4e00-\u9fff]{1,4}的)?"
_CORRECTED = re.compile(
    rf"((?:\d+|[{_CN_DIGITS}]+)\s*[号日]){_SAID_OF_DAY}{_TAKE_BACK}((?:\d+|[{_CN_DIGITS}]+)\s*[号日])"
    rf"|((?:\d+|[{_CN_DIGITS}]+)\s*点(?:\s*(?:\d+|[{_CN_DIGITS}]+)\s*分?|半)?){_TAKE_BACK}((?:\d+|[{_CN_DIGITS}]+)\s*点(?:\s*(?:\d+|[{_CN_DIGITS}]+)\s*分?|半)?)"
)
# "起租是五月二号 不是十号": the day said with 是 is the one meant and the one after 不是 is denied — unlike "三号 呃
# 不是 四号", where 不是 takes the first day back.
_DAY_NOT = re.compile(
    rf"是\s*((?:(?:\d+|[{_CN_DIGITS}]+)\s*月\s*)?(?:\d+|[{_CN_DIGITS}]+)\s*[号日])\s*[,，]?\s*不是\s*(?:(?:\d+|[{_CN_DIGITS}]+)\s*月\s*)?(?:\d+|[{_CN_DIGITS}]+)\s*[号日]"
)
# Quantities taken back: "十来天 不对 是十二天", "两条 说错了 三条", "五千 不对 五千一"; and "是三条 不是两条",
# where the first one said is the right one. Both sides name the same unit (or none, after a correction word).
_Q_NUM = rf"(?:\d+(?:\.\d+)?|[{_CN_DIGITS}万]+)\s*(?:来|多)?"
_Q_UNIT = r"(?:个工作日|工作日|个小时|小时|个月|天|日|月|年|周|条|次|元|块钱|块|兆|M|m)"
_QUANTITY_TAKEN_BACK = re.compile(
    rf"({_Q_NUM}\s*(?P<unit>{_Q_UNIT}))(?:\s*[吧啊呀哈])?{_TAKE_BACK.replace('不是|', '')}({_Q_NUM}\s*(?P=unit))"
    rf"|(?<![\d{_CN_DIGITS}])({_Q_NUM})\s*[,，]?\s*(?:不对|说错了|说错|错了)\s*[,，]?\s*(?:是)?\s*({_Q_NUM})(?![\d{_CN_DIGITS}万]|\s*{_Q_UNIT})"
)
_QUANTITY_NOT = re.compile(rf"是\s*({_Q_NUM}\s*(?P<unit>{_Q_UNIT}))\s*[,，]?\s*不是\s*{_Q_NUM}\s*(?P=unit)")
_RANGE = re.compile(r"(?<![\d零〇一二两三四五六七八九十百千万])([一二两三四五六七八])([二三四五六七八九])(?=\s*(?:个|次|天|条|小时|钟头|周|星期|月|年|万|千|百|十))")
_RANGE_NEXT = {"一": "二", "二": "三", "两": "三", "三": "四", "四": "五", "五": "六", "六": "七", "七": "八", "八": "九"}
_TAIL = re.compile(
    rf"([\d{_CN_DIGITS}万]*?)([\d{_CN_DIGITS[:-4]}])(万|千|百)([1-9一二两三四五六七八九])"
    rf"(?![千百十万\d])(?![{_CN_DIGITS[:-4]}]*[千百十万])"
)


def _tail(m: re.Match[str]) -> str:
    """One colloquial numeral with an abbreviated tail, as digits: 三千一百八 → 3180, 一万八 → 18000."""
    head = m.group(1) + m.group(2) + m.group(3)
    try:
        value = _cn_number(head) if not head[:-1].isdigit() else Decimal(head[:-1]) * _UNITS[m.group(3)]
    except (ValueError, KeyError, InvalidOperation):
        return m.group(0)
    return _plain(value + _cn_number(m.group(4)) * _UNITS[m.group(3)] / 10) + " "
# A clock time said in words: 十一点半, 两点一刻, 七点十五分, 九点整. Not a decimal (三点五个小时, 三点五万).
_CLOCK = re.compile(
    rf"({_CN_NUM}|\d{{1,2}})点(?:(半|整|钟|一刻|三刻)|({_CN_NUM}|\d{{1,2}})\s*分?)?(?!\s*(?:个|小时|钟头|天|万|千|元|块|倍|[{_CN_DIGITS}\d]))"
)


def _clock(m: re.Match[str]) -> str:
    """One clock time as 'H点M分' in digits."""
    hour = _cn_number(m.group(1))
    if hour > 24:
        return m.group(0)
    word, minutes = m.group(2), m.group(3)
    minute = {"半": 30, "一刻": 15, "三刻": 45}.get(word or "", 0)
    if minutes:
        minute = int(_cn_number(minutes))
    return f"{_plain(hour)}点{minute}分" if minute else f"{_plain(hour)}点"


def _safe(rewrite):
    """A substitution that leaves the text as it was where a fragment is no numeral after all (a lone 千)."""

    def apply(m: re.Match[str]) -> str:
        try:
            return rewrite(m)
        except (ValueError, KeyError, IndexError, ArithmeticError):
            return m.group(0)

    return apply


# The place between a numeral ending in 百/千/万 and a 一 that counts the unit after it ("五千一个月").
_COUNTING_ONE = re.compile(rf"(?:(?<=[\d{_CN_DIGITS}][百千万])|(?<=\d[wWkK]))(?=一(?:个|年|天|次|条|周|小时|钟头|笔))")
# A numeral in characters right after digits ("2100一个月"): the place where a second number begins.
_DIGITS_THEN_NUMERAL = re.compile(r"(?<=\d)(?=[零〇一二两三四五六七八九])")


def _pre_normalise(text: str) -> str:
    """Colloquial forms cn2an does not know, rewritten into plain digits and units before it runs."""
    # A bare 千兆/万兆 is gigabit/10-gigabit jargon; "两百兆" is a numeral cn2an handles itself.
    not_after_numeral = rf"(?<![{_CN_DIGITS}\d])"
    text = re.sub(not_after_numeral + "万兆", "10000M", text)
    text = re.sub(not_after_numeral + "千兆", "1000M", text)
    text = re.sub(not_after_numeral + "百兆", "100M", text)
    # 一天一夜 / 两天两夜: a whole day and night is 24 hours of outage, not a calendar day.
    text = re.sub(
        rf"({_CN_NUM}|\d+)天\1夜", _safe(lambda m: f"{_plain(_cn_number(m.group(1)) * 24)}小时"), text
    )
    text = re.sub(rf"({_CN_NUM}|\d+)个半(月|小时|钟头)", _safe(lambda m: f"{_plain(_cn_number(m.group(1)) + Decimal('0.5'))}个{m.group(2)}".replace("个小时", "小时").replace("个钟头", "小时")), text)
    text = re.sub(rf"({_CN_NUM}|\d+)年半", _safe(lambda m: f"{_plain(_cn_number(m.group(1)) * 12 + 6)}个月"), text)
    text = re.sub(rf"({_CN_NUM}|\d+)天半", _safe(lambda m: f"{_plain(_cn_number(m.group(1)) + Decimal('0.5'))}天"), text)
    text = text.replace("半个月", "0.5个月").replace("半年", "6个月").replace("半小时", "0.5小时")
    # 一整年 / 一年整 / 整整一年 are twelve months; 一万八 / 三万五 are 18000 / 35000 (the unit below is implied).
    text = re.sub(r"(?:整整)?一整?年整?(?![\d半])", "12个月", text) if re.search("一整年|一年整|整整一年", text) else text
    # 一整天 / 三整天 / 一整个月: the whole of that many units, the numeral counting the unit after 整.
    text = re.sub(rf"({_CN_NUM}|\d+)整(?=个?\s*(?:天|日|月|周|星期|礼拜|小时|钟头))", r"\1", text)
    # "一万一个月", "五千一年": the 一 counts what follows (10000 a month), it is no tail of the numeral.
    text = _COUNTING_ONE.sub(" ", text)
    # 一万八 / 2万1 / 五千一 / 三千一百八: a numeral ending in a unit and one more digit means that digit of the
    # next unit down.
    text = _TAIL.sub(_safe(_tail), text)
    # 6,789.50 / 20,000: thousands separators.
    # A comma after the last group starts the next clause ("月租 2,100，6月9號竣工" once NFKC has made its comma
    # ASCII); only four or more digits after it mean the groups were not thousands ("1,234,5678").
    text = re.sub(r"(?<![\d.,])\d{1,3}(?:,\d{3})+(?!\d)(?!,\d{4})", lambda m: m.group(0).replace(",", ""), text)
    # A quarter is three months.
    text = re.sub(rf"({_CN_NUM}|\d+)\s*个\s*季度", _safe(lambda m: f"{_plain(_cn_number(m.group(1)) * 3)}个月"), text)
    # "一季要多少", "每季度交多少", "一季度呢": a quarter's span. "一季度" said of something ("一季度的账单") names Q1,
    # as "三季度" names the third; a quarter's end or start ("一季度末") is a day, not a span.
    text = re.sub(r"(?<![第上下这本前后今去明])一季(?:度(?![的末初底]))?(?![度节])", "3个月", text)
    text = re.sub(r"(?<![第上下这本前后今去明])两季度(?![的末初底])", "6个月", text)
    text = re.sub(r"每个?季度?", "每3个月", text)
    # Paying by the quarter or by the year ("按季度交呢", "按年付的话") is paying for that span each time.
    text = re.sub(r"按\s*季度?(?=\s*(?:交|付|缴|结))", "每3个月", text)
    text = re.sub(r"按\s*(?:1\s*|一\s*)?年(?=\s*(?:交|付|缴|结))", "每12个月", text)
    # 俩 / 仨 are two and three; 两月 is two months (February is 二月).
    text = text.replace("俩", "两").replace("仨", "三")
    text = re.sub(r"两月(?!份)", "两个月", text)
    # "两天零十个小时": 零 joining the parts of a period is no digit (cn2an reads 零十 as no number at all).
    text = re.sub(rf"(?<=[天日周年月时头])\s*零\s*(?=[{_CN_DIGITS}\d])(?!零)", "", text)
    # 一年零两个月 / 1年3个月: months.
    text = re.sub(
        rf"({_CN_NUM}|\d+)\s*年\s*零?\s*({_CN_NUM}|\d+)\s*个\s*月",
        _safe(lambda m: f"{_plain(_cn_number(m.group(1)) * 12 + _cn_number(m.group(2)))}个月"),
        text,
    )
    text = _CLOCK.sub(_safe(_clock), text)
    # "10号 不对 11号", "十一点 不是 十一点半": a day or a time taken back keeps only the corrected one.
    # "三四次", "两三天", "七八个月": a guess between two numbers is no value ("几次"); a correction may follow.
    text = _RANGE.sub(lambda m: "几" if _RANGE_NEXT.get(m.group(1)) == m.group(2) else m.group(0), text)
    text = _DAY_NOT.sub(lambda m: "是" + m.group(1), text)
    text = _CORRECTED.sub(lambda m: (m.group(3) + (m.group(2) or "")) if m.group(3) else m.group(5), text)
    text = _QUANTITY_TAKEN_BACK.sub(lambda m: m.group(3) or m.group(5), text)
    text = _QUANTITY_NOT.sub(lambda m: "是" + m.group(1), text)
    text = re.sub(r"两(?=[周次回年个天])", "二", text)
    text = re.sub(rf"{_CN_NUM}点[零一二三四五六七八九]+(?=万|千)", _safe(lambda m: _plain(_cn_number(m.group(0)))), text)
    # "下周一5月11号": a weekday's numeral is no digit of the date after it (cn2an would make it 15月11号).
    text = re.sub(r"((?:周|週|星期|礼拜|禮拜)\s*[一二三四五六日天1-7])(?=\d)", r"\1 ", text)
    # "2100一个月", "300一次": a numeral written in characters right after digits starts a number of its own;
    # cn2an would run the two together (21001个月).
    return _DIGITS_THEN_NUMERAL.sub(" ", text)


# Digits with falling units, one number: "1万2千" (12000), "3千5百", "1万2千5" (the last unit's tail: 12500).
_UNIT_CHAIN = re.compile(r"(?<![\d.])((?:\d+(?:\.\d+)?\s*[万千百]\s*){2,})(\d(?![\d.]))?")
_UNIT_PAIR = re.compile(r"(\d+(?:\.\d+)?)\s*([万千百])")


def _unit_chain(m: re.Match[str]) -> str:
    """A chain of digit-unit pairs as one number, or the text unchanged when its units do not fall."""
    pairs = [(Decimal(n), _UNITS[u]) for n, u in _UNIT_PAIR.findall(m.group(1))]
    if any(a[1] <= b[1] for a, b in zip(pairs, pairs[1:])):
        return m.group(0)
    total = sum(n * u for n, u in pairs)
    if m.group(2):
        total += int(m.group(2)) * pairs[-1][1] // 10
    return _plain(total)


# "4月到12月" (or "9月用到12月") is also a number of months, both months counted: the span is said beside it.
_MONTH_SPAN = re.compile(
    r"(?<![\d.])(\d{1,2})\s*月份?\s*(?:(?:使用|用|租)\s*)?(?:到|至|~|～|—|-)\s*(\d{1,2})\s*月份?(?![\d日号底末初中])"
)


def _month_span(m: re.Match[str]) -> str:
    """A span of months with its length said after it, or the text unchanged when it names no two months."""
    first, last = int(m.group(1)), int(m.group(2))
    if not (1 <= first <= 12 and 1 <= last <= 12) or first == last:
        return m.group(0)
    return f"{m.group(0)}（共{(last - first) % 12 + 1}个月）"


# Yuan with its jiao and fen said after it: "1234块5毛6" (1234.56), "3元2角5分", "12块05分", "3块2" and "两块五"
# (3.2, 2.5: a lone digit right after 块 is its jiao, unless a unit of its own follows: "100块2月份", "100块3天").
_YUAN_JIAO = re.compile(r"(?<![\d.])(\d+)\s*[块元]\s*(\d)\s*[毛角](?:\s*(\d)(?:\s*分(?!钟))?(?![\d.]))?")
_YUAN_FEN = re.compile(r"(?<![\d.])(\d+)\s*[块元]\s*0?(\d)\s*分(?!钟)")
_YUAN_TAIL = re.compile(
    r"(?<![\d.])(\d+)块(\d)(?![\d.]|\s*(?:个|天|日|号|月|年|小时|钟|次|条|兆|[MmGg]|%|万|千|百|倍|点|周|星期|分|毛|角))"
)


def _yuan(whole: str, jiao: str, fen: str | None) -> str:
    """An amount of yuan, jiao and fen as plain yuan."""
    return f"{_plain(Decimal(whole) + Decimal(jiao) / 10 + Decimal(fen or 0) / 100)}元"


def _post_normalise(text: str) -> str:
    """Scale 万/千 amounts to plain yuan after cn2an: 0.51万 → 5100元, 5千 → 5000元, 1万2千 → 12000; yuan with
    jiao and fen as one amount: 1234块5毛6 → 1234.56元."""
    def scaled(m: re.Match[str], factor: int) -> str:
        return f"{_plain(Decimal(m.group(1)) * factor)}元"

    text = _YUAN_JIAO.sub(lambda m: _yuan(m.group(1), m.group(2), m.group(3)), text)
    text = _YUAN_FEN.sub(lambda m: _yuan(m.group(1), "0", m.group(2)), text)
    text = _YUAN_TAIL.sub(lambda m: _yuan(m.group(1), m.group(2), None), text)
    text = _UNIT_CHAIN.sub(_unit_chain, text)
    text = _MONTH_SPAN.sub(_month_span, text)
    text = re.sub(r"(\d+(?:\.\d+)?)\s*万\s*(?:元|块钱|块)?", lambda m: scaled(m, 10000), text)
    # Chat shorthand: "月租1w", "1.2W" (万), "2k" (千); not inside a word or a code ("10w2", "kw", "4kb").
    text = re.sub(r"(?<![A-Za-z\d.])(\d+(?:\.\d+)?)\s*[wW](?![A-Za-z\d])", lambda m: scaled(m, 10000), text)
    text = re.sub(r"(?<![A-Za-z\d.])(\d+(?:\.\d+)?)\s*[kK](?![A-Za-z\d])", lambda m: scaled(m, 1000), text)
    text = re.sub(r"(\d+(?:\.\d+)?)\s*千(?![兆米瓦])\s*(?:元|块钱|块)?", lambda m: scaled(m, 1000), text)
    return text


# Words whose 一/万/千 is not a numeral; cn2an would read 算一下 as 算1下, 一共 as 1共 and 五一 as 51.
_NOT_NUMERALS = (
    "一下", "一共", "一起", "一般", "一直", "一定", "一旦", "一样", "一些", "一点", "一并", "一方", "一切", "一致",
    "一律", "一概", "一同", "一边", "一向", "一再", "一旁", "统一", "唯一", "千万", "一会", "一下子", "一一",
    "一段", "一阵", "一时", "一口气", "一番", "哪一",
    # a step of a process ("经进一步排查", "下一步"), never a quantity
    "一步",
    # 一 in idioms of repetition ("施工一拖再拖", "一而再"): no quantity
    "一拖再拖", "一而再",
    # 一 counting an action, not a quantity: "重新对了一遍", "跑一趟", "说一声", "问一句", "看一眼"
    "一遍", "一趟", "一声", "一句", "一眼",
    # … and the calculation asked for again ("麻烦再算一次", "重新算一次")
    "算一次",
    # "另一个客户问…" (another), "一式几份" (in how many copies), "之一"/"其一" (one of them): no quantity
    "另一", "一式", "之一", "其一", "一体",
    # the May Day holiday ("赶上五一放假"), never fifty-one
    "五一",
    # the contract's annexes, named by their number ("附件二里提到…"), which is no quantity
    "附件一", "附件二",
    # one time picked out of several ("最近一次投诉编号 TS-7781"), which counts none of them
    "最近一次", "上一次", "最后一次", "这一次", "那一次", "前一次", "每一次",
    # together ("跟月租一块儿交", "一块交"), never one yuan: a 块 of money is said before 钱 or a unit, not a verb
    "一块儿", "一块交", "一块付", "一块缴", "一块扣", "一块收", "一块算", "一块结", "一块出", "一块办", "一块开",
)
# ASR transcripts space every character ("算 一 下", "停 一 段 时间"): the words are matched across spaces too.
# 万一 ("万一修不好", just in case) is no numeral, unless a numeral runs through it ("两万一千块" is 21000).
_PROTECT = re.compile(
    "|".join(r"\s*".join(map(re.escape, w)) for w in sorted(_NOT_NUMERALS, key=len, reverse=True))
    + rf"|(?<![{_CN_DIGITS}\d])万\s*一"
)


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


def _is_day(year: int, month: int, day: int) -> bool:
    """Whether month and day name a real day of that year."""
    return 1 <= month <= 12 and 1 <= day <= days_in_month(year, month)


def _make_date(year: int, month: int, day: int, raw: str) -> date:
    """A real date, or CalcInputError explaining why it is not (2月30日, 9999年)."""
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise CalcInputError("date", f"“{raw}”超出可计算的年份范围（{FIRST_YEAR}—{LAST_YEAR}年）")
    if not 1 <= month <= 12:
        raise CalcInputError("date", f"“{raw}”不是有效日期：月份只能是1—12")
    if not 1 <= day <= days_in_month(year, month):
        raise CalcInputError(
            "date", f"“{raw}”不是有效日期：{year}年{month}月只有{days_in_month(year, month)}天"
        )
    return date(year, month, day)


# A year in four digits, or in two before 年 ("25年12月1日", as chat and callers say it): 2015–2035 only, so that a
# duration ("10年") is not read as a year.
_YEAR_DIGITS = r"(\d{4}|(?:1[5-9]|2\d|3[0-5])(?=\s*年))"
_FULL_DATE = re.compile(r"(?<!\d)" + _YEAR_DIGITS + r"\s*(?:年|-|/|\.)\s*(\d{1,2})\s*(?:月|-|/|\.)\s*(\d{1,2})\s*[日号]?")
# A year named relative to today ("明年1月15号", "去年12月"): the date's year is then known, not assumed.
_RELATIVE_YEARS = {"前年": -2, "去年": -1, "今年": 0, "明年": 1, "后年": 2}
_YEAR_WORD = "(" + "|".join(_RELATIVE_YEARS) + r")\s*"
# Chat leaves the 日 off ("是3月12开的") when nothing after the day makes it a quantity of its own; a caller may
# hesitate between the month and the day ("九月 呃 十号"; not 那个, a word of its own in "7月那个零头月").
_MONTH_DAY = re.compile(
    r"(?:" + _YEAR_WORD + r")?(?<![\d.])(?<![^那这]个)(\d{1,2})\s*月\s*(?:[呃嗯额啊]\s*)*(\d{1,2})"
    r"(?:\s*[日号]|(?![\d.]|\s*(?:万|千|百|元|块|[Mm]|兆|[Gg]|个|天|日|号|月|年|小时|钟头|分|%|次|倍|条|台|人|份|周|星期)))"
)
# 3.1 / 3/1 as dates only when nothing after them makes them an amount or a ratio.
_SHORT_DATE = re.compile(
    r"(?:" + _YEAR_WORD + r")?(?<![\d.\-])(\d{1,2})\s*[./]\s*(\d{1,2})"
    r"(?![\d.]|\s*(?:万|千|亿|元|块|M|m|兆|个|天|日|年|小时|%|次|倍|折|G|g|T|t|K|k|P|p))"  # 3.2TB, 1.5g: sizes
)
# The last day of a month: "3月底", "明年3月末", "6月最后一天", "下个月底".
_END = r"\s*(?:底|末|最后\s*[一1]\s*天)"
_MONTH_END = re.compile(r"(?:(?<!\d)" + _YEAR_DIGITS + r"\s*年\s*|" + _YEAR_WORD + r")?(?<![\d.])(?<![^那这]个)(\d{1,2})\s*月" + _END)
_TIME = re.compile(
    r"^\s*[)）]?\s*(?:的)?\s*(上午|早上|早晨|中午|下午|傍晚|晚上|夜里|凌晨|早|晚|am|AM|pm|PM)?\s*(\d{1,2})\s*(?:点|时|:)\s*"
    r"(半|(\d{1,2})\s*分?)?\s*(am|AM|pm|PM)?"
)
_BARE_WEEKDAY = re.compile(r"(?<![\d个])(?:周|星期|礼拜)\s*[一二三四五六日天1-7](?![\d.]|\s*(?:天|日|个|小时))")
_WEEKDAY = re.compile(r"(上上|下下|上|这|本|下)\s*个?\s*(周|星期|礼拜)\s*([一二三四五六日天1-7])")
# The present moment, which makes a clock time said with it today's.
_NOW_WORDS = re.compile("现在|此刻|刚才|刚刚")
_RELATIVE_DAYS = {
    "大前天": -3, "前天": -2, "昨天": -1, "昨日": -1, "今天": 0, "今日": 0, "明天": 1, "明日": 1, "后天": 2,
    "昨晚": -1, "昨夜": -1, "今晚": 0, "今早": 0, "今晨": 0, "明早": 1, "明晚": 1,
}
# A year said before a relative day ("去年今天", "明年的今天"): that day in the year named.
_YEAR_BEFORE_DAY = re.compile(_YEAR_WORD + r"(?:的\s*)?$")


# 上上个月 before 上个月, which it contains.
_RELATIVE_MONTHS = {"上上个月": -2, "上个月": -1, "上月": -1, "这个月": 0, "本月": 0, "当月": 0, "下个月": 1, "下月": 1}
_YEAR_MONTH = re.compile(
    r"(?:(?<!\d)" + _YEAR_DIGITS + r"\s*年\s*|" + _YEAR_WORD + r")?(?<![\d.])(?<![^那这]个)(\d{1,2})\s*月(?:份)?(?!\s*\d)"
)


def _time_after(text: str, end: int, implied: str | None = None) -> tuple[time | None, int]:
    """A clock time right after a date ('上午10点半'), and where it ends; `implied` is a part of the day the date
    word already said (昨晚 → 晚)."""
    m = _TIME.match(text[end:])
    if not m:
        return None, end
    hour = int(m.group(2))
    period = m.group(1) or m.group(5) or implied
    if period in ("下午", "傍晚", "晚上", "夜里", "晚", "pm", "PM") and hour < 12:
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
        return _full_year(digits), False
    if word:
        return today.year + _RELATIVE_YEARS[word], False
    return today.year, True


def _full_year(digits: str) -> int:
    """A year's digits as the year: "25" is 2025; four digits are the year as written ("0001" stays 1)."""
    return int(digits) + 2000 if len(digits) == 2 else int(digits)


def _shifted_month(today: date, offset: int) -> tuple[int, int]:
    """(year, month) `offset` months from today's month: 上个月 is -1."""
    index = today.year * 12 + today.month - 1 + offset
    return index // 12, index % 12 + 1


def _month_end(year: int, month: int, raw: str) -> date:
    """The last day of a month, or CalcInputError for a month that does not exist (13月底)."""
    first = _make_date(year, month, 1, raw)
    return first.replace(day=days_in_month(year, month))


_EN_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_EN_DATE = re.compile(
    r"(?<![a-z])(" + "|".join(_EN_MONTHS) + r")[a-z]*\.?\s*(\d{1,2})(?:st|nd|rd|th)?(?:\s*,?\s*(\d{4}))?(?!\d)", re.I
)
_EN_TIME = re.compile(r"^\s*,?\s*(?:at\s*)?(\d{1,2})(?::(\d{2}))?\s*(am|pm)", re.I)


def _dates(scan: _Scanner, today: date) -> list[DateMention]:
    """Full dates, dates without a year (year from `today`), month ends (3月底), and 今天/明天-style days."""
    found: list[DateMention] = []
    for m in list(_EN_DATE.finditer(scan.text)):
        # "Feb 28 at 10:45pm", "March 3rd, 2026"
        year, assumed = (int(m.group(3)), False) if m.group(3) else (today.year, True)
        month = _EN_MONTHS.index(m.group(1).lower()) + 1
        value = _make_date(year, month, int(m.group(2)), m.group(0).strip())
        at, end = None, m.end()
        t = _EN_TIME.match(scan.text[m.end():])
        if t:
            hour = int(t.group(1)) % 12 + (12 if t.group(3).lower() == "pm" else 0)
            at, end = time(hour, int(t.group(2) or 0)), m.end() + t.end()
        else:
            at, end = _time_after(scan.text, m.end())
        scan.consume(m.start(), end)
        found.append(DateMention(value, assumed, m.start(), at, end))
    for pattern, has_year in ((_FULL_DATE, True), (_MONTH_DAY, False), (_SHORT_DATE, False)):
        for m in list(pattern.finditer(scan.text)):
            if has_year:
                year, assumed = _full_year(m.group(1)), False
            else:
                year, assumed = _year(None, m.group(1), today)
            if (pattern is _SHORT_DATE and not _is_day(year, int(m.group(2)), int(m.group(3)))
                    and not re.match(r"\s*[日号]", scan.text[m.end():])):
                continue  # "99.9", "3.45": a number with a point, not a month and a day ("2.30号" still is one)
            value = _make_date(year, int(m.group(2)), int(m.group(3)), m.group(0).strip())
            at, end = _time_after(scan.text, m.end())
            scan.consume(m.start(), end)
            found.append(DateMention(value, assumed, m.start(), at, end))
    for m in scan.take(_MONTH_END):
        year, assumed = _year(m.group(1), m.group(2), today)
        found.append(DateMention(_month_end(year, int(m.group(3)), m.group(0).strip()), assumed, m.start(), end=m.end()))
    for word, offset in _RELATIVE_MONTHS.items():
        year, month = _shifted_month(today, offset)
        # A day of a month named relative to today: 上个月15号, 下月1日.
        for m in list(re.finditer(word + r"\s*(\d{1,2})\s*[日号]", scan.text)):
            at, end = _time_after(scan.text, m.end())
            value = _make_date(year, month, int(m.group(1)), m.group(0).strip())
            scan.consume(m.start(), end)
            found.append(DateMention(value, False, m.start(), at, end))
        for m in scan.take(re.compile(word + r"\s*月?" + _END)):  # 下个月底, 下个月月底
            found.append(DateMention(_month_end(year, month, m.group(0).strip()), False, m.start(), end=m.end()))
    # A month end without its month ("月底前终止") is this month's; a year end ("年底", "明年年底") December 31st.
    # Not "每月底" (every month's end: a rule, not a date).
    for m in scan.take(re.compile(r"(?<![每\d])月\s*(?:底|末)")):
        found.append(DateMention(_month_end(today.year, today.month, m.group(0).strip()), False, m.start(), end=m.end()))
    year_ends = (
        (re.compile(r"(?<!\d)(\d{4})\s*年\s*(?:底|末)"), lambda m: int(m.group(1))),
        (re.compile(r"(今年|明年|去年)\s*(?:年\s*)?(?:底|末)"), lambda m: today.year + {"明年": 1, "去年": -1}.get(m.group(1), 0)),
        (re.compile(r"(?<![每\d\s今明去])年\s*(?:底|末)"), lambda m: today.year),
    )
    for pattern, year_of in year_ends:
        for m in scan.take(pattern):
            found.append(DateMention(date(year_of(m), 12, 31), False, m.start(), end=m.end()))
    for m in list(_WEEKDAY.finditer(scan.text)):
        # 上周三 / 这周五 / 下星期一: a weekday of a week named relative to today's (weeks start on Monday).
        weeks = {"上上": -2, "上": -1, "这": 0, "本": 0, "下": 1, "下下": 2}[m.group(1)]
        day = "一二三四五六日天".index(m.group(3)) if not m.group(3).isdigit() else int(m.group(3)) - 1
        value = today - timedelta(days=today.weekday()) + timedelta(weeks=weeks, days=min(day, 6))
        at, end = _time_after(scan.text, m.end())
        scan.consume(m.start(), end)
        found.append(DateMention(value, False, m.start(), at, end))
    # A weekday named alone ("今天周一", "星期三受理的") says which day of the week, never a number; which week
    # it falls in is not said, so it is no date either.
    scan.take(_BARE_WEEKDAY)
    for word, offset in _RELATIVE_DAYS.items():
        for m in list(re.finditer(word, scan.text)):
            at, end = _time_after(scan.text, m.end(), implied=word[-1] if word[-1] in "晚夜早晨" else None)
            value, start = today + timedelta(days=offset), m.start()
            if (year := _YEAR_BEFORE_DAY.search(scan.text, 0, m.start())) is not None:
                # "去年今天开始用的": the same day of another year.
                value, start = add_months(value, 12 * _RELATIVE_YEARS[year.group(1)]), year.start()
            scan.consume(start, end)
            found.append(DateMention(value, False, start, at, end))
    found += _event_days(scan, today)
    # "现在晚上9点半", "刚才上午11:20": a clock time said as the present moment is today's; 现在 alone is no date.
    for m in list(_NOW_WORDS.finditer(scan.text)):
        at, end = _time_after(scan.text, m.end())
        if at is not None:
            scan.consume(m.start(), end)
            found.append(DateMention(today, False, m.start(), at, end))
    return sorted(found, key=lambda d: d.start)


# The parts of a day a clock time is said with ("下午5点").
_DAY_PARTS = "上午|早上|早晨|中午|下午|傍晚|晚上|夜里|半夜|凌晨"
# A day said without its month as the day something happened ("15号竣工的", "二月 呃 二十号 竣工"): the verb follows.
_EVENT_DAY = re.compile(
    r"(?<![\d.每])(\d{1,2})\s*[号日]\s*(?:那天|当天)?\s*(?:就|才|已经?|刚)?\s*"
    # … its clock time may stand between ("十四号下午五点报竣的")
    rf"(?=(?:(?:{_DAY_PARTS})?\s*\d{{1,2}}\s*(?:点|:)\s*(?:半|\d{{1,2}}\s*分?)?\s*(?:左右)?\s*(?:就|才|已经?|刚)?\s*)?"
    # … and what it was done to ("5号把欠费和违约金都补交了")
    r"(?:把[^，,。？?！!\d]{1,12}?(?:都|全)?\s*补?)?"
    r"(?:竣工|报竣|受理|开通|开的|装好|交的|交了|缴的|缴了|付的|付了|收到|签的|断的|断了|停的|停了|发生))"
)


# The month words relative to today, the longest first ("上上个月" is not also "上个月").
_RELATIVE_MONTH_WORD = re.compile("|".join(sorted(_RELATIVE_MONTHS, key=len, reverse=True)))


def _event_days(scan: _Scanner, today: date) -> list[DateMention]:
    """Days said without their month as the day something happened: in the one month the question names (a month
    word, 这个月, 上个月…), else in today's month when that day has come."""
    days = scan.take(_EVENT_DAY)
    if not days:
        return []
    named = {(today.year, int(m.group(3))) for m in _YEAR_MONTH.finditer(scan.text) if not m.group(1) and not m.group(2)}
    named |= {_shifted_month(today, _RELATIVE_MONTHS[m.group(0)]) for m in _RELATIVE_MONTH_WORD.finditer(scan.text)}
    found = []
    for m in days:
        day = int(m.group(1))
        year, month = next(iter(named)) if len(named) == 1 else (today.year, today.month)
        # A day still to come this month, with no month named, is left alone: which month it is, a reply to an
        # earlier date decides ("不是二十一 是二十八号开的").
        if len(named) > 1 or (not named and day > today.day) or not _is_day(year, month, day):
            continue
        found.append(DateMention(date(year, month, day), False, m.start(), end=m.start() + len(m.group(1)) + 1))
    return found


# A day of the month said without its month ("5号", "28日"; numerals are digits by the time it is read).
DAY_OF_MONTH = re.compile(r"(?<![\d.])(\d{1,2})\s*[号日](?![楼院码线])")

_CLOCK_TIME = re.compile(
    rf"({_DAY_PARTS})?"
    r"\s*(?<![\d.])(\d{1,2})\s*(?:点|:)\s*(?:(半)|(\d{1,2})\s*分?)?(?![\d.])"
    r"(?!\s*(?:个|小时|钟头|天|万|千|元|块|倍|%))"
)


def _times(scan: _Scanner) -> list[TimeMention]:
    """Clock times standing alone ('下午2点', '9:15'): never amounts; a date-time input may combine one with a date."""
    found = []
    for m in list(_CLOCK_TIME.finditer(scan.text)):
        hour = int(m.group(2))
        minute = 30 if m.group(3) else int(m.group(4) or 0)
        if m.group(1) in ("下午", "傍晚", "晚上", "夜里") and hour < 12:
            hour += 12
        if hour > 24 or minute > 59:
            continue
        scan.consume(m.start(), m.end())
        found.append(TimeMention(time(0, minute) if hour == 24 else time(hour, minute), m.start(), m.end(), bool(m.group(1))))
    return found


def _months(scan: _Scanner, today: date) -> list[MonthMention]:
    """Months named without a day: '2026年4月', '4月份', '上个月'."""
    found: list[MonthMention] = []
    for word, offset in _RELATIVE_MONTHS.items():
        year, month = _shifted_month(today, offset)
        for m in scan.take(re.compile(word)):
            found.append(MonthMention(year, month, False, m.start(), m.end()))
    for m in scan.take(_YEAR_MONTH):
        month = int(m.group(3))
        if not 1 <= month <= 12:
            raise CalcInputError("month", f"“{m.group(0).strip()}”不是有效月份")
        year, assumed = _year(m.group(1), m.group(2), today)
        found.append(MonthMention(year, month, assumed, m.start(), m.end()))
    return sorted(found, key=lambda d: d.start)


_NUM = r"(-?\d+(?:\.\d+)?)"
# Words saying a span is not reached, and the units of a span of time.
_BELOW = r"(?:不到|没到|没满|没有满|未满|不满|不足|少于|低于|不超过|没超过|没有超过|未超过|不够)"
_SPAN_WORDS = ("小时", "钟头", "天", "日", "月", "年", "周", "星期", "礼拜")
_SPAN_UNIT = rf"(?:个\s*)?(?:{'|'.join(_SPAN_WORDS)}|[hH](?![a-zA-Z]))"
# The sites a count of lines is said in ("3个网点", "两个门店").
_SITE_WORDS = ("网点", "点", "分部", "门店")
# What 一个 counts when it is a quantity: a span of time ("一个半小时", "一个多月", "一个工作日") or a site. Before any
# other word it is the article a.
_ONE_OF = _SPAN_WORDS + _SITE_WORDS + ("钟", "工作日", "自然日", "营业日", "季度", "半", "多")
_QUANTITY_PATTERNS: list[tuple[str, re.Pattern[str], str, int]] = [
    # kind, pattern, unit, multiplier
    ("bandwidth", re.compile(_NUM + r"\s*(?:G|g)(?:bps|b)?(?![a-zA-Z])"), "Mbps", 1000),
    ("bandwidth", re.compile(_NUM + r"\s*(?:Mbps|mbps|MB|Mb|mb|M|m|兆)(?![a-zA-Z])"), "Mbps", 1),
    ("money", re.compile(r"[¥￥]\s*" + _NUM), "元", 1),
    # "两千多块钱" is an amount too, said roughly: the 多 stays inside the mention, which a value made exact drops.
    ("money", re.compile(_NUM + r"\s*(?:多|来|余)?\s*(?:元|块钱|块|圆|rmb|RMB)"), "元", 1),
    # "10个钟" is ten hours; "3点钟" (a clock time) has no 个 and no number before 点 here.
    ("duration", re.compile(_NUM + r"\s*(?:个?\s*(?:小时|钟头)|个\s*钟(?!头))"), "hour", 1),
    ("duration", re.compile(_NUM + r"\s*(?:hours?|hrs?)(?![a-zA-Z])", re.I), "hour", 1),
    ("duration", re.compile(_NUM + r"\s*(?:months?|mos?)(?![a-zA-Z])", re.I), "month", 1),
    ("duration", re.compile(_NUM + r"\s*(?:working\s+|business\s+|calendar\s+)?days?(?![a-zA-Z])", re.I), "day", 1),
    ("duration", re.compile(_NUM + r"\s*weeks?(?![a-zA-Z])", re.I), "week", 1),
    ("duration", re.compile(_NUM + r"\s*years?(?![a-zA-Z])", re.I), "year", 1),
    ("duration", re.compile(_NUM + r"\s*(?:h|H)(?![a-zA-Z])"), "hour", 1),
    ("duration", re.compile(_NUM + r"\s*(?:个\s*多?\s*)?(?:周|星期|礼拜)"), "week", 1),
    ("duration", re.compile(_NUM + r"\s*个\s*多?\s*月"), "month", 1),
    ("duration", re.compile(r"(?<!\d)" + r"(\d{1,2}(?:\.\d+)?)" + r"\s*年(?!\d)"), "year", 1),
    ("duration", re.compile(_NUM + r"\s*(?:天|日)"), "day", 1),
    ("count", re.compile(_NUM + r"\s*(?:次|回)(?!性)"), "次", 1),
    ("count", re.compile(_NUM + rf"\s*(?:条|根|路|台|个(?:{'|'.join(_SITE_WORDS)}))(?![a-zA-Z])"), "条", 1),
]
_BARE = re.compile(r"(?<![\d.])" + _NUM)


def _quantities(scan: _Scanner) -> list[Quantity]:
    """Numbers with units, then any bare numbers left over."""
    found: list[Quantity] = []
    # References, not inputs, taken first: ordinals ("第6个工作日", "第二个月", "第一次"), "一次性", a bare year
    # ("2026年被删了6次"), a label before an amount ("一个是2400").
    scan.take(re.compile(
        # "第四次了" (the fourth time now) and "欠费第8天了" (the eighth day now) are counts, not labels.
        # "第五次被删除" (the fifth time) counts too; "第一次交多少" names the first payment, and "第二次13小时"
        # labels an item of a list ("第六次被第三方投诉" does not: 第三方 is no item's value).
        # "拖到第30天才交", "用到第20个月": the day or month a span runs to is its length.
        r"第\s*1\s*[次回]|第\s*\d+\s*[次回](?=[^\d，,。；;第]{0,3}\d)"
        r"|(?:(?<!到)第\s*\d+|(?<=到)第\s*\d+(?!\d|\s*(?:天|个\s*月)))(?!\s*[次回])(?!\s*天\s*[了啦])"
        r"\s*(?:个\s*(?:月|工作日|自然日)?|条|款|项|章|天|年|季度)?"
        r"|\d+次性|(?<!\d)\d{4}\s*年(?:度)?"
        r"|(?<![\d.])1\s*个\s*是"
        # "误删了一个数据目录", "收一个什么费用": 一个 before a thing is the article a, no quantity of it.
        rf"|(?<![\d.])1\s*个\s*(?!{'|'.join(_ONE_OF)})(?=[\u4e00-\u9fff])"
        # Counted things that are never an input: invoices, copies, pages, people, companies, rooms ("开一张"),
        # sums ("一笔费用"), questions ("最后一个问题").
        r"|(?<![\d.])\d+\s*(?:张|份|页|位|名|个人|人|家|间|套|件|层|楼|栋|批|笔|项|个\s*(?:小)?(?:问题|疑问|事情?)"
        # … and numbers or addresses ("两个不同的业务号码").
        r"|个\s*(?:不同的?)?\s*(?:业务)?(?:号码|编号|地址)"
        # … and places and channels money is paid at ("是在一个地方一起交吗", "两个系统").
        r"|个\s*(?:地方|系统|平台|窗口|渠道|部门|账户|帐户|账号|帐号))"
        # Rates are the contract's (6% VAT, 3‰ a day), never a calculator's input.
        r"|(?<![\d.])\d+(?:\.\d+)?\s*(?:%|％|‰)"
        # A span said as a bound not reached ("断网不到24小时", "欠费还没满一个月"): the value is below it, so it is
        # no value of the case (taken as one, 24 hours would earn a credit M-36 does not give).
        rf"|{_BELOW}\s*(?<![\d.])\d+(?:\.\d+)?\s*{_SPAN_UNIT}"
    ))
    for kind, pattern, unit, factor in _QUANTITY_PATTERNS:
        for m in scan.take(pattern):
            try:
                found.append(Quantity(kind, Decimal(m.group(1)) * factor, unit, m.start(), m.end()))
            except InvalidOperation:
                continue
    # A day of the month without its month ("每月5号前付款"): a reference, not an amount.
    scan.take(DAY_OF_MONTH)
    for m in scan.take(_BARE):
        found.append(Quantity("bare", Decimal(m.group(1)), "", m.start(), m.end()))
    return sorted(found, key=lambda q: q.start)


_SURNAMES = (
    "张李王赵刘陈杨黄吴徐孙马朱胡郭何林高罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪"
    "范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史黎贺顾毛郝龚邵钱严覃武戴莫孔向汤"
)
# A mobile number, its groups spaced or not ("185 1023 9047"), and a landline with its area code, the local part
# whole or split ("010-6400 2233"): alone, or after a label ("电话").
_MOBILE = r"1[3-9]\d(?:[\s.\-]?\d){8}(?!\d)"
_LANDLINE = r"0\d{2,3}[\s\-]\d{3,4}[\s\-]?\d{4}(?!\d)"
# Numbers that are part of something else and never an input: phone, ID, card and order numbers, hotlines, website
# filing numbers, ports, clause numbers, addresses and digits in a company name. Matched on the digit text.
# Units that make a number right after a port a quantity, not another port ("80端口 443也不通" vs "80端口 2天").
_UNIT_AFTER_PORT = "元|块|天|个|条|兆|M|m|%|小时|月|日|号"
_PROTECTED = re.compile(
    "|".join(
        [
            rf"(?<![\d.]){_MOBILE}",
            # … and a landline in brackets ("（010）6400-2233") or run together.
            rf"(?<![\d.]){_LANDLINE}|(?<![\d.])0\d{{9,11}}(?!\d)",
            r"[(（]0\d{2,3}[)）]\s*\d{3,4}[\s\-]?\d{4}(?!\d)",
            r"(?<!\d)400[\s\-]?\d{3}[\s\-]?\d{4}(?!\d)",
            r"(?<![\d.])(?:10010|10086)(?![\d.])|(?:拨打|打|拨|热线|电话|客服)\s*(?:10000|12345|95\d{3})(?![\d.])",
            # A unified social credit code (税号): a digit run, then letters and digits ("91110108MA01XXXX3K").
            r"(?<![A-Za-z\d.])\d{5,}[A-Za-z]{1,10}\d[\dA-Za-z]*",
            r"(?<![\d.])\d{17}[\dXx](?![\d.])|(?<![\d.])\d{8,16}(?![\d.])|(?<![\d.])\d{19}(?![\d.])",
            r"(?<![A-Za-z\d])(?!(?:rmb|RMB|Rmb|CNY|cny|USD|usd)\d)[A-Za-z]{1,10}[\-_]?\d[\dA-Za-z\-_/]*",
            r"ICP\s*备?\s*\d+\s*号?(?:-\d+)?",
            # A number after its label, a phone number whole even when spaced ("电话 185 1023 9047").
            r"(?:编号|单号|工单号?|订单号?|合同号|合同编号|协议号|协议编号|账号|帐号|客户号|客户编号|业务号码?|号码|电话|手机号?|"
            r"联系方式|传真|邮编|发票号码?|流水号|备案号|身份证号?|工号|#|No\.?|NO\.?)\s*[:：]?\s*"
            rf"(?:{_MOBILE}|{_LANDLINE}|[\dA-Za-z][\dA-Za-z\-]{{2,}})"
            # … and a list of them ("门店编号101、102、205").
            r"(?:\s*[、/和及]\s*\d{3,}(?![\dA-Za-z\-.]|\s*(?:元|块|天|个|条|兆|%|小时|月|日|号)))*",
            # Ports, and the numbers said right after one ("80端口 443也不通", "80端口还有443"): other ports.
            rf"\d+(?:\s*[/、,，和及]\s*\d+)*\s*(?:端口|port)(?:\s*(?:[/、,，和及]|还有|以及)?\s*\d{{2,5}}(?![\d.]|\s*(?:{_UNIT_AFTER_PORT})))*"
            r"|端口\s*号?\s*\d+(?:\s*[/、,，和及]\s*\d+)*",
            # A phone extension: "转 806", "ext. 8", "分机 12".
            r"(?:转|分机|ext\.?|Ext\.?|EXT\.?)\s*\d{1,6}(?![\d.]|\s*(?:元|块|天|个|M|兆))",
            # The asker's guess at the result ("是不是能退4500", "是不是要交五千一"): the figure asked about, no input.
            r"(?<=是不是)\s*(?:就|都|还|也)?\s*(?:能|要|可以|得|会|应该)?\s*(?:退|赔|交|缴|付|罚|扣|返|减|补)(?:回|还|给)?"
            r"\s*(?:我们|给我们)?\s*\d+(?:\.\d+)?\s*(?:万|千)?\s*(?:元|块钱?)?",
            # The unit of a rate, said as the contract's rule ("每超时1天退1%", "每逾期1日"): no value of the case.
            r"(?<=每)[^\d，,。；;？?！!]{0,4}?1\s*(?:天|日|个?小时|个月|周)|"
            r"第\s*\d+(?:\.\d+)*\s*[条款项章节]|(?<![\d.])\d+(?:\.\d+)+\s*条|\d+\s*号令",
            r"\d+\s*(?:号楼|层楼?|室|单元|栋|幢|号院|弄|号门)|[路街道巷里]\s*\d+\s*号",
            # A place named with a numeral and 元 ("三元桥", "三元里"): no amount of money.
            r"(?<![\d.,])[1-9]\s*元(?=桥|胡同|村|庄)",
            # An address, numerals in its place names too ("地址：东城区东四北大街15号", "朝阳区建国路88号").
            r"(?:地址|住址|位于|坐落于|地点)\s*[:：为是在]?\s*[^，,。；;！!？?\n）)]{0,30}?(?:号楼|号院|号|层|室|楼|座|院)",
            r"[区县][\u4e00-\u9fff\d]{1,10}?(?:大街|路|街|巷|胡同)(?:\s*\d+\s*号)?",
            # Not a day or a span before the name ("12月10号转给新公司", "3天后换新公司").
            r"(?<![\d.月])\d+(?![\d.]|\s*[日月年天])(?=[\u4e00-\u9fff]{0,6}(?:公司|集团|科技|有限))",
            # … a number with a letter in the name ("华瑞5G通信技术有限公司"), not a line's bandwidth ("100M的公司专线").
            r"(?<![\d.月])\d+[A-Za-z]{1,2}(?![A-Za-z])(?=(?!的)[\u4e00-\u9fff]{2,6}(?:有限公司|股份公司|集团))",
            # A person's name with a numeral in it (张三 → 张3 after the numeral pass): a surname and one digit.
            rf"(?<=[{_SURNAMES}])\d(?![\d.]|\s*(?:个|天|日|号|月|年|元|块|万|千|百|次|条|周|小时|点|M|m|兆|G|g|%))",
        ]
    )
)


# The ports a question about ports names ("80端口访问不了 443也不通"): no amount, wherever they stand in it.
_WELL_KNOWN_PORT = re.compile(
    rf"(?<![\d.])(?:21|22|23|25|53|80|110|143|443|3306|3389|8080|8443)(?![\d.]|\s*(?:{_UNIT_AFTER_PORT}|年|次))"
)
_PORTS_TOPIC = re.compile(r"端口|port", re.IGNORECASE)


def _protect(scan: _Scanner) -> list[tuple[int, int]]:
    """Blank the numbers that are never inputs (see _PROTECTED); returns their spans."""
    ports = bool(_PORTS_TOPIC.search(scan.text))
    spans = [(m.start(), m.end()) for m in scan.take(_PROTECTED)]
    if ports:
        spans += [(m.start(), m.end()) for m in scan.take(_WELL_KNOWN_PORT)]
    return spans


_APPOSITION = re.compile(r"\s*[（(，,]?\s*(?:也就是|就是|即)?\s*")


def _one_per_apposition(dates: list[DateMention], text: str) -> list[DateMention]:
    """A date said twice in a row is one date: "年底（12月31日）", "今天（6月10日）向贵司发出" become one mention
    spanning both, so the words on either side still name its role; a date named in words ("年底", "今天") that
    the text also writes out elsewhere is that written date."""
    out: list[DateMention] = []
    for d in dates:
        prev = out[-1] if out else None
        if prev is not None and prev.value == d.value and _APPOSITION.fullmatch(text[prev.end: d.start]):
            out[-1] = replace(prev, end=d.end, at=prev.at or d.at)
            continue
        out.append(d)
    # Elsewhere in the text, a date also written out ("集团年底迁移……希望在2026年12月31日终止") is the written one.
    written = {d.value for d in out if _has_digit(text[d.start: d.end])}
    return [d for d in out if _has_digit(text[d.start: d.end]) or d.value not in written]


def _has_digit(s: str) -> bool:
    return any(ch.isdigit() for ch in s)


def _same_month_same_year(months: list[MonthMention]) -> list[MonthMention]:
    """A month named again without its year ("去年12月份的账单……12月账单最晚哪天交") is the month named before."""
    stated: dict[int, int] = {}
    out = []
    for m in months:
        if m.year_assumed and m.month in stated:
            m = replace(m, year=stated[m.month], year_assumed=False)
        elif not m.year_assumed:
            stated.setdefault(m.month, m.year)
        out.append(m)
    return out


def extract(question: str, today: date) -> Features:
    """Every date, month, amount, bandwidth, duration and count in `question`, read against `today`.

    Raises CalcInputError for an impossible date such as 2月30日.
    """
    original = normalise(question)
    digits = to_digits(original)
    scan = _Scanner(digits)
    protected = _protect(scan)
    dates = _one_per_apposition(_dates(scan, today), digits)
    months = _same_month_same_year(_months(scan, today))
    times = _times(scan)
    quantities = _quantities(scan)
    return Features(
        original=original, text=digits, quantities=quantities, dates=dates, months=months, times=times,
        protected=protected,
    )
