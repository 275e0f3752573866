"""Pick the sentence(s) of a clause that answer a question, rather than quoting the whole clause."""

from __future__ import annotations

import re
from functools import lru_cache

from assistant.corpus.normalize import fold

_SENTENCE = re.compile(r"[^。；;！？!?\n]+[。；;！？!?]?")
_CJK_RUN = re.compile(r"[\u4e00-\u9fff]{2,}|[a-z0-9]+")
# Quoting more than this many sentences means the question is about the clause as a whole.
MAX_SENTENCES = 2


def sentences(text: str) -> list[str]:
    """Split clause text into sentences, keeping their closing punctuation."""
    return [s.strip() for s in _SENTENCE.findall(text) if s.strip(" ，,：:")]


@lru_cache(maxsize=8192)
def _grams(text: str) -> frozenset[str]:
    """Character bigrams and ASCII words of a text: cheap, segmentation-free overlap units (cached: clause
    sentences recur on every answer)."""
    out: set[str] = set()
    for run in _CJK_RUN.findall(fold(text)):
        if run.isascii():
            out.add(run)
        else:
            out.update(run[i : i + 2] for i in range(len(run) - 1))
    return frozenset(out)


def best_quote(clause_text: str, query: str, extra_terms: list[str] | None = None) -> str:
    """The one or two sentences of the clause that overlap the query (and its expansions) most, in clause order."""
    sents = sentences(clause_text)
    if len(sents) <= 1:
        return clause_text.strip()
    q = _grams(query + " " + " ".join(extra_terms or []))
    scored = [(len(q & _grams(s)) / (1 + len(_grams(s)) ** 0.5), i) for i, s in enumerate(sents)]
    scored.sort(key=lambda x: (-x[0], x[1]))
    if scored[0][0] == 0:
        return sents[0]
    keep = [scored[0][1]]
    if len(scored) > 1 and scored[1][0] >= 0.6 * scored[0][0] and MAX_SENTENCES > 1:
        keep.append(scored[1][1])
    # Sentences that are not next to each other in the clause are quoted as separate quotes, joined by "……".
    keep.sort()
    return "".join(sents[i] if k == 0 or keep[k - 1] == i - 1 else "……" + sents[i] for k, i in enumerate(keep))

