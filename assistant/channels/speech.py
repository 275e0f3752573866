"""Speech for the phone line: a text as typed spans, spoken numbers, and the same spans as plain Chinese and SSML.

Speech is built from one tokenisation of a text into typed spans (text, money, number, percent, permille,
date, time, bandwidth, phone, digits, clause, section). The same spans are rendered twice: as plain Chinese
for a TTS engine that reads text, and as SSML 1.1 for one that reads markup. Everything here is pure and
knows nothing of answers or calls (see channels/ivr.py for those).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from decimal import Decimal
from enum import Enum
from xml.sax.saxutils import escape, quoteattr

import cn2an
from pydantic import BaseModel, ConfigDict

from assistant.corpus.ids import PART_NAMES, split_id

# About 10 s of speech at 4.5 characters a second: what a caller hears in one breath. Longer texts are cut at a
# sentence or comma boundary.
MAX_SPEECH_CHARS = 45

SSML_NS = "http://www.w3.org/2001/10/synthesis"
SSML_ELEMENTS = frozenset({"speak", "p", "s", "say-as", "break", "prosody", "sub", "emphasis"})
SENTENCE_BREAK = '<break time="300ms"/>'


class Speech(BaseModel):
    """One utterance for the phone line: `speech` for a plain-text TTS engine, `ssml` for an SSML one."""

    speech: str
    ssml: str


class SpanKind(str, Enum):
    text = "text"
    number = "number"
    money = "money"
    percent = "percent"
    permille = "permille"
    date = "date"
    time = "time"
    bandwidth = "bandwidth"
    phone = "phone"
    digits = "digits"
    clause = "clause"
    section = "section"


class Span(BaseModel):
    """One typed piece of an answer text.

    `source` is the characters as written; `value` the normalised form a renderer needs (`5100`,
    `2026-03-01`, `10010`, `8080`, `M-23`, `2.5.4`); `unit` a spoken unit that follows a number (元, 元每月, 兆);
    `fmt` a rendering hint (a date's say-as format: ymd, ym, md, y; `measure` for a count before a measure word).
    """

    model_config = ConfigDict(frozen=True)

    kind: SpanKind
    source: str
    value: str = ""
    unit: str = ""
    fmt: str = ""


class Phrase(BaseModel):
    """Spans up to a comma or sentence boundary: the unit speech is trimmed by."""

    spans: list[Span]
    ends_sentence: bool


# -- spoken numbers -------------------------------------------------------------------------------

_DIGITS = "〇一二三四五六七八九"
# Telephone convention: 1 is read 幺 so that it is not misheard as 7.
_PHONE_DIGITS = "零幺二三四五六七八九"
_MEASURE_WORDS = ("个", "次", "天", "年", "周", "小时", "位", "台", "条", "份", "种", "倍")
# Beyond this many integer digits a figure is an identifier, not a quantity.
_MAX_CARDINAL_DIGITS = 16


def plain_number(figure: str) -> str:
    """`5,100.00` → `5100`, `10.50` → `10.5`: the figure without grouping commas or trailing decimal zeros."""
    figure = figure.replace(",", "")
    if "." in figure:
        figure = figure.rstrip("0").rstrip(".")
    return figure or "0"


def spoken_number(figure: str) -> str:
    """`5100.00` → 五千一百, `167.67` → 一百六十七点六七, `24` → 二十四."""
    figure = plain_number(figure)
    if len(figure.split(".")[0]) > _MAX_CARDINAL_DIGITS:
        return spoken_digits(figure.replace(".", ""), _DIGITS)
    return cn2an.an2cn(figure, "low")


def spoken_digits(digits: str, alphabet: str = _PHONE_DIGITS) -> str:
    """Digits one by one: `10010` → 幺零零幺零; anything but digits is left out."""
    return "".join(alphabet[int(d)] for d in digits if d.isdigit())


def spoken_year(year: str) -> str:
    """`2026` → 二〇二六, as years are read."""
    return spoken_digits(year, _DIGITS)


def spoken_clause_name(clause_id: str) -> str:
    """`M-23` → 主协议第二十三条, `A1-4.5` → 附件一第四点五条, `A2-8` → 附件二第八条."""
    part, number = split_id(clause_id)
    return f"{PART_NAMES[part]}第{spoken_section(number)}条"


def spoken_section(number: str) -> str:
    """`2.5.4` → 二点五点四: each level a cardinal, as a dotted section number is read."""
    return "点".join(cn2an.an2cn(int(level), "low") for level in number.split("."))


def _spoken_date(span: Span) -> str:
    """A date span in words: 二〇二六年三月一日, 三月二日, 二〇二六年三月, 二〇二六年."""
    parts = span.value.split("-")
    fields = dict(zip(span.fmt, parts))
    words = ""
    if "y" in fields:
        words += spoken_year(fields["y"]) + "年"
    if "m" in fields:
        words += spoken_number(str(int(fields["m"]))) + "月"
    if "d" in fields:
        words += spoken_number(str(int(fields["d"]))) + "日"
    return words


def _spoken_time(value: str) -> str:
    """`09:00` → 九点, `09:30` → 九点三十分, `09:05` → 九点零五分."""
    hours, minutes = (int(x) for x in value.split(":"))
    words = spoken_number(str(hours)) + "点"
    if minutes:
        words += ("零" if minutes < 10 else "") + spoken_number(str(minutes)) + "分"
    return words


# -- tokenisation ---------------------------------------------------------------------------------

_NUM = r"(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?"
_FULLWIDTH_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")
_PART_BY_NAME = {name: part for part, name in PART_NAMES.items()}
_PER = {"月": "每月", "个月": "每月", "年": "每年", "天": "每天", "日": "每天", "次": "每次"}
# A phone number is never followed by a unit: `10000元` is money, `10010每天` is the hotline.
_NO_UNIT = r"(?!\.?\d)(?!\s*(?:[元%％‰天日个次年月号时分秒周倍台条人兆万千百MGmg]|小时))"


class _Rule(BaseModel):
    """One span kind's pattern and how a match becomes a Span."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    name: str
    pattern: re.Pattern
    build: Callable[[re.Match], Span]


def _date_span(fmt: str) -> Callable[[re.Match], Span]:
    """A builder for a date whose groups are the fields named by `fmt` (ymd, ym, md, y)."""

    def build(m: re.Match) -> Span:
        widths = {"y": 4, "m": 2, "d": 2}
        value = "-".join(g.zfill(widths[f]) for f, g in zip(fmt, m.groups()))
        return Span(kind=SpanKind.date, source=m.group(0), value=value, fmt=fmt)

    return build


def _number_span(m: re.Match) -> Span:
    """A bare figure; a lone 2 before a measure word is read 两 (两个工作日), not after 第 (第二个)."""
    value = plain_number(m.group(0))
    before, after = m.string[: m.start()], m.string[m.end() :].lstrip()
    counted = value == "2" and after.startswith(_MEASURE_WORDS) and not before.rstrip().endswith("第")
    return Span(kind=SpanKind.number, source=m.group(0), value=value, fmt="measure" if counted else "")


def _bandwidth_span(m: re.Match) -> Span:
    """50M → 50 兆; 1G → 1000 兆 (一千兆, as 千兆 lines are spoken of)."""
    mbps = Decimal(plain_number(m.group(1))) * (1000 if m.group(2) in "Gg" else 1)
    return Span(kind=SpanKind.bandwidth, source=m.group(0), value=plain_number(f"{mbps:f}"), unit="兆")


def _money_span(m: re.Match) -> Span:
    """5100.00 元/月 → 5100, unit 元每月."""
    unit = m.group(2) + (_PER[m.group(3)] if m.group(3) else "")
    return Span(kind=SpanKind.money, source=m.group(0), value=plain_number(m.group(1)), unit=unit)


def _clause_name_span(m: re.Match) -> Span:
    """附件一第4.5条 or 主协议第二十三条 (as clause_name writes them) → the clause id."""
    number = m.group(2) if m.group(2)[0].isdigit() else str(cn2an.cn2an(m.group(2), "strict"))
    return Span(kind=SpanKind.clause, source=m.group(0), value=f"{_PART_BY_NAME[m.group(1)]}-{number}")


def _rule(name: str, pattern: str, build: Callable[[re.Match], Span]) -> _Rule:
    """A tokeniser rule from its pattern text."""
    return _Rule(name=name, pattern=re.compile(pattern), build=build)


# Earlier rules win where two could match at the same place: an id before a bandwidth, a date before a number.
_RULES = (
    _rule(
        "clause_id",
        r"(?<![A-Za-z0-9])(?:M|A1|A2)-\d+(?:\.\d+)*",
        lambda m: Span(kind=SpanKind.clause, source=m.group(0), value=m.group(0)),
    ),
    _rule("clause_name", r"(主协议|附件一|附件二)第\s*(\d+(?:\.\d+)*|[一二三四五六七八九十百]+)\s*条", _clause_name_span),
    _rule("date_iso", r"(?<!\d)(\d{4})-(\d{1,2})-(\d{1,2})(?!\d)", _date_span("ymd")),
    _rule("date_ymd", r"(?<!\d)(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]", _date_span("ymd")),
    _rule("date_ym", r"(?<!\d)(\d{4})\s*年\s*(\d{1,2})\s*月", _date_span("ym")),
    _rule("date_md", r"(?<![\d.])(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]", _date_span("md")),
    _rule("year", r"(?<![\d.])((?:19|20)\d{2})\s*年", _date_span("y")),
    # The first year of a range (2004—2026年) is a year too, though its 年 is only written after the second.
    _rule("year_from", r"(?<![\d.])((?:19|20)\d{2})(?=\s*[—–~～至到-]\s*(?:19|20)\d{2}\s*年)", _date_span("y")),
    _rule(
        "time",
        r"(?<![\d.])([01]?\d|2[0-3]):([0-5]\d)(?!\d)",
        lambda m: Span(kind=SpanKind.time, source=m.group(0), value=f"{int(m.group(1)):02d}:{m.group(2)}"),
    ),
    _rule(
        "phone",
        r"(?<![\d.])(?:1[3-9]\d{9}|[48]00\d{7}|0\d{2,3}-\d{7,8}|100\d{2}|123\d{2}|95\d{3,6})" + _NO_UNIT,
        lambda m: Span(kind=SpanKind.phone, source=m.group(0), value=m.group(0)),
    ),
    _rule("money", rf"({_NUM})\s*(万元|元)(?:\s*/\s*(个月|月|年|天|日|次))?", _money_span),
    _rule(
        "percent",
        rf"({_NUM})\s*[%％]",
        lambda m: Span(kind=SpanKind.percent, source=m.group(0), value=plain_number(m.group(1))),
    ),
    _rule(
        "permille",
        rf"({_NUM})\s*‰",
        lambda m: Span(kind=SpanKind.permille, source=m.group(0), value=plain_number(m.group(1))),
    ),
    _rule("bandwidth", rf"({_NUM})\s*([MGmg])(?:bps|b)?(?![A-Za-z])", _bandwidth_span),
    _rule(
        "section",
        r"(?<![\d.])\d+(?:\.\d+){2,}(?![\d.])|(?<=第)\s*\d+(?:\.\d+)+(?=\s*条)",
        lambda m: Span(kind=SpanKind.section, source=m.group(0), value=m.group(0).strip()),
    ),
    _rule("number", _NUM, _number_span),
)
_TOKEN = re.compile("|".join(f"(?P<{r.name}>{r.pattern.pattern})" for r in _RULES))
_RULE_BY_NAME = {r.name: r for r in _RULES}


def text_span(text: str) -> Span:
    """A plain-text span."""
    return Span(kind=SpanKind.text, source=text)


def tokenize(text: str) -> list[Span]:
    """Split an answer text into typed spans; the spans' sources concatenate back to the text.

    Full-width digits are read as digits. Numbers, dates, times, money, percentages, per-mille rates,
    bandwidths, phone numbers, clause ids and names, and dotted section numbers become their own spans;
    everything between them is a text span.
    """
    text = text.translate(_FULLWIDTH_DIGITS)
    spans: list[Span] = []
    last = 0
    for m in _TOKEN.finditer(text):
        if m.start() > last:
            spans.append(text_span(text[last : m.start()]))
        # Re-match with the rule's own pattern at the same position so its groups are numbered from 1.
        own = _RULE_BY_NAME[m.lastgroup].pattern.match(text, m.start())
        spans.append(_RULE_BY_NAME[m.lastgroup].build(own))
        last = m.end()
    if last < len(text):
        spans.append(text_span(text[last:]))
    return _identifiers(spans)


# A number right after one of these words, or right before 端口, names something: it is read digit by digit
# (端口8080 → 八零八零, not 八千零八十).
_ID_BEFORE = re.compile(r"(?:端口号?|port|编号|编码|单号|工号|账号|帐号|合同号|流水号|验证码|代码|代号|id|ID|序号|批次号)\s*(?:[:：是为]\s*)?$")
_ID_AFTER = re.compile(r"^\s*(?:号?端口|号?port)")


def _identifiers(spans: list[Span]) -> list[Span]:
    """Numbers that name ports, ids and codes turned into digit spans; a list of them (80/8080/443端口,
    端口80、443) counts as one."""
    out = list(spans)
    for i, span in enumerate(out):
        if span.kind is not SpanKind.number or "." in span.value:
            continue
        if _ID_BEFORE.search(_text_beyond(out, i, -1)) or _ID_AFTER.match(_text_beyond(out, i, 1)):
            out[i] = Span(kind=SpanKind.digits, source=span.source, value=span.source.replace(",", ""))
    return out


_LIST_SEPARATORS = frozenset({"/", "、", "和", "或", "及", ",", "，", "与"})


def _text_beyond(spans: list[Span], i: int, step: int) -> str:
    """The text next to the list of numbers that spans[i] belongs to, on the side `step` points to."""
    j = i + step
    while 0 <= j + step < len(spans) and spans[j].kind is SpanKind.text and spans[j].source.strip() in _LIST_SEPARATORS:
        if spans[j + step].kind not in (SpanKind.number, SpanKind.digits):
            break
        j += 2 * step
    return spans[j].source if 0 <= j < len(spans) and spans[j].kind is SpanKind.text else ""


# -- rendering one span -------------------------------------------------------------------------------

# ASCII symbols a TTS engine would read out in English or not at all, as the Chinese a person says.
_SAY_SYMBOLS = str.maketrans(
    {
        "*": "乘以",
        "×": "乘以",
        "÷": "除以",
        "+": "加",
        "=": "等于",
        "~": "至",
        "～": "至",
        "-": "至",
        "—": "至",
        "–": "至",
        "&": "和",
        ",": "，",
        ";": "；",
        ":": "：",
        "?": "？",
        "!": "！",
        ".": "。",
    }
)
# Brackets, quotes and markup characters are not spoken; what they enclose is.
_UNSPOKEN = re.compile(r"[<>\"'`^_|\\\[\]{}#$@%（）()「」『』“”‘’]")
_SPACE = re.compile(r"\s+")
_FORMULA = re.compile(r"[*×÷=]")


def _say_text(text: str) -> str:
    """Plain text as spoken: symbols in words, brackets and quotes dropped, spaces kept only between Latin words."""
    # A slash divides inside a formula (月租费/当月天数*天数) and separates alternatives in prose (暂关/恢复).
    text = text.replace("/", "除以" if _FORMULA.search(text) else "或")
    text = _UNSPOKEN.sub("", text.translate(_SAY_SYMBOLS))
    return _SPACE.sub(lambda m: " " if _between_latin(m) else "", text).strip()


def _between_latin(m: re.Match) -> bool:
    """Whether a run of whitespace separates two Latin letters (IP 地址 keeps no space; Wi Fi keeps one)."""
    s = m.string
    return 0 < m.start() and m.end() < len(s) and s[m.start() - 1].isascii() and s[m.end()].isascii()


def speak_span(span: Span) -> str:
    """One span as plain spoken Chinese."""
    match span.kind:
        case SpanKind.text:
            return _say_text(span.source)
        case SpanKind.number:
            return "两" if span.fmt == "measure" else spoken_number(span.value)
        case SpanKind.money | SpanKind.bandwidth:
            return spoken_number(span.value) + span.unit
        case SpanKind.percent:
            return "百分之" + spoken_number(span.value)
        case SpanKind.permille:
            return "千分之" + spoken_number(span.value)
        case SpanKind.date:
            return _spoken_date(span)
        case SpanKind.time:
            return _spoken_time(span.value)
        case SpanKind.phone | SpanKind.digits:
            return spoken_digits(span.value)
        case SpanKind.clause:
            return spoken_clause_name(span.value)
        case SpanKind.section:
            return spoken_section(span.value)
    raise AssertionError(span.kind)


def _say_as(interpret_as: str, content: str, fmt: str = "") -> str:
    """A `<say-as>` element, content and attributes escaped."""
    attrs = f"interpret-as={quoteattr(interpret_as)}" + (f" format={quoteattr(fmt)}" if fmt else "")
    return f"<say-as {attrs}>{escape(content)}</say-as>"


def ssml_span(span: Span) -> str:
    """One span as an SSML fragment: figures in `<say-as>` so the engine reads them, words escaped as text."""
    match span.kind:
        case SpanKind.number if span.fmt != "measure":
            return _say_as("cardinal", span.value)
        case SpanKind.money | SpanKind.bandwidth:
            # Currency formats differ between engines; a cardinal followed by 元 reads the same on all of them.
            return _say_as("cardinal", span.value) + escape(span.unit)
        case SpanKind.percent:
            return "百分之" + _say_as("cardinal", span.value)
        case SpanKind.permille:
            return "千分之" + _say_as("cardinal", span.value)
        case SpanKind.date:
            return _say_as("date", span.value, span.fmt)
        case SpanKind.time:
            return _say_as("time", span.value, "hms24")
        case SpanKind.phone:
            return _say_as("telephone", span.value)
        case SpanKind.digits:
            return _say_as("characters", span.value)
    # Text, clause names and section numbers are read as words; an engine would misread `M-23` or `2.5.4`.
    return escape(speak_span(span))


# -- trimming to one breath -------------------------------------------------------------------------

_SENTENCE_END = "。！？!?\n"
_PHRASE_END = "，,；;"
_BOUNDARY = re.compile(rf"(?<=[{_SENTENCE_END}{_PHRASE_END}])")
_SOFT_END = "，,；;：:、 \n"
_OPEN, _CLOSE = "（(", "）)"
_CITING_WORDS = re.compile(r"依据|根据|见|[、，,\s]")


def phrases(spans: Iterable[Span]) -> list[Phrase]:
    """Cut spans into phrases at the commas, semicolons and sentence ends inside their text spans."""
    out: list[Phrase] = []
    current: list[Span] = []
    for span in spans:
        pieces = _BOUNDARY.split(span.source) if span.kind is SpanKind.text else [span.source]
        for piece in pieces:
            if not piece:
                continue
            current.append(text_span(piece) if span.kind is SpanKind.text else span)
            if span.kind is SpanKind.text and piece[-1] in _SENTENCE_END + _PHRASE_END:
                out.append(Phrase(spans=current, ends_sentence=piece[-1] in _SENTENCE_END))
                current = []
    if current:
        out.append(Phrase(spans=current, ends_sentence=True))
    return out


def drop_asides(spans: Iterable[Span]) -> list[Span]:
    """Remove bracketed asides a listener cannot hear as brackets; one that only cites clauses becomes ，依据….

    `（依据主协议第二十三条）` → `，依据主协议第二十三条`; `（含当日）` → nothing. An unclosed bracket keeps its text.
    """
    out: list[Span] = []
    aside: list[Span] = []
    depth = 0
    for span in spans:
        if span.kind is not SpanKind.text:
            (aside if depth else out).append(span)
            continue
        buffer = ""
        for ch in span.source:
            if ch in _OPEN or (ch in _CLOSE and depth):
                if buffer:
                    (aside if depth else out).append(text_span(buffer))
                buffer = ""
                depth += 1 if ch in _OPEN else -1
                if depth == 0:
                    out.extend(_citing(aside))
                    aside = []
            else:
                buffer += ch
        if buffer:
            (aside if depth else out).append(text_span(buffer))
    return out + aside


def _citing(aside: list[Span]) -> list[Span]:
    """An aside made only of clause references as ，依据 X、Y; any other aside as nothing."""
    clauses = [s for s in aside if s.kind is SpanKind.clause]
    wording = "".join(s.source for s in aside if s.kind is SpanKind.text)
    if not clauses or any(s.kind not in (SpanKind.clause, SpanKind.text) for s in aside):
        return []
    if _CITING_WORDS.sub("", wording):
        return []
    out = [text_span("，依据")]
    for i, clause in enumerate(clauses):
        out += ([text_span("、")] if i else []) + [clause]
    return out


def spoken_length(spans: Iterable[Span]) -> int:
    """How many characters the spans take once spoken."""
    return sum(len(speak_span(s)) for s in spans)


def fit(phrase_list: list[Phrase], limit: int = MAX_SPEECH_CHARS, max_sentences: int = 2) -> list[list[Span]]:
    """The leading phrases that fit in `limit` spoken characters, as at most `max_sentences` sentences.

    The first phrase is always kept, however long, so that something is said.
    """
    sentences: list[list[Span]] = []
    current: list[Span] = []
    used = 0
    for phrase in phrase_list:
        length = spoken_length(phrase.spans)
        if (sentences or current) and used + length > limit:
            break
        current += phrase.spans
        used += length
        if phrase.ends_sentence:
            sentences.append(current)
            current = []
            if len(sentences) == max_sentences:
                break
    if current:
        sentences.append(current)
    return [_closed(s) for s in sentences if spoken_length(s)]


def _closed(sentence: list[Span]) -> list[Span]:
    """A sentence ending in exactly one full stop, whatever punctuation it was cut at."""
    spans = list(sentence)
    while spans and spans[-1].kind is SpanKind.text and not _say_text(spans[-1].source).rstrip(_SOFT_END):
        spans.pop()
    if spans and spans[-1].kind is SpanKind.text:
        spans[-1] = text_span(_say_text(spans[-1].source).rstrip(_SOFT_END))
        if spans[-1].source.endswith(("。", "！", "？")):
            return spans
    return spans + [text_span("。")]


# -- whole utterances ------------------------------------------------------------------------------


def speech_of(sentences: list[list[Span]]) -> Speech:
    """Sentences of spans rendered both ways."""
    speech = "".join(speak_span(s) for sentence in sentences for s in sentence)
    body = SENTENCE_BREAK.join("<s>" + "".join(ssml_span(s) for s in sentence) + "</s>" for sentence in sentences)
    ssml = f'<speak version="1.1" xmlns="{SSML_NS}" xml:lang="zh-CN"><p>{body}</p></speak>'
    return Speech(speech=speech, ssml=ssml)


def render_text(text: str, max_sentences: int = 2, limit: int = MAX_SPEECH_CHARS) -> Speech:
    """Render any short text (a canned line, a prompt) the same way as an answer, trimmed to one breath."""
    return speech_of(fit(phrases(drop_asides(tokenize(text))), limit, max_sentences))
