"""Search the clauses: BM25 over clause documents, dense over clause/note/question vectors, fused."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import lru_cache
from enum import Enum

import faiss
import numpy as np
from pydantic import BaseModel

from assistant.corpus.knowledge import Knowledge
from assistant.corpus.normalize import fold, normalize_query
from assistant.embedding.model import Embedder
from assistant.embedding.queries import QueryEncoder
from assistant.models import Hit
from assistant.retrieval.examples import ExampleIndex
from assistant.retrieval.index import Artefacts, domain_words
from assistant.retrieval.tokenize import Tokenizer
from assistant.settings import Settings


class ModelNeeded(Exception):
    """Raised inside `model_free()` where a search would have to run the embedding model on `text`."""

    def __init__(self, text: str = ""):
        super().__init__(text)
        self.text = text


# None outside model_free(); inside, the vectors the caller has already computed, by encoder input text.
_model_free: ContextVar[Mapping[str, np.ndarray] | None] = ContextVar("model_free", default=None)


@contextmanager
def model_free(vectors: Mapping[str, np.ndarray] | None = None) -> Iterator[None]:
    """Within this block (in this thread or task), a search that would encode raises ModelNeeded instead.

    Lets a caller try the cheap path first: the service answers on its event loop what needs no model (most
    calculations); for the rest it has the text of ModelNeeded encoded without holding up the loop (batched
    with other requests' queries) and asks again, passing the vectors it got: a search uses a vector given
    here for its text (or a cached one) rather than encoding.
    """
    token = _model_free.set(dict(vectors or {}))
    try:
        yield
    finally:
        _model_free.reset(token)


class Mode(str, Enum):
    bm25 = "bm25"
    dense = "dense"
    hybrid = "hybrid"


class Signals(BaseModel):
    """Evidence about whether the contract covers a question at all."""

    domain_terms: list[str]
    core_terms: list[str]
    foreign_terms: list[str]
    bm25_top: float
    dense_top: float
    dense_margin: float
    # Added for the scope classifier (answer/scope.py); older readers ignore them.
    foreign_kinds: dict[str, list[str]] = {}
    law_content: bool = False
    contract_ref: bool = False
    length: int = 0
    # Share of the question's own words found in the best clauses' text and notes (top 1, top 3).
    coverage1: float = 0.0
    coverage3: float = 0.0
    known_share: float = 0.0
    unknown_words: int = 0
    bm25_margin: float = 0.0
    dense_computed: bool = False
    addresses_assistant: bool = False


@dataclass
class Retrieval:
    """The outcome of one search."""

    query: str
    expansions: list[str]
    hits: list[Hit]
    signals: Signals
    query_vector: np.ndarray | None = field(default=None, repr=False)


class Retriever:
    """Hybrid retriever over a loaded index."""

    def __init__(
        self, knowledge: Knowledge, embedder: Embedder, artefacts: Artefacts, settings: Settings,
        examples: ExampleIndex | None = None,
    ):
        self.knowledge = knowledge
        self.embedder = embedder
        self.artefacts = artefacts
        self.settings = settings
        # Query vectors come from a bounded cache, else from the encoder, batched across concurrent lookups.
        self.queries = QueryEncoder(
            embedder, settings.query_cache_size, settings.encode_batch_size, settings.encode_batch_wait_ms
        )
        self.tokenizer = Tokenizer(domain_words(knowledge))
        self.ids = artefacts.bm25_ids
        self._pos = {cid: i for i, cid in enumerate(self.ids)}
        self._row_clause = np.array([self._pos[r.clause_id] for r in artefacts.rows], dtype=np.int64)
        # Paraphrase rows rank a little below the curated ones (Settings.paraphrase_penalty).
        self._row_penalty = np.array(
            [self.settings.paraphrase_penalty if r.kind == "paraphrase" else 0.0 for r in artefacts.rows], dtype=np.float32
        )
        # Every row is scored, none ranked: the flat index's vectors are read once rather than searched for all
        # of their ranks, which sorted ~2000 scores per lookup for nothing.
        self._dense_rows = _flat_vectors(artefacts.dense)
        # A lexical search is a pure function of the question: repeated questions (FAQ, IVR) skip it.
        self._lexical = lru_cache(maxsize=2048)(self._search)
        self._vocab = tuple(knowledge.vocabulary)
        self._vocab_set = frozenset(knowledge.vocabulary)
        # Each clause's words as a question could use them: its text, topic, keywords and typical questions.
        self._docs = {
            c.id: fold(" ".join([c.text, (n := knowledge.note(c.id)).topic, *n.keywords, *n.questions]))
            for c in knowledge.corpus.clauses
        }
        self._term_doc = _term_doc_scores(artefacts.bm25)
        # The labelled example questions (calc/examples.toml): a clause that answers a lookup worded nearly the
        # same as the question ranks higher (None: none are compared).
        self.examples = examples

    def bm25_scores(self, query: str, expansions: list[str], words: list[str] | None = None) -> np.ndarray:
        """BM25 score of every clause for the query plus its synonym expansions (`words`: the query's jieba words,
        when the caller already has them)."""
        tokens = self.tokenizer(query, words) + [t for e in expansions for t in self.tokenizer.term_words(e)]
        known = self.artefacts.bm25.get_tokens_ids(tokens)
        if not known:
            return np.zeros(len(self.ids), dtype=np.float32)
        # The sum bm25s's get_scores_from_ids makes token by token, as one gather over the dense table.
        return self._term_doc[known].sum(axis=0, dtype=np.float32)

    def dense_scores(self, vec: np.ndarray) -> np.ndarray:
        """Cosine of every clause: the best of its clause, sentence, note, question and paraphrase vectors."""
        out = np.full(len(self.ids), -1.0, dtype=np.float32)
        np.maximum.at(out, self._row_clause, _inner_products(self._dense_rows, vec) - self._row_penalty)
        return out

    def encode(self, query: str) -> np.ndarray:
        """The query vector: given to model_free(), cached, or encoded now; inside `model_free()` ModelNeeded
        names the text instead of encoding it."""
        given = _model_free.get()
        if given is not None and query in given:
            return given[query]
        vec = self.queries.cached(query)
        if vec is not None:
            return vec
        if given is not None:
            raise ModelNeeded(query)
        return self.queries.encode(query)

    def search(self, question: str, k: int | None = None, mode: Mode = Mode.hybrid) -> Retrieval:
        """Rank clauses for a question; hits best first, at most k (settings.top_k by default).

        The Retrieval returned is shared with later identical lexical searches: callers read it, never change it.
        """
        k = k or self.settings.top_k
        if mode is Mode.bm25:
            return self._lexical(question, k, mode)
        return self._search(question, k, mode)

    def _search(self, question: str, k: int, mode: Mode) -> Retrieval:
        # A subject the question says it is not about ("没转租 只是改了用途") would draw it to that subject's clause.
        query = self.knowledge.scope.without_denied(normalize_query(question))
        expansions = self.knowledge.expand(query)
        words = self.tokenizer.words(query)
        bm25 = self.bm25_scores(query, expansions, words)
        b_rank = _ranks(bm25)
        if mode is Mode.bm25:
            # Lexical only: no model encode, so this costs about a millisecond.
            vec = None
            dense = np.zeros(len(self.ids), dtype=np.float32)
            d_rank = b_rank
        else:
            vec = self.encode(query + ("（" + " ".join(expansions) + "）" if expansions else ""))
            dense = self.dense_scores(vec)
            d_rank = _ranks(dense)
        if mode is Mode.bm25:
            fused = -b_rank.astype(np.float64)
        elif mode is Mode.dense:
            fused = -d_rank.astype(np.float64)
        else:
            # Scores, not ranks: how far a clause stands out in each ranking is evidence too, and a rank fusion
            # lets BM25's first place win every close call (see Settings.bm25_weight).
            fused = self.settings.bm25_weight * _standard(bm25) + self.settings.dense_weight * _standard(dense)
            if self.examples is not None and self.settings.example_weight:
                fused = fused + self.settings.example_weight * self._answered_alike(vec, question)
            # The best clause scores 1 and each other one by how far it trails (Settings.fusion_temperature).
            fused = np.exp((fused - fused.max()) / self.settings.fusion_temperature)
        order = np.argsort(-fused, kind="stable")[:k]
        # One conversion per array rather than one numpy scalar per field.
        columns = zip(order.tolist(), *(a[order].tolist() for a in (fused, b_rank, d_rank, bm25, dense)))
        hits = [
            Hit(
                clause_id=self.ids[i],
                score=round(f, 6),
                bm25_rank=br,
                dense_rank=dr if vec is not None else None,
                bm25_score=round(bs, 4),
                dense_score=round(ds, 4),
            )
            for i, f, br, dr, bs, ds in columns
        ]
        signals = self._signals(query, words, bm25, dense, vec is not None)
        signals.coverage1, signals.coverage3 = self._coverage(words, expansions, [h.clause_id for h in hits[:3]])
        return Retrieval(query, expansions, hits, signals, vec)

    def _answered_alike(self, vec: np.ndarray, question: str) -> np.ndarray:
        """1 for each clause that answers a labelled lookup nearly the same as the question (Settings.example_floor),
        else 0; a question is never its own example."""
        out = np.zeros(len(self.ids), dtype=np.float64)
        for cid in self.examples.answering(vec, self.settings.example_floor, exclude=question):
            if cid in self._pos:
                out[self._pos[cid]] = 1.0
        return out

    def _coverage(self, words: list[str], expansions: list[str], best: list[str]) -> tuple[float, float]:
        """How much of the question the best clauses speak of: its content words (or a synonym's contract term)
        found in the first clause, and in any of the first three."""
        scope = self.knowledge.scope
        content = [w for w in words if len(w) >= 2 and w not in scope.generic]
        if not content or not best:
            return 0.0, 0.0
        terms = " ".join(expansions)

        def share(docs: list[str]) -> float:
            return sum(1 for w in content if any(w in d for d in docs) or w in terms) / len(content)

        return share([self._docs[best[0]]]), share([self._docs[c] for c in best])

    def _signals(self, query: str, words: list[str], bm25: np.ndarray, dense: np.ndarray, dense_computed: bool) -> Signals:
        sorted_dense = np.sort(dense)[::-1]
        sorted_bm25 = np.sort(bm25)[::-1]
        scope = self.knowledge.scope
        words = [w for w in words if len(w) >= 2 and w not in scope.generic]
        known = [w for w in words if w in self.artefacts.bm25.vocab_dict or w in self._vocab_set]
        domain, core = scope.found(self._vocab, query), scope.found(scope.core, query)
        return Signals(
            domain_terms=domain,
            core_terms=core,
            foreign_terms=scope.found(scope.foreign, query, self.tokenizer.cuts),
            bm25_top=float(sorted_bm25[0]),
            dense_top=float(sorted_dense[0]),
            dense_margin=float(sorted_dense[0] - sorted_dense[1]) if len(sorted_dense) > 1 else 0.0,
            foreign_kinds=scope.kinds_found(query, self.tokenizer.cuts, names_contract=bool(domain or core)),
            law_content=scope.asks_law_content(query),
            contract_ref=any(w in query for w in scope.law_reference),
            known_share=len(known) / len(words) if words else 0.0,
            unknown_words=len(words) - len(known),
            bm25_margin=float(sorted_bm25[0] - sorted_bm25[1]) if len(sorted_bm25) > 1 else 0.0,
            dense_computed=dense_computed,
            length=len(query),
            addresses_assistant=scope.addresses_assistant(query),
        )


def _term_doc_scores(bm25) -> np.ndarray:
    """bm25s's precomputed score of every (term, document) pair as a dense terms × documents table.

    bm25s keeps them per term, compressed: term t's documents are indices[indptr[t]:indptr[t+1]]. The corpus
    is small (about 10k terms × 121 clauses, 5 MB), so the dense table makes a query's scores one gather.
    The index is built with bm25s's default (Lucene) scoring, which gives an absent term no score.
    """
    s = bm25.scores
    indptr = np.asarray(s["indptr"])
    table = np.zeros((len(indptr) - 1, int(s["num_docs"])), dtype=np.float32)
    terms = np.repeat(np.arange(len(indptr) - 1), np.diff(indptr))
    table[terms, np.asarray(s["indices"])] = s["data"]
    return table


def _standard(x: np.ndarray) -> np.ndarray:
    """Scores as standard deviations from their mean over all clauses (all zero when they do not vary)."""
    x = x.astype(np.float64)
    sd = x.std()
    return (x - x.mean()) / sd if sd > 0 else np.zeros_like(x)


def _ranks(scores: np.ndarray) -> np.ndarray:
    """1-based rank of each entry, highest score first."""
    order = np.argsort(-scores, kind="stable")
    ranks = np.empty(len(scores), dtype=np.int64)
    ranks[order] = np.arange(1, len(scores) + 1)
    return ranks


def _flat_vectors(flat: faiss.IndexFlat) -> np.ndarray:
    """A flat index's stored vectors as one float32 matrix (a copy, rows in index order)."""
    return faiss.rev_swig_ptr(flat.get_xb(), flat.ntotal * flat.d).reshape(flat.ntotal, flat.d).copy()


def _inner_products(rows: np.ndarray, vec: np.ndarray) -> np.ndarray:
    """Each row's inner product with vec, on faiss's single-threaded SIMD kernel.

    Not a numpy product: numpy's BLAS threads slow it several-fold while the encoder keeps both cores busy.
    """
    query = np.ascontiguousarray(vec, dtype=np.float32).reshape(-1)
    out = np.empty(rows.shape[0], dtype=np.float32)
    faiss.fvec_inner_products_ny(faiss.swig_ptr(out), faiss.swig_ptr(query), faiss.swig_ptr(rows), rows.shape[1], rows.shape[0])
    return out
