"""Questions to suggest to a customer, taken from the clause notes' typical questions (corpus/suggestions.toml)."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import lru_cache
from itertools import chain, zip_longest
from pathlib import Path

from assistant.corpus.knowledge import NOTES_FILE
from assistant.corpus.normalize import fold
from assistant.corpus.parse import load_corpus

SUGGESTIONS_FILE = "suggestions.toml"


@dataclass(frozen=True)
class Suggestions:
    """The notes' questions as written (for showing), the clauses asked about first, and how many to offer."""

    questions: dict[str, tuple[str, ...]]
    opening_ids: tuple[str, ...]
    limit: int

    def opening(self) -> list[str]:
        """What to offer when a conversation opens: the first question of each opening clause."""
        return [self.questions[c][0] for c in self.opening_ids if self.questions.get(c)][: self.limit]

    def after(self, clause_ids: list[str], asked: list[str] | tuple[str, ...] = ()) -> list[str]:
        """What to offer after an answer citing `clause_ids`: their notes' questions, a turn about (best cited
        first), none already `asked`; the opening questions when no clause is known."""
        known = [c for c in dict.fromkeys(clause_ids) if self.questions.get(c)]
        if not known:
            pool: list[str] = self.opening() + [q for c in self.opening_ids for q in self.questions.get(c, ())[1:]]
        else:
            rounds = zip_longest(*(self.questions[c] for c in known))
            pool = [q for q in chain.from_iterable(rounds) if q]
        seen = {fold(q) for q in asked}
        out: list[str] = []
        for q in pool:
            if fold(q) not in seen:
                seen.add(fold(q))
                out.append(q)
        return out[: self.limit]


@lru_cache(maxsize=4)
def load_suggestions(corpus_dir: Path) -> Suggestions:
    """Read the notes' questions and suggestions.toml from `corpus_dir`; a clause id the contract lacks, or a
    limit that is not a small positive number, is a data error naming the file."""
    corpus_dir = Path(corpus_dir)
    ids = set(load_corpus(corpus_dir).ids)
    notes = _read(corpus_dir / NOTES_FILE)
    questions = {
        cid: tuple(str(q).strip() for q in v.get("questions", []) if str(q).strip()) for cid, v in notes.items()
    }
    raw = _read(corpus_dir / SUGGESTIONS_FILE)
    opening = raw.get("opening", [])
    limit = raw.get("limit", 3)
    if not isinstance(opening, list) or not all(isinstance(c, str) for c in opening):
        raise ValueError(f"{SUGGESTIONS_FILE}: opening must be a list of clause ids")
    unknown = sorted(set(opening) - ids)
    if unknown:
        raise ValueError(f"{SUGGESTIONS_FILE}: opening names clauses the contract lacks: {', '.join(unknown)}")
    if not isinstance(limit, int) or isinstance(limit, bool) or not 1 <= limit <= 10:
        raise ValueError(f"{SUGGESTIONS_FILE}: limit must be a whole number from 1 to 10, got {limit!r}")
    return Suggestions(questions=questions, opening_ids=tuple(opening), limit=limit)


def _read(path: Path) -> dict:
    if not path.exists():
        return {}
    with path.open("rb") as f:
        return tomllib.load(f)
