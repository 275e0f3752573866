"""The clause browser's search: the words typed, and the contract terms the synonym data gives for them.

A clause matches when it holds the query or one of those terms in its id, name, title, text or notes (topic,
keywords, typical questions); matches are ranked by the retriever's BM25 score over the same words. No model.
"""

from __future__ import annotations

from dataclasses import dataclass

from assistant.corpus.normalize import fold, normalize_query
from assistant.retrieval.search import Retriever


@dataclass(frozen=True)
class ClauseMatch:
    clause_id: str
    score: float
    terms: tuple[str, ...]  # the query's words and synonym terms this clause holds


@dataclass(frozen=True)
class BrowseResult:
    query: str
    terms: tuple[str, ...]  # what was looked for: the query, then the contract terms its everyday words imply
    matches: tuple[ClauseMatch, ...]


def search_clauses(retriever: Retriever, query: str) -> BrowseResult:
    """Clauses holding the query or its synonym terms, best BM25 score first (then in contract order)."""
    q = fold(query)
    if not q:
        return BrowseResult(query="", terms=(), matches=())
    knowledge = retriever.knowledge
    expanded = normalize_query(query)
    terms = tuple(dict.fromkeys([q, *knowledge.expand(q), *knowledge.expand(expanded)]))
    scores = retriever.bm25_scores(expanded, [t for t in terms if t != q])
    order = {cid: i for i, cid in enumerate(retriever.ids)}
    docs = _documents(retriever)
    found: list[ClauseMatch] = []
    for cid, doc in docs.items():
        held = tuple(t for t in terms if t in doc)
        if held:
            found.append(ClauseMatch(clause_id=cid, score=round(float(scores[order[cid]]), 4), terms=held))
    position = {c.id: i for i, c in enumerate(knowledge.corpus.clauses)}
    found.sort(key=lambda m: (-m.score, position[m.clause_id]))
    return BrowseResult(query=q, terms=terms, matches=tuple(found))


_DOCS: dict[int, dict[str, str]] = {}


def _documents(retriever: Retriever) -> dict[str, str]:
    """Each clause's searchable words, folded (built once per retriever)."""
    key = id(retriever.knowledge)
    if key not in _DOCS:
        k = retriever.knowledge
        _DOCS[key] = {
            c.id: fold(" ".join([c.id, c.name, c.title, c.text, (n := k.note(c.id)).topic, *n.keywords, *n.questions]))
            for c in k.corpus.clauses
        }
    return _DOCS[key]
