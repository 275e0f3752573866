"""Clause ids (`M-23`, `A1-4.5`, `A2-8`) and their names in words."""

from __future__ import annotations

from functools import lru_cache

import re

import cn2an

PART_NAMES = {"M": "主协议", "A1": "附件一", "A2": "附件二"}
PART_TITLES = {"M": "云专线产品入网协议", "A1": "附件一 沃云服务条款", "A2": "附件二 互联网用户入网责任书"}

_ID_RE = re.compile(r"^(M|A1|A2)-(\d+(?:\.\d+)*)$")


def split_id(clause_id: str) -> tuple[str, str]:
    """`A1-4.5` → (`A1`, `4.5`); ValueError for anything else."""
    m = _ID_RE.match(clause_id)
    if not m:
        raise ValueError(f"not a clause id: {clause_id!r}")
    return m.group(1), m.group(2)


def chinese_ordinal(n: int) -> str:
    """12 → 十二, as articles are numbered in the contract."""
    return cn2an.an2cn(n, "low")


def numeral_value(numeral: str) -> str | None:
    """A Chinese numeral as digits ("四十五" → "45", "两" read as 二), or None when it is not one."""
    try:
        return str(int(cn2an.cn2an(numeral.replace("两", "二"), "smart")))
    except (ValueError, KeyError):
        return None


@lru_cache(maxsize=1024)
def clause_name(clause_id: str) -> str:
    """The clause named as a person says it: 主协议第二十三条, 附件一第4.5条, 附件一第八条, 附件二第8条."""
    part, number = split_id(clause_id)
    if part == "M":
        return f"主协议第{chinese_ordinal(int(number))}条"
    if part == "A1" and "." not in number:
        return f"附件一第{chinese_ordinal(int(number))}条"
    return f"{PART_NAMES[part]}第{number}条"


# "主协议第二十三条", "第23条", "附件一第4.5条", "沃云服务条款第八条", "责任书第8条": a clause named by its number;
# not an article of a law ("电信条例第十五条", "《网络安全法》第十条").
_PARTS = (("A1", r"附件\s*[一1]|沃云服务条款|服务条款"), ("A2", r"附件\s*[二2]|入网责任书|责任书"), ("M", r"主协议|入网协议|协议"))
_REFERENCE = re.compile(
    r"(?:(" + "|".join(f"(?P<{part}>{words})" for part, words in _PARTS) + r")\s*(?:的)?\s*)?"
    r"(?<![》）)法例定则令])第\s*(?P<number>\d+(?:\.\d+)*|[零〇一二两三四五六七八九十百]+)\s*条"
)


def referenced_ids(text: str, known: frozenset[str] | set[str]) -> list[str]:
    """The clause ids a text names by number, in order, among `known` (the main agreement when no part is named)."""
    out: list[str] = []
    for m in _REFERENCE.finditer(text):
        part = next((p for p, _ in _PARTS if m.group(p)), "M")
        number = m.group("number")
        if not number[0].isdigit() and (number := numeral_value(number)) is None:
            continue
        cid = f"{part}-{number}"
        if cid in known and cid not in out:
            out.append(cid)
    return out
