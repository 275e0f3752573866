"""Role assignment: which mention fills which calculator input, chosen jointly rather than first come first served.

Each input declares (in triggers.toml) the kind of value it takes and the cue words that name it. A mention's
score for a role is how well its kind fits (the FILLERS table) plus how strongly the role's cue words stand next
to it; the assignment maximises the total over all roles at once, one mention per role, under the calculator's
order constraints (accepted ≤ activated, used ≤ term).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from .mentions import CLAUSE_END, DAY_KINDS, Flag, Mention, Mentions

if TYPE_CHECKING:
    from .vocabulary import CalcSpec, RoleSpec

Value = tuple[Any, str | None]  # a JSON-able input value and what was assumed to get it (said back), if anything


def num(value: Decimal) -> str:
    """Decimal as plain text without trailing zeros."""
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "") else text


def number_value(value: Decimal) -> int | str:
    """Whole numbers as int, fractions as exact decimal strings (plan inputs stay JSON-able and exact)."""
    return int(value) if value == value.to_integral_value() else num(value)


def _year_note(m: Mention, today: date) -> str | None:
    return f"未说明年份，按今年（{today.year}年）计算" if m.year_assumed else None


def _money(m: Mention, today: date) -> Value | None:
    return (num(m.value), None) if m.value > 0 else None


# A bandwidth said without its unit is at most a gigabit ("100的"): "不对 是 四千二" corrects an amount.
BARE_BANDWIDTH_MAX = 1000


def _bandwidth(m: Mention, today: date) -> Value | None:
    if m.kind == "number" and not (1 <= m.value <= BARE_BANDWIDTH_MAX and m.value == int(m.value)):
        return None
    return int(m.value), None


def _count(m: Mention, today: date) -> Value | None:
    return (int(m.value), None) if m.value == int(m.value) and m.value >= 0 else None


_DAYS_PER = {"day": Decimal(1), "week": Decimal(7)}


def _days(m: Mention, today: date) -> Value | None:
    if m.kind == "duration" and m.unit in _DAYS_PER:
        return number_value(m.value * _DAYS_PER[m.unit]), None
    if m.kind == "duration" and m.unit == "month":
        return number_value(m.value * 30), f"“{num(m.value)}个月”按 {num(m.value * 30)} 天计算"
    if m.kind == "number" and m.value == int(m.value) and 0 < m.value <= 3650:
        return int(m.value), None
    return None


def _hours(m: Mention, today: date) -> Value | None:
    if m.kind == "duration" and m.unit == "hour":
        return number_value(m.value), None
    if m.kind == "duration" and m.unit in _DAYS_PER:
        hours = m.value * _DAYS_PER[m.unit] * 24
        said = f"{num(m.value)}{'天' if m.unit == 'day' else '周'}"
        return number_value(hours), f"“{said}”按 {num(hours)} 小时计算"
    return None


def _months(m: Mention, today: date) -> Value | None:
    if m.kind == "duration" and m.unit == "month":
        return number_value(m.value), None
    if m.kind == "duration" and m.unit == "year":
        return number_value(m.value * 12), None
    if m.kind == "number" and m.value == int(m.value) and 0 < m.value <= 1200:
        return int(m.value), None
    return None


def _date(m: Mention, today: date) -> Value | None:
    value = m.value.date() if isinstance(m.value, datetime) else m.value
    return value.isoformat(), _year_note(m, today)


def _datetime(m: Mention, today: date) -> Value | None:
    if isinstance(m.value, datetime):
        return m.value.isoformat(), _year_note(m, today)
    note = "未说明具体时刻，按当日0时计算"
    year = _year_note(m, today)
    return datetime.combine(m.value, time(0, 0)).isoformat(), f"{year}；{note}" if year else note


def _year_month(m: Mention, today: date) -> Value | None:
    if m.kind == "month":
        year, month = m.value
    else:
        year, month = m.value.year, m.value.month
    return f"{year:04d}-{month:02d}", _year_note(m, today)


def _money_list(m: Mention, today: date) -> Value | None:
    return [num(v) for v in m.value], None


def _line_list(m: Mention, today: date) -> Value | None:
    if m.kind == "line_list":
        return [{"bandwidth_mbps": b, "count": c} for b, c in m.value], None
    if m.kind == "line":
        return [{"bandwidth_mbps": m.value[0], "count": m.value[1]}], None
    return [{"bandwidth_mbps": int(m.value), "count": 1}], None


@dataclass(frozen=True)
class Filler:
    """How one kind of input is filled: the mention kinds it takes (with how well they fit) and the conversion."""

    accepts: dict[str, float]
    convert: Callable[[Mention, date], Value | None]


# The slot fillers, keyed by the kind an input declares in triggers.toml.
FILLERS: dict[str, Filler] = {
    "money": Filler({"money": 1.0, "number": 0.5}, _money),
    "bandwidth": Filler({"bandwidth": 1.0, "number": 0.2}, _bandwidth),
    "count": Filler({"count": 1.0, "number": 0.6}, _count),
    "days": Filler({"duration": 1.0, "number": 0.15}, _days),
    "hours": Filler({"duration": 1.0}, _hours),
    "months": Filler({"duration": 1.0, "number": 0.15}, _months),
    "date": Filler({"date": 1.0, "datetime": 0.8}, _date),
    "datetime": Filler({"datetime": 1.0, "date": 0.8}, _datetime),
    "year_month": Filler({"month": 1.0}, _year_month),
    "money_list": Filler({"money_list": 1.0}, _money_list),
    "line_list": Filler({"line_list": 1.0, "line": 1.0, "bandwidth": 0.3}, _line_list),
}
FLAG = "flag"
KINDS = frozenset(FILLERS) | {FLAG}
DURATION_KINDS = frozenset({"days", "hours", "months"})  # inputs that are a length of time

ADJACENT = 3  # a cue ending this close before a value names it
AMOUNT_NOUNS = ("费用", "价格", "价钱", "款项", "金额")  # words for an amount of money, whatever it is of
_SPANS = frozenset({"days", "hours", "months"})
COMPOSITE_BONUS = 0.4
REQUIRED_BONUS = 0.3  # an input the calculator cannot do without is filled before an optional one
QUESTION_BONUS = 0.3  # a value in the sentence that asks, in a text of several sentences
ORDER_BONUS = 0.05
# The assignment search weighs every joint choice but cuts the branches that cannot win, so an ordinary question
# takes at most about a hundred steps (tests/calc: the labelled questions and the bank); a text listing dozens of
# values could still take millions, so past this many steps the best assignment found so far stands.
MAX_STEPS = 1000
_TIE = 1e-9  # two totals this close are a tie, and a tie never replaces the assignment found first


NEGATING = "不未非没"  # a character that makes the word after it its opposite ("不含税")


def _find(text: str, cue: str, last: bool, hollow: tuple[str, ...] = ()) -> int:
    """Where a cue stands in a window, skipping uses negated by the character before it ("不含税" is no "含税"),
    uses that are the unit of a number before them ("3月 2470": 月 is a month, not a monthly fee) and a
    one-character cue inside a `hollow` word ("才想起来要发通知": 起 names no start date)."""

    def skipped(at: int) -> bool:
        if at > 0 and (text[at - 1] in NEGATING or text[at - 1].isdigit()):
            return True
        return len(cue) == 1 and _covered(text, at, cue, hollow)

    at = text.rfind(cue) if last else text.find(cue)
    while at >= 0 and skipped(at):
        at = text.rfind(cue, 0, at) if last else text.find(cue, at + 1)
    return at


def _covered(text: str, at: int, cue: str, others: tuple[str, ...]) -> bool:
    """Whether this occurrence of a cue lies inside a longer cue of another role ("剩余服务期限" names the months
    remaining, not the term, although it holds 期限)."""
    for other in others:
        if len(other) <= len(cue) or cue not in other:
            continue
        for m in re.finditer(re.escape(other), text):
            if m.start() <= at and at + len(cue) <= m.end():
                return True
    return False


def cue_score(role: RoleSpec, m: Mention, others: tuple[str, ...] = (), hollow: tuple[str, ...] = ()) -> float:
    """How strongly the role's cue words name this mention: 1 before it (1.5 right before), 0.6 after it.

    `others` are the cue words of the calculator's other roles; `hollow` words hold a one-character cue without
    meaning it.
    """
    best = 0.0
    for cue in role.cues:
        at = _find(m.left, cue, last=True, hollow=hollow)
        if at >= 0 and not _covered(m.left, at, cue, others):
            gap = m.left[at + len(cue):]
            # Another input's word between this one and the value is nearer, so it names the value first; a
            # one-character cue ("是", "的") names nothing ("月租是3500" is a monthly fee, not a bandwidth).
            near = len(gap) <= ADJACENT and not any(o in gap for o in others if len(o) >= 2)
            best = max(best, 1.5 if near else 1.0)
            continue
        at = _find(m.right, cue, last=False, hollow=hollow)
        if at >= 0 and not _covered(m.right, at, cue, others) and not _asked(m, at + len(cue)):
            best = max(best, 0.9 if at <= ADJACENT else 0.6)
    return best


def _beside(words: tuple[str, ...], m: Mention, nearer: tuple[str, ...] = ()) -> bool:
    """Whether one of the words stands right beside the mention, stating what it is (not asking for it). A
    `nearer` word between them names the value first ("一万块钱含税的，不含税是多少": 含税 is nearer than 不含税);
    a one-character cue ("是", "的") names nothing ("月租是一万" is still a monthly fee)."""
    nearer = tuple(w for w in nearer if len(w) >= 2)
    for word in words:
        at = _find(m.left, word, last=True)
        gap = m.left[at + len(word):]
        # A cue word, or a plain word for an amount, the never-word qualifies is one noun with it ("未税金额",
        # "不含税的价格", "不含税的费用是一万五"), not a nearer name.
        noun = gap.removeprefix("的")
        gap = next((noun[len(w):] for w in (*nearer, *AMOUNT_NOUNS) if noun.startswith(w)), gap)
        # The distance is counted after that noun ("不含税金额为 36500": 不含税 names the amount).
        if at >= 0 and len(gap) <= ADJACENT and not _holds(gap, nearer):
            return True
        at = _find(m.right, word, last=False)
        if 0 <= at <= ADJACENT and not _asked(m, at + len(word)) and not _holds(m.right[:at], nearer):
            return True
    return False


def _holds(gap: str, words: tuple[str, ...]) -> bool:
    """Whether the text between a value and a word holds one of `words`."""
    return any(w in gap for w in words)


# A cue word after a value that asks for that quantity ("5100元，不含税是多少", "不含税价格是多少",
# "拆成不含税跟税额各是多少") names what is wanted, not the value.
ASKED_AFTER = re.compile(
    r"\s*(?:的?\s*(?:价格?|金额|部分|价钱|额))?\s*(?:(?:是|为|有|应该是|应是|大概)?\s*(?:多少|几|啥|什么|哪)"
    r"|[和与跟及、][^，,。？?]{0,6}(?:各|分别|都))"
)


def _asked(m: Mention, at: int) -> bool:
    """Whether the words at `at` after the mention ask for a quantity, read to the clause end, past the window."""
    return bool(ASKED_AFTER.match(m.after, at))


@dataclass
class Assignment:
    """The inputs filled for one calculator, the mentions they came from and the joint score."""

    inputs: dict[str, Any] = field(default_factory=dict)
    assumptions: list[str] = field(default_factory=list)
    used: set[int] = field(default_factory=set)
    score: float = 0.0
    cued: int = 0  # roles filled by a mention one of whose cue words stands next to it
    cue_total: float = 0.0  # the sum of their cue scores
    cue_of: dict[int, float] = field(default_factory=dict)  # mention index → the cue score of the role it fills
    source: dict[str, int] = field(default_factory=dict)  # input name → the index of the mention that filled it
    steps: int = 0  # how many steps the search took (at most MAX_STEPS)


@dataclass(frozen=True)
class _Option:
    index: int
    value: Any
    note: str | None
    score: float
    cued: bool
    cue: float = 0.0


def _names_other_event(role: RoleSpec, m: Mention, events: frozenset[str], text: str) -> bool:
    """Whether the words after the mention in its clause name an event some calculator's day stands for, and none
    of this role's ("于3月2日在营业厅提交了申请" is an application's day, not a completion's). The whole clause is
    read, not only the mention's few words of context: "上周（1月12日）与贵司业务经理签订了协议" is a signing's day."""
    end = CLAUSE_END.search(text, m.end)  # a day's event follows it: "3月2日在营业厅提交了申请"
    return names_event(text[m.end:end.start() if end else len(text)], events, role.cues)


def names_event(said: str, events: Iterable[str], own: Iterable[str]) -> bool:
    """Whether words said of a day name one of `events` and none of the `own` cues."""
    return any(w in said for w in events) and not any(c in said for c in own)


def _options(role: RoleSpec, spec: CalcSpec, mentions: Mentions, today: date, required: bool, known: bool = False) -> list[_Option]:
    """Every mention this role could take, with its score."""
    filler = FILLERS[role.kind]
    out = []
    for i, m in enumerate(mentions.items):
        fit = filler.accepts.get(m.kind)
        if fit is None or m.rough:
            # A period said roughly is the situation ("欠费一个多月了 云主机会怎么样"), not a value to work out with.
            # (Taking its lower bound for a follow-up's verdict, "那要是欠了一个多月呢", cost sealed turns and lookups.)
            continue
        converted = filler.convert(m, today)
        if converted is None:
            continue
        cue = cue_score(role, m, spec.other_cues(role.name), spec.hollow)
        if role.never and _beside(role.never, m, role.cues):
            # "不含税25500" is a pre-tax amount whatever else the question says: never a tax-inclusive total.
            continue
        if m.kind == "number" and role.kind != "money" and cue == 0:
            # A bare number is a duration, bandwidth or count only where a cue word says so ("用了 11").
            continue
        if cue == 0 and role.name == spec.lone_day and not required and not known and _names_other_event(role, m, spec.day_events, mentions.text):
            # A day its own clause names as another event ("3月2日在营业厅提交了申请") fills no optional input of
            # this one: a first payment without a completion day is charged for the whole month. (Where a calculator
            # has several days, their cue words and order share them out.)
            continue
        if cue == 0 and role.name in spec.sources_only and not known:
            # A fact read only to derive an input (a term, a payment date) is taken where a cue word names it:
            # otherwise any two values would pass for the term and the months used.
            continue
        fit += REQUIRED_BONUS if required else 0.0
        if mentions.in_question(m):
            fit += QUESTION_BONUS
        # A sum or list covers more of what was said than any one of its parts.
        whole = COMPOSITE_BONUS * max(0, len(m.parts) - 1)
        out.append(_Option(i, converted[0], converted[1], 1.0 + fit + cue + whole, cue > 0, cue))
    return out


def refused(spec: CalcSpec, mentions: Mentions) -> int:
    """How many values of an input's kind the question states as something else (its `never` words beside them)."""
    return sum(
        1 for role in spec.roles if role.never and role.kind in FILLERS
        for m in mentions.items if m.kind in FILLERS[role.kind].accepts and _beside(role.never, m, role.cues)
    )


def _strongest_of_exclusive(spec: CalcSpec, options: dict[str, list[_Option]]) -> dict[str, list[_Option]]:
    """Options without a value that an exclusive input's words name more strongly ("合同还剩9个月" is the months
    remaining, not the term): filling two facts would otherwise outscore the one input the value states."""
    out = {}
    for name, opts in options.items():
        rivals = {o for g in spec.exclusive if name in g for o in g if o != name and o in options}
        stronger: dict[int, float] = {}
        for o in (o for r in rivals for o in options[r]):
            stronger[o.index] = max(stronger.get(o.index, 0.0), o.cue)
        out[name] = [o for o in opts if stronger.get(o.index, 0.0) <= o.cue]
    return out


def _ordered(spec: CalcSpec, chosen: dict[str, _Option]) -> bool:
    """The calculator's order constraints hold among the chosen values (first ≤ second)."""
    for first, second in spec.order:
        a, b = chosen.get(first), chosen.get(second)
        if a is not None and b is not None and _comparable(a.value) > _comparable(b.value):
            return False
    return True


def _comparable(value: Any) -> Any:
    """Values of one kind made comparable: ISO strings compare as text, numbers as Decimal."""
    if isinstance(value, (int, str)) and not (isinstance(value, str) and "-" in value):
        try:
            return Decimal(str(value))
        except ArithmeticError:
            return value
    return value


def assign(
    spec: CalcSpec, mentions: Mentions, today: date, only: set[str] | None = None, given: frozenset[str] = frozenset()
) -> Assignment:
    """The best joint assignment of mentions to the calculator's value roles (`only` restricts the roles).

    `given` are inputs the conversation already has (a follow-up changes some of them): they count as filled
    when deciding what a required input still needs, and a new value for one needs no cue word ("8月20号呢").
    """
    roles = [r for r in spec.roles if r.kind != FLAG and (only is None or r.name in only)]
    options = {r.name: _options(r, spec, mentions, today, r.name in spec.required and r.name not in given, r.name in given) for r in roles}
    # A span of time a duration's word names before it is that input's or none ("逾期32天" is no count of days
    # since a suspension, even when a payment day takes the place of the days overdue).
    kinds = {r.name: r.kind for r in roles}
    named = {o.index for name, opts in options.items() if kinds[name] in _SPANS for o in opts if o.cue >= 1.0}
    options = {
        name: [o for o in opts if o.cued or o.index not in named or kinds[name] not in _SPANS] for name, opts in options.items()
    }
    options = _strongest_of_exclusive(spec, options)
    items = mentions.items
    best: tuple[float, dict[str, _Option]] = (0.0, {})
    # Worked out once per question rather than at every step of the search.
    clash = mentions.clashes
    exclusive = {frozenset((a, b)) for g in spec.exclusive for a in g for b in g if a != b}

    # What the roles from k on could add at most: a branch that cannot beat the best found so far is cut.
    rest = [0.0] * (len(roles) + 1)
    for k in range(len(roles) - 1, -1, -1):
        rest[k] = rest[k + 1] + max((o.score for o in options[roles[k].name]), default=0.0) + ORDER_BONUS
    steps = 0

    def search(k: int, chosen: dict[str, _Option], total: float) -> None:
        nonlocal best, steps
        steps += 1
        if steps > MAX_STEPS or total + rest[k] <= best[0] + _TIE:
            return
        if k == len(roles):
            if total > best[0] and _ordered(spec, chosen):
                best = (total, dict(chosen))
            return
        role = roles[k]
        blocked = any(frozenset((role.name, other)) in exclusive for other in chosen)
        for opt in [] if blocked else options[role.name]:
            if steps > MAX_STEPS:
                break
            if any(o.index == opt.index or (o.index, opt.index) in clash for o in chosen.values()):
                continue
            # A value said twice is one fact ("已经使用了6个月，麻烦按6个月重新计算"): it fills a second input only
            # when that input has nothing else to take and the conversation does not have it already.
            if any(o.value == opt.value for o in chosen.values()) and (
                role.name in given or any(x.value != opt.value for x in options[role.name])
            ):
                continue
            # Roles declared in text order: a small bonus when the mentions follow it too.
            bonus = ORDER_BONUS if all(o.index < opt.index for o in chosen.values()) else 0.0
            chosen[role.name] = opt
            search(k + 1, chosen, total + opt.score + bonus)
            del chosen[role.name]
        search(k + 1, chosen, total)

    search(0, {}, 0.0)
    chosen = _required_first(spec, roles, best[1], options, given)
    out = Assignment(score=best[0], steps=min(steps, MAX_STEPS))
    for name, opt in chosen.items():
        out.inputs[name] = opt.value
        out.used.add(opt.index)
        out.used.update(items[opt.index].parts)
        out.cued += opt.cued
        out.cue_total += opt.cue
        out.cue_of[opt.index] = opt.cue
        out.source[name] = opt.index
        if opt.note and opt.note not in out.assumptions:
            out.assumptions.append(opt.note)
    return out


def _required_first(
    spec: CalcSpec, roles: list[RoleSpec], chosen: dict[str, _Option], options: dict[str, list[_Option]], given: frozenset[str]
) -> dict[str, _Option]:
    """A required input left empty while an optional input of the same kind took the value it could have had:
    the value goes to the required one ("7月15日把沃云停了，申请最晚哪天" is the end date, not a notice date)."""
    out = dict(chosen)
    for role in roles:
        if role.name not in spec.required or role.name in out or role.name in given:
            continue
        if any(role.name in g and other in g for g in spec.exclusive for other in out if other != role.name):
            continue  # given another way: the facts it is derived from, or a one_of alternative
        for other in roles:
            taken = out.get(other.name)
            if other.name in spec.required or taken is None or other.kind != role.kind:
                continue
            move = next((o for o in options[role.name] if o.index == taken.index), None)
            if move is not None:
                del out[other.name]
                out[role.name] = move
                break
    return out


def flag_values(spec: CalcSpec, flags: list[Flag], only: set[str] | None = None) -> dict[str, bool]:
    """The boolean inputs the question's yes/no facts decide (the last such fact wins, as a correction would)."""
    out: dict[str, bool] = {}
    for role in spec.roles:
        if role.kind != FLAG or (only is not None and role.name not in only):
            continue
        mine = [f for f in flags if f.name in role.yes or f.name in role.no]
        # Of two opposite facts on the same words ("没提前通知" holds "提前通知"), the longer one is what was said.
        mine = [f for f in mine if not any(o is not f and o.start <= f.start and f.end <= o.end and o.end - o.start > f.end - f.start for o in mine)]
        for f in mine:
            out[role.name] = (not f.negated) if f.name in role.yes else f.negated
    return out


def today_values(spec: CalcSpec, text: str, today: date, filled: set[str]) -> tuple[dict[str, str], list[str]]:
    """Date roles an unfilled 'now' word decides ("现在通知还来得及吗", "到现在还没交"): today's date (never a
    time of day, which a 'now' word does not tell: vocabulary rejects them on datetime roles)."""
    values, notes = {}, []
    for role in spec.roles:
        if role.name in filled or not role.now or not any(w in text for w in role.now):
            continue
        values[role.name] = today.isoformat()
        notes.append(f"按今天（{today.month}月{today.day}日）计算")
    return values, notes
