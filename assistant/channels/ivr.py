"""The phone (IVR) channel's core: an Answer as speech and SSML, and the turn logic of a call.

Speech is built from one tokenisation of the answer text into typed spans (text, money, number, percent,
permille, date, time, bandwidth, phone, clause, section). The same spans are rendered twice: as plain
Chinese for a TTS engine that reads text, and as SSML 1.1 for one that reads markup. Everything here is
pure; the HTTP route that calls it lives elsewhere.
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
from assistant.corpus.normalize import normalize_query
from assistant.answer.quote import plain_words
from assistant.models import Answer, Intent

# A caller hears this in one breath; longer answers are cut at a sentence or comma boundary.
MAX_SPEECH_CHARS = 80
# A spoken answer is its summary: about 10 s of speech at 4.5 characters a second.
MAX_SUMMARY_SPEECH_CHARS = 45
MAX_SPOKEN_OPTIONS = 3
# Failed turns in a row (silence, a clarify that does not progress, out of scope) before a human takes over.
MAX_FAILURES = 3

REPROMPT_SPEECH = "抱歉，没有听清，请您再说一遍您的问题。"
TRANSFER_SPEECH = "正在为您转接人工客服，请稍候。"
HANDOFF_SPEECH = "这个问题需要人工客服为您解答，正在为您转接，请稍候。"
GOODBYE_SPEECH = "感谢您的来电，再见。"

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
    clause = "clause"
    section = "section"


class Span(BaseModel):
    """One typed piece of an answer text.

    `source` is the characters as written; `value` the normalised form a renderer needs (`5100`,
    `2026-03-01`, `10010`, `M-23`, `2.5.4`); `unit` a spoken unit that follows a number (元, 元每月, 兆);
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
    return spans


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
        case SpanKind.phone:
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


def _spoken_length(spans: Iterable[Span]) -> int:
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
        length = _spoken_length(phrase.spans)
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
    return [_closed(s) for s in sentences if _spoken_length(s)]


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


# -- an Answer as speech ----------------------------------------------------------------------------


def _first_sentence(spans: list[Span], limit: int) -> list[list[Span]]:
    """The first sentence of the spans, trimmed at commas to `limit`."""
    return fit(phrases(drop_asides(spans)), limit, max_sentences=1)


def _utterance(answer: Answer, hotline: str) -> list[list[Span]]:
    """What to say for an answer, as sentences of spans."""
    spans = tokenize(answer.answer)
    if answer.options:
        # At most three readings, each with its key: the caller presses it or says the reading.
        keyed = "，".join(f"{o.label}请按{i}" for i, o in enumerate(answer.options[:MAX_SPOKEN_OPTIONS], 1))
        return fit(phrases(tokenize(f"您问的是：{keyed}。")), MAX_SUMMARY_SPEECH_CHARS, max_sentences=1)
    if answer.summary and answer.intent in (Intent.calculation, Intent.lookup):
        # The answer first: the asked fact, short enough to hear in one breath.
        return _first_sentence(tokenize(plain_words(answer.summary)), MAX_SUMMARY_SPEECH_CHARS)
    if answer.intent is Intent.calculation:
        return _first_sentence(spans, MAX_SPEECH_CHARS)
    if answer.intent is Intent.lookup and answer.citations:
        best = answer.citations[0]
        lead = [Span(kind=SpanKind.clause, source=best.clause_id, value=best.clause_id), text_span("规定：")]
        return _first_sentence(lead + tokenize(plain_words(best.quote)), MAX_SPEECH_CHARS)
    if answer.intent is Intent.out_of_scope:
        # On the phone the caller needs the number to call, not the full list the widget shows.
        referral = [text_span("请拨打客服热线"), Span(kind=SpanKind.phone, source=hotline, value=hotline), text_span("咨询。")]
        return _first_sentence(spans, MAX_SPEECH_CHARS - _spoken_length(referral)) + [referral]
    return fit(phrases(drop_asides(spans)), MAX_SPEECH_CHARS, max_sentences=2)


def _speech(sentences: list[list[Span]]) -> Speech:
    """Sentences of spans rendered both ways."""
    speech = "".join(speak_span(s) for sentence in sentences for s in sentence)
    body = SENTENCE_BREAK.join("<s>" + "".join(ssml_span(s) for s in sentence) + "</s>" for sentence in sentences)
    ssml = f'<speak version="1.1" xmlns="{SSML_NS}" xml:lang="zh-CN"><p>{body}</p></speak>'
    return Speech(speech=speech, ssml=ssml)


def render_speech(answer: Answer, hotline: str = "10010") -> Speech:
    """Render an Answer for the phone line.

    A calculation speaks its result sentence (with the clause it rests on when that fits); a lookup speaks
    the best clause's name and the start of its quote; a clarify speaks its question; out of scope speaks
    that the contract does not cover the question and names `hotline`. `speech` is plain Chinese of about
    MAX_SPEECH_CHARS characters at most, with every figure, date, phone number and clause id in words;
    `ssml` is the same utterance as SSML 1.1 with `<say-as>` around figures and a pause between sentences.
    """
    return _speech(_utterance(answer, hotline))


def render_text(text: str, max_sentences: int = 2) -> Speech:
    """Render any short text (a canned line, a prompt) the same way as an answer, trimmed to one breath."""
    return _speech(fit(phrases(drop_asides(tokenize(text))), MAX_SPEECH_CHARS, max_sentences))


# -- turns of a call ------------------------------------------------------------------------------------


class TurnKind(str, Enum):
    silence = "silence"
    transfer_request = "transfer_request"
    goodbye = "goodbye"
    question = "question"


class Action(str, Enum):
    answer = "answer"
    clarify = "clarify"
    reprompt = "reprompt"
    transfer = "transfer"
    goodbye = "goodbye"


class Decision(BaseModel):
    """What the call does next.

    `speech` is the canned line to play, or None when the answer itself is to be spoken (render_speech).
    `failures_in_a_row` is the count to carry into the next turn.
    """

    action: Action
    speech: Speech | None = None
    failures_in_a_row: int


TRANSFER_DTMF = "0"
_TRANSCRIPT_EDGES = " ，,。.！!？?、；;：:…~～"
_NON_WORD = re.compile(r"\W+")
_TRANSFER_PHRASES = ("转人工", "人工服务", "人工客服", "人工坐席", "找人工", "要人工", "接人工", "找客服", "转客服", "接客服", "真人")
# A request that is only "人工"/"客服", politely wrapped: 我要人工, 客服吧. Not 人工费 or 客服电话是多少.
_BARE_TRANSFER = re.compile(r"^(?:我|请|帮我|给我)*(?:要|想|需要)?(?:转|找|接|转接)?(?:人工|客服)+(?:吧|啊|呀|呢|谢谢)*$")
_GOODBYE_FINAL = ("没有了", "没了", "没有别的问题了", "没有其他问题了", "没别的了", "没有问题了", "没问题了", "再见", "拜拜", "不用了", "不需要了", "就这样", "谢谢")
_GOODBYE_POLITE = ("谢谢你", "谢谢您", "好的", "好", "行", "那", "了", "吧", "啊", "我", "暂时", "嗯")
_GOODBYE = re.compile(
    "^(?:" + "|".join(sorted(map(re.escape, _GOODBYE_FINAL + _GOODBYE_POLITE), key=len, reverse=True)) + ")+$"
)


def clean_transcript(transcript: str) -> str:
    """An ASR transcript ready to ask: normalised as every query is (fillers, repetitions), edge punctuation off."""
    return normalize_query(transcript or "").strip(_TRANSCRIPT_EDGES)


def classify_transcript(transcript: str, dtmf: str | None = None) -> TurnKind:
    """What the caller did this turn.

    DTMF `0`, or asking for 人工/客服, is a transfer request; nothing but fillers (喂, 嗯, 那个) or nothing at
    all is silence, to be reprompted; 没有了, 再见, 谢谢不用了 is a goodbye; anything else is a question.
    """
    if (dtmf or "").strip() == TRANSFER_DTMF:
        return TurnKind.transfer_request
    words = _NON_WORD.sub("", clean_transcript(transcript))
    if not words:
        return TurnKind.silence
    if any(p in words for p in _TRANSFER_PHRASES) or _BARE_TRANSFER.match(words):
        return TurnKind.transfer_request
    if _GOODBYE.match(words) and any(p in words for p in _GOODBYE_FINAL):
        return TurnKind.goodbye
    return TurnKind.question


def decide(answer_intent: Intent | TurnKind, failures_in_a_row: int, *, progressed: bool = False) -> Decision:
    """The next step of the call from this turn's outcome.

    `answer_intent` is the Answer's intent when the caller asked a question, else the non-question TurnKind
    (silence, transfer_request, goodbye). `failures_in_a_row` counts the failed turns before this one.
    Lookups and calculations are answered; a clarify is asked; out of scope is handed to a person; silence is
    reprompted. Silence, out of scope and a clarify that did not progress (`progressed=False`: the same
    question asked again) are failures, and the MAX_FAILURES-th in a row transfers the call.
    """
    match answer_intent:
        case TurnKind.question:
            raise ValueError("a question is decided by its Answer's intent: ask it first")
        case TurnKind.transfer_request:
            return Decision(action=Action.transfer, speech=render_text(TRANSFER_SPEECH), failures_in_a_row=0)
        case TurnKind.goodbye:
            return Decision(action=Action.goodbye, speech=render_text(GOODBYE_SPEECH), failures_in_a_row=0)
        case Intent.lookup | Intent.calculation:
            return Decision(action=Action.answer, failures_in_a_row=0)
        case Intent.out_of_scope:
            handoff = render_text(HANDOFF_SPEECH)
            return Decision(action=Action.transfer, speech=handoff, failures_in_a_row=failures_in_a_row + 1)
    failures = 0 if answer_intent is Intent.clarify and progressed else failures_in_a_row + 1
    if failures >= MAX_FAILURES:
        return Decision(action=Action.transfer, speech=render_text(TRANSFER_SPEECH), failures_in_a_row=failures)
    if answer_intent is Intent.clarify:
        return Decision(action=Action.clarify, failures_in_a_row=failures)
    return Decision(action=Action.reprompt, speech=render_text(REPROMPT_SPEECH), failures_in_a_row=failures)


__all__ = [
    "GOODBYE_SPEECH",
    "HANDOFF_SPEECH",
    "MAX_FAILURES",
    "MAX_SPEECH_CHARS",
    "REPROMPT_SPEECH",
    "SSML_ELEMENTS",
    "SSML_NS",
    "TRANSFER_DTMF",
    "TRANSFER_SPEECH",
    "Action",
    "Decision",
    "Phrase",
    "Span",
    "SpanKind",
    "Speech",
    "TurnKind",
    "classify_transcript",
    "clean_transcript",
    "decide",
    "drop_asides",
    "fit",
    "phrases",
    "plain_number",
    "render_speech",
    "render_text",
    "speak_span",
    "spoken_clause_name",
    "spoken_digits",
    "spoken_number",
    "spoken_section",
    "spoken_year",
    "ssml_span",
    "tokenize",
    "text_span",
]
