"""Reading a question costs bounded work: a text listing dozens of values cannot make the role search explode.

Counted in search steps rather than timed: the joint assignment of values to inputs once took 265 000 steps
(120 ms) for a 500-character question repeating "3到5天", enough for sixteen such clients to hold up every other
answer for seconds.
"""

from __future__ import annotations

import tomllib
from datetime import date

import pytest

from assistant import bank
from assistant.calc import plan
from assistant.calc.roles import MAX_STEPS
from assistant.calc.selection import candidates, understand
from assistant.errors import CalcInputError
from assistant.settings import PROJECT_ROOT

from tests.conftest import TODAY

DATA = PROJECT_ROOT / "tests" / "data"


@pytest.mark.parametrize(
    "question",
    ["3到5天" * 100, "拖欠7天，" * 100, "50M、100M、" * 50, "一个自然年里被断开链接5次，月租5100，" * 25,
     "2026年3月1日到2026年5月1日，" * 25],
)
def test_a_text_full_of_values_is_searched_within_the_step_cap(question):
    for c in candidates(understand(question[:500], TODAY)):
        assert c.fill.steps <= MAX_STEPS, c.name


def test_a_question_after_dozens_of_values_is_still_answered():
    p = plan("拖欠7天，" * 60 + "欠费5000元，违约金多少", TODAY)
    assert p is not None and p.name == "late_fee"
    assert p.inputs == {"owed": "5000", "days_overdue": 7}


def _labelled() -> list[tuple[str, date]]:
    """Every labelled question of tests/data with its day."""
    out = []
    for name in ("calc_questions.toml", "eval_questions.toml"):
        for row in tomllib.loads((DATA / name).read_text(encoding="utf-8"))["question"]:
            out.append((row["q"], date.fromisoformat(row.get("today", TODAY.isoformat()))))
    for part in (bank.DEV, bank.SEALED):
        b = bank.load_bank(part)
        out += [(q.q, q.today) for q in b.questions]
        out += [(t.q, c.today) for c in b.conversations for t in c.turn]
    return out


def test_the_cap_is_far_above_what_any_labelled_question_needs():
    # So the cap never changes how a real question is read: the search ends on its own first.
    steps = []
    for q, day in _labelled():
        try:
            reading = understand(q, day)
        except CalcInputError:  # an impossible date, explained before any search
            continue
        steps += [c.fill.steps for c in candidates(reading)]
    assert len(steps) > 3000
    assert max(steps) * 5 <= MAX_STEPS
