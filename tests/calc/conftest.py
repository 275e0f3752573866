"""Shared fixtures for the calculator tests."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from datetime import date

import pytest

from assistant.calc import REGISTRY, unknown_clause_ids

CLAUSE_ID = re.compile(r"^(M|A1|A2)-\d+(\.\d+)*$")
TODAY = date(2026, 11, 24)


def check_calculator_clause_ids(known: Iterable[str] | None = None) -> None:
    """Assert every clause id a calculator cites exists in `known`; with no set, that it is well-formed.

    Wire `known` to the parsed corpus ids (e.g. {c.id for c in load_clauses()}) once that exists.
    """
    for formula in REGISTRY.values():
        for clause_id in formula.clauses:
            assert CLAUSE_ID.match(clause_id), f"{formula.name} cites malformed id {clause_id!r}"
    if known is not None:
        missing = unknown_clause_ids(known)
        assert not missing, f"calculators cite clause ids not in the corpus: {missing}"


@pytest.fixture
def assert_clause_ids_exist() -> Callable[[Iterable[str] | None], None]:
    """The clause-id check as a fixture: call it with the corpus's id set (or None for the pattern only)."""
    return check_calculator_clause_ids


@pytest.fixture
def today() -> date:
    """The fixed clock the planner tests use (a date without a year is read in 2026)."""
    return TODAY
