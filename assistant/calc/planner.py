"""From a Chinese question to a calculation plan: which calculator, which inputs, what is still missing.

The work is split by concern: `vocabulary` (triggers.toml, validated), `mentions` (typed values with their cue
words, negation and attribution), `roles` (joint assignment of values to inputs), `selection` (the fitted model
that picks the calculator) and `dialogue` (what a follow-up does to the last or pending calculation). This
module holds the plan they produce and the entry points the Assistant calls.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from typing import Any

from pydantic import BaseModel, Field

from assistant.corpus.ids import clause_name
from assistant.errors import CalcInputError, InputNeeded
from assistant.models import CalcResult, MissingInput, PendingCalculation

from .formulas.fees import LINE_TARIFF
from .parse import extract
from .registry import REGISTRY, get, run
from .selection import Candidate, Reading, candidates, model, understand
from .vocabulary import CalcSpec, vocabulary


class CalcPlan(BaseModel):
    """What a question asks to compute: the calculator, the inputs understood so far, what is missing."""

    name: str
    inputs: dict[str, Any] = Field(default_factory=dict, description="JSON-able: dates ISO, amounts as decimal strings")
    missing: list[str] = Field(default_factory=list, description="input names still needed, in asking order")
    assumptions: list[str] = Field(default_factory=list, description="what was assumed, in Chinese, to say back")
    clause_ids: list[str] = Field(default_factory=list)
    # Other calculators the question fits almost as well: the person is asked which one is meant.
    alternatives: list[str] = Field(default_factory=list)
    probability: float | None = Field(default=None, description="the selection model's probability, when scored")
    # Kept after a lookup answered the question (latent()): only a reply that completes it continues it.
    latent: bool = False
    # No word says which way the question's value is meant (this calculator or its `opposite`): ask which.
    undecided: bool = False

    @property
    def runnable(self) -> bool:
        """Whether run() can be tried with `inputs`: nothing is missing but inputs the formula may decide without."""
        return set(self.missing) <= get(self.name).deferred


Ranks = Mapping[str, Mapping[str, float]]  # ranking kind → clause id → rank; "similar": calculator → share
# How far a calculator must lead the others on trigger weight to be what a question without values means: at
# least one phrase of weight 1 that the others do not have ("欠费的违约金" is a late fee; "违约金" alone is not).
OUTRIGHT_LEAD = 1.0


def default_notes(name: str, inputs: Mapping[str, Any]) -> list[str]:
    """What the defaults of unfilled optional inputs mean, said back to the person."""
    spec = vocabulary().calculators[name]
    return [note for key, note in spec.defaults.items() if key not in inputs]


def build(name: str, inputs: dict[str, Any], assumptions: list[str] = (), **extra: Any) -> CalcPlan:
    """A CalcPlan with its missing list, clauses and default notes worked out."""
    formula = get(name)
    inputs = _without_unneeded_sources(formula, inputs)
    notes = list(dict.fromkeys([*assumptions, *default_notes(name, inputs)]))
    return CalcPlan(
        name=name,
        inputs=inputs,
        missing=formula.missing(inputs),
        assumptions=notes,
        clause_ids=list(formula.clauses),
        **extra,
    )


def _without_unneeded_sources(formula, inputs: dict[str, Any]) -> dict[str, Any]:
    """Drop facts only a derivation reads when the input it derives is given directly ("逾期20天" beats a bill
    month also mentioned), so the formula is not handed inputs it does not take."""
    fields = set(formula.inputs.model_fields)
    needed = {s for n in fields if n not in inputs for d in formula.derivations(n) for s in d.sources}
    return {k: v for k, v in inputs.items() if k in fields or k in needed}


def choose(found: list[Candidate]) -> CalcPlan | None:
    """The most probable candidate as a plan if it clears the model's threshold; close runners-up as alternatives."""
    m = model()
    if not found:
        return None
    best = found[0]
    x = best.features
    if x["no_values"] and not x["compute"] and (x["rule_question"] or not x["asks"] or _asks_which_of_two(best)):
        # Without any value, "几天内要报备" (or "开户费是单独交还是跟月租一起交") asks what the rule is, which the
        # clause answers — unless it asks outright for the calculation ("……帮我算一下哪天截止"), whose inputs are
        # then asked for.
        return None
    if ((x["rule_question"] or _asks_which_of_two(best)) and not x["compute"] and not best.fill.used
            and get(best.name).missing(best.inputs)):
        # Nor does one whose values the calculator reads none of: "合约一年到期，会自动续约吗" states the term the
        # contract sets, and asks the rule, not for the start date the calculation would need.
        return None
    if (x["no_values"] and not x["compute"] and best.spec.gives and best.asked != best.spec.gives
            and get(best.name).missing(best.inputs)):
        # Nor does one without values that asks for no figure of the kind the calculator gives: "合同到期不续了
        # 设备要还回去吗" is about the equipment, not the term's end date, whose inputs it would ask for.
        return None
    if _asks_which_reading(best):
        # "开户费100块是含税价还是不含税价" asks which way the contract reads its figure (M-28 says), not the split.
        return None
    outright = _asked_outright(found)
    if outright is not None:
        best = outright
    elif (taker := _one_that_takes_what_the_leader_refuses(max(found, key=lambda c: c.keywords), found)) is not None:
        best = taker
    elif best.probability < m.threshold:
        return None
    best = _one_that_uses_the_values(best, found, m.threshold)
    best = _one_that_takes_the_whole(best, found, m.threshold)
    best = _one_that_gives_the_verdict(best, found, m.threshold)
    best = _direction_the_values_name(best, found)
    close = [c.name for c in found[1:] if c.probability >= m.threshold and best.probability - c.probability < m.margin]
    name, inputs = _one_line(best.spec, best.inputs)
    return build(name, inputs, best.fill.assumptions, alternatives=close, probability=round(best.probability, 4),
                 undecided=_undecided(best))


def _one_line(spec: CalcSpec, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """A total of lines that lists one line ("只留一条200M专线 三个月多少") as the fee of that line (CalcSpec.lines_of),
    which is what is asked; else the calculator and inputs as they are."""
    lines = inputs.get("lines")
    if not spec.lines_of or not isinstance(lines, list) or len(lines) != 1 or lines[0].get("count") != 1:
        return spec.name, inputs
    rest = {k: v for k, v in inputs.items() if k != "lines" and k in REGISTRY[spec.lines_of].inputs.model_fields}
    return spec.lines_of, {"bandwidth_mbps": lines[0]["bandwidth_mbps"], **rest}


def _undecided(best: Candidate) -> bool:
    """The question gives the value its calculator reads, but no word of its reading or of its opposite's says
    which way ("5000的税是多少": tax-inclusive or pre-tax?)."""
    opposite = best.spec.opposite
    if not opposite or not best.fill.used:
        return False
    return not (best.spec.reads_value_as(best.text) or vocabulary().calculators[opposite].reads_value_as(best.text))


def siblings(name: str) -> list[str]:
    """The other date calculators resting on the same first clause: one rule read forwards and backwards (a notice
    date → the earliest end; an end date → the latest notice). Fee calculators of one clause differ in what they
    total, not in which way they read it, so they are no siblings."""
    vocab = vocabulary()
    if vocab.calculators[name].gives != "date":
        return []
    clause = get(name).clauses[0]
    return [n for n, f in REGISTRY.items() if n != name and f.clauses[0] == clause and vocab.calculators[n].gives == "date"]


def _direction_the_values_name(best: Candidate, found: list[Candidate]) -> Candidate:
    """The sibling reading the same values, complete, when its input words name them more strongly ("想在9月30日终止，
    最晚哪天书面通知": 9月30日 is the end, so the latest notice day — not a notice on 9月30日)."""
    if best.fill.cued or not best.features["cue_deficit"]:
        # Only a reading none of whose values its own words name, and which other words do, is turned round.
        return best
    asked = [words for words in _EXTREMES if any(w in best.text for w in words)]
    names = siblings(best.name)
    better = [c for c in found if c.name in names and not get(c.name).missing(c.inputs)
              and c.fill.cue_total > best.fill.cue_total and c.fill.used >= best.fill.used
              # … and the question asks for what the sibling gives (最晚 for a latest notice day)
              and any(w in get(c.name).title for words in asked for w in words)]
    return better[0] if better else best


# The ends a date calculator's title says its result is, in the words a question asks for them.
_EXTREMES = (("最早", "最快"), ("最晚", "最迟"))


def _one_that_uses_the_values(best: Candidate, found: list[Candidate], threshold: float) -> Candidate:
    """Rather than ask for every input of a calculator the question gives none of, take a runner-up that clears
    the threshold and computes from the values the question does give ("再两个月就到期……每月1580……终止要付多少":
    the early-termination penalty, not the term's end date) — or that is complete on its defaults alone while the
    question states values it does not take ("不含税66666元，税额和价税合计": the VAT on that pre-tax amount, not the
    split of the default opening fee)."""
    on_defaults_alone = not get(best.name).missing(best.inputs) and not best.features["no_values"]
    if best.fill.used or not (get(best.name).missing(best.inputs) or on_defaults_alone):
        return best
    complete = [c for c in found[1:] if c.probability >= threshold and c.fill.used and not get(c.name).missing(c.inputs)]
    # Below the threshold too, one its trigger words name outright whose own cue words name the values it takes
    # ("7月15日产生的用量算哪期账单" gives a day of use, which a bill month's calculator cannot take).
    named = vocabulary().threshold
    cued = [c for c in found[1:] if c.fill.used and c.fill.cued and c.keywords >= named and not get(c.name).missing(c.inputs)]
    return complete[0] if complete else cued[0] if cued else best


def _one_that_takes_the_whole(best: Candidate, found: list[Candidate], threshold: float) -> Candidate:
    """Rather than read one part of a list the question gives as a whole ("两条50M还有一条10M的 沃云停了以后一整年总共多少":
    the 10M line alone), take a runner-up, complete and over the threshold, that takes the whole list."""
    if not best.features["partial"]:
        return best
    whole = [c for c in found if c is not best and c.probability >= threshold and c.features["composite"]
             and not c.features["partial"] and not get(c.name).missing(c.inputs)]
    return whole[0] if whole else best


def _one_that_gives_the_verdict(best: Candidate, found: list[Candidate], threshold: float) -> Candidate:
    """Rather than a figure with no verdict for a question asking whether ("通知落款8月5日，9月1日转让，够不够提前":
    the latest notice day, not the earliest transfer day), take a runner-up over the threshold that gives the verdict,
    complete on more of the question's values."""
    if not best.features["no_verdict"]:
        return best
    giving = [c for c in found if c is not best and c.features["verdict"] and c.probability >= threshold
              and c.fill.used and not get(c.name).missing(c.inputs) and c.features["coverage"] > best.features["coverage"]]
    return giving[0] if giving else best


def _one_that_takes_what_the_leader_refuses(leader: Candidate, found: list[Candidate]) -> Candidate | None:
    """The calculator whose own cue words take the value the keyword leader refuses by its never-words ("报价不含税
    3万加上6%的VAT一共多少": the VAT split refuses a pre-tax amount, the VAT on a pre-tax amount takes it), complete.
    The leader by trigger words, not by probability: its many words ("VAT", "税") are what sink the taker's."""
    if not leader.features["refused"] or leader.fill.used:
        return None
    return next((c for c in found if c is not leader and c.fill.used and c.fill.cued and not get(c.name).missing(c.inputs)), None)


def _asks_which_of_two(best: Candidate) -> bool:
    """Whether the question asks which of two ways ("还是") rather than for an amount ("能减多少？按天还是按小时")."""
    return best.asked != "money" and any(w in best.text for w in vocabulary().alternatives)


def _asks_which_reading(best: Candidate) -> bool:
    """Whether the question names both readings of its value around "还是" ("是含税的价格 还是说税要另外加") and asks
    for no figure: it asks which reading holds."""
    other = vocabulary().calculators.get(best.spec.opposite) if best.spec.opposite else None
    return (other is not None and not best.features["compute"] and _asks_which_of_two(best)
            and best.spec.states_value_as(best.text) and other.states_value_as(best.text))


def _asked_outright(found: list[Candidate]) -> Candidate | None:
    """A question without values that one calculator leads on trigger phrases, and that either asks outright for
    a calculation ("帮我算一下逾期的违约金": its inputs are to be asked for) or asks for a number the calculator
    gives from its defaults alone ("开户费的税是多少"). Few questions in the bank are like this, so the fitted
    model cannot weigh them; the rule says what they mean. Other questions without values ask for the rule
    ("开通要几天"), which the clause answers."""
    x = found[0].features
    if not x["no_values"]:
        return None
    if x["compute_no_values"] and x["keyword_lead"] >= OUTRIGHT_LEAD:
        return found[0]
    # Of the calculators a question names, the one that needs no input at all ("开户费的税是多少").
    complete = [c for c in found if c.features["complete"] and c.keywords >= vocabulary().threshold]
    return complete[0] if x["asks"] and len(complete) == 1 else None


def plan(question: str, today: date, pending: CalcPlan | None = None, ranks: Ranks | None = None) -> CalcPlan | None:
    """Work out which calculation `question` asks for and with which inputs.

    `today` is the clock for dates without a year (the plan's assumptions say which year was used).
    With `pending` (a plan from the previous turn that still had missing inputs), a reply such as
    "5000元，逾期10天" completes it, unless the message clearly asks for a different calculation.
    `ranks` ("lexical" / "dense" → clause id → rank) let retrieval's agreement count.
    Returns None when the question asks for no number (a plain lookup such as "云专线能暂停吗").
    Raises CalcInputError for an impossible date or time in the question (2月30日).
    """
    from .dialogue import complete_pending

    reading = understand(question, today)
    found = candidates(reading, ranks)
    if pending is not None and pending.name in REGISTRY and pending.missing:
        completed = complete_pending(pending, reading, found)
        if completed is not None:
            return completed
    return choose(found)


def latent(question: str, today: date, ranks: Ranks | None = None, own_case: bool = False) -> CalcPlan | None:
    """The calculation a question without values points at, to wait for its values after the clause has answered.

    "转租了会怎么样" is answered with the clause that states the rule; a reply such as "8个月 2100一个月" then
    gives that calculation its inputs (the service asks for them at once when the question asks for an amount or a
    deadline of its own, calc.asks_own_figure). Only a question that asks for a figure, gives no value and leads one
    calculator on its trigger phrases points at it; the plan has every input still missing. Nobody was asked
    for the values, so a reply continues it only by completing it (dialogue.complete_pending).
    """
    found = candidates(understand(question, today), ranks)
    if not found:
        return None
    best = found[0]
    x = best.features
    # `own_case`: the question asks how the figure of a case of the person's own is worked out ("我们欠费了 违约金咋算").
    if not (x["no_values"] and (x["asks"] or own_case) and x["keyword_lead"] > 0 and best.keywords >= vocabulary().threshold):
        return None
    if not get(best.name).missing(best.inputs):
        return None
    return build(best.name, best.inputs, best.fill.assumptions, latent=True)


def in_view(question: str, today: date, ranks: Ranks | None = None) -> bool:
    """Whether any calculator is a candidate for the question at all (with these rankings)."""
    return bool(candidates(understand(question, today), ranks))


def plan_reading(reading: Reading, ranks: Ranks | None = None) -> CalcPlan | None:
    """plan() for a question already read."""
    return choose(candidates(reading, ranks))


class Alternative(BaseModel):
    """One way to read an undecided question: its label, the question it stands for, and its plan."""

    label: str
    question: str
    plan: CalcPlan


def readings_of(plan_: CalcPlan) -> list[Alternative]:
    """An undecided plan's two readings, its own and its opposite's, each question naming the value ("5000元是含税价，
    里面的税是多少？") and each plan taking the value as its own input."""
    calculators = vocabulary().calculators
    value = plan_.inputs[calculators[plan_.name].amount_role]
    out = []
    for name in (plan_.name, calculators[plan_.name].opposite):
        spec = calculators[name]
        inputs = {spec.amount_role: value}
        question = spec.reading["question"].format_map(inputs)
        out.append(Alternative(label=spec.reading["label"], question=question, plan=build(name, inputs, list(plan_.assumptions))))
    return out


def unlisted_whichever(plan_: CalcPlan, question: str, today: date) -> tuple[Alternative, CalcResult] | None:
    """When the one input a plan still needs is a bandwidth and the contract lists no figure whichever of the
    tariff's bandwidths it is ("以后想升到500M 一个月多少": no 500M price), the first such reading with its result;
    else None. Only for bandwidths the question says as such ("500M", not the 5 of "5个工作日")."""
    spec = vocabulary().calculators[plan_.name]
    if not spec.unlisted:
        return None
    kinds = {r.name: r.kind for r in spec.roles}
    said = {int(q.value) for q in extract(question, today).quantities if q.kind == "bandwidth"}
    if not all(v in said for k, v in plan_.inputs.items() if kinds.get(k) == "bandwidth"):
        return None
    tried = []
    for choice in bandwidth_choices(plan_, question):
        try:
            tried.append((choice, run(choice.plan.name, choice.plan.inputs)))
        except (InputNeeded, CalcInputError):
            return None
    if not tried or any(result.result is not None for _, result in tried):
        return None
    return tried[0]


def bandwidth_choices(plan_: CalcPlan, question: str) -> list[Alternative]:
    """One reading per bandwidth of M-23's tariff, when the first input a plan still needs is a bandwidth.

    Also when it is an input a bandwidth may stand for (the first payment's monthly fee). Each reading is the question
    with that bandwidth said as the input's example says it ("原来200M" → "原来50M"): the person picks one rather than
    types it (and then the next one still needed). Empty otherwise."""
    spec = vocabulary().calculators[plan_.name]
    kinds = {r.name: r.kind for r in spec.roles}
    if not plan_.missing:
        return []
    # A monthly fee that a bandwidth may stand for instead (one_of: the first payment's) is asked as the bandwidth.
    group = next((g for g in get(plan_.name).one_of if plan_.missing[0] in g), (plan_.missing[0],))
    name = next((n for n in group if kinds.get(n) == "bandwidth"), None)
    if name is None:
        return []
    example = spec.examples.get(name, "")
    out = []
    for mbps in LINE_TARIFF:
        said = re.sub(r"\d+", str(mbps), example, count=1) if re.search(r"\d+\s*M", example) else f"{mbps}M"
        out.append(Alternative(label=f"{mbps}M", question=f"{question.rstrip('。.？?！! ')}，{said}",
                               plan=build(plan_.name, {**plan_.inputs, name: mbps}, list(plan_.assumptions))))
    return out


def clarify_text(plan_: CalcPlan, explain: bool = False) -> str:
    """The question asking for exactly the missing inputs, with the clauses the calculation rests on; with `explain`,
    after the formula itself (the question asked how the figure is worked out)."""
    formula_ = get(plan_.name)
    spec = vocabulary().calculators[plan_.name]
    wanted = "、".join(_wanted(formula_, name) for name in plan_.missing)
    examples = "，".join(spec.examples[name] for name in plan_.missing if name in spec.examples)
    clauses = "、".join(clause_name(c) for c in formula_.clauses)
    text = f"要计算{formula_.title}（依据{clauses}），还需要您告诉我：{wanted}。"
    if explain:
        text = f"{formula_.summary.rstrip('。')}。" + text
    if examples:
        text += f"例如回复：“{examples}”。"
    return text


def pending_calculation(plan_: CalcPlan) -> PendingCalculation:
    """The plan as the Answer states what it waits for: the calculator and each missing input with an example."""
    formula_ = get(plan_.name)
    examples = vocabulary().calculators[plan_.name].examples
    missing = [MissingInput(name=n, title=formula_.field_title(n), example=examples.get(n)) for n in plan_.missing]
    return PendingCalculation(name=plan_.name, title=formula_.title, missing=missing)


def _wanted(formula_, name: str) -> str:
    """An input's title, with the other facts it can be derived from ("逾期天数（或账单月份和缴费日期）")."""
    title = formula_.field_title(name)
    alts = ["和".join(d.inputs.model_fields[s].title or s for s in d.sources) for d in formula_.derivations(name)]
    return f"{title}（或{'、'.join(alts)}）" if alts else title
