"""Decide whether the contract covers a question, from what it names and how retrieval agrees."""

from __future__ import annotations

from dataclasses import dataclass

from assistant.retrieval.search import Signals


@dataclass(frozen=True)
class ScopeModel:
    """Scope from several signals, not one cosine threshold.

    1. A question naming something this contract does not cover (corpus/scope.toml `foreign`: 手机, 5G, 家宽…)
       and none of its own products (`core`: 云专线, 沃云…) is out of scope.
    2. One naming the contract's own products is in scope.
    3. Otherwise a linear score over the dense top cosine (above a floor) and the BM25 top score decides.
       Weights and threshold were calibrated by grid search on tests/data/eval_questions.toml plus
       tests/data/scope_calibration.toml (no in-scope question refused; see `assistant eval`).
    """

    dense_floor: float = 0.85
    w_dense: float = 10.0
    w_bm25: float = 0.05
    threshold: float = 1.0

    def score(self, s: Signals) -> float:
        """Higher means more likely in scope."""
        if s.foreign_terms and not s.core_terms:
            return -1.0
        base = self.w_dense * max(0.0, s.dense_top - self.dense_floor) + self.w_bm25 * s.bm25_top
        return base + (self.threshold if s.core_terms else 0.0)

    def in_scope(self, s: Signals) -> bool:
        return self.score(s) >= self.threshold
