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


@lru_cache(maxsize=1024)
def clause_name(clause_id: str) -> str:
    """The clause named as a person says it: 主协议第二十三条, 附件一第4.5条, 附件一第八条, 附件二第8条."""
    part, number = split_id(clause_id)
    if part == "M":
        return f"主协议第{chinese_ordinal(int(number))}条"
    if part == "A1" and "." not in number:
        return f"附件一第{chinese_ordinal(int(number))}条"
    return f"{PART_NAMES[part]}第{number}条"
