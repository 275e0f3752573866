"""Follow-ups: what a message does to the conversation's pending or last calculation.

A message may complete the pending question ("五千一，晚了十二天"), re-run the last calculation with inputs
changed ("那100M呢", "如果是计划割接呢"), run a related calculator on the same facts ("降到100M能省多少",
"这个钱的税是多少"), or start afresh. Each reading is built and the choice is made from the same kind of
evidence the calculator selection uses.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from assistant.errors import CalcInputError

from .formulas.fees import line_price
from .mentions import DAY_KINDS, Mention, Mentions, read, said_roughly
from .parse import DAY_OF_MONTH
from .planner import OUTRIGHT_LEAD, CalcPlan, Ranks, build, choose, siblings
from .registry import REGISTRY, run
from .roles import DURATION_KINDS, FILLERS, Assignment, names_event, number_value
from .selection import Candidate, Reading, asked_kind, candidates, fill, model, says, understand
from .vocabulary import keyword_score, vocabulary

# "那100M呢", "一年呢", "如果是30天", "换成20M": a message that changes the last question rather than asking anew.
# "月租2100也帮拆一下": the same done for another value ("也" asks what was just done, again).
_FOLLOW_UP = re.compile(
    r"^(那么?|如果|要是|假如|假设|换成|改成|换|改|那要是|那如果|还是|再)|呢[?？。!！]*$|的话[?？。!！]*$"
    r"|也(?:帮|给|请)?(?:我们?|忙)?(?:拆|算|分|折|核)"
)


# "客户更正：是4条20M", "说错了，是五千一", "是三条不是两条", "(客户)把100M那条换成50M": a correction restates part
# of the last question.
_CORRECTION = re.compile(
    r"更正|纠正|说错|搞错|记错|弄错|写错|其实是|应该是|不对|是[^，,。？?！!]{1,10}?不是"
    r"|把[^，,。？?！!]{0,12}?(?:换成|改成|改为|变成|升到|升级到|降到|降为|调到)"
)


def is_follow_up(question: str) -> bool:
    """Whether a message reads as a follow-up to the previous turn (or corrects it) rather than a new question."""
    text = question.strip()
    return bool(_FOLLOW_UP.search(text) or _CORRECTION.search(text))


def complete_pending(pending: CalcPlan, reading: Reading, found: list[Candidate]) -> CalcPlan | None:
    """The pending plan with its missing inputs filled from this message, or None if it fills none or the message
    clearly asks for another complete calculation."""
    spec = vocabulary().calculators[pending.name]
    formula = REGISTRY[pending.name]
    wanted = set(pending.missing)
    for name in pending.missing:
        wanted |= {s for d in formula.derivations(name) for s in d.sources}
        wanted |= {n for group in formula.one_of if name in group for n in group}
    if any(r.kind in DAY_KINDS for r in spec.roles if r.name in wanted):
        reading = _with_nearest_day(reading, pending.inputs)
    assignment, flags = fill(spec, reading, only=wanted | {r.name for r in spec.roles if r.kind == "flag"}, given=frozenset(pending.inputs))
    given = {**assignment.inputs, **flags}
    sibling = _better_sibling(pending, assignment, reading)
    if sibling is not None:
        return sibling
    if not assignment.inputs:
        return None
    own = choose(found)
    completed = build(pending.name, {**pending.inputs, **given}, [*pending.assumptions, *assignment.assumptions])
    theirs = next((c.fill for c in found if own is not None and c.name == own.name), None)
    if own is not None and own.name != pending.name and not own.missing and (
        len(own.inputs) > len(assignment.inputs) or not completed.runnable
        or (theirs is not None and theirs.cue_total > 0 and assignment.cue_total == 0)
    ):
        # Another calculation the message asks in full, where the pending one would still wait for values
        # ("10月的账单最晚几号交" while days overdue are awaited: the bill's due day, not half of an overdue status),
        # or whose values its own cue words name while the pending one would take them by position alone
        # ("下个月十五号发书面通知解除合同 最早哪天能解" while a term's start is awaited: a notice day, no start).
        return None
    # Values nobody asked for continue a latent plan only when they are all it needs.
    return None if pending.latent and not completed.runnable else completed


def _with_nearest_day(reading: Reading, inputs: Mapping[str, Any]) -> Reading:
    """The reply read with its one day said without a month ("13号", asked for a day) as that day nearest the
    pending plan's latest day, else nearest today; the reading as it was when it names a whole day or not one day."""
    placed = _nearest_day(reading, inputs)
    return placed[0] if placed else reading


def _nearest_day(reading: Reading, inputs: Mapping[str, Any]) -> tuple[Reading, str] | None:
    """The message read with its one day said without a month as that day nearest the latest day among `inputs`,
    else nearest today, and the note saying so; None when it names a whole day or not exactly one such day."""
    days = [m for m in DAY_OF_MONTH.finditer(reading.text)
            if not _NOT_DAY.search(reading.text[: m.start()]) and not _PLACE_BEFORE.search(reading.text[: m.start()])]
    if len(days) != 1 or any(m.kind in DAY_KINDS for m in reading.mentions.items):
        return None
    near = _latest_day(inputs.values()) or reading.today
    number = int(days[0].group(1))
    around = [(near.year * 12 + near.month - 1 + k) for k in (-1, 0, 1)]
    options = [d for i in around if (d := _on_day(i // 12, i % 12 + 1, number)) is not None]
    if not options:
        return None
    day = min(options, key=lambda d: abs((d - near).days))
    m = days[0]
    text = f"{reading.text[: m.start()]}{day.year}年{day.month}月{day.day}日{reading.text[m.end():]}"
    return understand(text, reading.today), f"“{m.group(0)}”未说明月份，按{day.year}年{day.month}月{day.day}日计算"


def _asks_what_it_gives(name: str, text: str) -> bool:
    """Whether the message asks for the kind of figure the calculator gives (a day for a deadline), so it is a
    question of its own rather than a change of the last one's facts ("那要是18号受理的呢")."""
    gives = vocabulary().calculators[name].gives
    return bool(gives) and asked_kind(text, vocabulary()) == gives


def _latest_day(values: Iterable[Any]) -> date | None:
    """The latest day among values written as ISO dates or date-times, or None."""
    days = sorted(str(v)[:10] for v in values if _ISO_DAY.match(str(v or "")))
    return date.fromisoformat(days[-1]) if days else None


_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
# A number of a street, a building or a room ("荣华南路2号", "德胜门外大街 11 号") is no day of a month.
_PLACE_BEFORE = re.compile(r"[路街道巷弄胡同区里楼栋座层室院村镇园厦场]\s*$")


def _placed_day_plan(own: CalcPlan | None, reading: Reading, inputs: Mapping[str, Any], ranks: Ranks | None) -> CalcPlan | None:
    """The calculation the message asks (`own`: none, or one still short of a day), complete once its one day said
    without a month ("12号上午10点交完") is put nearest the conversation's latest day (`inputs`); None otherwise."""
    if own is not None and not own.missing:
        return None
    placed = _nearest_day(reading, inputs)
    if placed is None:
        return None
    again = choose(candidates(placed[0], ranks))
    if again is None or (own is not None and again.name != own.name) or again.missing:
        return None
    again.assumptions.append(placed[1])
    return again


def _on_day(year: int, month: int, day: int) -> date | None:
    """That day of that month, or None when the month has no such day."""
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _better_sibling(last: CalcPlan, assignment: Assignment, reading: Reading) -> CalcPlan | None:
    """The other direction of the same rule when this message's values are named by its input words rather than
    the last calculation's: after "要提前几天通知" (a notice date → the end date), "我们想在11月30日终止" gives the
    end date, so the latest notice date for it is meant — not a notice on 11月30日.

    Of the siblings (planner.siblings), one is taken only when it is complete with the conversation's inputs and
    its cue words name the message's values more strongly.
    """
    vocab = vocabulary()
    best: tuple[float, CalcPlan] | None = None
    last_spec = vocab.calculators[last.name]
    last_words = set(last_spec.triggers)
    for name in siblings(last.name):
        formula = REGISTRY[name]
        theirs, flags = fill(vocab.calculators[name], reading)
        # Named as strongly by both, the values go the way the message's own words for this direction ask
        # ("2月27号通知的话 最早哪天能解除" after a latest notice day: 最早 is the earliest end's word only).
        # A verdict asked of a calculation that gives one ("3月25日发出通知，来得及吧") is still about it.
        named_this_way = keyword_score(vocab.calculators[name], reading.phrases - last_words) > 0 and not (
            reading.yes_no and last_spec.verdict
        )
        # A verdict asked after a calculation giving none ("12月1号就转了 这来得及吗" after the earliest transfer day)
        # asks it of the direction that gives one.
        verdict_this_way = reading.yes_no and vocab.calculators[name].verdict and not last_spec.verdict
        asked_this_way = named_this_way or verdict_this_way
        stronger = theirs.cue_total > assignment.cue_total or (asked_this_way and theirs.cue_total == assignment.cue_total)
        if not theirs.inputs or not stronger or theirs.used < assignment.used:
            continue
        inputs = {**theirs.inputs, **flags}
        if formula.missing(inputs) or reading.yes_no:
            # The verdict asked is decided by the last calculation's day (the notice it was given on).
            inputs = carry(name, inputs, last, None, verdict=reading.yes_no)
        if formula.missing(inputs):
            continue
        if best is None or theirs.cue_total > best[0]:
            best = (theirs.cue_total, build(name, inputs, [*last.assumptions, *theirs.assumptions]))
    return best[1] if best else None


def _stated_for_last(
    own: CalcPlan, last: CalcPlan, reading: Reading, found: list[Candidate]
) -> tuple[Assignment, dict[str, bool]] | None:
    """The last calculator's fill of a message complete for another calculator when it only states values that the
    last calculation takes by its own cue words as strongly, asking nothing but, at most, the last one's verdict
    ("他们今天就发", "我们打算11月10日寄出通知，来得及吗" after a latest notice day): a change of the last
    calculation, not a question of its own. None when the message is a question of its own."""
    spec = vocabulary().calculators[last.name]
    if _asks_what_it_gives(own.name, reading.text) or (reading.asks and not (reading.yes_no and spec.verdict)):
        return None
    filled = fill(spec, reading, given=frozenset(last.inputs))
    mine = filled[0]
    theirs = next((c.fill for c in found if c.name == own.name), None)
    states = (theirs is not None and bool(mine.inputs) and mine.cue_total > 0 and mine.used >= theirs.used
              and mine.cue_total >= theirs.cue_total and any(last.inputs.get(k) != v for k, v in mine.inputs.items()))
    return filled if states else None


def _money(value: Any) -> str | None:
    """A money result as a decimal string, or None when the result is not one amount."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        return None
    try:
        return format(Decimal(str(value)).normalize(), "f")
    except InvalidOperation:
        return None


def _part_asked(last: CalcPlan, last_result: Mapping[str, Any] | None, reading: Reading) -> CalcPlan | None:
    """A part of the last result asked by the words naming it (CalcSpec.parts: "这里面首月月租单独是多少" after a
    first payment is its first month by the day), worked out on the last calculation's facts when they suffice."""
    vocab = vocabulary()
    parts = vocab.calculators[last.name].parts
    wanted = asked_kind(reading.text, vocab) if parts else ""
    for name, words in parts.items():
        # Asked for a figure of another kind ("之后每个月的账单最晚什么时候交": a day), it asks no such part.
        if wanted and vocab.calculators[name].gives not in ("", wanted):
            continue
        if any(says(w, reading.text) for w in words):
            inputs = carry(name, {}, last, last_result, verdict=False, said=reading.text)
            if not REGISTRY[name].missing(inputs):
                return build(name, inputs, list(last.assumptions))
    return None


def carry(
    name: str, inputs: dict[str, Any], last: CalcPlan, last_result: Mapping[str, Any] | None, verdict: bool = True,
    said: str = "",
) -> dict[str, Any]:
    """`inputs` of calculator `name` completed from the last calculation: the last day computed where its title
    names this input (the 起租日 for the term's start), then same-named inputs, then inputs of the same kind, then
    the last result for an amount still missing. Without `verdict` (the message asks for no verdict), an input that
    only decides a verdict (Formula.verdict_only) is not carried ("最晚哪天提交申请" after a notice date). An input
    whose default the message `said` names (RoleSpec.default_named) keeps its default."""
    spec = vocabulary().calculators[name]
    last_spec = vocabulary().calculators[last.name]
    formula = REGISTRY[name]
    out = dict(inputs)
    unasked = frozenset() if verdict else formula.verdict_only
    unasked |= {r.name for r in spec.roles if r.name not in out and any(w in said for w in r.default_named)}
    # The day the last calculation found, named by its title's last words ("…的起租日"); a deadline (期限, 时限)
    # is no day on which anything happened.
    last_day_name = REGISTRY[last.name].title.rsplit("的", 1)[-1]
    day = (last_result or {}).get("result") if (last_result or {}).get("unit") == "日期" else None
    day = day if isinstance(day, str) and last_day_name.endswith("日") else None
    for role in spec.roles:
        if role.name in out or role.kind == "flag" or role.name in unasked:
            continue
        if any(role.name in g and any(n in out for n in g if n != role.name) for g in formula.one_of):
            # Its alternative is given already (the term's start, so not its end as well).
            continue
        if day and role.kind == "date" and any(len(c) >= 2 and c in last_day_name for c in role.cues):
            # The last result is what this input names (the 起租日 billing_start gave is the term's start).
            out[role.name] = day
            continue
        if role.name in last.inputs:
            out[role.name] = last.inputs[role.name]
            continue
        # A last input this calculator has a role of the same name for is that role's, not also another's (the days
        # overdue of a late fee are no days since a suspension).
        same_kind = [r for r in last_spec.roles if r.kind == role.kind and r.name in last.inputs and spec.role(r.name) is None]
        if role.kind in DAY_KINDS:
            # Dates are matched by their words: the day the last line opened (开通) is the opening day, not the
            # day it was accepted. A last date goes only to an input its words name (发生), never to whichever
            # comes first: the day a termination ends is no day force majeure began, a line's 报竣 no order
            # confirmation, a line's 受理 no 竣工 of its first payment.
            shared = {r.name: len(set(r.cues) & set(role.cues)) for r in same_kind}
            same_kind = sorted((r for r in same_kind if shared[r.name]), key=lambda r: -shared[r.name])
        if same_kind and role.kind != "money":
            out[role.name] = last.inputs[same_kind[0].name]
    # A month the last result names ("那张账单什么时候出账" after which month's bill a day falls in: that bill month).
    value = (last_result or {}).get("result")
    months = {v for v in value.values() if isinstance(v, str) and _YEAR_MONTH.fullmatch(v)} if isinstance(value, Mapping) else set()
    if len(months) == 1:
        for role in spec.roles:
            if role.kind == "year_month" and role.name in formula.missing(out) and role.name not in unasked:
                out[role.name] = next(iter(months))
    price = line_price(last.inputs.get("bandwidth_mbps"))
    for role in spec.roles:
        if role.line_tariff and price is not None and role.name in formula.missing(out) and role.name not in unasked:
            # The line's monthly fee its bandwidth gives (M-23), not the last result (a first payment's total).
            out[role.name] = price
    missing = formula.missing(out)
    money_roles = [r.name for r in spec.roles if r.kind == "money" and r.name in missing + [n for g in formula.one_of for n in g]]
    amount = _money((last_result or {}).get("result")) if (last_result or {}).get("unit") == "元" else None
    for role_name in money_roles:
        if role_name not in out and role_name not in unasked and amount is not None and formula.missing(out):
            out[role_name] = amount
            break
    if not any(r.kind == "money" and r.name in out for r in spec.roles):
        for role in spec.roles:
            if role.kind == "money" and role.name not in out and role.name not in unasked and amount is not None and role.name in _amount_inputs(name):
                out[role.name] = amount
                break
    # Still short of an amount: the last calculation's own amount input (the VAT of a 5100 monthly fee, then the
    # first payment with that fee).
    if formula.missing(out):
        for role in spec.roles:
            given = [r.name for r in last_spec.roles if r.kind == "money" and r.name in last.inputs]
            if role.kind == "money" and role.name in formula.missing(out) + [n for g in formula.one_of for n in g] and given and role.name not in out and role.name not in unasked:
                out[role.name] = last.inputs[given[0]]
                break
    return out


_YEAR_MONTH = re.compile(r"\d{4}-\d{2}")


def _from_earlier(name: str, inputs: dict[str, Any], earlier: Sequence[str], today: date, days: bool = True) -> dict[str, Any]:
    """`inputs` with the required ones still missing taken from the conversation's earlier questions, the most
    recent that states them first; without `days`, no date or date-time input is taken."""
    formula = REGISTRY[name]
    spec = vocabulary().calculators[name]
    out = dict(inputs)
    timed = set() if days else {r.name for r in spec.roles if r.kind in DAY_KINDS}
    for text in earlier:
        missing = set(formula.missing(out)) - timed
        if not missing:
            break
        # An input missing may be given by its alternative (a line's bandwidth for its monthly fee).
        missing |= {n for g in formula.one_of if missing & set(g) for n in g} - timed
        # …or by the facts it is derived from (the activation day beside the acceptance day for the days late).
        missing |= {s for n in list(missing) for d in formula.derivations(n) for s in d.sources if s not in out} - timed
        assignment, _ = fill(spec, understand(text, today), only=missing)
        out.update({k: v for k, v in assignment.inputs.items() if k in missing})
    return out


def _stranded(name: str, assigned: Mapping[str, Any], have: set[str]) -> set[str]:
    """Assigned facts that only a derivation reads, none of whose derivations has all its facts in `have`."""
    formula = REGISTRY[name]
    out = set()
    for k in set(assigned) - set(formula.inputs.model_fields):
        feeding = formula.derivations_reading(k)
        if feeding and not any(set(d.sources) <= have for d in feeding):
            out.add(k)
    return out


def _amount_inputs(name: str) -> set[str]:
    """Inputs that stand for "an amount of money" as such (the VAT of a previous result)."""
    return {n for n in REGISTRY[name].inputs.model_fields if n in ("amount", "pre_tax")}


def follow_up(
    question: str,
    today: date,
    last: CalcPlan,
    last_result: Mapping[str, Any] | None = None,
    ranks: Ranks | None = None,
    earlier: Sequence[str] = (),
) -> CalcPlan | None:
    """The last calculation re-planned with what this follow-up changes ("那100M呢" → bandwidth 100), or a related
    calculator on the same facts ("降到100M能省多少", "这个钱的税是多少").

    `earlier`: the conversation's previous questions, most recent first; a related calculator still short of an
    input after the last calculation's facts takes it from them ("降到50M一年能省多少" after a tax on the 100M line's
    fee: the 100M said two questions before).

    Returns None when the message is a new question of its own, or changes nothing the last calculation has.
    """
    if last.name not in REGISTRY:
        return None
    question = unquoted(question, last_result, today)
    reading = understand(question, today)
    last_spec = vocabulary().calculators[last.name]
    if last_spec.goes_beyond(reading.text) and not reading.mentions.has_values:
        # What the last result never covers ("恢复以后从什么时候开始重新计费" after a restore deadline) is asked of its
        # rule, as it would be alone.
        return None
    if (pointed := _result_pointed_at(reading, last_result)) is not None:
        # "这四千三里头 税是多少" after a first payment of 4300: the result named, not a new monthly fee.
        question, reading = pointed, understand(pointed, today)
    bare = _bare_days(last_spec, last.inputs, reading)
    dated = None if bare[0] else _in_month_of_last(last_spec, last.inputs, reading)
    if dated:
        # A day of another event said without its month is in the month of the conversation's days; it names
        # a whole day now, so no bare day is left to move.
        question, reading, bare = dated, understand(dated, today), ({}, [])
    found = candidates(reading, ranks)
    own = choose(found)
    other_day = _placed_day_plan(own, reading, last.inputs, ranks)
    if (other_day is not None and other_day.name != last.name and other_day.name not in siblings(last.name)
            and _asks_what_it_gives(other_day.name, reading.text)):
        # Another calculation whose day is said without a month ("12号上午10点交完 最晚啥时候能恢复" after a late
        # fee paid on 7月12号): the day is the one nearest the conversation's days. (The same rule read the other
        # way round is _better_sibling's to decide.)
        return other_day
    # A value the last calculation holds, taken back ("不是五十兆 是二十兆 我看错了"), corrects it.
    cue = is_follow_up(question) or refers_back(question) or _takes_back_last(reading, last)
    # A complete question of its own, not introduced as a follow-up, starts fresh; one that states none of its
    # inputs (the VAT of the default 100 元 opening fee, for "加上开户费 第一次交多少") is no complete question, and
    # one for the same calculator is read as a change of the last ("我们计划3月25日发出通知，来得及吧" after a
    # latest-notice date keeps the end date and adds the notice date).
    if (as_lines := _as_lines(last, reading)) is not None:
        return as_lines
    if (part := _part_asked(last, last_result, reading)) is not None:
        return part
    stated = None
    # A calculation no word of the message names ("客户说他下周一交": a day, weighed by the clauses before) is no
    # question of its own beside the last one.
    named_own = own is not None and any(c.keywords > 0 for c in found if c.name == own.name)
    if (own is not None and named_own and not own.missing and own.inputs and not cue and own.name != last.name
            and (stated := _stated_for_last(own, last, reading, found)) is None):
        if reading.yes_no and own.name in siblings(last.name) and vocabulary().calculators[own.name].verdict:
            # The verdict asked of the rule read the other way round ("转让日期是7月10日，这符合通知期限吗" after the
            # earliest transfer day) is decided by the last calculation's day (the notice given on 6月19日).
            kept = carry(own.name, dict(own.inputs), last, None, verdict=True)
            if kept != own.inputs:
                return build(own.name, kept, [*last.assumptions, *own.assumptions])
        # Complete only with the month the conversation gave its day, it is still a question of this conversation.
        return own if dated else None
    if reading.settled & set(last_spec.triggers) and not keyword_score(last_spec, reading.phrases - reading.settled):
        # The last calculation's change said as done ("那降完以后，100M一整年总共要付多少" after 200M → 100M) names the
        # line as it will be: the message's own complete calculation is asked, not the change again.
        after = next((c for c in found if c.name != last.name and c.keywords > 0), None)
        if after is not None and after.inputs and not REGISTRY[after.name].missing(after.inputs):
            return build(after.name, after.inputs, after.fill.assumptions)
    placed, spans = _placed_months(last_spec, last.inputs, reading)
    days, day_spans = bare
    placed, spans = {**placed, **days}, spans + day_spans
    if spans:
        # What named a month's amount by its place is read for nothing else ("最后一个月" is no remaining month).
        text = reading.text
        for a, b in spans:
            text = text[:a] + " " * (b - a) + text[b:]
        reading = understand(text, today)
    # The fill _stated_for_last made is of this same reading unless month spans were blanked since.
    changed, flags = stated if stated is not None and not spans else fill(last_spec, reading, given=frozenset(last.inputs))
    if stranded := _stranded(last.name, changed.inputs, {*changed.inputs, *last.inputs}):
        # A fact only a derivation reads, with its other facts given nowhere ("下周一才能去交 那时候就26天了" after
        # days overdue: no bill month for the payment day), derives nothing: the values go to the other inputs.
        changed, flags = fill(last_spec, reading, given=frozenset(last.inputs),
                              only={r.name for r in last_spec.roles} - stranded)
    changed = _to_the_input_corrected(last_spec, last.inputs, changed, reading)
    changed = _in_corrected_year(last_spec, last.inputs, changed, reading)
    changed = _to_the_input_said_last(last_spec, changed, reading, earlier, today)
    if changed.inputs and (sibling := _better_sibling(last, changed, reading)) is not None:
        return sibling
    # Another calculator is meant only when the message names it in words the last one does not share
    # ("降到100M能省多少" after a line fee; not "那逾期20天呢" after a late fee, which both know) — and strongly
    # so when its values would also simply change the last calculation ("换成50M呢").
    # Words that only ask for a figure or a date ("那最晚是哪一天") name no calculator of their own.
    # Nor do words naming one of the last calculation's own inputs ("竣工" changes a first payment's completion date).
    # Nor do words asking for a verdict ("来得及不", "够不够") when the last calculation gives one: they ask about
    # its figure. After one that gives none ("算逾期吗" after a late fee) they name a calculator that does.
    vocab = vocabulary()
    # A correction restating the question before ("…开始收钱的 合同到啥时候" then "说错了 是十三号开始收钱的") names
    # no other calculator by the words that question said too: they were weighed when its calculation was chosen.
    restated = understand(earlier[0], today).phrases if earlier and _CORRECTION.search(question) else frozenset()
    # A trigger of the last calculator said with an aspect particle ("被停了" for 被停) is still that trigger.
    said_as_last = {p for p in reading.phrases if p.rstrip("了的") in last_spec.triggers}
    # An intent cue that is itself a strong trigger of another calculator ("到期" of the term) names it.
    own_words = {
        p for p in reading.phrases - set(last_spec.triggers) - vocab.quiet_cues - last_spec.input_words - restated - said_as_last
        if not (last_spec.verdict and any(says(y, p) for y in vocab.yes_no))
    }
    # Values the last calculation already has ("降到50M之后每月专线费是多少" after 200M → 50M) change nothing of it.
    turned = _turned_values(last_spec, reading, today)
    changes = {k: v for k, v in {**changed.inputs, **turned}.items() if last.inputs.get(k) != v}
    needed = vocabulary().threshold if (changes or flags) else OUTRIGHT_LEAD
    # A message that neither asks for a figure nor gives one ("开票金额以什么为准") asks for a rule, not for a
    # related calculation on the last one's facts. One that is itself a complete question for the last calculator
    # re-runs it ("这条50M线路1月20日竣工，首月按天计费，第一次一共要交多少" after a first payment is that first
    # payment, not the prorated month alone).
    asks_anything = reading.asks or reading.yes_no or changed.inputs or flags or cue
    # Only asking whether ("现在会被停吗？") asks for a verdict on those facts: a calculator giving one answers it.
    whether = not asks_anything and bool(_WHETHER.search(reading.text))
    # …unless its own words name another calculator more strongly than all its words name the last one ("比20M的
    # 一年贵多少" after a 50M line's year: 20M is the line compared with, the difference is asked).
    # Its words said of the line as it will be ("降到50M以后一年要交多少" after 100M → 50M) name no change again.
    last_named = keyword_score(last_spec, reading.phrases - reading.settled)
    kinds = {r.name: r.kind for r in last_spec.roles}
    days_only = all(kinds.get(n) in DAY_KINDS for n in changed.inputs)
    # Days the last calculator takes by position alone and another named one by their cue words (see below).
    cued_elsewhere = [
        c for c in found if c.name != last.name and c.fill.cue_total > 0 and keyword_score(c.spec, own_words) > 0
    ] if changed.inputs and days_only and changed.cue_total == 0 else []
    restates_last = own is not None and own.name == last.name and not own.missing and bool(own.inputs) and not any(
        c.name != last.name and keyword_score(c.spec, own_words) > last_named for c in found
    ) and not cued_elsewhere
    # A part of the last result asked in words that name the last calculator more strongly than any other
    # ("不想续了的话 最晚哪天得通知你们" after a term's end: 通知你们 is also a force-majeure notice's) asks that
    # result again.
    restates_last = restates_last or (
        last_named > 0 and not changed.inputs and _asks_part(reading.text, last_result)
        and not any(c.name != last.name and keyword_score(c.spec, own_words) >= last_named for c in found)
    )
    related = [] if restates_last or not (asks_anything or whether) else [
        c for c in found
        if c.name != last.name and keyword_score(c.spec, own_words) >= needed and (c.spec.verdict or not whether)
        and not (changes and keyword_score(c.spec, own_words) <= last_named) and not _read_other_way(c.spec, reading.text)
    ]
    if not related and cued_elsewhere:
        # The last calculator takes the message's days by position alone while another one its own words name
        # takes them by their cue words ("1月5日寄书面通知终止，最早哪天可以终止" after a force-majeure notice
        # day: a notice date, not a new day of the event): the other calculation is meant, the one the message
        # names most strongly first. A day's meaning rests on its cue words; a bandwidth or an amount is the
        # same quantity whatever the calculator ("换成50M呢" changes the last one).
        # Named as strongly, the one that works on the last calculation's facts as well (an acceptance day for a
        # late-activation credit after an activation deadline) is the related one.
        shares = {c.name: bool({r.name for r in c.spec.roles} & set(last.inputs)) for c in cued_elsewhere}
        related = sorted(cued_elsewhere, key=lambda c: (-keyword_score(c.spec, own_words), not shares[c.name]))
    # The last calculation's facts carried to the first related calculator, once for both uses below.
    carried = carry(related[0].name, related[0].inputs, last, last_result, verdict=reading.yes_no or not reading.asks,
                    said=reading.text) if related else {}
    if (related and not related[0].inputs and changed.cue_total and set(changes) & set(changed.inputs)
            and REGISTRY[related[0].name].missing(carried)):
        # A related calculator taking none of the message's values and short of one the last facts do not give,
        # while the last calculation takes them by their cue words as new values ("停了44天，能终止全部服务吗"
        # after an overdue status: the days since suspension, which that status weighs): the last one changes.
        related = []
    if related:
        best = related[0]
        # A verdict is carried to a question asking one, or to a bare "如果只是…呢" that asks the last question again.
        inputs = carried
        if best.inputs or asks_own_figure(question):
            # Only a follow-up giving the calculator values of its own, or asking for an amount or a deadline of the
            # person's own case ("那第一次要交多少钱" after a deadline for a 100M line), is a calculation on them;
            # without either ("那交完钱后多久能恢复", "超过一个月能解约吗") it asks about the rule, and earlier
            # questions' values would make a calculation of it. Asked without values, only quantities are taken:
            # a day means what its own words said of it (a 起租 day is no end of a term).
            inputs = _from_earlier(best.name, inputs, earlier, today, days=bool(best.inputs))
        if asks_whether_only(best.name, question, inputs, today) and only_defaults(best.name, inputs):
            # "那开户费含税吗" after a first payment asks what the clause says of the fee, as it would alone.
            return None
        if not REGISTRY[best.name].missing(inputs):
            return build(best.name, inputs, [*last.assumptions, *best.fill.assumptions])
        if not best.inputs and inputs and asks_own_figure(question):
            # The figure of the person's own case asked on the last facts, short of a value none of them gives
            # ("那违约金要付多少" after 32 days overdue): the calculation keeps what it has and asks for the rest.
            return build(best.name, inputs, [*last.assumptions, *best.fill.assumptions])
        if own is not None and own.name == best.name:
            return None
    wanted = asked_kind(reading.text, vocab)
    if not related and not reading.mentions.has_values and wanted and last_spec.gives and wanted != last_spec.gives:
        # A figure of another kind than the last one's, asked of its facts ("按规定最晚应该哪天开通" after a refund for
        # a late activation): the calculator giving that kind which the message's words name, on the last facts.
        giving = [c for c in found if c.name != last.name and c.spec.gives == wanted and keyword_score(c.spec, reading.phrases) > 0]
        for c in sorted(giving, key=lambda c: -keyword_score(c.spec, reading.phrases)):
            inputs = carry(c.name, dict(c.inputs), last, last_result, verdict=reading.yes_no, said=reading.text)
            if not REGISTRY[c.name].missing(inputs):
                return build(c.name, inputs, list(last.assumptions))
    # The same kind of fact said for an exclusive rival of a last input replaces it ("合同一共12个月，已经用了9个月"
    # after 5 months remaining): a single amount said beside a series of monthly amounts does not.
    # So does an input the message's values derive anew in full ("其实是7月份的账单，今天交" after 9 days overdue:
    # the bill month and the payment day give the days overdue).
    rivaled = frozenset(
        n for g in last_spec.exclusive for c in g & set(changed.inputs) for n in g
        if n not in changed.inputs and kinds.get(n) == kinds.get(c)
    ) | frozenset(
        n for n in last.inputs if n not in changed.inputs
        and any(set(d.sources) <= set(changed.inputs) for d in REGISTRY[last.name].derivations(n))
    )
    edited = {**turned, **_edit_lists(last_spec, last.inputs, reading, rivaled), **placed,
              **_taken_apart(last_spec, last.inputs, reading)}
    if not changed.inputs and not flags and not edited:
        edited = _new_time_of_day(last_spec, last.inputs, reading)
    if not changed.inputs and not flags and not edited:
        # "那最晚是哪一天？" after a calculation giving a day asks for its result again, said as such.
        asks_its_result = cue and not own_words and not reading.mentions.has_values and last_spec.gives != ""
        if asks_its_result and asked_kind(reading.text, vocab) == last_spec.gives:
            return build(last.name, dict(last.inputs), list(last.assumptions))
        # A question whose own best reading is the last calculator, stating none of its values, asks that
        # calculation of the same facts ("不续约的话最晚哪天要书面通知" after a term's end).
        asks_its_kind = last_spec.gives != "" and asked_kind(reading.text, vocab) == last_spec.gives
        if asks_its_kind and found and found[0].name == last.name and not reading.mentions.has_values:
            return build(last.name, dict(last.inputs), list(last.assumptions))
        # "那税额呢" after a tax split, "还有几天会被停" after an overdue status: a part of the last result, said again.
        if not reading.mentions.has_values and _asks_part(reading.text, last_result):
            return build(last.name, dict(last.inputs), list(last.assumptions))
        return None
    if wanted and last_spec.gives and wanted != last_spec.gives:
        # It asks for a day after an amount ("那这张5月的账单最晚哪天要付清" after a late fee): not the last figure.
        return None
    # An input the message gives another way (the term and the months used for the months remaining) goes.
    kept = {k: v for k, v in last.inputs.items() if k not in rivaled or k in edited}
    inputs = {**kept, **changed.inputs, **_same_time_of_day(last_spec, last.inputs, changed.inputs, reading), **edited, **flags}
    if not changed.inputs and not edited and inputs == dict(last.inputs):
        # Conditions the last calculation already has, and no value, change nothing: the message asks something
        # else about them ("那我们自己设备出问题 谁来管" after a credit for a fault on the customer's side).
        return None
    return build(last.name, inputs, [*last.assumptions, *changed.assumptions])


def composed(question: str, today: date, plan_: CalcPlan | None, ranks: Ranks | None = None) -> CalcPlan | None:
    """A figure the question asks of its own calculation's amount ("50M专线一个月的费用，如果那是含税价，里面的税金占多
    少": the tax on that fee), planned as the follow-up asking it would be: another calculator taking the amount.
    None when the question asks nothing of it."""
    if plan_ is None or plan_.missing or vocabulary().calculators[plan_.name].gives != "money":
        return None
    # Nearly every calculation question names no other calculator at all: only one that does is read again as a
    # follow-up (whose related calculators need at least OUTRIGHT_LEAD of their words), which costs as much as
    # planning it did. The candidates are those the plan was chosen from, remembered.
    others = [c for c in candidates(understand(question, today), ranks) if c.name != plan_.name and c.keywords >= OUTRIGHT_LEAD]
    if not others:
        return None
    try:
        outcome = run(plan_.name, plan_.inputs)
    except CalcInputError:
        return None  # the plan's own inputs are impossible: that is for its own answer to say
    if outcome.result is None or isinstance(outcome.result, dict):
        return None
    last_result = {"result": outcome.result, "unit": outcome.unit}
    again = follow_up(question, today, plan_, last_result, ranks)
    if again is not None and again.name != plan_.name and not again.missing:
        return again if any(_number_or(v) == _number_or(outcome.result) for v in again.inputs.values()) else None
    return _part_of_composed(question, plan_, outcome.result, last_result, others)


def _part_of_composed(
    question: str, plan_: CalcPlan, amount: Any, last_result: Mapping[str, Any], others: list[Candidate]
) -> CalcPlan | None:
    """The other calculator taking the plan's amount, when the question names a part of its result that differs
    from the amount ("停用沃云后100M专线每个月的专线费里包含的增值税是多少": the tax in the line fee). A question
    asking the fee itself restates it as a follow-up would; the part it names is what it asks of the fee."""
    vocab = vocabulary()
    parts = vocab.result_parts
    for c in sorted(others, key=lambda c: -c.keywords):
        if _read_other_way(c.spec, question):
            continue
        inputs = carry(c.name, dict(c.inputs), plan_, last_result, verdict=False, said=question)
        if REGISTRY[c.name].missing(inputs) or not any(_number_or(v) == _number_or(amount) for v in inputs.values()):
            continue
        try:
            result = run(c.name, inputs).result
        except CalcInputError:
            continue
        if isinstance(result, dict) and any(
            _number_or(value) != _number_or(amount) and any(says(w, question) for w in parts.get(key, ()))
            for key, value in result.items()
        ):
            return build(c.name, inputs, [*plan_.assumptions, *c.fill.assumptions])
    return None


def _read_other_way(spec: Any, text: str) -> bool:
    """The text says the amount is of the kind the calculator's `opposite` reads ("含税价" is no pre-tax amount), not
    asking for that part of this calculator's result ("不含税是多少" asks a tax split)."""
    return (bool(spec.opposite) and not spec.states_value_as(text) and not spec.asks_derived(text)
            and vocabulary().calculators[spec.opposite].states_value_as(text))


def _asks_part(text: str, last_result: Mapping[str, Any] | None) -> bool:
    """The message asks for a part of the last result by a word naming one of its keys (triggers.toml result_parts)."""
    value = (last_result or {}).get("result")
    if not isinstance(value, Mapping):
        return False
    parts = vocabulary().result_parts
    return any(says(w, text) for key in value for w in parts.get(key, ()))


# A question asking whether ("现在会被停吗？"): it asks something of the facts it follows.
_WHETHER = re.compile(r"[吗么嘛](?:[？?。！!]|\s*$)")


# A span in quotation marks ("您在答复中写道“剩余13个月，违约金为41600元”").
_QUOTED = re.compile(r"[“\"「『]([^“”\"「」『』]{1,80})[”\"」』]")


def unquoted(question: str, last_result: Mapping[str, Any] | None, today: date) -> str:
    """The message with every quotation of the last result blanked: a reply quoting the answer it follows
    ("您提到“最早可于2026年11月8日转让”…如果按10月12日起算呢") gives its values again, not as new inputs."""
    said = _plain_values((last_result or {}).get("result"))
    if not said or not _QUOTED.search(question):
        return question

    def blank(m: re.Match[str]) -> str:
        values = {v for item in read(m.group(1), today).items for v in _plain_values(item.value)}
        return " " * len(m.group(0)) if values & said else m.group(0)

    return _QUOTED.sub(blank, question)


_POINTER = re.compile(r"(?:这|那)(?:笔|个)?\s*$")


def _result_pointed_at(reading: Reading, last_result: Mapping[str, Any] | None) -> str | None:
    """The message with an amount blanked that points at the last result by 这/那 and equals it ("这四千三里头") or
    is it without its cents ("这一百零三块" after 103.56), or says it roughly ("七万多啊 那这个钱…" after 73800), or
    None when it has none. Only a result of one amount: one of a split's parts said again is read afresh
    ("那要是这8480是不含税的呢")."""
    if (last_result or {}).get("unit") != "元" or isinstance(last_result.get("result"), Mapping):
        return None
    said = _plain_values(last_result.get("result"))
    text = reading.text
    spans = [(m.start, m.end) for m in reading.mentions.items
             if m.kind in ("money", "number") and (
                 ((_plain_values(m.value) & said or _without_cents(m.value, said)) and _POINTER.search(text[: m.start]))
                 or (said_roughly(text, m) and _rounds_down_to(m.value, said)))]
    if not spans:
        return None
    for a, b in spans:
        text = text[:a] + " " * (b - a) + text[b:]
    return text


def _without_cents(amount: Decimal, said: set[str]) -> bool:
    """Whether a whole amount is a result with its cents dropped or rounded off ("这一百零三块" after 103.56)."""
    if amount != amount.to_integral_value():
        return False
    values = [Decimal(v) for v in said]
    return any(v != v.to_integral_value() and amount in (int(v), v.to_integral_value()) for v in values)


def _rounds_down_to(amount: Decimal, said: set[str]) -> bool:
    """Whether a round amount is a result said roughly: the result lies between it and its next step (73800 is
    "七万多": at least 70000, less than 80000)."""
    if amount <= 0 or amount != amount.to_integral_value():
        return False
    digits = str(int(amount))
    step = Decimal(10) ** (len(digits) - len(digits.rstrip("0")))
    return step > 1 and any(amount <= Decimal(v) < amount + step for v in said)


def _takes_back_last(reading: Reading, last: CalcPlan) -> bool:
    """A value the message takes back is one of the last calculation's inputs."""
    held = _plain_values(list(last.inputs.values()))
    return any(_plain_values(m.value) & held for m in reading.mentions.retracted)


def _plain_values(value: Any) -> set[str]:
    """A result's (or a mention's) values as comparable strings: numbers by value, dates by day."""
    if isinstance(value, Mapping):
        return {v for x in value.values() for v in _plain_values(x)}
    if isinstance(value, (list, tuple)):
        return {v for x in value for v in _plain_values(x)}
    if isinstance(value, bool) or value is None:
        return set()
    if isinstance(value, date):
        return {value.isoformat()[:10]}
    if isinstance(value, (int, float, Decimal)):
        return {str(Decimal(str(value)).normalize())}
    if isinstance(value, str):
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}(?:T.*)?", value):
            return {value[:10]}
        try:
            return {str(Decimal(value).normalize())}
        except InvalidOperation:
            return set()
    return set()


# "把100M那条换成50M", "两条10M也都升到20M": one bandwidth of a list turned into another.
# "再加一条200M", "另外多加两条20M": lines added to those of the last calculation.
_ADDED = re.compile(r"再加|加上|另加|多加|外加|再来|再拉|再开|新增|增加|还要加")
ADDED_REACH = 6  # characters before lines in which they are said as added


def _said_as_added(text: str, lines: Mention) -> bool:
    """Lines said as added to the last ones ("再加一条200M")."""
    return bool(_ADDED.search(text[max(0, lines.start - ADDED_REACH): lines.start]))


# "再来一次", "又被删了两次", "再多三次": a count added to the last one.
_ADDED_COUNT = re.compile(r"再来|再有|再被|再多|再发生|再出|又")
# "再晚5天", "又拖了3天", "再(继续)用两个月": days or months added to the last ones ("差不多5天" adds nothing); hours
# of outage said as more ("又断了20个小时") as counts are.
_ADDED_DAYS = re.compile(r"(?:再|又|(?<!不)多)(?:继续)?(?:晚|拖|过|延|迟|欠|等|用|租)?了?\s*$")
_ADDED_SPANS = {"hours": _ADDED_COUNT, "days": _ADDED_DAYS, "months": _ADDED_DAYS}
# "累计26小时", "加起来一共30个小时": a total said as such.
_TOTAL = re.compile(r"累计|累積|一共|总共|加起来|合计|总计")
_TURNED_INTO = re.compile(r"换成|改成|改为|变成|升到|升级到|升级成|降到|降为|调到|调整到|换为|提到|提升到|其实是|实际是|实际上是|应该是")


TURN_GAP = 6  # at most this many characters between a value and the one it is turned into


def _turned_values(spec: Any, reading: Reading, today: date) -> dict[str, Any]:
    """An input turned from one value into another ("10M改成100M呢"): the input takes the second value, when the
    last calculation has one input of that kind (a difference's "from" and "to" are named by their own words)."""
    out: dict[str, Any] = {}
    items = reading.mentions.items
    for a, b in zip(items, items[1:]):
        if a.kind != b.kind or not _TURNED_INTO.search(reading.text[a.end: b.start]) or b.start - a.end > TURN_GAP:
            continue
        roles = [r for r in spec.roles if r.kind in FILLERS and b.kind in FILLERS[r.kind].accepts and r.kind != "line_list"]
        converted = FILLERS[roles[0].kind].convert(b, today) if len(roles) == 1 else None
        if converted is not None:
            out[roles[0].name] = converted[0]
    return out



def _in_corrected_year(spec: Any, inputs: Mapping[str, Any], changed: Assignment, reading: Reading) -> Assignment:
    """A day said without its year in place of one the last calculation had ("说错了 是十一月十三号" after
    2025年11月3日) is in the year that puts it nearest that day, not in this year."""
    moved: dict[str, str] = {}
    for role in spec.roles:
        if role.kind not in DAY_KINDS or role.name not in changed.source or not inputs.get(role.name):
            continue
        if not reading.mentions.items[changed.source[role.name]].year_assumed:
            continue
        new, old = str(changed.inputs[role.name]), date.fromisoformat(str(inputs[role.name])[:10])
        day = date.fromisoformat(new[:10])
        nearest = min((d for y in (old.year - 1, old.year, old.year + 1) if (d := _on_year(day, y))), key=lambda d: abs(d - old))
        if nearest.year != day.year:
            moved[role.name] = nearest.isoformat() + new[10:]
    if not moved:
        return changed
    years = sorted({v[:4] for v in moved.values()})
    # The note that the year was taken as this one no longer holds; the one it was taken from is said instead.
    notes = [a for a in changed.assumptions if not a.startswith("未说明年份")] + [f"未说明年份，按更正前的日期取{'、'.join(years)}年"]
    return replace(changed, inputs={**changed.inputs, **moved}, assumptions=notes)


def _to_the_input_said_last(spec: Any, changed: Assignment, reading: Reading, earlier: Sequence[str], today: date) -> Assignment:
    """A reply of one bare value ("65天") that could be either of two inputs of one kind updates the one the previous
    question stated ("被停了50天" after 45 days overdue: the days since suspension), not the first by position."""
    if len(changed.inputs) != 1 or not earlier or len(reading.mentions.items) != 1 or not _values_only(reading.mentions):
        return changed
    (name, value), = changed.inputs.items()
    kinds = {r.name: r.kind for r in spec.roles}
    said, _ = fill(spec, understand(earlier[0], today))
    others = [n for n in said.inputs if n != name and kinds.get(n) == kinds[name]]
    if name in said.inputs or len(others) != 1:
        return changed
    return replace(changed, inputs={others[0]: value}, source={others[0]: changed.source.get(name, 0)})


def _to_the_input_corrected(spec: Any, last: Mapping[str, Any], changed: Assignment, reading: Reading) -> Assignment:
    """A correction's one new value goes to the input that held the value it takes back ("不是九月二十 是九月十二号"
    after a notice day of 9月20日: the notice day, not the start of the term its position would give)."""
    if len(changed.inputs) != 1 or len(reading.mentions.retracted) != 1:
        return changed
    (name, value), = changed.inputs.items()
    taken_back = _plain_values(reading.mentions.retracted[0].value)
    kinds = {r.name: r.kind for r in spec.roles}
    held = [k for k, v in last.items() if k in kinds and _plain_values(v) & taken_back]
    if len(held) != 1 or held[0] == name or kinds[held[0]] != kinds[name]:
        return changed
    return replace(changed, inputs={held[0]: value}, source={held[0]: changed.source.get(name, 0)})


def _on_year(day: date, year: int) -> date | None:
    """The same month and day in another year, or None (29 February)."""
    return _on_day(year, day.month, day.day)


def _new_time_of_day(spec: Any, inputs: Mapping[str, Any], reading: Reading) -> dict[str, Any]:
    """A clock time said alone ("哦 说错了 是上午九点半交的", "确认时间其实是11点半") sets the time of day of the
    last calculation's one date-time input, on the day it had."""
    if not reading.mentions.times:
        return {}
    roles = [r for r in spec.roles if r.kind == "datetime" and inputs.get(r.name)]
    if len(roles) != 1:
        return {}
    old = str(inputs[roles[0].name])
    said = reading.mentions.times[-1]
    new = said.value
    if 1 <= new.hour < 12 and old[11:13].isdigit() and int(old[11:13]) > 12 and not said.part_said:
        # An hour said without 上午/下午 keeps the half of the day it corrects ("下午三点" then "说错了 是四点" is 16:00).
        new = new.replace(hour=new.hour + 12)
    return {roles[0].name: f"{old[:10]}T{new.strftime('%H:%M')}"}


def _same_time_of_day(spec: Any, last: Mapping[str, Any], changed: Mapping[str, Any], reading: Reading) -> dict[str, Any]:
    """A day said alone for a date-time input ("客户又说记错了，是前天") keeps the time of day it had: only the day was
    corrected. The mirror of _new_time_of_day."""
    if reading.mentions.times:
        return {}
    out: dict[str, Any] = {}
    for r in spec.roles:
        new, old = str(changed.get(r.name) or ""), str(last.get(r.name) or "")
        if r.kind == "datetime" and len(new) > 10 and len(old) > 10 and new[11:16] == "00:00" and old[11:16] != "00:00":
            out[r.name] = f"{new[:10]}T{old[11:16]}"
    return out


def _taken_apart(spec: Any, inputs: Mapping[str, Any], reading: Reading) -> dict[str, Any]:
    """Hours said to be a part that does not count ("其中有一天是计划割接", mentions.set_apart), taken off the last
    calculation's hours."""
    apart = reading.mentions.apart
    roles = [r.name for r in spec.roles if r.kind == "hours" and inputs.get(r.name) is not None]
    if apart is None or len(roles) != 1:
        return {}
    rest = Decimal(str(inputs[roles[0]])) - apart
    return {roles[0]: int(rest) if rest == int(rest) else rest} if rest >= 0 else {}


def _edit_lists(spec: Any, inputs: Mapping[str, Any], reading: Reading, rivaled: frozenset[str] = frozenset()) -> dict[str, Any]:
    """A list of lines (or a count) the last calculation had, edited by this message rather than replaced.

    A bandwidth turned into another ("把100M那条换成50M") changes those lines; lines said as added ("再加一条200M")
    join them; new counts for bandwidths already in the list ("50兆的是3条") change those counts and keep the rest;
    a list with a bandwidth not yet in it ("是4条20M，外加1条10M") replaces the whole list. A count said as more
    ("再来一次") adds to the count, and so do hours of outage ("今天又断了20个小时"), unless a total is said as such
    ("这个月累计26小时"). No span is added to an input whose exclusive rival the message fills (`rivaled`):
    "合同一共12个月，已经用了9个月" gives the term and the months used instead of the months remaining.
    """
    out: dict[str, Any] = {}
    items = reading.mentions.items

    def said_before(m: Mention) -> str:
        """The few characters said right before a value ("又", "再晚", "累计")."""
        return reading.text[max(0, m.start - 4): m.start]

    for role in spec.roles:
        old = inputs.get(role.name)
        if role.kind in _ADDED_SPANS and old is not None:
            if role.name in rivaled or role.fixed:
                continue
            # "又断了8小时，这个月累计26小时": the total said as such; else "今天又断了20个小时", "那如果再晚5天才缴呢",
            # "再用两个月呢": that much more than the last calculation had.
            durations = [m for m in items if m.kind == "duration"]
            total = next((m for m in durations if _TOTAL.search(said_before(m))), None)
            more = next((m for m in durations if _ADDED_SPANS[role.kind].search(said_before(m))), None)
            pick = total if total is not None else more
            said = FILLERS[role.kind].convert(pick, reading.today) if pick is not None else None
            if said is not None:
                out[role.name] = said[0] if total is not None else number_value(Decimal(str(old)) + Decimal(str(said[0])))
            continue
        if role.kind == "count" and isinstance(old, int):
            # "要是再来一次呢", "又被删了两次": that many more than the last calculation had.
            more = next((m for m in items if m.kind == "count" and _ADDED_COUNT.search(said_before(m))), None)
            if more is not None:
                out[role.name] = old + int(more.value)
            continue
        if role.kind != "line_list" or not isinstance(old, list):
            continue
        counts = {int(e["bandwidth_mbps"]): int(e["count"]) for e in old}
        bandwidths = [m for m in items if m.kind == "bandwidth"]
        turned = [(a, b) for a, b in zip(bandwidths, bandwidths[1:])
                  if int(a.value) in counts and _TURNED_INTO.search(reading.text[a.end: b.start])]
        lines = next((m for m in items if m.kind == "line_list"), None)
        if turned:
            for a, b in turned:
                moved = counts.pop(int(a.value))
                counts[int(b.value)] = counts.get(int(b.value), 0) + moved
        elif lines is not None and _said_as_added(reading.text, lines):
            # "再加一条200M": more lines beside those the calculation had.
            for bw, n in lines.value:
                counts[bw] = counts.get(bw, 0) + n
        elif lines is not None and all(bw in counts for bw, _ in lines.value):
            counts.update({bw: n for bw, n in lines.value})
        else:
            continue
        out[role.name] = [{"bandwidth_mbps": bw, "count": n} for bw, n in counts.items() if n > 0]
    return out


# "第三个月是3200", "最后一个月的账单其实是2800": one month of a series of monthly amounts, by its place.
_MONTH_PLACE = re.compile(r"(?:第\s*(\d+)|(最后|最末|末))\s*(?:一|1)?\s*个?\s*月(?:份)?[^，,。\d]{0,8}$")
PLACE_REACH = 16  # characters before an amount in which its month's place is said


def _as_lines(last: CalcPlan, reading: Reading) -> CalcPlan | None:
    """The last calculation of one line as one line of a list (CalcSpec.lines_of), when this message gives a count
    of lines alone ("两条呢", "客户说他们有两条": that many of its bandwidth) or lines said as added ("再加一条十兆的":
    those beside it); months the message says replace the last ones."""
    bandwidth = last.inputs.get("bandwidth_mbps")
    total = next((s for s in vocabulary().calculators.values() if s.lines_of == last.name), None)
    if total is None or bandwidth is None:
        return None
    items = reading.mentions.items
    lines = next((m for m in items if m.kind == "line_list"), None)
    counts = [m for m in items if m.kind == "count" and "条" in reading.text[m.start: m.end]]
    if lines is not None and _said_as_added(reading.text, lines):
        listed = [(int(bandwidth), 1), *lines.value]
    elif lines is None and len(counts) == 1 and not any(m.kind == "bandwidth" for m in items):
        listed = [(int(bandwidth), int(counts[0].value))]
    else:
        return None
    merged: Counter[int] = Counter()
    for bw, n in listed:
        merged[bw] += n
    said, _ = fill(total, reading)
    carried = {k: v for k, v in last.inputs.items() if k != "bandwidth_mbps" and k in REGISTRY[total.name].inputs.model_fields}
    inputs = {**carried, **{k: v for k, v in said.inputs.items() if k != "lines"}}
    inputs["lines"] = [{"bandwidth_mbps": bw, "count": n} for bw, n in merged.items()]
    return build(total.name, inputs, [*last.assumptions, *said.assumptions])


def _placed_months(spec: Any, inputs: Mapping[str, Any], reading: Reading) -> tuple[dict[str, Any], list[tuple[int, int]]]:
    """A series of monthly amounts with those the message names by place replaced ("第三个月是3200", "最后一个月
    其实是2800"), and the spans of text that said so (read for nothing else); ({}, []) when it names none."""
    role = next((r.name for r in spec.roles if r.kind == "money_list" and isinstance(inputs.get(r.name), list)), None)
    if role is None:
        return {}, []
    out, spans = list(inputs[role]), []
    for m in reading.mentions.items:
        if m.kind not in ("money", "number"):
            continue
        start = max(0, m.start - PLACE_REACH)
        place = _MONTH_PLACE.search(reading.text[start: m.start])
        i = None if place is None else len(out) - 1 if place.group(2) else int(place.group(1)) - 1
        if i is not None and 0 <= i < len(out):
            out[i] = str(m.value)
            spans.append((start + place.start(), m.end))
    return ({role: out}, spans) if spans else ({}, [])


DAY_EVENT_WINDOW = 6  # characters after a day in which the event it is the day of is said
_TAKEN_BACK = r"(?:不是|并非)"  # the words that take back what follows them
# What takes back the value right after it ("不是今天").
_DENIED = re.compile(_TAKEN_BACK + r"\s*$")
# The day a bare day of the month replaces, said just before it ("不是21 是28号开的").
_NOT_DAY = re.compile(_TAKEN_BACK + r"\s*(\d{1,2})\s*[号日]?\s*[,，]?\s*(?:而|就)?\s*是?\s*$")
# Words right after a day that call it wrong ("16号 不对 我说错了 是20号").
_CALLED_WRONG = re.compile(r"\s*[,，]?\s*(?:不对|错了|说错|搞错|记错)")


def _bare_days(spec: Any, inputs: Mapping[str, Any], reading: Reading) -> tuple[dict[str, Any], list[tuple[int, int]]]:
    """The last calculation's date moved to a day of its own month that the message names without a month
    ("那31号呢" after a usage day; "不是二十一 是二十八号开的": the date whose day was 21), and the spans that said so;
    ({}, []) when the message names a whole date or no such day, or the day fits no one date."""
    # A date said only to be taken back ("不是今天 是十八号竣工的") names no whole date: it goes with the day.
    denied = [m for m in reading.mentions.items if m.kind in DAY_KINDS and _DENIED.search(m.left)]
    if any(m.kind in DAY_KINDS for m in reading.mentions.items if m not in denied):
        return {}, []
    dated = {r.name: str(inputs[r.name]) for r in spec.roles
             if r.kind in DAY_KINDS and re.match(r"\d{4}-\d{2}-\d{2}", str(inputs.get(r.name) or ""))}
    out: dict[str, Any] = {}
    spans: list[tuple[int, int]] = []
    wrong: re.Match[str] | None = None  # a day said, then called wrong ("十六号 不对 是二十号")
    for m in DAY_OF_MONTH.finditer(reading.text):
        day = int(m.group(1))
        if _CALLED_WRONG.match(reading.text, m.end()):
            wrong = m
            continue
        before = _NOT_DAY.search(reading.text[: m.start()]) or wrong
        names = [n for n, v in dated.items() if before is None or int(v[8:10]) == int(before.group(1))]
        if len(names) > 1 and before is None:
            # "那20号才开呢" after a late activation: the day whose event the words after it name.
            said = _words_after_day(reading.text[m.end():])
            names = [n for n in names if any(c in said for c in spec.role(n).cues)] or names
        if len(names) == 1 and before is None and _names_other_day(spec, reading.text[m.end():]):
            # "拖到二十七号才开" after an acceptance day: the day of another event, not the last one moved.
            continue
        if len(names) != 1:
            continue
        value = dated[names[0]]
        try:
            date(int(value[:4]), int(value[5:7]), day)
        except ValueError:
            continue
        out[names[0]] = f"{value[:8]}{day:02d}{value[10:]}"
        spans.append((before.start() if before else m.start(), m.end()))
    if out:
        spans += [(m.start, m.end) for m in denied]
    return out, spans


def _names_other_day(spec: Any, after: str) -> bool:
    """Whether the words right after a day name an event that is a day input of another calculator, and none of
    `spec`'s own ("才开" after an acceptance day)."""
    return names_event(_words_after_day(after), spec.day_events, (c for r in spec.roles if r.kind in DAY_KINDS for c in r.cues))


def _words_after_day(after: str) -> str:
    """The few words right after a day, up to the end of their phrase: where its event is said ("才开")."""
    return re.split(r"[，,。；;！!？?\s]", after, maxsplit=1)[0][:DAY_EVENT_WINDOW]


def _in_month_of_last(spec: Any, inputs: Mapping[str, Any], reading: Reading) -> str | None:
    """The message with its days named without a month as the day of another event ("拖到二十七号才开") put in
    the month of the last calculation's latest day, or the month after when the day number is smaller than that
    day's; None when the message names a whole day, no such day, or the last calculation has no day."""
    if any(m.kind in DAY_KINDS for m in reading.mentions.items):
        return None
    text = reading.text
    others = [m for m in DAY_OF_MONTH.finditer(text) if _names_other_day(spec, text[m.end():])]
    latest = _latest_day(inputs.get(r.name) for r in spec.roles if r.kind in DAY_KINDS)
    if not others or latest is None:
        return None
    # Placed from the last, so the earlier days' offsets still hold.
    for m in reversed(others):
        day = int(m.group(1))
        year, month = (latest.year, latest.month) if day >= latest.day else _month_after(latest)
        text = f"{text[:m.start()]}{year}年{month}月{m.group(0)}{text[m.end():]}"
    return text


def _month_after(day: date) -> tuple[int, int]:
    return (day.year + 1, 1) if day.month == 12 else (day.year, day.month + 1)


_REFERS_BACK = re.compile(r"这个|这样|这笔|这些|上面|刚才|刚刚|那个钱|那笔|这钱|算出来的|这个数|结果")


def refers_back(question: str) -> bool:
    """Whether the message points at the previous answer ("这个钱", "刚才算的")."""
    return bool(_REFERS_BACK.search(question))


def names_result(question: str, last_result: Mapping[str, Any] | None = None, today: date | None = None) -> bool:
    """Whether the message names the last calculation's result or situation ("这个钱什么时候给我们", "减免的钱怎么退",
    "这种情况下解约要付违约金吗"), or points at its amount ("这一百零三块是退现金吗" after 103.56)."""
    if any(says(w, question) for w in vocabulary().result_words):
        return True
    return last_result is not None and today is not None and (
        _result_pointed_at(understand(question, today), last_result) is not None)


def changes_topic(question: str) -> bool:
    """The message says it changes the subject ("顺便问下…", "换个问题：…")."""
    return any(w in question for w in vocabulary().new_topic)


def whether_of_result(question: str, last_result: Mapping[str, Any] | None, today: date) -> str | None:
    """The message with the last result's amount blanked, when it points at that amount and asks only whether
    ("那这八十六块 直接抵下个月的账单吗" after a credit of 86.30: "那这   直接抵下个月的账单吗"), else None. Such a
    question is on the rule the result rests on, which no calculation without a verdict answers, and the amount is no
    new value of one."""
    if last_result is None or not _asks_only_whether(question, today):
        return None
    return _result_pointed_at(understand(question, today), last_result)


def gives_verdict(name: str) -> bool:
    """Whether the calculator's result is a verdict (yes or no) that a whether-question can be answered with."""
    return vocabulary().calculators[name].verdict


def asks_figure(question: str, today: date) -> bool:
    """The message asks for a number or a date (多少, 哪天…), or outright for a calculation."""
    reading = understand(question, today)
    return reading.asks or reading.compute


def asks_own_figure(question: str) -> bool:
    """The message asks for an amount ("要赔多少啊") or for a deadline ("最晚哪天前得交钱"): a figure of the person's
    own case, which their values give, not a rule a clause states ("欠费多少天会被停", "从哪一天开始计费")."""
    vocab = vocabulary()
    kind = asked_kind(question, vocab)
    return kind == "money" or (kind == "date" and any(w in question for w in vocab.asks_deadline))


def asks_period(question: str) -> bool:
    """The message asks only how long the contract's period is ("要在几天内报备"), not for a day, an amount or whether
    its own dates are in time ("6月10日的通知是否满足要求")."""
    vocab = vocabulary()
    return (
        any(w in question for w in vocab.asks_period)
        and not any(says(w, question) for w in (*vocab.asks_money, *vocab.asks_date))
        and not any(says(w, question) for w in vocab.yes_no)
    )


def asks_threshold(plan: CalcPlan, question: str, today: date) -> bool:
    """The message asks how long before the rule applies ("拖多少天你们会把云停掉", "逾期几天联通就可以暂停"): it
    states no length of time or day of its own and asks for a length, which the calculator takes as an input that
    the plan has only from the conversation or lacks: the clause's own period answers, not a value of the person's
    case to ask back for, nor the length left of it ("还有几天会停") or the one their days give ("6月的bill 8月5号交
    算逾期几天")."""
    vocab = vocabulary()
    lengths = {r.name for r in vocab.calculators[plan.name].roles if r.kind in DURATION_KINDS}
    return (
        bool(lengths)
        and set(plan.missing) <= lengths
        and any(says(w, question) for w in vocab.asks_duration)
        and not any(says(w, question) for w in (*vocab.asks_money, *vocab.asks_date))
        and not any(w in question for w in vocab.asks_left)
        and not understand(question, today).mentions.of_kind("duration", *DAY_KINDS)
    )


def asks_whether_only(name: str, question: str, inputs: Mapping[str, Any], today: date) -> bool:
    """The message asks whether ("你们要负责吗", "赔不赔") and for no figure, of a calculator whose result is no verdict
    and whose inputs it does not all give, or gives only as their defaults ("开户费一百块是含税的吗": the 100 元 a VAT
    split assumes), or which it only weakly names (weakly_named): it asks what the rule is."""
    return (
        not gives_verdict(name)
        and _asks_only_whether(question, today)
        and (bool(REGISTRY[name].missing(inputs)) or only_defaults(name, inputs) or weakly_named(name, question, today, inputs))
    )


def _asks_only_whether(question: str, today: date) -> bool:
    """The message asks whether ("你们要负责吗", "赔不赔") and for no figure."""
    vocab = vocabulary()
    return (
        any(says(w, question) for w in vocab.asks_whether)
        and not asks_figure(question, today)
        and asked_kind(question, vocab) in ("", "rule")
    )


def weakly_named(name: str, question: str, today: date, inputs: Mapping[str, Any]) -> bool:
    """The question gives at most one input and its trigger phrases weigh less than a phrase naming the calculator
    (the vocabulary's threshold): a whether-question like "专线撤了 云主机还能不能接着用" (100M in passing) asks a
    rule, not the line's fee its one value would give. "网断了十个钟头能不能减钱" names the credit (断了) and
    "四月账单4200 五月二十八号交的 会有违约金吗" states its case: both are worked out."""
    vocab = vocabulary()
    return len(inputs) <= 1 and keyword_score(vocab.calculators[name], understand(question, today).phrases) < vocab.threshold


def only_defaults(name: str, inputs: Mapping[str, Any]) -> bool:
    """Every input given is the calculator's default value for it: the question states nothing of its own case."""
    formula = REGISTRY[name]
    for key, value in inputs.items():
        default = formula.default(key)
        # A flag's default (not planned, on the operator's side) is a fact of the case when said, not a default.
        if default is None or isinstance(default, bool) or str(_number_or(value)) != str(_number_or(default)):
            return False
    return True


def _number_or(value: Any) -> Any:
    """A number as a normalised Decimal (100, "100", 100.00 alike); anything else as it is."""
    try:
        return Decimal(str(value)).normalize()
    except InvalidOperation:
        return value


def asks_how(question: str) -> bool:
    """The message asks how a figure is worked out ("怎么算", "咋罚")."""
    return any(w in question for w in vocabulary().asks_how)


def asks_own_case(question: str) -> bool:
    """The message asks how a figure is worked out for a case it states as the person's own ("我们欠费了 违约金咋算"),
    not one it supposes ("转租被抓到的话，违约金怎么算")."""
    vocab = vocabulary()
    return (
        asks_how(question)
        and any(says(w, question) for w in vocab.own_case)
        and not any(w in question for w in vocab.hypothetical)
    )


def asks_nothing(question: str, today: date) -> bool:
    """The message asks no question, not even whether ("受理日期是4月27日，实际开通日期是5月15日")."""
    r = understand(question, today)
    return not (r.asks or r.yes_no or r.compute or _WHETHER.search(r.text))


def only_values(question: str, today: date) -> bool:
    """The message states values and names no calculator ("２０Ｍ的", "五千一 九天")."""
    return _values_only(understand(question, today).mentions)


def _values_only(m: Mentions) -> bool:
    """Whether the mentions' text holds values and nothing else but particles and fillers."""
    # A day said without its month ("１３号") is a value too, once a question asking for a day gives it a month.
    spans = [(v.start, v.end) for v in m.items] + [s.span() for s in DAY_OF_MONTH.finditer(m.text)]
    if not spans:
        return False
    rest = "".join(" " if any(a <= i < b for a, b in spans) else ch for i, ch in enumerate(m.text))
    return not _WORDS_LEFT.sub("", rest)


# What a reply holding only values may say beside them: spaces, punctuation, particles and fillers.
_WORDS_LEFT = re.compile(r"(?:[\s,，.。!！?？、~～的了吧啊呀呢哦噢嗯呃额是就哈]|那个)+")


def with_context(question: str, previous: str, today: date, ranks: Ranks | None = None) -> CalcPlan | None:
    """A reply giving a value for the question before it, which was not yet calculated ("二月二十六号开的" after
    "开了以后一直没确认，什么时候开始算钱"; "说错了，是上午九点半交的"): planned on the two read together.

    Returns None when the reply states no value of its own, so a new question without one stays a lookup.
    """
    if not previous or not understand(question, today).mentions.has_values:
        return None
    return choose(candidates(understand(f"{previous}，{question}", today), ranks))
