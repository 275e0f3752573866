"""Knowledge kept as data beside the clauses: everyday words, typical questions, synonyms."""

from __future__ import annotations

import hashlib
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from assistant.corpus.normalize import fold
from assistant.corpus.parse import CONTRACT_FILE, Corpus, load_corpus

NOTES_FILE = "clause_notes.toml"
SYNONYMS_FILE = "synonyms.toml"
SCOPE_FILE = "scope.toml"


@dataclass(frozen=True)
class ClauseNote:
    """Retrieval hints for one clause (doc2query style)."""

    clause_id: str
    topic: str = ""
    keywords: tuple[str, ...] = ()
    questions: tuple[str, ...] = ()


@dataclass(frozen=True)
class SynonymGroup:
    """The contract's own terms and the everyday variants people use for them."""

    terms: tuple[str, ...]
    variants: tuple[str, ...]


@dataclass(frozen=True)
class ScopeLexicon:
    """Words that say what a question is about: the contract's products, foreign subjects, generic words."""

    core: tuple[str, ...] = ()
    foreign: tuple[str, ...] = ()
    generic: frozenset[str] = frozenset()

    @staticmethod
    def found(words: tuple[str, ...], query: str) -> list[str]:
        """The words occurring in the query, longest first, without those inside a longer match."""
        ordered, by_first = _longest_first(words)
        # Only words starting with a character of the query can occur in it.
        candidates = sorted(i for ch in set(query) for i in by_first.get(ch, ()))
        hits: list[str] = []
        for w in (ordered[i] for i in candidates):
            if w in query and not any(w in h for h in hits):
                hits.append(w)
        return hits


@lru_cache(maxsize=16)
def _longest_first(words: tuple[str, ...]) -> tuple[tuple[str, ...], dict[str, tuple[int, ...]]]:
    """The words longest first, and their positions in that order keyed by first character."""
    ordered = tuple(sorted((w for w in words if w), key=len, reverse=True))
    by_first: dict[str, list[int]] = {}
    for i, w in enumerate(ordered):
        by_first.setdefault(w[0], []).append(i)
    return ordered, {ch: tuple(ix) for ch, ix in by_first.items()}


@dataclass
class Knowledge:
    """The corpus plus its notes and synonym dictionary, with one fingerprint over all three files."""

    corpus: Corpus
    notes: dict[str, ClauseNote]
    synonyms: list[SynonymGroup]
    fingerprint: str
    scope: ScopeLexicon = field(default_factory=ScopeLexicon)
    _vocabulary: frozenset[str] = field(default=frozenset(), repr=False)
    _variants: dict[str, list[tuple[str, int]]] | None = field(default=None, repr=False)

    def note(self, clause_id: str) -> ClauseNote:
        return self.notes.get(clause_id, ClauseNote(clause_id))

    def expand(self, query: str) -> list[str]:
        """Contract terms implied by the everyday words in a folded query, in dictionary order."""
        by_first = self._variant_index()
        hit_groups: set[int] = set()
        for i, ch in enumerate(query):
            for variant, group in by_first.get(ch, ()):
                if query.startswith(variant, i):
                    hit_groups.add(group)
        out: list[str] = []
        for i in sorted(hit_groups):
            g = self.synonyms[i]
            if not all(t in query for t in g.terms):
                out.extend(t for t in g.terms if t not in query and t not in out)
        return out

    def _variant_index(self) -> dict[str, list[tuple[str, int]]]:
        """Variants keyed by their first character (built once): a query is scanned once, not once per group."""
        if self._variants is None:
            index: dict[str, list[tuple[str, int]]] = {}
            for i, g in enumerate(self.synonyms):
                for v in g.variants:
                    if v:
                        index.setdefault(v[0], []).append((v, i))
            self._variants = index
        return self._variants

    @property
    def vocabulary(self) -> frozenset[str]:
        """Every domain word the data knows: synonym terms and variants, clause keywords."""
        if not self._vocabulary:
            words = {w for g in self.synonyms for w in (*g.terms, *g.variants)}
            words |= {k for n in self.notes.values() for k in n.keywords}
            self._vocabulary = frozenset(fold(w) for w in words if len(w) >= 2) - self.scope.generic
        return self._vocabulary


def _read_toml(path: Path) -> dict:
    if not path.exists():
        return {}
    with path.open("rb") as f:
        return tomllib.load(f)


def _notes(raw: dict, corpus: Corpus) -> dict[str, ClauseNote]:
    """Notes keyed by clause id; a note for an id the corpus lacks is a data error."""
    unknown = sorted(set(raw) - set(corpus.ids))
    if unknown:
        raise ValueError(f"{NOTES_FILE} names clauses the contract lacks: {', '.join(unknown)}")
    return {
        cid: ClauseNote(
            clause_id=cid,
            topic=fold(v.get("topic", "")),
            keywords=tuple(fold(k) for k in v.get("keywords", [])),
            questions=tuple(fold(q) for q in v.get("questions", [])),
        )
        for cid, v in raw.items()
    }


def _synonyms(raw: dict) -> list[SynonymGroup]:
    groups = []
    for i, g in enumerate(raw.get("group", [])):
        terms = tuple(fold(t) for t in g.get("terms", []))
        variants = tuple(fold(v) for v in g.get("variants", []))
        if not terms or not variants:
            raise ValueError(f"{SYNONYMS_FILE} group {i} needs both terms and variants")
        groups.append(SynonymGroup(terms, variants))
    return groups


@lru_cache(maxsize=4)
def load_knowledge(corpus_dir: Path) -> Knowledge:
    """Load contract, notes and synonyms from `corpus_dir` (cached per directory)."""
    corpus_dir = Path(corpus_dir)
    corpus = load_corpus(corpus_dir)
    h = hashlib.sha256()
    for name in (CONTRACT_FILE, NOTES_FILE, SYNONYMS_FILE):
        p = corpus_dir / name
        h.update(name.encode() + b"\0" + (p.read_bytes() if p.exists() else b"") + b"\0")
    return Knowledge(
        corpus=corpus,
        notes=_notes(_read_toml(corpus_dir / NOTES_FILE), corpus),
        synonyms=_synonyms(_read_toml(corpus_dir / SYNONYMS_FILE)),
        fingerprint=h.hexdigest(),
        scope=_scope(_read_toml(corpus_dir / SCOPE_FILE)),
    )


def _scope(raw: dict) -> ScopeLexicon:
    return ScopeLexicon(
        core=tuple(fold(w) for w in raw.get("core", [])),
        foreign=tuple(fold(w) for w in raw.get("foreign", [])),
        generic=frozenset(fold(w) for w in raw.get("generic", [])),
    )
