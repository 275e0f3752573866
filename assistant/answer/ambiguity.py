"""Questions with several readings the contract answers differently ("违约金多少？"), from corpus/ambiguity.toml.

A question holding a group's cue words and no distinct word of exactly one reading is asked back: the readings
become options, each a question the assistant answers as it stands.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from assistant.corpus.normalize import fold

AMBIGUITY_FILE = "ambiguity.toml"
MAX_LABEL = 8  # characters: the IVR reads labels with key numbers, so they must be short
MAX_OPTIONS = 5
Terms = Callable[[str], Sequence[str]]  # a folded text → the contract's words its everyday ones stand for


@dataclass(frozen=True)
class Reading:
    """One reading of an ambiguous question."""

    label: str
    question: str
    clauses: tuple[str, ...]
    distinct: tuple[str, ...]
    # The question's own words vouch for the readings, so retrieval need not agree that it is about them: the
    # group's cue is one of the contract's figures ("十五天", which retrieval matches in no numeral written in
    # words), or the cue was said with one of the group's `with` words.
    vouched: bool = False
    # Its group's readings are the same question asked of each part of the contract (which court, for the line
    # and for the cloud): a question naming neither part is answered for every part rather than asked back.
    cover: bool = False
    # What this reading answers, when it is known already (a calculation on the question's own value).
    said: str = ""


@dataclass(frozen=True)
class Group:
    """Cue words and the readings they may mean."""

    name: str
    cues: tuple[str, ...]
    readings: tuple[Reading, ...]
    # Words of which the question must say one as well, when a cue alone belongs to a wider group (a penalty said
    # together with ending the contract is the penalty of ending it, which the contract answers three ways).
    with_: tuple[str, ...] = ()


@dataclass(frozen=True)
class Vagueness:
    """When retrieval itself cannot tell which clause a question means: a short question naming at most
    `max_domain_terms` of the contract's words, whose best lexical match leads the next by less than
    `max_bm25_margin` (`max_bm25_margin_unnamed` when it names none of them), is asked back with the best
    `options` clauses as readings."""

    max_length: int
    max_domain_terms: int
    max_bm25_margin: float
    options: int
    max_bm25_margin_unnamed: float = 0.0

    def applies(self, length: int, domain_terms: int, bm25_margin: float) -> bool:
        """The question is too vague for retrieval to pick one clause."""
        margin = max(self.max_bm25_margin, self.max_bm25_margin_unnamed) if domain_terms == 0 else self.max_bm25_margin
        return length <= self.max_length and domain_terms <= self.max_domain_terms and bm25_margin < margin


def load_vagueness(path: Path) -> Vagueness:
    """The [vagueness] table of an ambiguity file, checked: every bound present and positive."""
    raw = tomllib.loads(path.read_text(encoding="utf-8")).get("vagueness", {})
    try:
        v = Vagueness(
            int(raw["max_length"]), int(raw["max_domain_terms"]), float(raw["max_bm25_margin"]), int(raw["options"]),
            float(raw.get("max_bm25_margin_unnamed", 0.0)),
        )
    except (KeyError, TypeError, ValueError) as e:
        raise ValueError(f"{path}: [vagueness] needs integer max_length, max_domain_terms, options and a number max_bm25_margin: {e}") from None
    if v.max_length <= 0 or v.max_domain_terms < 0 or v.max_bm25_margin <= 0 or v.max_bm25_margin_unnamed < 0 or not 2 <= v.options <= MAX_OPTIONS:
        raise ValueError(f"{path}: [vagueness] bounds must be positive and options 2–{MAX_OPTIONS}, got {v}")
    return v


def load_parts(path: Path) -> frozenset[str]:
    """The `parts` of an ambiguity file (the names of the contract's parts), checked: a list of words."""
    parts = tomllib.loads(path.read_text(encoding="utf-8")).get("parts", [])
    if not isinstance(parts, list) or not all(isinstance(p, str) and p for p in parts):
        raise ValueError(f"{path}: parts must be a list of words, got {parts!r}")
    return frozenset(fold(p) for p in parts)


def readings_from_notes(clause_ids: Iterable[str], notes: Mapping[str, tuple[tuple[str, ...], tuple[str, ...]]], limit: int) -> list[Reading]:
    """Readings built from the best clauses' notes: a short keyword as the label, the first typical question as
    the question. Clauses without a short keyword or a question are skipped; labels stay distinct."""
    out: list[Reading] = []
    for cid in dict.fromkeys(clause_ids):
        keywords, questions = notes.get(cid, ((), ()))
        label = next((k for k in keywords if 0 < len(k) <= MAX_LABEL and k not in {r.label for r in out}), None)
        if label and questions:
            out.append(Reading(label, questions[0], (cid,), ()))
        if len(out) == limit:
            break
    return out


def load_groups(path: Path, clause_ids: Iterable[str]) -> tuple[Group, ...]:
    """The groups of an ambiguity file, checked: clause ids exist, labels are short, every group has two readings."""
    known = set(clause_ids)
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    groups = []
    for raw in data.get("group", []):
        name = raw.get("name", "?")
        with_ = raw.get("with", [])
        if not isinstance(with_, list) or not all(isinstance(w, str) and w for w in with_):
            raise ValueError(f"{path}: group {name}: with must be a list of words, got {with_!r}")
        readings = []
        for r in raw.get("reading", []):
            label, question = r.get("label", ""), r.get("question", "")
            if not label or len(label) > MAX_LABEL or not question:
                raise ValueError(f"{path}: group {name}: each reading needs a label of 1–{MAX_LABEL} characters and a question, got {label!r}")
            bad = [c for c in r.get("clauses", []) if c not in known]
            if bad or not r.get("clauses"):
                raise ValueError(f"{path}: group {name}, reading {label}: unknown or missing clause ids {bad}")
            figure, cover = raw.get("figure", False), raw.get("cover", False)
            if not isinstance(figure, bool) or not isinstance(cover, bool):
                raise ValueError(f"{path}: group {name}: figure and cover must be true or false, got {figure!r}, {cover!r}")
            readings.append(Reading(label, question, tuple(r["clauses"]), tuple(fold(d) for d in r.get("distinct", [])), figure or bool(with_), cover))
        if len(readings) < 2 or not raw.get("cues"):
            raise ValueError(f"{path}: group {name} needs cues and at least two readings")
        groups.append(Group(name, tuple(fold(c) for c in raw["cues"]), tuple(readings), tuple(fold(w) for w in with_)))
    return tuple(groups)


def readings_for(
    query: str, groups: Iterable[Group], context: str | Sequence[str] = "", terms: Terms | None = None
) -> list[Reading]:
    """The readings to offer for a folded question, or [] when it is not ambiguous.

    A question naming one reading's distinct words is not ambiguous; naming several narrows the choice to them.
    `context` is the conversation's previous question, or its previous questions most recent first: the first
    whose words choose exactly one reading chooses it ("那要提前多久跟你们说" after questions about ending 沃云
    early). `terms`: the contract's words a text's everyday ones stand for (云服务 for 沃云): said outside the cue,
    they name a reading as the words themselves would.
    """
    for group in groups:
        picked = _picked(query, group, context, terms)
        if picked is None:
            continue
        return [] if len(picked) == 1 else list(picked or group.readings)
    return []


def named_reading(
    query: str, groups: Iterable[Group], context: str | Sequence[str] = "", terms: Terms | None = None
) -> Reading | None:
    """The one reading a question with a group's cue words names by its distinct words ("转租的违约金多少" is the
    违约金 of a sublease), or None (no cue, or no single reading named); `terms` as for readings_for."""
    for group in groups:
        picked = _picked(query, group, context, terms)
        if picked is not None:
            return picked[0] if len(picked) == 1 else None
    return None


def _picked(query: str, group: Group, context: str | Sequence[str], terms: Terms | None = None) -> list[Reading] | None:
    """The group's readings a folded question names by their distinct words (its context choosing when the
    question alone does not choose one), or None when no cue of the group is said."""
    matched = [(c, m) for c in group.cues if (m := _cue_pattern(c).search(query))]
    if not matched or (group.with_ and not any(w in query for w in group.with_)):
        return None
    # A distinct word that is only part of the cue itself ("第一次" in "第一次交多少") picks nothing.
    # Removed by position, all at once: cues overlap ("多少钱" inside "第一次要交多少钱"), and replacing one
    # first would leave the rest of another ("第一次要交") to pick a reading. One the cue was said around
    # ("税率是多少" for the cue 税是多少) is no part of it, and picks.
    covered = {i for _, m in matched for i in range(m.start(), m.end())}
    rest = "".join(" " if i in covered else ch for i, ch in enumerate(query))
    cues = [c for c, _ in matched]
    # The contract's words for the everyday ones outside the cue ("开始收费" itself stands for 起租).
    standing = set(terms(rest)) if terms is not None else set()
    def names(r: Reading, shortest: int = 1) -> bool:
        return any(
            len(d) >= shortest and (d in rest or (d in query and not any(d in c for c in cues)) or d in standing)
            for d in r.distinct
        )

    picked = [r for r in group.readings if names(r)]
    # A one-character word ("交" in "申请交给你们") names a reading more weakly than a word: one reading named by a
    # word beside others named by a character alone is the one meant.
    worded = [r for r in picked if names(r, 2)]
    if len(picked) > 1 and len(worded) == 1:
        picked = worded
    if len(picked) != 1:
        for said in filter(None, [context] if isinstance(context, str) else list(context)):
            in_context = [r for r in group.readings if any(d in said for d in r.distinct)]
            if len(in_context) == 1:
                return in_context
    return picked


@lru_cache(maxsize=1024)
def _cue_pattern(cue: str) -> re.Pattern[str]:
    """A cue as said with a word slipped in ("什么时候要缴费" for "什么时候缴费", "可以退款不" for "能退"): a cue of
    four characters or more matches with at most one character between any two of its own."""
    # A cue starting with a numeral ("15日", "十五天") is no part of a longer number or of a date ("7月15日").
    guard = r"(?<![0-9０-９.月〇零一二两三四五六七八九十百])" if _NUMERAL.match(cue) else ""
    if len(cue) < 4:
        return re.compile(guard + re.escape(cue))
    return re.compile(guard + ".?".join(map(re.escape, cue)))


_NUMERAL = re.compile(r"[0-9０-９〇零一二两三四五六七八九十百]")


def ranked(readings: list[Reading], ranks: Mapping[str, int]) -> list[Reading]:
    """Readings most likely first: by the best retrieval rank of their clauses (file order breaks ties)."""
    def key(item: tuple[int, Reading]) -> tuple[int, int]:
        i, r = item
        return min((ranks.get(c, 999) for c in r.clauses), default=999), i

    return [r for _, r in sorted(enumerate(readings), key=key)][:MAX_OPTIONS]


_DIGIT = re.compile(r"^\s*(?:按|选|选择|第)?\s*([1-5一二三四五])\s*(?:个|号|项)?\s*(?:吧|的|啊)?\s*$")
_CN = "一二三四五"
# A reply describing an option rather than naming it is a short one; a longer message is a question of its own.
MAX_DESCRIBED_PICK = 30
# A value said beside an option's label ("解除合同 想六月三十号解"): digits or a Chinese numeral.
_VALUE = re.compile(r"[0-9０-９〇零一二两三四五六七八九十百千万]")


@dataclass(frozen=True)
class Choice:
    """The option a reply picks: its question, the clauses that answer it, and what else the reply says
    ("解除合同 想六月三十号解": the end date the option's calculation needs)."""

    question: str
    clause_ids: tuple[str, ...]
    said: str = ""

    @property
    def asked(self) -> str:
        """The option's question, with the reply's own words when it says more than its pick."""
        return f"{self.question} {self.said}" if self.said else self.question


def chosen(reply: str, options: list[Mapping[str, Any]]) -> Choice | None:
    """The option a reply picks (a key digit, "第二个", the label or the question), or None."""
    text = fold(reply).strip(" ，,。.！!？?")
    m = _DIGIT.match(text)
    if m:
        d = m.group(1)
        i = (int(d) if d.isdigit() else _CN.index(d) + 1) - 1
        return _choice(options[i]) if 0 <= i < len(options) else None
    squeezed = text.replace(" ", "")
    for o in options:
        label = fold(o["label"])
        if text and text == fold(o["question"]).strip("？?"):
            return _choice(o)
        if label in squeezed:
            # An ASR reply spaces its words ("解除 合同"); a value said besides the label is kept for its question.
            return _choice(o, reply if _VALUE.search(squeezed.replace(label, " ", 1)) else "")
    # A short reply describing its pick in its own words ("是欠费晚交的那个", "就是新装的专线 今天受理的"): the one
    # option whose reading's distinct words it says, asked with the reply (what it says may be an input).
    described = [o for o in options if any(fold(w) in squeezed for w in o.get("words", ()))]
    if len(described) == 1 and len(squeezed) <= MAX_DESCRIBED_PICK:
        return _choice(described[0], reply)
    return None


def _choice(option: Mapping[str, Any], said: str = "") -> Choice:
    """The Choice of one stored option."""
    return Choice(option["question"], tuple(option.get("clause_ids", ())), said)
