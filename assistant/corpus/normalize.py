"""Text folding shared by indexing and querying: NFKC, traditional→simplified, case, spacing, fillers."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from pathlib import Path

import opencc

_CJK = r"\u3400-\u9fff\uf900-\ufaff"
_SPACE_BETWEEN_CJK = re.compile(rf"(?<=[{_CJK}])\s+(?=[{_CJK}])")
_SPACES = re.compile(r"\s+")
# An ASR transcript spells an acronym letter by letter ("A W S", "I P v 6"): one word again.
_SPELLED_OUT = re.compile(r"(?<![A-Za-z])[A-Za-z](?:\s[A-Za-z](?![A-Za-z]))+")
_NUMERAL = "零〇一二两三四五六七八九十百千万"
_SPACE_BETWEEN_NUMERALS = re.compile(rf"(?<=[{_NUMERAL}])\s+(?=[{_NUMERAL}])")
_PLACES = {"十": 1, "百": 2, "千": 3, "万": 4}
_DIGITS = "一二两三四五六七八九"
# What a bare digit after a round numeral must not stand before to continue it: a unit of its own ("一万 八天").
_OWN_UNIT = re.compile(r"[个天日号月年点小时条兆次周块元%]|\s*[mMgG]")


def _numeral_space(m: re.Match[str]) -> str:
    """"" where the numeral after the space continues the one before it in a lower place, else the list's "、"."""
    text = m.string
    before = re.search(rf"[{_NUMERAL}]+$", text[: m.start()]).group(0)
    after = re.match(rf"[{_NUMERAL}]+", text[m.end():]).group(0)
    last = before[-1]
    if last in "零〇" or (last in _PLACES and after[0] in "零〇"):
        return ""  # "一年 零 两个月", "两千 零 五十": 零 stands between the places of one number
    if last not in _PLACES:
        return "、"
    if len(after) == 1 and after in _DIGITS and not _OWN_UNIT.match(text[m.end() + 1:]):
        return ""  # "一万 八": the next place said short
    if len(after) >= 2 and after[0] in _DIGITS and _PLACES.get(after[1], 9) < _PLACES[last]:
        return ""  # "三千 五百": a lower place next
    return "、"
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\ufeff]")
# Spoken fillers an ASR transcript carries; removed only where they stand alone as a word.
_FILLERS = ("喂", "嗯", "啊", "呃", "额", "哦", "那个", "就是说", "就是", "然后", "这个", "请问一下", "请问", "你好", "您好")
# Fillers that are also the first character of words ("额外", "额度"): one only stands alone, before a separator or
# another filler.
_WORD_STARTS = ("额",)
# 这个/那个 stay where they name a month or week ("这个月的账单").
_FILLER_RE = re.compile(
    r"(^|[，,。.！!？?\s])"
    r"(?:(?:" + "|".join(f for f in _FILLERS if f not in _WORD_STARTS) + r")(?![月星礼周])[，,。.！!？?\s]*"
    r"|(?:" + "|".join(_WORD_STARTS) + r")(?=[，,。.！!？?\s]|$|" + "|".join(_FILLERS) + r")[，,。.！!？?\s]*)+"
)
_REPEAT = re.compile(r"([\u4e00-\u9fff]{2,4})\1+")
# The one-character fillers, which mean nothing wherever they stand alone; the longer ones ("就是") may join two
# parts of a sentence ("不是计划割接 就是你们那边的问题") and are dropped only at its start.
_INTERJECTION_RE = re.compile(
    r"(^|[，,。.！!？?\s])(?:[" + "".join(f for f in _FILLERS if len(f) == 1) + r"](?=[，,。.！!？?\s]|$)[，,。.！!？?\s]*)+"
)


# A text holding a traditional character (one t2s would change) is converted with OpenCC's tw2sp: Taiwan's words
# become the mainland's (網路 → 网络, 頻寬 → 带宽, 伺服器 → 服务器), which the contract and the synonym data use.
_T2S_DICTIONARIES = ("TSPhrases.txt", "TSCharacters.txt")


@lru_cache(maxsize=1)
def _t2s() -> opencc.OpenCC:
    return opencc.OpenCC("tw2sp")


@lru_cache(maxsize=1)
def _convertible() -> frozenset[str] | None:
    """Characters of which a text must hold at least one for t2s to change it (only such a text is converted);
    None if the dictionaries are missing.

    Every single character t2s replaces, plus, for each replacing phrase holding none of those, its characters
    that change (all of them when the lengths differ): a phrase only matches a text holding all its characters.
    Most questions are simplified Chinese already, and OpenCC's pure-Python matcher costs more than the rest of
    folding together.
    """
    folder = Path(opencc.__file__).parent / "dictionary"
    entries: list[tuple[str, str]] = []
    try:
        for name in _T2S_DICTIONARIES:
            for line in (folder / name).read_text(encoding="utf-8").splitlines():
                source, _, targets = line.partition("\t")
                target = targets.split(" ")[0]
                if source and target != source:
                    entries.append((source, target))
    except OSError:
        return None
    chars = {source for source, _ in entries if len(source) == 1}
    for source, target in entries:
        if len(source) > 1 and chars.isdisjoint(source):
            if len(target) == len(source):
                chars.update(a for a, b in zip(source, target, strict=True) if a != b)
            else:
                chars.update(source)
    return frozenset(chars)


def to_simplified(text: str) -> str:
    """Traditional → simplified Chinese (OpenCC tw2sp, Taiwan's words included), for a text holding a character t2s
    would change; any other text is returned as it is."""
    convertible = _convertible()
    if convertible is not None and convertible.isdisjoint(text):
        return text
    # A text holding one traditional character is converted whole, and OpenCC reads a simplified 么 as the old
    # variant of 幺 ("什么" → "什幺", which the numeral reader then takes for 1): 么 is kept as written.
    return _t2s().convert(text.replace("么", _KEPT)).replace(_KEPT, "么")


_KEPT = "\ue100"  # a private-use character, which no dictionary converts


# Words OpenCC's t2s leaves in a form the contract does not use (帳單 → 帐单, but the contract writes 账单).
_VARIANTS = {"帐单": "账单", "帐户": "账户", "帐号": "账号", "帐期": "账期", "出帐": "出账", "对帐": "对账", "帐款": "账款"}
_VARIANT_RE = re.compile("|".join(_VARIANTS))


def fold(text: str) -> str:
    """NFKC (full-width → half-width), traditional → simplified, lower case, no control characters, tidy spaces."""
    text = unicodedata.normalize("NFKC", text)
    text = _CONTROL.sub("", text)
    text = to_simplified(text)
    if "帐" in text:
        text = _VARIANT_RE.sub(lambda m: _VARIANTS[m.group(0)], text)
    # An ASR transcript's "一千 一千二 九百" is a list, not one numeral: the space stays as a separator — unless
    # the next part continues the numeral's falling places ("三千 五百 五", "一万 八").
    text = _SPACE_BETWEEN_NUMERALS.sub(_numeral_space, text)
    text = _SPACE_BETWEEN_CJK.sub("", text)
    text = _SPELLED_OUT.sub(lambda m: re.sub(r"\s", "", m.group(0)), text)
    return _SPACES.sub(" ", text).strip().lower()


SPELLING_PATH = Path(__file__).resolve().parents[2] / "corpus" / "spelling.toml"


@lru_cache(maxsize=1)
def _spelling() -> tuple[dict[str, str], re.Pattern[str] | None]:
    """corpus/spelling.toml: misspelling → the contract's word, and a yes/no question's A-not-A form → 是否,
    checked when loaded."""
    import tomllib

    data = tomllib.loads(SPELLING_PATH.read_text(encoding="utf-8"))
    fixes = {**data.get("fix", {}), **data.get("forms", {})}
    english = {k.lower(): v for k, v in data.get("english", {}).items()}
    for wrong, right in [*fixes.items(), *english.items()]:
        if not (isinstance(right, str) and wrong and right and wrong != right and wrong not in right):
            raise ValueError(f"{SPELLING_PATH}: bad correction {wrong!r} → {right!r}")
    fixes.update(english)
    # English entries match whole words only ("bill" is not in "billion"); Chinese ones anywhere.
    parts = [
        rf"(?<![a-z]){re.escape(k)}(?![a-z])" if k.isascii() else re.escape(k)
        for k in sorted(fixes, key=len, reverse=True)
    ]
    return fixes, re.compile("|".join(parts)) if parts else None


def correct_spelling(text: str) -> str:
    """Common misspellings and homophones of the contract's words (握云 → 沃云, 专限 → 专线)."""
    fixes, pattern = _spelling()
    return pattern.sub(lambda m: fixes[m.group(0)], text) if pattern else text


def _strip_interjections(text: str) -> str:
    """Drop the one-character fillers (嗯, 呃) standing alone anywhere in a transcript."""
    return _INTERJECTION_RE.sub(lambda m: m.group(1), text)


def strip_fillers(text: str) -> str:
    """Drop spoken fillers (喂, 嗯, 那个, 就是) and immediate word repetitions from a transcript."""
    text = _FILLER_RE.sub(lambda m: m.group(1), text)
    text = _REPEAT.sub(r"\1", text)
    return text.strip(" ，,。")


# A line an e-mail reply quotes from the message it answers ("> 可核减143.83元。"): context, not the question.
_QUOTED_LINE = re.compile(r"^[ \t]*[>＞].*$", re.MULTILINE)


def without_quoted_lines(text: str) -> str:
    """The message without the lines it quotes, unless it is nothing but quotation."""
    rest = _QUOTED_LINE.sub("", text)
    return rest if rest.strip() else text


# Remembered: while one question is answered, retrieval, selection, scope and examples each normalise it again
# (about 0.4 ms a time, most of a calculation's own cost).
@lru_cache(maxsize=1024)
def normalize_query(text: str) -> str:
    """What every question goes through before retrieval and calculation."""
    # Interjections are stripped before folding as well: folding closes the spaces of a transcript ("钱 呃 是"),
    # after which one inside a sentence no longer stands alone as a word.
    return strip_fillers(correct_spelling(fold(_strip_interjections(without_quoted_lines(text)))))
