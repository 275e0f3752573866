"""Calculators for every number the contract implies: pure formulas with clause ids, and Chinese question → inputs.

Public API: REGISTRY, run, catalogue, CalcPlan, plan, clarify_text, answer_text.
"""

from . import formulas  # noqa: F401  (registers every formula)
from .registry import REGISTRY, Formula, Outcome, catalogue, cited_clause_ids, run

__all__ = ["REGISTRY", "Formula", "Outcome", "catalogue", "cited_clause_ids", "run"]
