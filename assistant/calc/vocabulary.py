"""triggers.toml loaded into typed, validated specs: what names each calculator and how its inputs are found."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field, replace
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

from assistant.corpus.phrases import PhraseIndex

from .mentions import DAY_KINDS, denied
from .registry import REGISTRY
from .roles import ASKED_AFTER, DURATION_KINDS, FLAG, KINDS, NEGATING

TRIGGERS_PATH = Path(__file__).with_name("triggers.toml")
GIVES = frozenset({"", "money", "date"})
# A trigger may not hold a capital letter: questions are folded to lower case before triggers are looked for.
_UPPER = re.compile("[A-Z]")


class VocabularyError(ValueError):
    """triggers.toml names something that does not exist or holds a value of the wrong form."""


@dataclass(frozen=True)
class RoleSpec:
    """How one input (or a fact a derivation reads) is found in a question."""

    name: str
    kind: str
    cues: tuple[str, ...] = ()
    now: tuple[str, ...] = ()
    yes: tuple[str, ...] = ()
    no: tuple[str, ...] = ()
    never: tuple[str, ...] = ()  # words that, right beside a value, state it is something else ("不含税" for a total)
    # Words naming what the input's default is ("开户费" for the 100 元 a VAT split assumes): a follow-up naming it
    # asks about the default, not about the last result ("开户费里面税多少" after a first payment).
    default_named: tuple[str, ...] = ()
    # The line's monthly fee, which a bandwidth gives by M-23's tariff: a follow-up carries the last calculation's
    # bandwidth to it ("那首月按天那部分是多少" after a first payment for a 50M line: 5100 a month).
    line_tariff: bool = False
    # A span the passing of time does not lengthen (a contract's term): "再用三个月" adds to the months used, not
    # to the term.
    fixed: bool = False


@dataclass(frozen=True)
class CalcSpec:
    """The planner's data for one calculator."""

    name: str
    triggers: dict[str, float]
    roles: tuple[RoleSpec, ...]
    order: tuple[tuple[str, str], ...] = ()
    examples: dict[str, str] = field(default_factory=dict)
    defaults: dict[str, str] = field(default_factory=dict)
    answers: dict[str, str] = field(default_factory=dict)
    conditions: tuple[str, ...] = ()
    # The contract lists no figure for some inputs (answer_null): asking for one is asking outside the contract.
    unlisted: bool = False
    # Its result answers yes or no (in time, overdue, over the limit) besides giving the date or figure.
    verdict: bool = False
    # The calculator reading the same value the other way round (a tax-inclusive amount ↔ a pre-tax one), and how
    # this reading is offered when no word says which ({label, question, words}: the question names the inputs, the
    # words say this reading).
    opposite: str = ""
    reading: dict[str, Any] = field(default_factory=dict)
    # What its result is: "money", "date", or "" (a status, a count of events).
    gives: str = ""
    # Inputs a question gives one way or the other, never both: a derived input and the facts it is derived
    # from are one group member each side (days_overdue | bill_month + paid_on), one_of alternatives likewise.
    exclusive: tuple[frozenset[str], ...] = ()
    required: frozenset[str] = frozenset()
    sources_only: frozenset[str] = frozenset()  # roles that are facts a derivation reads, not formula inputs
    # Words holding a one-character cue without meaning it ("想起来" is no 起, "收到" no 到): [cues].hollow.
    hollow: tuple[str, ...] = ()
    # Words asking for a figure the calculator derives from its defaults, which no clause states ("税多少" of the
    # 100 元 opening fee): such a question is computed though it gives no value.
    derived: tuple[str, ...] = ()
    # Words naming the situation the calculator applies to, one of which a question (or the conversation before it)
    # must say: suspension for an unpaid bill is not a suspension asked for ("能先暂停两个月吗"). Empty: any.
    situation: tuple[str, ...] = ()
    # Words naming what the calculator's result never covers, which a question asking about them asks a rule of:
    # the losses an outage caused are no rent credit (A1-10.4), whatever hours the question gives.
    beyond: tuple[str, ...] = ()
    # The calculator of one line (its input bandwidth_mbps) this one totals for a list of lines: after it, a count
    # of lines ("两条呢") or lines said as added ("再加一条十兆的") asks this one, its bandwidth one line of the list.
    lines_of: str = ""
    # Calculators working out a part of this one's result, with the words a follow-up names that part by: after a
    # first payment, "这里面首月月租单独是多少" asks its first month by the day (prorated_fee) on the same facts.
    parts: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # The words naming the event of any calculator's day (two characters or more: "受理", "竣工", "寄出"), set when
    # the whole vocabulary is loaded: a day its own clause names so fills no optional day of another event.
    day_events: frozenset[str] = frozenset()

    def applies(self, text: str) -> bool:
        """The text speaks of the calculator's situation (always, when it names none)."""
        return not self.situation or any(w in text for w in self.situation)

    @cached_property
    def _reading_words(self) -> PhraseIndex:
        """The words of this calculator's reading of its value, found in one pass over a text."""
        return PhraseIndex(self.reading.get("words", ()))

    def reads_value_as(self, text: str) -> bool:
        """The text says one of the words of this calculator's reading of its value (含税, 不含税)."""
        return bool(self._reading_words.found(text))

    def states_value_as(self, text: str) -> bool:
        """The text says the value is of this calculator's reading: one of its words, neither negated by the
        character before it ("含税" in "不含税") nor asked for by the words after it ("不含税价是多少")."""
        return any(
            (at == 0 or text[at - 1] not in NEGATING) and not ASKED_AFTER.match(text, at + len(w))
            for at, w in self._reading_words.occurrences(text)
        )

    def goes_beyond(self, text: str) -> bool:
        """The text speaks of what the calculator's result never covers (see `beyond`)."""
        return any(w in text for w in self.beyond)

    def asks_derived(self, text: str) -> bool:
        """The text asks for a figure only the calculation gives (see `derived`)."""
        return any(w in text for w in self.derived)

    @property
    def amount_role(self) -> str:
        """Its first money input: the value an `opposite` reads the other way round."""
        return _amount_of(self.roles) or ""

    def role(self, name: str) -> RoleSpec | None:
        return next((r for r in self.roles if r.name == name), None)

    def other_cues(self, name: str) -> tuple[str, ...]:
        """The cue words of every role but `name` (a cue inside a longer one of theirs does not count)."""
        return self._other_cues[name]

    @cached_property
    def lone_day(self) -> str:
        """The name of its one day input, or "" when it has none or several."""
        days = [r.name for r in self.roles if r.kind in DAY_KINDS]
        return days[0] if len(days) == 1 else ""

    @cached_property
    def input_words(self) -> frozenset[str]:
        """The cue words of two characters or more that name one of its inputs ("竣工" for a completion date)."""
        return frozenset(c for r in self.roles for c in r.cues if len(c) >= 2)

    @cached_property
    def _other_cues(self) -> dict[str, tuple[str, ...]]:
        return {r.name: tuple(c for o in self.roles if o.name != r.name for c in o.cues) for r in self.roles}


@dataclass(frozen=True)
class Vocabulary:
    """All of triggers.toml, typed and checked against the registry."""

    threshold: float
    cues: tuple[str, ...]
    compute: tuple[str, ...]
    rule_questions: tuple[str, ...]
    yes_no: tuple[str, ...]
    flags: dict[str, tuple[str, ...]]
    calculators: dict[str, CalcSpec]
    asks_money: tuple[str, ...] = ()
    # Words naming the last calculation's result ("这个钱", "减免的钱"): a lookup about it is about its clauses.
    result_words: tuple[str, ...] = ()
    # A change said as done ("降到50M以后"): the line as it will be, its verb naming no change ('re:' patterns).
    state_after: tuple[str, ...] = ()
    asks_date: tuple[str, ...] = ()
    asks_duration: tuple[str, ...] = ()
    asks_rate: tuple[str, ...] = ()
    asks_rule: tuple[str, ...] = ()
    alternatives: tuple[str, ...] = ()
    asks_deadline: tuple[str, ...] = ()
    asks_period: tuple[str, ...] = ()
    asks_left: tuple[str, ...] = ()
    asks_how: tuple[str, ...] = ()
    # A question asking whether ("你们要负责吗", "赔不赔"), which a rule answers unless it asks for a figure too.
    asks_whether: tuple[str, ...] = ()
    own_case: tuple[str, ...] = ()
    hypothetical: tuple[str, ...] = ()
    # A message said to change the subject ("顺便问下", "换个问题"): no change of the last calculation.
    new_topic: tuple[str, ...] = ()
    # Who "我们" is: an agent speaking of the customer in the third person ("客户说…") means the operator by it.
    third_person: tuple[str, ...] = ()
    second_person: tuple[str, ...] = ()
    first_person: tuple[str, ...] = ()
    # Words asking for one part of a result, by the result's key ("税额" for a tax split's `tax`).
    result_parts: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # A part of a total said to be of another kind ("其中20小时是我们自己机房的问题"): the words introducing it, the
    # words starting what is said of the rest, and the flags that take the part off the total.
    part_markers: tuple[str, ...] = ()
    part_ends: tuple[str, ...] = ()
    part_excluded: tuple[str, ...] = ()
    part_besides: tuple[str, ...] = ()

    @cached_property
    def quiet_cues(self) -> frozenset[str]:
        """Intent cues that are no strong trigger of any calculator ("到期" of the term is one, and names it)."""
        return frozenset(
            c for c in self.cues if not any(s.triggers.get(c, 0) >= self.threshold for s in self.calculators.values())
        )


def _strings(where: str, value: Any) -> tuple[str, ...]:
    """A list of non-empty strings, or VocabularyError."""
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise VocabularyError(f"{where} must be a list of non-empty strings, got {value!r}")
    return tuple(value)


def _flag_names(where: str, value: Any, flags: dict[str, tuple[str, ...]]) -> tuple[str, ...]:
    """Strings as _strings, each the name of a [flags] lexicon."""
    names = _strings(where, value) if value else ()
    if unknown := [n for n in names if n not in flags]:
        raise VocabularyError(f"{where}: {unknown} are not [flags] lexicons; valid: {sorted(flags)}")
    return names


def _two_characters(where: str, value: Any) -> tuple[str, ...]:
    """Strings as _strings, each of two characters (words replaced in place by another of two)."""
    words = _strings(where, value)
    if any(len(w) != 2 for w in words):
        raise VocabularyError(f"{where} must hold words of two characters, got {[w for w in words if len(w) != 2]}")
    return words


def _patterns(where: str, value: Any) -> tuple[str, ...]:
    """Strings as _strings, where a "re:" entry must compile."""
    words = _strings(where, value)
    for w in words:
        if w.startswith("re:"):
            try:
                re.compile(w[3:])
            except re.error as e:
                raise VocabularyError(f"{where}: {w!r} is not a regular expression: {e}") from None
    return words


def _regexes(where: str, value: Any) -> tuple[str, ...]:
    """Patterns as _patterns, every one a "re:" entry (a plain word would be read as a pattern)."""
    words = _patterns(where, value)
    if plain := [w for w in words if not w.startswith("re:")]:
        raise VocabularyError(f"{where}: every entry is a 're:' pattern, not so for {plain}")
    return words


def _plain(where: str, value: Any) -> tuple[str, ...]:
    """Strings as _strings, for lists matched as plain substrings: a "re:" entry would silently never match."""
    words = _strings(where, value)
    if patterns := [w for w in words if w.startswith("re:")]:
        raise VocabularyError(f"{where} is matched as plain words, so it cannot hold patterns; got {patterns}")
    return words


def _role(calc: str, name: str, raw: Any, flags: dict[str, tuple[str, ...]]) -> RoleSpec:
    """One role from its TOML table, checked."""
    where = f"calculators.{calc}.roles.{name}"
    if not isinstance(raw, dict) or raw.get("kind") not in KINDS:
        raise VocabularyError(f"{where}: kind must be one of {sorted(KINDS)}, got {raw!r}")
    unknown = set(raw) - {"kind", "cues", "now", "yes", "no", "never", "default_named", "line_tariff", "fixed"}
    if unknown:
        raise VocabularyError(f"{where}: unknown keys {sorted(unknown)}")
    spec = RoleSpec(
        name,
        raw["kind"],
        _strings(f"{where}.cues", raw.get("cues", [])),
        _strings(f"{where}.now", raw.get("now", [])),
        _strings(f"{where}.yes", raw.get("yes", [])),
        _strings(f"{where}.no", raw.get("no", [])),
        _strings(f"{where}.never", raw.get("never", [])),
        _strings(f"{where}.default_named", raw.get("default_named", [])),
        raw.get("line_tariff", False),
        raw.get("fixed", False),
    )
    if not isinstance(spec.line_tariff, bool) or (spec.line_tariff and spec.kind != "money"):
        raise VocabularyError(f"{where}: line_tariff must be true or false, and only on a money input, got {raw!r}")
    if not isinstance(spec.fixed, bool) or (spec.fixed and spec.kind not in DURATION_KINDS):
        raise VocabularyError(f"{where}: fixed must be true or false, and only on a span (days, hours, months), got {raw!r}")
    if spec.now and spec.kind != "date":
        # A 'now' word gives today's date; it knows no time of day ("刚交了" is not paid at midnight).
        raise VocabularyError(f"{where}: now words decide a date input only, got them on a {spec.kind} input")
    if spec.kind == FLAG:
        missing = [f for f in (*spec.yes, *spec.no) if f not in flags]
        if missing or not (spec.yes or spec.no):
            raise VocabularyError(f"{where}: a flag needs yes/no lexicons from [flags] ({sorted(flags)}), got {missing or 'none'}")
    return spec


def _amount_of(roles: tuple[RoleSpec, ...]) -> str | None:
    """The first money input's name, or None."""
    return next((r.name for r in roles if r.kind == "money"), None)


def _opposite_reading(name: str, opposite: str, reading: dict[str, Any], roles: tuple[RoleSpec, ...]) -> tuple[str, ...]:
    """The words of a calculator's `reading`, once its `opposite` and reading are checked (VocabularyError naming the
    problem): another registered calculator, a label and a question naming only the amount, a money input."""
    if opposite not in REGISTRY or opposite == name:
        raise VocabularyError(f"calculators.{name}.opposite: no other calculator {opposite!r}; registered: {', '.join(sorted(REGISTRY))}")
    if not (reading.get("label") and reading.get("question")):
        raise VocabularyError(f"calculators.{name}: an opposite needs reading = {{ label, question, words }}")
    words = _strings(f"calculators.{name}.reading.words", reading.get("words", []))
    amount = _amount_of(roles)
    if amount is None:
        raise VocabularyError(f"calculators.{name}: an opposite reads one amount, so needs a money input")
    try:
        reading["question"].format_map({amount: "5000"})
    except (KeyError, IndexError, ValueError) as e:
        raise VocabularyError(f"calculators.{name}.reading.question may name only {{{amount}}}, got {e}") from None
    return words


def _subject_triggers(name: str, raw: dict[str, Any], subjects: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """A calculator's own trigger phrases with those of the [subjects] it names, each phrase stated in one place.

    `subjects` is a list of names, or a table of name → scale for a calculator the subject only hints at (the
    cloud cancelled is the whole point of one line's price, a side remark beside several lines' total)."""
    triggers = dict(raw.get("triggers", {}))
    named = raw.get("subjects", [])
    if isinstance(named, list) and all(isinstance(s, str) for s in named):
        named = dict.fromkeys(named, 1)
    if not isinstance(named, dict) or not all(isinstance(v, (int, float)) and 0 < v <= 1 for v in named.values()):
        raise VocabularyError(f"calculators.{name}.subjects must be a list of [subjects] names or a table of name → "
                              f"scale in (0, 1], got {named!r}")
    for subject, scale in named.items():
        if subject not in subjects:
            raise VocabularyError(f"calculators.{name}.subjects: no subject {subject!r}; valid: {sorted(subjects)}")
        twice = sorted(set(triggers) & set(subjects[subject]))
        if twice:
            raise VocabularyError(f"calculators.{name}.triggers: {twice} are stated in [subjects.{subject}] already")
        triggers.update({phrase: weight * scale for phrase, weight in subjects[subject].items()})
    return triggers


def _calculator(
    name: str, raw: dict[str, Any], flags: dict[str, tuple[str, ...]],
    hollow: tuple[str, ...] = (), subjects: dict[str, dict[str, Any]] | None = None,
) -> CalcSpec:
    """One calculator's spec, checked against its registered formula and derivations."""
    if name not in REGISTRY:
        raise VocabularyError(f"calculators.{name}: no such calculator; registered: {', '.join(sorted(REGISTRY))}")
    formula = REGISTRY[name]
    known = set(formula.inputs.model_fields) | formula.source_names()
    roles = tuple(_role(name, k, v, flags) for k, v in raw.get("roles", {}).items())
    bad = [r.name for r in roles if r.name not in known]
    if bad:
        raise VocabularyError(f"calculators.{name}.roles: {bad} are neither inputs nor derivation facts; valid: {sorted(known)}")
    missing = [n for n in formula.required if n not in {r.name for r in roles}]
    if missing:
        raise VocabularyError(f"calculators.{name}.roles: required inputs {missing} have no role")
    order = tuple(tuple(pair) for pair in raw.get("order", []))
    if any(len(p) != 2 or not set(p) <= {r.name for r in roles} for p in order):
        raise VocabularyError(f"calculators.{name}.order: pairs of role names expected, got {order}")
    triggers = {}
    for phrase, weight in _subject_triggers(name, raw, subjects or {}).items():
        if not isinstance(weight, (int, float)) or weight <= 0:
            raise VocabularyError(f"calculators.{name}.triggers.{phrase}: weight must be > 0, got {weight!r}")
        if phrase.startswith("re:"):
            re.compile(phrase[3:])
        if _UPPER.search(re.sub(r"\\.", "", phrase)):
            raise VocabularyError(f"calculators.{name}.triggers.{phrase}: upper-case letters never match a folded question")
        triggers[phrase] = float(weight)
    answers = {k: v for k, v in raw.items() if k.startswith("answer")}
    if not ("answer" in answers or "answer_true" in answers):
        raise VocabularyError(f"calculators.{name}: needs an answer template")
    examples = dict(raw.get("examples", {}))
    defaults = dict(raw.get("defaults", {}))
    for key in (*examples, *defaults):
        if key not in known:
            raise VocabularyError(f"calculators.{name}: examples/defaults name {key!r}, not an input")
    verdict, unlisted = raw.get("verdict", False), raw.get("unlisted", False)
    for key, flag in (("verdict", verdict), ("unlisted", unlisted)):
        if not isinstance(flag, bool):
            raise VocabularyError(f"calculators.{name}.{key} must be true or false, got {flag!r}")
    opposite, reading = raw.get("opposite", ""), dict(raw.get("reading", {}))
    if opposite:
        reading["words"] = _opposite_reading(name, opposite, reading, roles)
    gives = raw.get("gives", "")
    if gives not in GIVES:
        raise VocabularyError(f"calculators.{name}.gives must be one of {sorted(GIVES)}, got {gives!r}")
    exclusive = [frozenset(group) for group in formula.one_of]
    for target in formula.inputs.model_fields:
        for d in formula.derivations(target):
            exclusive += [frozenset({target, source}) for source in d.sources]
    return CalcSpec(
        name=name,
        exclusive=tuple(exclusive),
        required=frozenset(formula.required),
        sources_only=frozenset(formula.source_names() - set(formula.inputs.model_fields)),
        triggers=triggers,
        roles=roles,
        order=order,
        examples=examples,
        defaults=defaults,
        answers=answers,
        conditions=_strings(f"calculators.{name}.conditions", raw.get("conditions", [])),
        unlisted=unlisted,
        verdict=verdict,
        opposite=opposite,
        reading=reading,
        gives=gives,
        hollow=hollow,
        derived=_strings(f"calculators.{name}.derived", raw.get("derived", [])),
        situation=_strings(f"calculators.{name}.situation", raw.get("situation", [])),
        beyond=_strings(f"calculators.{name}.beyond", raw.get("beyond", [])),
        lines_of=_lines_of(name, raw.get("lines_of", ""), roles),
        parts=_parts(name, raw.get("parts", {})),
    )


def _parts(name: str, raw: Any) -> dict[str, tuple[str, ...]]:
    """A calculator's `parts` table, checked: other calculators' names, each with words (or "re:" patterns)."""
    if not isinstance(raw, dict):
        raise VocabularyError(f"calculators.{name}.parts must be a table of calculator = [words], got {raw!r}")
    out = {}
    for part, words in raw.items():
        if part not in REGISTRY or part == name:
            raise VocabularyError(f"calculators.{name}.parts: no other calculator {part!r}; registered: {', '.join(sorted(REGISTRY))}")
        out[part] = _patterns(f"calculators.{name}.parts.{part}", words)
    return out


def _lines_of(name: str, single: Any, roles: tuple[RoleSpec, ...]) -> str:
    """`lines_of`, checked: a calculator of one bandwidth, named by one that reads a list of lines."""
    if not single:
        return ""
    if not isinstance(single, str) or single not in REGISTRY or "bandwidth_mbps" not in REGISTRY[single].inputs.model_fields:
        raise VocabularyError(f"calculators.{name}.lines_of must name a calculator with input bandwidth_mbps, got {single!r}")
    if not any(r.kind == "line_list" for r in roles):
        raise VocabularyError(f"calculators.{name}.lines_of: {name} has no line_list role to total the lines in")
    return single


def load(path: Path = TRIGGERS_PATH) -> Vocabulary:
    """Read and validate a triggers file; VocabularyError names the first problem."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    threshold = float(data["intent"]["threshold"])
    if threshold <= 0:
        # A calculator none of whose phrases occur scores 0; it must never be chosen for that.
        raise VocabularyError(f"{path}: [intent].threshold must be > 0, got {threshold}")
    flags = {k: _strings(f"flags.{k}", v) for k, v in data.get("flags", {}).items()}
    hollow = _strings("cues.hollow", data.get("cues", {}).get("hollow", []))
    if short := [w for w in hollow if len(w) < 2]:
        raise VocabularyError(f"{path}: [cues].hollow words hold a one-character cue, so have two characters or more; got {short}")
    subjects = data.get("subjects", {})
    calculators = {name: _calculator(name, raw, flags, hollow, subjects) for name, raw in data["calculators"].items()}
    events = frozenset(c for spec in calculators.values() for r in spec.roles if r.kind in DAY_KINDS for c in r.cues if len(c) >= 2)
    calculators = {name: replace(spec, day_events=events) for name, spec in calculators.items()}
    missing = sorted(set(REGISTRY) - set(calculators))
    if missing:
        raise VocabularyError(f"{path}: calculators without a vocabulary entry: {missing}")
    vocab = Vocabulary(
        threshold=threshold,
        cues=_patterns("intent.cues", data["intent"]["cues"]),
        compute=_plain("intent.compute", data["intent"]["compute"]),
        rule_questions=_plain("intent.rule_questions", data["intent"]["rule_questions"]),
        yes_no=_patterns("intent.yes_no", data["intent"]["yes_no"]),
        asks_money=_patterns("intent.asks_money", data["intent"].get("asks_money", [])),
        asks_date=_patterns("intent.asks_date", data["intent"].get("asks_date", [])),
        asks_duration=_patterns("intent.asks_duration", data["intent"].get("asks_duration", [])),
        asks_rate=_patterns("intent.asks_rate", data["intent"].get("asks_rate", [])),
        asks_rule=_patterns("intent.asks_rule", data["intent"].get("asks_rule", [])),
        alternatives=_plain("intent.alternatives", data["intent"].get("alternatives", [])),
        asks_deadline=_plain("intent.asks_deadline", data["intent"].get("asks_deadline", [])),
        asks_period=_plain("intent.asks_period", data["intent"].get("asks_period", [])),
        asks_left=_plain("intent.asks_left", data["intent"].get("asks_left", [])),
        asks_how=_plain("intent.asks_how", data["intent"].get("asks_how", [])),
        asks_whether=_patterns("intent.asks_whether", data["intent"].get("asks_whether", [])),
        own_case=_patterns("intent.own_case", data["intent"].get("own_case", [])),
        hypothetical=_plain("intent.hypothetical", data["intent"].get("hypothetical", [])),
        new_topic=_plain("intent.new_topic", data["intent"].get("new_topic", [])),
        result_parts={k: _patterns(f"result_parts.{k}", v) for k, v in data.get("result_parts", {}).items()},
        third_person=_patterns("perspective.third_person", data.get("perspective", {}).get("third_person", [])),
        second_person=_strings("perspective.second_person", data.get("perspective", {}).get("second_person", [])),
        first_person=_two_characters("perspective.first_person", data.get("perspective", {}).get("first_person", [])),
        result_words=_patterns("intent.result_words", data["intent"].get("result_words", [])),
        state_after=_regexes("intent.state_after", data["intent"].get("state_after", [])),
        part_markers=_strings("parts.markers", data.get("parts", {}).get("markers", [])),
        part_ends=_strings("parts.ends", data.get("parts", {}).get("ends", [])),
        part_excluded=_flag_names("parts.excluded", data.get("parts", {}).get("excluded", []), flags),
        part_besides=_strings("parts.besides", data.get("parts", {}).get("besides", [])),
        flags=flags,
        calculators=calculators,
    )
    one_way = [n for n, c in calculators.items() if c.opposite and calculators[c.opposite].opposite != n]
    if one_way:
        raise VocabularyError(f"{path}: an opposite names its calculator back; not so for {one_way}")
    return vocab


@lru_cache(maxsize=1)
def vocabulary() -> Vocabulary:
    """The project's triggers.toml, loaded once."""
    return load()


@dataclass(frozen=True)
class TriggerIndex:
    """Every calculator's trigger phrases: plain ones in one automaton, 're:' patterns compiled."""

    plain: PhraseIndex
    patterns: dict[str, re.Pattern[str]]
    owners: dict[str, frozenset[str]]  # phrase -> the calculators it triggers
    state_after: tuple[re.Pattern[str], ...] = ()

    @classmethod
    def of(cls, vocab: Vocabulary) -> TriggerIndex:
        owners: dict[str, set[str]] = {}
        for spec in vocab.calculators.values():
            for p in spec.triggers:
                owners.setdefault(p, set()).add(spec.name)
        patterns = {p: re.compile(p[3:]) for p in owners if p.startswith("re:")}
        plain = PhraseIndex(p for p in owners if p not in patterns)
        after = tuple(re.compile(p[3:], re.IGNORECASE) for p in vocab.state_after)
        return cls(plain, patterns, {p: frozenset(names) for p, names in owners.items()}, after)

    def found(self, *texts: str) -> set[str]:
        """The trigger phrases (and 're:' patterns) present in any of the texts."""
        return self.read(*texts)[0]

    def read(self, *texts: str) -> tuple[set[str], frozenset[str]]:
        """The trigger phrases present in any of the texts, and those of them said only within a change said as
        done ([intent].state_after: "降到50M以后" names no change), in one pass over the texts."""
        matched = {p for p, rx in self.patterns.items() if any(rx.search(t) for t in texts)}
        plain: set[str] = set()
        outside: set[str] = set()
        for t in texts:
            spans = [m.span() for rx in self.state_after for m in rx.finditer(t)]
            # A phrase negated by the character before it is its opposite ("含税" in "不含税"), unless the
            # negation is part of another occurrence of the phrase itself.
            # A phrase the question denies ("不是到期不续") names the reading that is not meant.
            for at, p in self.plain.occurrences(t):
                if (at == 0 or t[at - 1] not in NEGATING) and not denied(t, at):
                    plain.add(p)
                    if not any(a <= at < b for a, b in spans):
                        outside.add(p)
        return plain | matched, frozenset(plain - outside)

    def triggered(self, found: set[str]) -> set[str]:
        """The calculators with at least one of the found phrases among their triggers."""
        return {name for p in found for name in self.owners[p]}


@lru_cache(maxsize=1)
def trigger_index() -> TriggerIndex:
    """The trigger index of the project's vocabulary, built once."""
    return TriggerIndex.of(vocabulary())


def keyword_score(spec: CalcSpec, found: set[str]) -> float:
    """Sum of the weights of the calculator's trigger phrases among those found."""
    return sum(w for phrase, w in spec.triggers.items() if phrase in found)
