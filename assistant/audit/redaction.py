"""Personal data out of text before it is stored: phone, ID and card numbers, e-mail, names and addresses.

The patterns are data (``redaction.toml`` beside this module), checked when loaded. :func:`redact` replaces
what they find with typed placeholders (``[手机号]``, ``[身份证号]``, ``[姓名]``, …); :func:`scan` also returns
the identifiers it found (a phone number's digits, an ID number), so a store can record a keyed digest of each
and later find, and delete, what one person said without ever keeping the number itself.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

RULES_PATH = Path(__file__).with_name("redaction.toml")

SubjectKind = Literal["phone", "id_number", "bank_card", "email"]

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def _digits(s: str) -> str:
    """s without its separators."""
    return re.sub(r"[^0-9Xx]", "", s)


def _birth_date_ok(n: str) -> bool:
    """True when an 18- or 15-character ID number holds a real birth date."""
    y, rest = (n[6:10], n[10:14]) if len(n) == 18 else ("19" + n[6:8], n[8:12])
    try:
        date(int(y), int(rest[:2]), int(rest[2:]))
    except ValueError:
        return False
    return True


def id_checksum_ok(number: str) -> bool:
    """True when an 18-character PRC resident ID has a real birth date and a correct GB 11643 check character."""
    n = _digits(number).upper()
    if len(n) != 18 or not n[:17].isdigit() or not _birth_date_ok(n):
        return False
    return _ID_CHECK[sum(int(d) * w for d, w in zip(n[:17], _ID_WEIGHTS)) % 11] == n[17]


def birth_date_ok(number: str) -> bool:
    """True when an ID-shaped number (18 characters, or the 15-digit first generation) holds a real birth date."""
    n = _digits(number).upper()
    return len(n) in (15, 18) and n[:-1].isdigit() and _birth_date_ok(n)


def luhn_ok(number: str) -> bool:
    """True when the digits of number pass the Luhn check used by bank cards."""
    n = _digits(number)
    if not n.isdigit():
        return False
    total = 0
    for i, d in enumerate(reversed(n)):
        v = int(d) * (2 if i % 2 else 1)
        total += v - 9 if v > 9 else v
    return total % 10 == 0


def grouped_card_ok(number: str) -> bool:
    """True for a grouped card number: UnionPay's 62…, or a card scheme's first digit (2–6) and a valid Luhn check."""
    n = _digits(number)
    return n.startswith("62") or (n[:1] in "23456" and luhn_ok(n))


CHECKS: dict[str, Callable[[str], bool]] = {
    "id_checksum": id_checksum_ok,
    "birth_date": birth_date_ok,
    "luhn": luhn_ok,
    "card_grouped": grouped_card_ok,
}


# -- the rules file ----------------------------------------------------------------------------------------


class PatternSpec(BaseModel):
    """One [[pattern]] of the rules file."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1)
    kind: str = Field(min_length=1)
    regex: str = Field(min_length=1)
    check: Literal["id_checksum", "birth_date", "luhn", "card_grouped"] | None = None
    subject: SubjectKind | None = None
    digits: bool = True
    needs: list[str] = Field(default_factory=list)


class NameSpec(BaseModel):
    """The [names] table: surnames that make a word after 我叫 a name, and where a run-on name ends."""

    model_config = ConfigDict(extra="forbid")

    single: str = Field(min_length=1)
    compound: list[str] = Field(default_factory=list)
    stops: str = Field(min_length=1)


class RulesFile(BaseModel):
    """The whole rules file, as written."""

    model_config = ConfigDict(extra="forbid")

    placeholders: dict[str, str]
    fold: dict[str, dict[str, str]]
    fragments: dict[str, str] = Field(default_factory=dict)
    names: NameSpec
    pattern: list[PatternSpec] = Field(min_length=1)


@dataclass(frozen=True)
class Pattern:
    """A compiled pattern with what to call its matches."""

    name: str
    kind: str
    regex: re.Pattern[str]
    check: Callable[[str], bool] | None
    subject: SubjectKind | None
    digits: bool = True  # matched against the text with Chinese digits read as ASCII ones
    needs: tuple[str, ...] = ()  # the pattern runs only on text containing one of these


@dataclass(frozen=True)
class Rules:
    """Everything :func:`scan` needs: placeholders per kind, the digit fold, the patterns in priority order."""

    placeholders: Mapping[str, str]
    digits: Mapping[str, str]
    patterns: tuple[Pattern, ...]

    _table: Mapping[int, str] = field(default_factory=dict, repr=False)  # the digit map for str.translate

    def __post_init__(self) -> None:
        object.__setattr__(self, "_table", str.maketrans(dict(self.digits)))


@dataclass(frozen=True)
class Subject:
    """An identifier found in text, normalised so every way of writing it gives the same value.

    ``kind`` is ``phone`` (a mobile's 11 digits without +86, or a landline's digits with its area code),
    ``id_number`` (upper case), ``bank_card`` (digits) or ``email`` (lower case).
    """

    kind: SubjectKind
    value: str


@dataclass(frozen=True)
class Redaction:
    """Text with its personal data replaced, and the identifiers that were in it."""

    text: str
    subjects: tuple[Subject, ...] = ()


def _fill(spec: RulesFile) -> dict[str, str]:
    """The {name} fragments a pattern may use, from [fragments] and [names]."""
    han = "".join(spec.names.single)
    surname = "(?:" + "|".join([*map(re.escape, spec.names.compound), f"[{re.escape(han)}]"]) + ")"
    stops = "".join(re.escape(c) if c not in " " else c for c in spec.names.stops)
    return {**spec.fragments, "surname": surname, "stops": stops}


def load_rules(path: Path = RULES_PATH) -> Rules:
    """Read and check a rules file: every pattern compiles, names a kind with a placeholder and a known check,
    and no pattern matches inside a placeholder (so redacting twice changes nothing). ValueError says what is wrong."""
    try:
        spec = RulesFile.model_validate(tomllib.loads(path.read_text(encoding="utf-8")))
    except (tomllib.TOMLDecodeError, ValidationError) as e:
        raise ValueError(f"{path}: {e}") from e
    digits = spec.fold.get("digits", {})
    bad_digits = {k: v for k, v in digits.items() if len(k) != 1 or not (len(v) == 1 and v.isascii() and v.isdigit())}
    if bad_digits:
        raise ValueError(f"{path}: [fold].digits must map single characters to one ASCII digit, got {bad_digits}")
    fill = _fill(spec)
    patterns: list[Pattern] = []
    seen: set[str] = set()
    for p in spec.pattern:
        if p.name in seen:
            raise ValueError(f"{path}: pattern name {p.name!r} is used twice")
        seen.add(p.name)
        if p.kind not in spec.placeholders:
            raise ValueError(f"{path}: pattern {p.name}: kind {p.kind!r} has no placeholder in [placeholders]")
        source = p.regex
        for key, value in fill.items():
            source = source.replace("{" + key + "}", value)
        unknown = re.findall(r"\{([a-z_]+)\}", source)
        if unknown:
            raise ValueError(f"{path}: pattern {p.name}: unknown fragment {{{unknown[0]}}}")
        try:
            regex = re.compile(source)
        except re.error as e:
            raise ValueError(f"{path}: pattern {p.name}: {e}") from e
        if any(not n for n in p.needs):
            raise ValueError(f"{path}: pattern {p.name}: needs must not hold an empty string")
        check = CHECKS[p.check] if p.check else None
        patterns.append(Pattern(p.name, p.kind, regex, check, p.subject, p.digits, tuple(p.needs)))
    rules = Rules(dict(spec.placeholders), dict(digits), tuple(patterns))
    for kind, placeholder in spec.placeholders.items():
        if _matches(placeholder, rules)[1]:
            raise ValueError(f"{path}: placeholder {placeholder!r} of {kind} is itself matched by a pattern")
    return rules


@lru_cache(maxsize=1)
def default_rules() -> Rules:
    """The rules shipped beside this module, loaded once."""
    return load_rules(RULES_PATH)


# -- scanning ----------------------------------------------------------------------------------------------


def _fold(text: str, digits: Mapping[str, str], table: Mapping[int, str]) -> tuple[str, str, list[int]]:
    """text NFKC-folded character by character, the same with Chinese digits read as ASCII ones, and per folded
    character the index of the original character it came from (the two folds align: a digit is one character)."""
    if unicodedata.is_normalized("NFKC", text):
        # The common case, and a quick one: nothing to fold but the digits, one character for one.
        return text, text.translate(table), list(range(len(text)))
    plain: list[str] = []
    numeric: list[str] = []
    owner: list[int] = []
    for i, ch in enumerate(text):
        f = ch if ch.isascii() else unicodedata.normalize("NFKC", ch)
        plain.append(f)
        numeric.append(digits.get(f, f) if len(f) == 1 else f)
        owner.extend([i] * len(f))
    return "".join(plain), "".join(numeric), owner


def _subject(kind: SubjectKind, pattern_kind: str, matched: str) -> Subject:
    """The normalised identifier in one match."""
    if kind == "email":
        return Subject(kind, matched.lower())
    value = _digits(matched).upper()
    if pattern_kind == "mobile":
        value = value[-11:]  # without the country code
    return Subject(kind, value)


def _matches(text: str, rules: Rules) -> tuple[list[int], list[tuple[int, int, int, Pattern, str]]]:
    """Every match of every pattern in folded text, as (start, end, priority, pattern, matched text), with the
    folded-to-original index map."""
    plain, numeric, owner = _fold(text, rules.digits, rules._table)
    found: list[tuple[int, int, int, Pattern, str]] = []
    for priority, p in enumerate(rules.patterns):
        if p.needs and not any(n in plain for n in p.needs):
            continue
        for m in p.regex.finditer(numeric if p.digits else plain):
            group = "pii" if "pii" in p.regex.groupindex else 0
            start, end = m.span(group)
            if end > start and (p.check is None or p.check(m.group(group))):
                found.append((start, end, priority, p, m.group(group)))
    return owner, found


# Texts the default rules found nothing in: answers, options and calculation inputs are scanned again on every
# turn that stores them, and most are the same few texts. Only clean text is remembered, so the cache holds
# nothing the stores would not keep as it is; a text with personal data is scanned each time and never kept.
_CLEAN: dict[str, None] = {}
CLEAN_CACHE_SIZE = 4096


def _remember_clean(text: str) -> None:
    """Remember a clean text; when the cache is full it starts again (cheaper than tracking recency)."""
    if len(_CLEAN) >= CLEAN_CACHE_SIZE:
        _CLEAN.clear()
    _CLEAN[text] = None


def scan(text: str, rules: Rules | None = None) -> Redaction:
    """text with personal data replaced by typed placeholders, and the identifiers found in it.

    Detection runs on folded text (full-width and Chinese digits read as ASCII), while everything that is not
    replaced keeps its original characters. Where matches overlap the longest wins, then the pattern listed
    first. Amounts, dates, bandwidths, clause numbers and hotlines (10010, 4000111000) match no pattern and stay.
    Idempotent: placeholders contain nothing that matches.
    """
    if not text:
        return Redaction(text)
    remember = rules is None
    if remember and text in _CLEAN:
        return Redaction(text)
    rules = rules or default_rules()
    owner, found = _matches(text, rules)
    if remember and not found:
        _remember_clean(text)
        return Redaction(text)
    # Longest first, so a card number is not cut into a "mobile number" and its remainder.
    found.sort(key=lambda f: (f[0] - f[1], f[2], f[0]))
    taken: list[tuple[int, int, Pattern, str]] = []
    for start, end, _, p, matched in found:
        if all(end <= s or start >= e for s, e, _, _ in taken):
            taken.append((start, end, p, matched))
    out: list[str] = []
    subjects: list[Subject] = []
    pos = 0
    for start, end, p, matched in sorted(taken, key=lambda t: t[0]):
        a, b = owner[start], owner[end - 1] + 1
        out.append(text[pos:a])
        out.append(rules.placeholders[p.kind])
        pos = b
        if p.subject:
            subjects.append(_subject(p.subject, p.kind, matched))
    out.append(text[pos:])
    return Redaction("".join(out), tuple(dict.fromkeys(subjects)))


def redact(text: str) -> str:
    """text with personal data replaced by typed placeholders (``[手机号]``, ``[身份证号]``, ``[姓名]``, …); see :func:`scan`."""
    return scan(text).text


def scan_values(value: Any) -> tuple[Any, tuple[Subject, ...]]:
    """value with every string inside it (dict values, list items) redacted, and the identifiers found, in one pass."""
    found: list[Subject] = []

    def walk(v: Any) -> Any:
        if isinstance(v, str):
            r = scan(v)
            found.extend(r.subjects)
            return r.text
        if isinstance(v, dict):
            return {k: walk(x) for k, x in v.items()}
        if isinstance(v, (list, tuple)):
            return [walk(x) for x in v]
        return v

    return walk(value), tuple(dict.fromkeys(found))


def redact_values(value: Any) -> Any:
    """value with every string inside it (dict values, list items) redacted."""
    return scan_values(value)[0]


def phone_subject(number: str) -> Subject | None:
    """The phone Subject a string holds when the whole string is one phone number (mobile or landline), else None."""
    r = scan(number.strip())
    phones = [s for s in r.subjects if s.kind == "phone"]
    if len(phones) != 1 or r.text not in (default_rules().placeholders["mobile"], default_rules().placeholders["landline"]):
        return None
    return phones[0]
