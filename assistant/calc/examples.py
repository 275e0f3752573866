"""The labelled example questions calculator selection compares a question with (examples.toml).

Written by `assistant fit` from the dev part of the question bank; checked when loaded: every label names a
calculator, no question is empty, and a question marked out of scope names no calculator.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from assistant.retrieval.examples import Example

from .registry import REGISTRY

EXAMPLES_PATH = Path(__file__).with_name("examples.toml")


def load_examples(path: Path = EXAMPLES_PATH) -> tuple[Example, ...]:
    """examples.toml as Examples; a label that is no calculator, or an empty question, stops loading."""
    rows = tomllib.loads(path.read_text(encoding="utf-8")).get("example", [])
    out = []
    for i, row in enumerate(rows):
        text, label = str(row.get("q", "")).strip(), str(row.get("calculator", ""))
        if not text:
            raise ValueError(f"{path}: example {i} has no question")
        if label and label not in REGISTRY:
            raise ValueError(f"{path}: example {i} names {label!r}, not a calculator; known: {', '.join(sorted(REGISTRY))}")
        out_of_scope = row.get("out_of_scope", False)
        if not isinstance(out_of_scope, bool) or (out_of_scope and label):
            raise ValueError(f"{path}: example {i}: out_of_scope must be true or false, and never with a calculator")
        clauses = _names(row, "clauses", bool(label or out_of_scope), f"{path}: example {i}: clauses must be a list of clause ids, and only on a lookup")
        readings = _names(
            row, "readings", bool(label or out_of_scope or clauses),
            f"{path}: example {i}: readings must be a list of calculators or clause ids, and only on a vague question",
        )
        out.append(Example(text, label, out_of_scope, clauses, readings))
    return tuple(out)


def _names(row: dict, key: str, excluded: bool, error: str) -> tuple[str, ...]:
    """The row's list of non-empty names under `key`; ValueError(error) for anything else, or for a list where the
    row's other fields exclude one (`excluded`)."""
    names = row.get(key, [])
    if not isinstance(names, list) or not all(isinstance(n, str) and n for n in names) or (names and excluded):
        raise ValueError(error)
    return tuple(names)


def write_examples(examples: list[Example], path: Path = EXAMPLES_PATH) -> None:
    """examples.toml with these examples, in order."""
    lines = [
        "# Labelled example questions (calc/examples.py), written by `assistant fit` from the dev part of the question",
        "# bank. `calculator` is what the question asks for; a question without one is no calculation; `out_of_scope`",
        "# marks a question about something the contract does not cover; `clauses` are the clauses that answer a lookup",
        "# (retrieval ranks them higher for a question worded nearly the same); `readings` are what a vague question may",
        "# mean (calculators or clause ids): a question worded nearly the same is asked back with them.",
    ]
    for e in examples:
        lines += ["", "[[example]]", f"q = {_quoted(e.text)}"] + ([f'calculator = "{e.label}"'] if e.label else [])
        lines += ["out_of_scope = true"] if e.out_of_scope else []
        lines += ["clauses = [" + ", ".join(_quoted(c) for c in e.clauses) + "]"] if e.clauses else []
        lines += ["readings = [" + ", ".join(_quoted(r) for r in e.readings) + "]"] if e.readings else []
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _quoted(text: str) -> str:
    """A TOML basic string: backslash, quote and every control character escaped."""
    return '"' + "".join(_ESCAPES.get(ch) or (f"\\u{ord(ch):04x}" if ord(ch) < 0x20 or ord(ch) == 0x7F else ch) for ch in text) + '"'


_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\t": "\\t", "\r": "\\r"}
