"""Parse the PDF-extracted contract into clauses with stable ids and source offsets."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import cn2an

from assistant.corpus.ids import PART_TITLES, clause_name
from assistant.errors import ClauseNotFound
from assistant.models import Clause

CONTRACT_FILE = "contract.txt"

_MAIN_ITEM = re.compile(r"^([一二三四五六七八九十]{1,3})、\s*")
_ARTICLE = re.compile(r"^第([一二三四五六七八九十]{1,3})条\s*(.*?)\s*$")
_A1_UNIT = re.compile(r"^(\d{1,2}(?:\.\d{1,2})+)\.?\s*")
_A2_ITEM = re.compile(r"^(\d)\.(?!\d)\s*")
_SIGNATURE = re.compile(r"^甲方（盖章）")
_ANNEX = re.compile(r"^附件([一二])、\s*(.+?)\s*$")
# Sub-items stay inside their clause but start a new line of its clean text.
_SUB_ITEM = re.compile(r"^(（\d+）|\(\d+\)|\d+）|\d+\)|\*)")
# A PDF line narrower than this (in display columns) ended its paragraph; full lines are ~100 wide.
_FULL_LINE_WIDTH = 80


@dataclass(frozen=True)
class Span:
    """A half-open character range [start, end) of the source file."""

    start: int
    end: int


@dataclass
class Corpus:
    """The parsed contract: clauses in document order plus the spans the coverage check needs."""

    text: str
    sha256: str
    clauses: list[Clause]
    body_spans: list[Span] = field(default_factory=list)
    heading_spans: list[Span] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._by_id = {c.id: c for c in self.clauses}

    @property
    def ids(self) -> list[str]:
        return [c.id for c in self.clauses]

    def get(self, clause_id: str) -> Clause:
        """The clause with this id; ClauseNotFound naming the valid ids otherwise."""
        try:
            return self._by_id[clause_id]
        except KeyError:
            raise ClauseNotFound(clause_id, self.ids) from None

    def __contains__(self, clause_id: object) -> bool:
        return clause_id in self._by_id


@dataclass
class _Line:
    text: str
    start: int
    end: int


@dataclass
class _Draft:
    id: str
    part: str
    number: str
    heading_path: list[str]
    start: int
    lines: list[_Line] = field(default_factory=list)


def _lines(text: str) -> list[_Line]:
    """Every source line with the offsets of its stripped content."""
    out: list[_Line] = []
    pos = 0
    for raw in text.split("\n"):
        stripped = raw.strip()
        lead = len(raw) - len(raw.lstrip())
        out.append(_Line(stripped, pos + lead, pos + lead + len(stripped)))
        pos += len(raw) + 1
    return out


def _width(s: str) -> int:
    """Display columns: wide (CJK) characters count two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in s)


def join_lines(lines: list[str]) -> str:
    """Join PDF lines: wrapped lines and page breaks close up, paragraphs and sub-items keep a newline."""
    out = ""
    prev = ""
    for line in lines:
        if not line:
            continue
        if out:
            if _SUB_ITEM.match(line) or _width(prev) < _FULL_LINE_WIDTH:
                out += "\n"
            elif out[-1].isascii() and out[-1].isalnum() and line[0].isascii() and line[0].isalnum():
                out += " "
        out += line
        prev = line
    return out


def _finish(d: _Draft) -> Clause:
    first, rest = d.lines[0], d.lines[1:]
    body = [first.text] + [ln.text for ln in rest]
    end = max(ln.end for ln in d.lines if ln.text)
    text = join_lines(body)
    text = _strip_marker(text, d.part)
    return Clause(
        id=d.id,
        part=d.part,
        number=d.number,
        name=clause_name(d.id),
        heading_path=d.heading_path,
        text=text,
        start=d.start,
        end=end,
    )


def _strip_marker(text: str, part: str) -> str:
    """Drop the clause's own number from the front of its clean text."""
    pattern = {"M": _MAIN_ITEM, "A1": _A1_UNIT, "A2": _A2_ITEM}[part]
    return pattern.sub("", text, count=1).strip()


def parse(text: str) -> Corpus:
    """Parse the contract text into a Corpus; raises ValueError when the structure is not recognised."""
    lines = _lines(text)
    clauses: list[Clause] = []
    headings: list[Span] = []
    bodies: list[Span] = []
    region = "preamble"
    region_start: int | None = None
    draft: _Draft | None = None
    article: tuple[int, str] | None = None
    article_pending = False

    def close() -> None:
        nonlocal draft
        if draft is not None:
            clauses.append(_finish(draft))
            draft = None

    def close_region(at: int) -> None:
        nonlocal region_start
        close()
        if region_start is not None:
            bodies.append(Span(region_start, at))
            region_start = None

    for ln in lines:
        s = ln.text
        if not s:
            continue
        if region in ("preamble", "M") and (m := _MAIN_ITEM.match(s)):
            if region == "preamble":
                region, region_start = "M", ln.start
            close()
            n = int(cn2an.cn2an(m.group(1), "strict"))
            draft = _Draft(f"M-{n}", "M", str(n), [PART_TITLES["M"], f"第{m.group(1)}条"], ln.start, [ln])
            continue
        if region == "M" and _SIGNATURE.match(s):
            close_region(ln.start)
            region = "signature"
            continue
        if m := _ANNEX.match(s):
            close_region(ln.start)
            region = "A" + ("1" if m.group(1) == "一" else "2")
            headings.append(Span(ln.start, ln.end))
            article = None
            continue
        if region == "A1" and (m := _ARTICLE.match(s)):
            close()
            if region_start is None:
                region_start = ln.start
            article = (int(cn2an.cn2an(m.group(1), "strict")), f"第{m.group(1)}条 {m.group(2)}".strip())
            headings.append(Span(ln.start, ln.end))
            article_pending = True
            continue
        if region == "A1" and article and (m := _A1_UNIT.match(s)) and m.group(1).split(".")[0] == str(article[0]):
            close()
            number = m.group(1)
            parts = number.split(".")
            path = [PART_TITLES["A1"], article[1]] + [".".join(parts[:i]) for i in range(2, len(parts) + 1)]
            draft = _Draft(f"A1-{number}", "A1", number, path, ln.start, [ln])
            article_pending = False
            continue
        if region == "A2" and (m := _A2_ITEM.match(s)):
            close()
            if region_start is None:
                region_start = ln.start
            n = m.group(1)
            draft = _Draft(f"A2-{n}", "A2", n, [PART_TITLES["A2"], n], ln.start, [ln])
            continue
        if region == "A1" and article and article_pending:
            n = article[0]
            draft = _Draft(f"A1-{n}", "A1", str(n), [PART_TITLES["A1"], article[1]], ln.start, [ln])
            article_pending = False
            continue
        if draft is not None:
            draft.lines.append(ln)
        elif region in ("M", "A1", "A2"):
            raise ValueError(f"text outside any clause at offset {ln.start}: {s[:30]!r}")
    close_region(len(text))
    if not clauses:
        raise ValueError("no clauses found: is this the 云专线产品入网协议?")
    sha = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return Corpus(text=text, sha256=sha, clauses=clauses, body_spans=bodies, heading_spans=headings)


@lru_cache(maxsize=4)
def load_corpus(corpus_dir: Path) -> Corpus:
    """Read and parse `corpus_dir/contract.txt` (cached per directory)."""
    path = Path(corpus_dir) / CONTRACT_FILE
    return parse(path.read_text(encoding="utf-8"))


__all__ = ["Corpus", "Span", "parse", "load_corpus", "join_lines"]
