"""Decide whether the contract covers a question, from several retrieval signals together."""

from __future__ import annotations

from dataclasses import dataclass

from assistant.retrieval.search import Signals


@dataclass(frozen=True)
class ScopeModel:
    """A linear score over retrieval signals; weights and threshold are calibrated by `assistant eval --calibrate`."""

    w_domain: float = 1.0
    w_coverage: float = 1.5
    w_dense: float = 12.0
    w_margin: float = 8.0
    w_agree: float = 0.6
    dense_floor: float = 0.80
    threshold: float = 2.0

    def score(self, s: Signals) -> float:
        """Higher means more likely in scope."""
        return (
            self.w_domain * min(len(s.domain_terms), 3)
            + self.w_coverage * s.bm25_coverage
            + self.w_dense * max(0.0, s.dense_top - self.dense_floor)
            + self.w_margin * s.dense_margin
            + self.w_agree * float(s.agreement)
        )

    def in_scope(self, s: Signals) -> bool:
        return self.score(s) >= self.threshold
