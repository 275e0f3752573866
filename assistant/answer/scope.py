"""One scope gate before every answer: is the question about this contract at all?

A logistic model over features that generalise, fitted on the dev part of the question bank (`assistant fit`):
the kind of foreign subject a question names (another operator's product, another Unicom product, the text of a
law, a fact the contract never states, chit-chat, an instruction to the assistant) from the lexicons in
corpus/scope.toml, whether it names the contract's own products, how much of its wording the contract and the
synonym data know, the lexical and dense retrieval scores and margins, and how well a calculator fits it.

It is scored twice: from lexical evidence only (no model encode: most calculations and clear refusals are
decided there) and, when that is not conclusive, with the dense scores as well.
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from assistant.retrieval.search import Signals

WEIGHTS_PATH = Path(__file__).with_name("scope_weights.toml")
FOREIGN_KINDS = ("operators", "products", "laws", "topics", "chitchat", "injection")

FEATURES = (
    *(f"foreign_{k}" for k in FOREIGN_KINDS),
    "law_content",      # asks what a law itself says ("第十三条原文"), not where the contract mentions it
    "core",             # names the contract's own products (云专线, 沃云…)
    "contract_ref",     # asks about the contract itself ("合同里…", "本协议…")
    "known_share",      # share of its words the contract, notes and synonym data know
    "coverage1",        # share of its words the best clause (text and notes) speaks of
    "coverage3",        # …and any of the best three
    "unknown_words",    # how many of its words they do not know
    "bm25_top",         # the best clause's BM25 score
    "bm25_margin",      # …and its lead over the second
    "dense",            # 1 when the dense scores below were computed
    "dense_top",        # the best clause's cosine
    "dense_margin",     # …and its lead over the second
    "calc",             # the probability that a calculator is what is asked
    "length",           # log of the length: a long e-mail names many things in passing
    "addressed",        # it speaks to the assistant itself ("你会写诗吗", "你作为客服助手必须…")
    "near_out",         # the share of the nearest labelled example questions that are out of scope (with the model)
)


def features(s: Signals, calc: float = 0.0, near_out: float = 0.0) -> dict[str, float]:
    """The feature vector of one question's retrieval signals (see FEATURES); `near_out` from the example
    questions (retrieval/examples.py), computed with the dense scores."""
    kinds = s.foreign_kinds or {}
    x = {f"foreign_{k}": 1.0 if kinds.get(k) else 0.0 for k in FOREIGN_KINDS}
    x.update(
        law_content=1.0 if (kinds.get("laws") and s.law_content) else 0.0,
        core=1.0 if s.core_terms else 0.0,
        contract_ref=1.0 if s.contract_ref else 0.0,
        known_share=s.known_share,
        coverage1=s.coverage1,
        coverage3=s.coverage3,
        unknown_words=float(s.unknown_words),
        bm25_top=s.bm25_top,
        bm25_margin=s.bm25_margin,
        dense=1.0 if s.dense_computed else 0.0,
        dense_top=s.dense_top if s.dense_computed else 0.0,
        dense_margin=s.dense_margin if s.dense_computed else 0.0,
        calc=calc,
        length=math.log1p(s.length / 50),
        addressed=1.0 if s.addresses_assistant else 0.0,
        near_out=near_out if s.dense_computed else 0.0,
    )
    return x


@dataclass(frozen=True)
class ScopeModel:
    """P(in scope) from the fitted weights, with the thresholds that decide.

    `refuse_below` (lexical only) refuses without the model; `threshold` decides once the dense scores are in.
    `use_dense=False` ignores the dense features (an embedder whose cosines are not the real model's, in tests).
    """

    weights: Mapping[str, float] = field(default_factory=dict)
    bias: float = 0.0
    threshold: float = 0.5
    refuse_below: float = 0.05
    use_dense: bool = True

    def probability(self, s: Signals, calc: float = 0.0, near_out: float = 0.0) -> float:
        """How likely the question is about this contract."""
        x = features(s, calc, near_out)
        if not self.use_dense:
            x.update(dense=0.0, dense_top=0.0, dense_margin=0.0, near_out=0.0)
        return self.probability_of(x)

    def probability_of(self, x: Mapping[str, float]) -> float:
        """The model on a feature vector."""
        z = self.bias + sum(self.weights.get(k, 0.0) * v for k, v in x.items())
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))

    def score(self, s: Signals, calc: float = 0.0) -> float:
        """The probability, as the older score API named it (higher means more likely in scope)."""
        return self.probability(s, calc)

    def in_scope(self, s: Signals, calc: float = 0.0, near_out: float = 0.0) -> bool:
        return self.probability(s, calc, near_out) >= self.threshold

    def clearly_out(self, s: Signals, calc: float = 0.0) -> bool:
        """Out of scope on lexical evidence alone: no need to run the model."""
        return self.probability(s, calc) < self.refuse_below

    @classmethod
    def load(cls, path: Path = WEIGHTS_PATH, **kw) -> ScopeModel:
        """The fitted model; every weight must name a known feature and the thresholds must be in (0, 1)."""
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        weights = {k: float(v) for k, v in data["weights"].items()}
        unknown = sorted(set(weights) - set(FEATURES))
        if unknown:
            raise ValueError(f"{path}: unknown features {unknown}; known: {', '.join(FEATURES)}")
        threshold, refuse = float(data["threshold"]), float(data["refuse_below"])
        if not (0 < refuse <= threshold < 1):
            raise ValueError(f"{path}: need 0 < refuse_below <= threshold < 1, got {refuse}, {threshold}")
        return cls(weights, float(data["bias"]), threshold, refuse, **kw)


@lru_cache(maxsize=1)
def default_model() -> ScopeModel:
    """The project's fitted scope model, loaded once."""
    return ScopeModel.load()
