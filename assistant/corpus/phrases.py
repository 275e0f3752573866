"""Which of many fixed phrases occur in a text, found in one pass over the text."""

from __future__ import annotations

from collections.abc import Iterable

import ahocorasick


class PhraseIndex:
    """A fixed set of phrases in an Aho-Corasick automaton (pyahocorasick).

    `found` reads each text once, whatever the number of phrases; the synonym variants, the scope lexicons and
    the calculators' trigger phrases all use it, on every question.
    """

    __slots__ = ("_automaton",)

    def __init__(self, phrases: Iterable[str]):
        automaton = ahocorasick.Automaton()
        for p in phrases:
            if p:
                automaton.add_word(p, p)
        # An automaton without words cannot be searched; no phrases simply means nothing is ever found.
        self._automaton = automaton if len(automaton) else None
        if self._automaton is not None:
            self._automaton.make_automaton()

    def found(self, *texts: str) -> set[str]:
        """The phrases occurring in at least one of the texts."""
        if self._automaton is None:
            return set()
        return {p for t in texts if t for _, p in self._automaton.iter(t)}

    def occurrences(self, text: str) -> list[tuple[int, str]]:
        """Every occurrence of a phrase in the text, as (start, phrase)."""
        if self._automaton is None or not text:
            return []
        return [(end - len(p) + 1, p) for end, p in self._automaton.iter(text)]
