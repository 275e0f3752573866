"""Merge the blind-written part files into the question bank and split it into dev and sealed.

    python tests/data/bank/split.py PART.toml [PART.toml ...]
    python tests/data/bank/split.py --add PART.toml [...]   # a later batch, appended; earlier rows never move
    python tests/data/bank/split.py --dev PART.toml [...]   # a batch whose misses were read: appended to dev whole

Questions and (whole) conversations are each ordered by the sha256 of their id, and the first SEALED_SHARE of
each go to the sealed part, so the split is fixed by the ids alone and never by their content. Run once when
parts are added; the sealed part is only ever scored as one aggregate figure (`assistant eval`).
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
import tomllib
from pathlib import Path

SEALED_SHARE = 0.35
HERE = Path(__file__).parent


def _hash(item_id: str) -> bytes:
    return hashlib.sha256(item_id.encode()).digest()


def sealed_ids(ids: list[str]) -> set[str]:
    """The first SEALED_SHARE of the ids in hash order (rounded up)."""
    ranked = sorted(ids, key=_hash)
    return set(ranked[: -(-len(ranked) * int(SEALED_SHARE * 100) // 100)])


def _key(k: str) -> str:
    return k if re.fullmatch(r"[A-Za-z0-9_\-]+", k) else json.dumps(k, ensure_ascii=False)


def _value(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, list):
        return "[" + ", ".join(_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{_key(k)} = {_value(x)}" for k, x in v.items()) + " }" if v else "{}"
    raise TypeError(v)


def _table(header: str, row: dict) -> str:
    lines = [header]
    lines += [f"{_key(k)} = {_value(v)}" for k, v in row.items() if k != "turn"]
    return "\n".join(lines) + "\n"


def dump(questions: list[dict], conversations: list[dict]) -> str:
    out = ["# Question bank written blind from the contract (see README.md); do not edit by hand.\n"]
    for q in questions:
        out.append(_table("[[question]]", q))
    for c in conversations:
        out.append(_table("[[conversation]]", c))
        for t in c.get("turn", []):
            out.append(_table("[[conversation.turn]]", t))
    return "\n".join(out)


def main(paths: list[str]) -> None:
    dev_only = paths[:1] == ["--dev"]
    add = dev_only or paths[:1] == ["--add"]
    paths = paths[1:] if add else paths
    parts = {"dev": ([], []), "sealed": ([], [])}
    if add:
        # A later batch is split by the same rule among its own ids, so no row already in a part moves.
        for name in parts:
            old = tomllib.loads((HERE / f"{name}.toml").read_text(encoding="utf-8"))
            parts[name][0].extend(old.get("question", []))
            parts[name][1].extend(old.get("conversation", []))
    rows: dict[str, list[dict]] = {"question": [], "conversation": []}
    seen: set[str] = {r["id"] for name in parts for rows in parts[name] for r in rows}
    for path in paths:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        for kind in rows:
            for row in data.get(kind, []):
                if row["id"] in seen:
                    raise SystemExit(f"duplicate id {row['id']} in {path}")
                seen.add(row["id"])
                rows[kind].append(row)
    for index, kind in enumerate(rows):
        # A batch whose failures were read can no longer be scored as unseen: none of it is sealed.
        hidden = set() if dev_only else sealed_ids([r["id"] for r in rows[kind]])
        for row in rows[kind]:
            parts["sealed" if row["id"] in hidden else "dev"][index].append(row)
    for name, (questions, conversations) in parts.items():
        (HERE / f"{name}.toml").write_text(dump(questions, conversations), encoding="utf-8")
        print(f"{name}: {len(questions)} questions, {len(conversations)} conversations")


if __name__ == "__main__":
    main(sys.argv[1:])
