"""Which of many fixed phrases occur in a text, found without testing every phrase."""

from __future__ import annotations

from collections.abc import Iterable


class PhraseIndex:
    """A fixed set of phrases keyed by their first character.

    `found` tests only the phrases that start with a character of the text: a few dozen instead of hundreds
    or thousands. The synonym variants, the scope lexicons and the calculators' trigger phrases all use it.
    """

    __slots__ = ("_by_first",)

    def __init__(self, phrases: Iterable[str]):
        by_first: dict[str, list[str]] = {}
        for p in dict.fromkeys(p for p in phrases if p):
            by_first.setdefault(p[0], []).append(p)
        self._by_first = {ch: tuple(ps) for ch, ps in by_first.items()}

    def found(self, *texts: str) -> set[str]:
        """The phrases occurring in at least one of the texts."""
        return {
            p for ch in set().union(*texts) for p in self._by_first.get(ch, ()) if any(p in t for t in texts)
        }
