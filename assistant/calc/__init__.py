"""Calculators for every number the contract implies: pure formulas with clause ids, and Chinese question → inputs.

Public API: REGISTRY, run, catalogue, CalcPlan, plan, follow_up, clarify_text, answer_text.
"""

from functools import lru_cache

from . import formulas  # noqa: F401  (registers every formula)
from .examples import load_examples
from .dialogue import asks_figure, asks_how, asks_nothing, composed, asks_own_case, asks_own_figure, asks_period, asks_threshold, asks_whether_only, changes_topic, follow_up, gives_verdict, is_follow_up, names_result, only_defaults, only_values, refers_back, weakly_named, whether_of_result, with_context
from .planner import CalcPlan, bandwidth_choices, clarify_text, in_view, latent, pending_calculation, plan, readings_of, unlisted_whichever
from .registry import REGISTRY, Formula, Outcome, catalogue, cited_clause_ids, run, unknown_clause_ids
from .wording import answer_text, result_summary
from .vocabulary import trigger_index, vocabulary as _vocabulary


def unlisted(calculator: str) -> bool:
    """Whether the calculator's missing result is a figure the contract never lists (see triggers.toml `unlisted`)."""
    return _vocabulary().calculators[calculator].unlisted


def asks_derived(calculator: str, text: str) -> bool:
    """The text asks for a figure only the calculator gives from its defaults (see triggers.toml `derived`)."""
    return _vocabulary().calculators[calculator].asks_derived(text)


def applies(calculator: str, text: str) -> bool:
    """The text speaks of the situation the calculator applies to (see triggers.toml `situation`)."""
    return _vocabulary().calculators[calculator].applies(text)


def goes_beyond(calculator: str, text: str) -> bool:
    """The text speaks of what the calculator's result never covers (see triggers.toml `beyond`)."""
    return _vocabulary().calculators[calculator].goes_beyond(text)


def clauses_computing(gives: str, text: str | None = None) -> frozenset[str]:
    """The clauses cited by the calculators that give this kind of result ("money", "date"); none for "". With
    `text`, those cited by the calculators some trigger phrase of the text names instead, whatever they give: the
    figure it asks is then a value or the result of their calculation ("违约金是几个月的月租": a sublease's months)."""
    if not gives:
        return frozenset()
    if text is None:
        return _clauses_giving(gives)
    index = trigger_index()
    named = index.triggered(index.found(text))
    return frozenset(c for name, f in REGISTRY.items() if name in named for c in f.clauses)


@lru_cache(maxsize=8)
def _clauses_giving(gives: str) -> frozenset[str]:
    """The clauses cited by the calculators that give this kind of result."""
    specs = _vocabulary().calculators
    return frozenset(c for name, f in REGISTRY.items() if name in specs and specs[name].gives == gives for c in f.clauses)


__all__ = [
    "REGISTRY",
    "asks_figure",
    "applies",
    "goes_beyond",
    "asks_how",
    "asks_nothing",
    "asks_own_case",
    "asks_own_figure",
    "asks_period",
    "asks_threshold",
    "asks_whether_only",
    "weakly_named",
    "asks_derived",
    "bandwidth_choices",
    "unlisted_whichever",
    "CalcPlan",
    "Formula",
    "Outcome",
    "answer_text",
    "result_summary",
    "catalogue",
    "cited_clause_ids",
    "clauses_computing",
    "composed",
    "clarify_text",
    "in_view",
    "latent",
    "load_examples",
    "pending_calculation",
    "follow_up",
    "is_follow_up",
    "names_result",
    "only_defaults",
    "only_values",
    "plan",
    "readings_of",
    "refers_back",
    "run",
    "unknown_clause_ids",
    "unlisted",
    "with_context",
]
