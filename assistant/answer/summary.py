"""The answer first: one short sentence (at most 40 characters) stating the asked fact.

For a lookup it is taken from the cited clause (the phrases that overlap the question most, a yes/no word in
front for a yes/no question); for a calculation it is the result; for a clarification, what is needed.
"""

from __future__ import annotations

import re

from assistant.answer.quote import _grams

MAX_SUMMARY = 40
_SEGMENT = re.compile(r"[^，,。；;！？!?\n]+")
_YESNO = re.compile(r"(?:吗|么|嘛)\s*[?？。!！]*\s*$|能不能|可不可以|是不是|有没有|会不会|要不要|可否|能否|是否|行不行|算不算|用不用")
_CAN = re.compile(r"能|可以|可否|行不行|允许|让不让")
_NOT_NEGATING = re.compile(r"不可抗力|不可抗拒|不可分割")
_EXCEPTION = ("除非",)
# The words a yes/no summary opens with, and the answer each gives.
YES_NO_WORDS = {"是": "是", "可以": "是", "否": "否", "不可以": "否"}
_NEGATIVE = (
    "不得", "不能", "不可", "不予", "无须", "无需", "不承担", "不保证", "禁止", "严禁", "不会", "不再", "不退还",
    "不能办理", "未经", "不属于", "不视为", "免责",
)


def is_yes_no(question: str) -> bool:
    """Whether the question asks for a yes or a no."""
    return bool(_YESNO.search(question))


def _segments(text: str) -> list[str]:
    return [s.strip(" ：:") for s in _SEGMENT.findall(text) if s.strip(" ：:")]


def _score(segment: str, terms: frozenset[str]) -> float:
    grams = _grams(segment)
    return len(terms & grams) / (1 + len(grams) ** 0.5) if grams else 0.0


def best_phrase(clause_text: str, question: str, extra_terms: list[str] | None = None, limit: int = MAX_SUMMARY) -> str:
    """The run of consecutive phrases of one sentence of a clause that overlaps the question most and fits in
    `limit` characters, quoted as the clause writes it; for a question asking how long, a phrase stating a period
    first ("应提前 20个工作日以书面形式向对方提出", not "解除合同期间…")."""
    terms = _grams(question + " " + " ".join(extra_terms or []))
    spans = [(m.start(), m.end()) for m in _SEGMENT.finditer(clause_text) if clause_text[m.start(): m.end()].strip(" ：:")]
    if not spans:
        return clause_text[:limit]
    scores = [_score(clause_text[a:b], terms) for a, b in spans]
    if _ASKS_PERIOD.search(question):
        scores = [x + (1.0 if _PERIOD.search(clause_text[a:b]) else 0.0) for x, (a, b) in zip(scores, spans)]
    i = max(range(len(spans)), key=lambda k: (scores[k], -k))
    start, end = spans[i]
    # Add the next phrase of the same sentence when it still fits: the fact often follows its condition
    # ("…的，应提前四周…").
    j = i + 1
    while j < len(spans) and clause_text[end: spans[j][0]].strip() in ("，", ",") and spans[j][1] - start <= limit \
            and (scores[j] > 0 or end - start < 12 or any(n in clause_text[spans[j][0]: spans[j][1]] for n in _NEGATIVE)):
        end = spans[j][1]
        j += 1
    text = clause_text[start:end].strip(" ：:")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def lookup_summary(question: str, clauses: list[str], extra_terms: list[str] | None = None) -> str:
    """The asked fact from the cited clauses: from the best one, or from two that give different rules."""
    if not clauses:
        return ""
    first = best_phrase(clauses[0], question, extra_terms)
    if len(clauses) > 1:
        second = best_phrase(clauses[1], question, extra_terms, limit=MAX_SUMMARY - len(first) - 1)
        if second and second not in first and len(first) + 1 + len(second) <= MAX_SUMMARY and _related(first, second):
            first = f"{first}；{second}"
    word = None
    if is_yes_no(question):
        if _listed_under_a_ban(clauses[0], first):
            # An item of a list the clause forbids ("不得…以下…：（4）博彩有奖…") is what may not be done: asked
            # whether the customer may do it, the answer is no; asked of Unicom ("有权断网吗"), the item says nothing.
            word = "不可以" if _CAN.search(question) and not _OF_UNICOM.search(question) else None
        elif _ASKS_MUST.search(question) and _WITHOUT_LEAVE.search(_sentence_of(clauses[0], first)):
            # "要跟你们说一声吗" against "甲方不得擅自改变…用途": what may not be done without leave needs it.
            word = "是"
        else:
            word = _yes_no_word(question, first)
    if word:
        first = word + "，" + first
    return first[:MAX_SUMMARY]


# A duty stated ("应自行负责") before the question's word, and a question asking whether one must ("要自己备份吗").
# 应 of 相应 / 对应 / 响应 / 供应 / 适应 / 反应 / 应用 states no duty.
_MUST = re.compile(r"(?<![相对响供适反])应(?!用)|须|负有")
# Unicom named as a party, as the customer speaks of it.
_UNICOM = r"联通|你们|贵司|贵公司|乙方"
# A question asking whether Unicom must ("联通要负责吗", "你们需要付我们场地费吗").
_ASKS_OF_UNICOM = re.compile(rf"(?:{_UNICOM})[^，,。？?]{{0,6}}(?:要|需要|得|必须|应该|应当|是否)")
_ASKS_MUST = re.compile(
    r"要不要|需不需要|用不用|得不得|是不是要|是否需要|是否要|是否应|(?:要|需要|得|必须|须|应该|应当)[^，,。？?]{0,12}(?:吗|么|嘛)"
)
_LIST_ITEM = re.compile(r"^\s*[（(]?\s*\d{1,2}\s*[）)]")
# A question of what Unicom may do ("你们有权断网吗", "贵公司可以断网吗"), not one that only names it
# ("按我司与贵公司签订的责任书，…可以吗" asks what the customer may do).
_OF_UNICOM = re.compile(rf"(?:{_UNICOM})[^，,。？?]{{0,8}}(?:{_CAN.pattern})|有权|有没有权")
# A prohibition that holds without the other party's leave ("未经对方事先书面同意，不得转让", "不得擅自改变").
_WITHOUT_LEAVE = re.compile(r"(?:未经|擅自)[^。；;]*?不得|不得擅自")


def _listed_under_a_ban(clause_text: str, phrase: str) -> bool:
    """The phrase is an item of a numbered list whose lead-in (the text of its sentence before the list) forbids."""
    if not _LIST_ITEM.match(phrase):
        return False
    sentence = _sentence_of(clause_text, phrase)
    at = sentence.find(phrase.rstrip("…"))
    return at > 0 and any(n in sentence[:at] for n in _NEGATIVE)


def _sentence_of(clause_text: str, phrase: str) -> str:
    """The sentence of the clause the phrase is taken from (the phrase itself when it is not found)."""
    at = clause_text.find(phrase.rstrip("…"))
    if at < 0:
        return phrase
    start = clause_text.rfind("。", 0, at) + 1  # rfind gives -1 without one: from the start
    end = clause_text.find("。", at)
    return clause_text[start: end if end >= 0 else len(clause_text)]


def _related(a: str, b: str) -> bool:
    """Two phrases that state a rule of the same kind (both a period, both an amount…)."""
    return any(k.search(a) and k.search(b) for k in (_PERIOD, _AMOUNT))


# … or says which document sets it ("缓冲期（以…服务说明文档载明的时限为准）").
_PERIOD = re.compile(r"\d+\s*(?:个)?(?:工作日|日|天|周|小时|月)|[一二三四五六七八九十]+(?:个)?(?:工作日|日|天|周|小时|月)|载明的(?:时限|期限)")
_AMOUNT = re.compile(r"\d+(?:\.\d+)?\s*元|‰|%")
# A question asking how long ("要提前多少天", "多久能开通"): the period its clause states answers it.
_ASKS_PERIOD = re.compile(r"多久|多快|多长时间|多少天|几天|几日|多少日|几个?工作日|多少个?工作日|几周|几个?星期|几个月|多少个?月|几个?小时|多少个?小时")


# Word pairs where the fact saying the second answers a question asking about the first in the negative.
_OPPOSITES = (("开", "关闭"), ("开着", "关闭"), ("收费", "免费"), ("要钱", "免费"), ("收钱", "免费"),
              ("找回", "不可恢复"), ("恢复", "不可恢复"), ("救", "不可恢复"), ("还在", "删除"))


def _yes_no_word(question: str, fact: str) -> str | None:
    """不可以 for a question about being allowed, 否 otherwise, when the fact settles it in the negative; else None.

    Negative when a negator stands before one of the question's words in the same phrase of the fact ("不得擅自…
    转租"), or the fact says the opposite of the question (关闭 for 开着). The question's words there without a
    negator settle nothing (see below).
    """
    grams = _grams(question)
    negative = obliged = customers = False
    for seg in _segments(fact):
        if seg.startswith(_EXCEPTION):
            # "除非任何一方…通知另一方不再续签" states the exception, whose negator is no answer to "会自动续吗".
            continue
        # A term holding a negator's characters negates nothing ("不可抗力" is force majeure, not "不可").
        seg = _NOT_NEGATING.sub(lambda m: "□" * len(m.group()), seg)
        for g in grams:
            at = seg.find(g)
            if at < 0:
                continue
            # A strong negator anywhere in the phrase ("云专线产品不能办理暂关"), a bare 不 only before the word.
            if any(n in seg for n in _NEGATIVE) or "不" in seg[:at]:
                negative = True
            elif _MUST.search(seg[:at]) and _ASKS_MUST.search(question):
                obliged = True
                customers = customers or ("甲方" in seg[:at] and "乙方" not in seg[:at])
    # Not when the question says the fact's own word ("是不是默认就关着的" against 关闭: it asks what the fact says).
    negative = negative or any(
        a in question and b in fact and (b.startswith("不") or b[0] not in question) for a, b in _OPPOSITES
    )
    if obliged and not negative:
        # "数据要自己备份吗" against "甲方应自行负责数据备份": a duty asked, and the fact states it — the customer's,
        # so asked of Unicom ("备份出了问题，联通要负责吗") the answer is no.
        return "否" if customers and _ASKS_OF_UNICOM.search(question) else "是"
    if not negative:
        # Otherwise the question's words in the fact without a negator settle nothing: "可以不一样吗" against
        # "必须保持一致", "能开一张吗" against "分别申领发票". Said anyway, such a yes was right on only half the
        # bank's labelled yes/no questions; a no backed by a negator on four in five.
        return None
    return "不可以" if _CAN.search(question) else "否"


def short(text: str, limit: int = MAX_SUMMARY) -> str:
    """A text cut at its last phrase boundary within `limit` characters."""
    if len(text) <= limit:
        return text
    cut = max((m.start() for m in re.finditer(r"[，,；;。]", text[: limit + 1])), default=-1)
    return text[:cut] if cut > limit // 2 else text[: limit - 1] + "…"
