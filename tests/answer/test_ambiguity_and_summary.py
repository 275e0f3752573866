"""Asking back with options, and the answer first: the ambiguity data checked, readings picked by their words,
choices read back, and summaries taken from what is cited."""

from __future__ import annotations

import pytest

from assistant import bank
from assistant.answer import ambiguity
from assistant.answer.summary import MAX_SUMMARY, lookup_summary, short
from assistant.channels.ivr import MAX_SUMMARY_SPEECH_CHARS, render_speech
from assistant.models import Channel, Intent
from assistant.settings import PROJECT_ROOT

GROUPS_FILE = PROJECT_ROOT / "corpus" / ambiguity.AMBIGUITY_FILE


@pytest.fixture(scope="module")
def groups(corpus):
    return ambiguity.load_groups(GROUPS_FILE, corpus.ids)


@pytest.mark.parametrize(
    ("question", "labels"),
    [
        ("违约金多少", {"逾期缴费", "提前终止沃云", "擅自转租", "严重违规被终止", "一般违约"}),
        ("提前多久通知", {"解除合同", "提前终止沃云", "到期不续签", "联通转让协议", "不可抗力终止"}),
        ("第一次交多少", {"停用沃云后专线", "开户费", "首次缴费", "云产品价格"}),
        # overlapping cues ("多少钱", "第一次要交多少") leave nothing of either to pick a reading
        ("第一次要交多少钱", {"停用沃云后专线", "开户费", "首次缴费", "云产品价格"}),
        ("合同里那个十五天是什么", {"逾期15日", "不可抗力告知", "不可抗力终止"}),
        # late is said of a payment and of an activation
        ("晚了会怎样", {"逾期缴费", "超时开通"}),
        ("嗯 那 合同 怎么 终止 呢", {"解除合同", "提前终止沃云", "到期不续签", "不可抗力终止"}),
        # a penalty said with ending the contract is the penalty of ending it, which the contract answers in three
        # ways (and not at all under force majeure); "没到期" names no non-renewal
        ("我们不想用了 那个要交违约金吗", {"提前终止沃云", "合同期内解除", "到期不续签", "不可抗力终止"}),
        ("就是 我们 要是 提前解约 要赔钱吗", {"提前终止沃云", "合同期内解除", "到期不续签", "不可抗力终止"}),
        ("合同没到期就不用了 罚款吗", {"提前终止沃云", "合同期内解除", "到期不续签", "不可抗力终止"}),
        # whether the contract may be ended early, naming no way of ending it
        ("客户问能不能提前解约", {"提前终止沃云", "合同期内解除", "不可抗力终止", "到期不续签"}),
        ("可以提前終止合約嗎？", {"提前终止沃云", "合同期内解除", "不可抗力终止", "到期不续签"}),
        # compensation paid to the customer is a refund, not one of the penalties the customer pays
        ("能赔多少", {"断网核减", "超时开通", "我方原因改期"}),
        ("几个working day来着", None),
        # a deadline asked of nothing: every deadline the contract sets is a reading
        ("最晚哪一天？", None),
        ("那个 最晚 哪天 之前 得弄", None),
    ],
)
def test_an_ambiguous_question_offers_every_reading(groups, question, labels):
    from assistant.corpus.normalize import normalize_query

    found = {r.label for r in ambiguity.readings_for(normalize_query(question), groups)}
    assert found == labels if labels is not None else len(found) >= 2


@pytest.mark.parametrize(
    "question",
    ["逾期缴费的违约金多少", "转租的违约金多少", "不续签要提前多久通知", "云专线能暂停吗", "开通晚了会怎样",
     # a refund asked with the words of one reading: the customer's own delay, Unicom's 封网 delay
     "我们设备没到货 开通日期往后推了 那个开户费能退吗", "开通的时候赶上国庆封网 晚了几天 能赔吗",
     # a deadline with its subject
     "5月份的账单最晚哪天交钱", "备案信息变了 最晚哪天报备", "暴雪把线路弄断了 最晚几号要通知你们",
     # a reading's word said inside the cue ("税是多少" said as "税率是多少") still names it
     "这些费用的税率是多少",
     # ending early, with its way named
     "不可抗力超过一个月 可以解约吗", "沃云能不能提前终止合同",
     # force majeure named by its event or its length
     "因为台风造成的影响已经超过一个月了 我们想终止协议 要提前几天通知"],
)
def test_a_question_naming_one_reading_is_not_ambiguous(groups, question):
    assert ambiguity.readings_for(question, groups) == []


@pytest.mark.parametrize(
    ("question", "group"),
    [
        # A cue of four characters or more still holds with one word slipped in.
        ("什么时候要缴费", "交钱时间"),
        ("什麼時候要繳費", "交钱时间"),
        ("可以退款不 refund", "退钱"),
    ],
)
def test_a_cue_holds_with_a_word_slipped_in(groups, question, group):
    from assistant.corpus.normalize import normalize_query

    wanted = next(g for g in groups if g.name == group)
    assert ambiguity.readings_for(normalize_query(question), groups) == list(wanted.readings)


def test_a_short_cue_is_matched_as_written(groups):
    # "要赔" (2 characters) does not stretch over "要不赔": short cues would match too much.
    assert ambiguity._cue_pattern("要赔").search("要不赔") is None
    assert ambiguity._cue_pattern("什么时候缴费").search("什么时候才能缴完费") is None


@pytest.mark.parametrize("question", ["我们7月15日扩容的费用计入哪个月的账单", "七月十五日用的算哪个月", "欠了215日元"])
def test_a_figure_cue_inside_a_date_or_a_longer_number_is_not_said(groups, question):
    fifteen = next(g for g in groups if g.name == "十五天")
    assert ambiguity._picked(question, fifteen, "") is None
    assert ambiguity._picked("合同里那个15日是什么", fifteen, "") is not None


@pytest.mark.parametrize(
    ("question", "labels"),
    [
        # 云服务 / 云主机 stand for 沃云, the word the reading is named by
        ("云服务是从什么时候开始计费？是验收单据双方签字那天吗？", {"沃云计费"}),
        ("云主机什么时候开始收费", {"沃云计费"}),
        # the cue's own everyday words name nothing ("开始收费" stands for 起租 too)
        ("什么时候开始收费", {"专线起租", "沃云计费", "竣工当月"}),
        # only a part's name is read through its everyday words: 解约 (解除) names no way of ending the contract
        ("如果要解约，需要提前多久讲？", {"提前终止沃云", "解除合同", "到期不续签", "不可抗力终止", "联通转让协议"}),
    ],
)
def test_everyday_words_outside_the_cue_name_a_part_as_its_name_would(groups, knowledge, question, labels):
    from assistant.corpus.normalize import normalize_query

    parts = ambiguity.load_parts(GROUPS_FILE)

    def terms(text):
        return [t for t in knowledge.expand(text) if t in parts]

    readings = ambiguity.readings_for(normalize_query(question), groups, terms=terms)
    assert {r.label for r in readings} == labels or (len(labels) == 1 and readings == [])
    named = ambiguity.named_reading(normalize_query(question), groups, terms=terms)
    assert (named.label if named else None) == (next(iter(labels)) if len(labels) == 1 else None)


def test_naming_two_readings_narrows_the_choice_to_them(groups):
    labels = {r.label for r in ambiguity.readings_for("欠费或者转租的违约金多少", groups)}
    assert labels == {"逾期缴费", "擅自转租"}



@pytest.mark.parametrize(
    ("question", "label"),
    [
        ("提前终止沃云服务 要交违约金吗", "提前终止沃云"),
        ("转租的违约金多少", "擅自转租"),
        # handing the contract to another company is its transfer (A1-3.5), said without 转让
        ("联通要把合同转给别家 得提前多少天通知我们", "联通转让协议"),
        # a reading named by a word beside another named by one character alone ("交" of "申请交给你们")
        ("我们想提前把沃云服务停掉 请问最晚哪一天要把申请交给你们", "沃云提前终止"),
        # no reading named, or two: none
        ("违约金多少", None),
        ("欠费或者转租的违约金多少", None),
        # no cue of any group
        ("开户费是多少", None),
    ],
)
def test_the_one_reading_a_question_names_is_found(groups, question, label):
    named = ambiguity.named_reading(question, groups)
    assert (named.label if named else None) == label


@pytest.mark.parametrize(
    ("scores", "first"),
    [
        # the named reading's clause close behind the first: it is answered first
        ({"A1-10.2": 1.0, "M-37": 0.95, "A1-6.4": 0.93}, ["A1-6.4"]),
        # far behind (AMBIGUITY_LEAD), or already first: retrieval's order stands
        ({"A1-10.2": 1.0, "M-37": 0.95, "A1-6.4": 0.85}, []),
        ({"A1-6.4": 1.0, "A1-10.2": 0.99}, []),
        # not among the best AMBIGUITY_WINDOW
        ({"A1-10.2": 1.0, "M-1": 0.99, "M-2": 0.99, "M-3": 0.99, "M-4": 0.99, "M-5": 0.99, "A1-6.4": 0.98}, []),
    ],
)
def test_a_named_reading_goes_first_only_when_retrieval_nearly_agrees(fake_assistant, scores, first):
    from dataclasses import replace

    from assistant.answer.sessions import SessionState
    from assistant.models import Hit

    question = "沃云不想用了 那个要交违约金吗"
    r = fake_assistant.retrieve(question)
    r = replace(r, hits=[Hit(clause_id=c, score=s) for c, s in scores.items()])
    assert fake_assistant._named_first(question, r, SessionState(session_id="s")) == first


OPTIONS = [
    {"label": "逾期缴费", "question": "逾期缴费的违约金怎么算？", "clause_ids": ["M-29", "A1-4.5"]},
    {"label": "擅自转租", "question": "擅自转租要付多少违约金？", "clause_ids": ["M-11"]},
]


@pytest.mark.parametrize(
    ("reply", "question"),
    [("2", OPTIONS[1]["question"]), ("第一个", OPTIONS[0]["question"]), ("按1", OPTIONS[0]["question"]),
     ("擅自转租", OPTIONS[1]["question"]), ("逾期缴费的违约金怎么算", OPTIONS[0]["question"]), ("7", None), ("谢谢", None),
     # an ASR reply spaces the label's words
     ("擅自 转租", OPTIONS[1]["question"])],
)
def test_a_reply_picks_an_option_by_key_ordinal_or_words(reply, question):
    picked = ambiguity.chosen(reply, OPTIONS)
    assert (picked.question if picked else None) == question
    if picked:
        assert picked.clause_ids == tuple(next(o for o in OPTIONS if o["question"] == question)["clause_ids"])


@pytest.mark.parametrize(
    ("reply", "asked"),
    [
        ("擅自转租", OPTIONS[1]["question"]),
        ("就是擅自转租的那个", OPTIONS[1]["question"]),  # a few confirming words are no question of their own
        ("逾期缴费 欠了五千一 晚了九天", OPTIONS[0]["question"] + " 逾期缴费 欠了五千一 晚了九天"),
    ],
)
def test_a_pick_keeps_what_else_the_reply_says(reply, asked):
    assert ambiguity.chosen(reply, OPTIONS).asked == asked


DESCRIBED = [
    {**OPTIONS[0], "words": ["逾期", "欠费", "晚交"]},
    {**OPTIONS[1], "words": ["转租", "借给"]},
]


@pytest.mark.parametrize(
    ("reply", "question"),
    [
        # a short reply describing its pick by the reading's distinct words, asked with the reply itself
        ("是欠费晚交的那个", OPTIONS[0]["question"]),
        ("就是 借给 别人 用 那种", OPTIONS[1]["question"]),
        # words of two options, of none, or a long message: no pick
        ("不是欠费 是转租", None),
        ("谢谢", None),
        ("客户说他们这个月欠费了，还把线借给楼上公司用了一阵子，现在想问问如果只算欠费的话违约金到底怎么算", None),
    ],
)
def test_a_reply_describing_an_option_in_its_own_words_picks_it(reply, question):
    picked = ambiguity.chosen(reply, DESCRIBED)
    assert (picked.question if picked else None) == question
    if picked:
        assert picked.asked == f"{question} {reply}"
    assert ambiguity.chosen(reply, OPTIONS) is None  # options stored without words are picked by name only


def test_the_ambiguity_file_is_checked_when_loaded(tmp_path, corpus):
    bad = tmp_path / "a.toml"
    bad.write_text('[[group]]\nname="x"\ncues=["x"]\n[[group.reading]]\nlabel="一"\nquestion="q"\nclauses=["M-99"]\n'
                   '[[group.reading]]\nlabel="二"\nquestion="q"\nclauses=["M-1"]\n', encoding="utf-8")
    with pytest.raises(ValueError, match="M-99"):
        ambiguity.load_groups(bad, corpus.ids)
    bad.write_text('[[group]]\nname="x"\ncues=["x"]\n[[group.reading]]\nlabel="一个太长太长的标签名字"\nquestion="q"\nclauses=["M-1"]\n', encoding="utf-8")
    with pytest.raises(ValueError, match="label of 1"):
        ambiguity.load_groups(bad, corpus.ids)
    bad.write_text('parts = ["沃云", 3]\n', encoding="utf-8")
    with pytest.raises(ValueError, match="parts must be a list of words"):
        ambiguity.load_parts(bad)


@pytest.mark.parametrize(
    ("table", "error"),
    [
        ("", "needs integer"),
        ("[vagueness]\nmax_length = 12\nmax_domain_terms = 1\nmax_bm25_margin = 1.5\n", "needs integer"),
        ("[vagueness]\nmax_length = 0\nmax_domain_terms = 1\nmax_bm25_margin = 1.5\noptions = 3\n", "positive"),
        ("[vagueness]\nmax_length = 12\nmax_domain_terms = 1\nmax_bm25_margin = 1.5\noptions = 9\n", "options 2"),
        ("[vagueness]\nmax_length = 12\nmax_domain_terms = 1\nmax_bm25_margin = 1.5\noptions = 3\nmax_bm25_margin_unnamed = -1\n", "positive"),
    ],
)
def test_the_vagueness_bounds_are_checked_when_loaded(tmp_path, table, error):
    bad = tmp_path / "a.toml"
    bad.write_text(table, encoding="utf-8")
    with pytest.raises(ValueError, match=error):
        ambiguity.load_vagueness(bad)


@pytest.mark.parametrize(
    ("length", "terms", "margin", "vague"),
    [(12, 1, 1.49, True), (13, 1, 0.1, False), (12, 2, 0.1, False), (12, 0, 1.5, False), (5, 0, 0.0, True)],
)
def test_a_question_is_too_vague_only_when_short_unnamed_and_without_a_clear_lexical_winner(length, terms, margin, vague):
    v = ambiguity.Vagueness(max_length=12, max_domain_terms=1, max_bm25_margin=1.5, options=3)
    assert v.applies(length, terms, margin) is vague


@pytest.mark.parametrize(
    ("terms", "margin", "vague"),
    # naming none of the contract's words, a question needs a clearer lexical winner to stand on its own
    [(0, 3.9, True), (0, 4.0, False), (1, 3.9, False), (1, 1.4, True)],
)
def test_a_question_naming_no_contract_word_may_lead_by_more_and_still_be_vague(terms, margin, vague):
    v = ambiguity.Vagueness(max_length=12, max_domain_terms=1, max_bm25_margin=1.5, options=3, max_bm25_margin_unnamed=4.0)
    assert v.applies(10, terms, margin) is vague


def test_readings_from_notes_take_a_short_keyword_and_the_first_question_and_skip_the_rest():
    notes = {
        "M-1": (("一个远远超过八个字的关键词", "订单"), ("以什么为准？",)),
        "M-2": (("订单",), ("重复的标签？",)),  # its only short label is taken already
        "M-3": (("租线",), ()),  # no question to offer
        "M-4": (("光猫",), ("光猫是谁的？",)),
        "M-5": (("设备",), ("坏了要赔吗？",)),
    }
    got = ambiguity.readings_from_notes(["M-1", "M-1", "M-2", "M-3", "M-4", "M-5"], notes, limit=2)
    assert [(r.label, r.question, r.clauses) for r in got] == [("订单", "以什么为准？", ("M-1",)), ("光猫", "光猫是谁的？", ("M-4",))]


def test_a_question_retrieval_cannot_place_is_asked_back_with_the_best_clauses(fake_assistant):
    a = fake_assistant.ask("需要等多久？")
    assert a.intent is Intent.clarify
    assert 2 <= len(a.options) <= 3
    assert all(o.question and len(o.label) <= ambiguity.MAX_LABEL and len(o.clause_ids) == 1 for o in a.options)
    # Each option is a question the assistant answers as it stands.
    for o in a.options:
        assert fake_assistant.ask(o.question).intent is not Intent.out_of_scope
    # A question naming its subject is answered, not asked back.
    assert fake_assistant.ask("专线欠费了会停机吗").intent is Intent.lookup


def test_a_question_worded_as_labelled_vague_ones_is_asked_back_with_their_readings(fake_assistant):
    """The two nearest example questions vague and at least Settings.example_floor alike: their readings (a
    calculator stands for its first clause) are offered; one vague neighbour among lookups, or the question itself,
    is not enough."""
    from assistant.calc import REGISTRY
    from assistant.corpus.normalize import normalize_query
    from assistant.retrieval.examples import Example, ExampleIndex

    question = "客户问这个期限到底指什么"
    plain = fake_assistant.ask(question)
    vector = fake_assistant.retriever.embedder.encode_queries([normalize_query(question)])[0]
    vague = ("contract_term", "A1-13.1")
    saved = fake_assistant.examples
    try:
        for examples, asked in (
            ([Example("这个期限指什么", "", readings=vague), Example("期限到底是啥", "", readings=vague)], True),
            ([Example("这个期限指什么", "", readings=vague), Example("期限能延长吗", ""), Example("期限能不能延长", "")], False),
            ([Example(question, "", readings=vague), Example("期限到底是啥", "", readings=vague), Example("期限能延长吗", "")], False),
        ):
            fake_assistant.examples = ExampleIndex(examples, [vector] * len(examples))
            a = fake_assistant.ask(question)
            if asked:
                assert a.intent is Intent.clarify
                assert [o.clause_ids[0] for o in a.options] == [REGISTRY["contract_term"].clauses[0], "A1-13.1"]
            else:
                assert (a.intent, [c.clause_id for c in a.citations]) == (plain.intent, [c.clause_id for c in plain.citations])
    finally:
        fake_assistant.examples = saved


@pytest.mark.parametrize(
    ("question", "clause", "first"),
    [("云专线能暂停吗", "M-9", "不可以"), ("可以转租吗", "M-11", "不可以"), ("数据要自己备份吗", "A1-2.9", "是"),
     ("8080端口默认开着吗", "M-10", "否"),
     # the fact follows its condition in the next phrase ("一经删除，即不可恢复")
     ("误删的数据还能找回来吗", "A1-7.6", "不可以"),
     # what may not be done without leave ("未经…同意，不得转让", "不得擅自改变…用途") needs it
     ("我们想把这个合同 转给我们子公司 需要你们同意吗", "M-38", "是"),
     ("专线原来办公用 现在想给门店收银用 要跟你们说一声吗", "M-14", "是"),
     # the customer's duty, asked of Unicom
     ("我们自己做的备份出了问题，联通要负责吗", "A1-2.9", "否")],
)
def test_yes_no_questions_get_the_answer_word_first(corpus, question, clause, first):
    summary = lookup_summary(question, [corpus.get(clause).text])
    assert summary.startswith(first + "，") and len(summary) <= MAX_SUMMARY


@pytest.mark.parametrize(
    ("question", "clause", "first"),
    [
        # an item of a list the clause forbids: the customer may not; of Unicom's right the item alone says nothing
        ("我们网站上可以散布谣言吗", "A2-3", "不可以，"),
        ("可以在云上放博彩游戏吗", "A1-2.5.4", "不可以，"),
        ("联通有权因为我们散布谣言断网吗", "A2-3", ""),
        # Unicom named, but not as the one asked whether it may ("按我司与贵公司签订的…"): still the customer asked
        ("按我司与贵公司签订的责任书，我们网站上可以散布谣言吗", "A2-3", "不可以，"),
        ("看了你们的条款，我们能在云上放博彩游戏吗", "A1-2.5.4", "不可以，"),
        ("贵公司可以因为我们散布谣言断网吗", "A2-3", ""),
        # the question's words in the fact, with no negator and no duty stated, settle nothing: no yes is said
        ("专线和云能开一张发票吗", "M-32", ""),
        ("能在云主机上做代理服务器吗", "A1-2.5.2", ""),
        # the negator of an exception ("除非…通知另一方不再续签") is no answer to whether the contract renews
        ("他们从来没提过不续签，问到期后合同是不是自己就续上了", "M-44", ""),
        # a term holding a negator's characters negates nothing ("不可分割的组成部分", "不可抗拒的事件")
        ("附件和订单算不算合同的一部分", "M-47", ""), ("第三方服务故障算不可抗力吗", "M-40", ""),
        # the question says the fact's own word (关着 for 关闭): it asks what the fact says, no opposite
        ("八十端口 是不是默认就关着的", "M-10", ""),
        # 应 of 相应 states no duty ("甲方无偿提供安装相应光纤…")
        ("你们施工要走我们楼里的管道 你们需要付我们场地费吗", "M-8", ""),
    ],
)
def test_a_yes_no_word_only_where_the_fact_settles_it(corpus, question, clause, first):
    summary = lookup_summary(question, [corpus.get(clause).text])
    if first:
        assert summary.startswith(first)
    else:
        assert not summary.startswith(("是", "否", "可以", "不可以"))


def test_force_majeure_is_no_negation(corpus):
    # "不可抗力" holds the characters of "不可": a question about it is not answered 不可以 for that.
    summary = lookup_summary("不可抗力超过一个月 可以解约吗", [corpus.get("A1-10.2").text])
    assert not summary.startswith(("不可以", "否"))


def test_two_clauses_with_different_rules_for_the_same_thing_are_both_said(corpus):
    summary = lookup_summary("提前终止要提前多久申请", [corpus.get("A1-6.4").text, corpus.get("A1-13.1").text])
    assert "四周" in summary and "20个工作日" in summary.replace(" ", "")


@pytest.mark.parametrize(
    ("question", "clause", "period"),
    [("我们想6月30日解除合同，要提前多少天书面通知？", "A1-13.1", "20个工作日"), ("沃云订单确认以后多久开通", "A1-4.2", "24小时"),
     # 多快 asks how long as well: the customer's hour, not Unicom's "立即删除"
     ("别人说我们云上的图片侵了他们的权，这种内容我们多快得删", "A1-6.3", "一小时"),
     # a period another document sets: the phrase saying which
     ("服务到期以后云上的数据你们还保留多久", "A1-7.5", "载明的时限")],
)
def test_a_question_asking_how_long_is_summarised_by_the_period(corpus, question, clause, period):
    assert period in lookup_summary(question, [corpus.get(clause).text]).replace(" ", "")


def test_short_cuts_at_a_phrase_boundary():
    assert short("甲方应提前四周向乙方提出书面申请，乙方同意后，将按照经乙方书面同意的终止时间终止该项服务", 30) == "甲方应提前四周向乙方提出书面申请，乙方同意后"


@pytest.fixture(scope="module")
def dev():
    return bank.load_bank(bank.DEV)


def _without_answer_word(summary: str) -> str:
    for word in ("不可以，", "可以，", "是，", "否，"):
        if summary.startswith(word):
            return summary[len(word):]
    return summary


def test_every_lookup_summary_over_the_dev_bank_is_taken_from_what_is_cited(fake_assistant, dev):
    checked = 0
    for q in [q for q in dev.questions if q.kind == "lookup"]:
        a = fake_assistant.ask(q.q)
        if a.intent is not Intent.lookup:
            continue
        cited = "".join(c.text for c in a.citations).replace(" ", "")
        for part in _without_answer_word(a.summary).rstrip("…").split("；"):
            assert part.replace(" ", "").replace("，", "") in cited.replace("，", ""), (q.id, a.summary)
        assert len(a.summary) <= MAX_SUMMARY
        checked += 1
    assert checked >= 200


def test_every_calculation_summary_states_its_result(fake_assistant, dev):
    for q in [q for q in dev.questions if q.kind == "calc"][:150]:
        fake_assistant.today = lambda d=q.today: d
        a = fake_assistant.ask(q.q)
        if a.intent is Intent.calculation:
            assert a.summary and len(a.summary) <= MAX_SUMMARY


def test_the_ivr_speaks_every_labelled_question_in_at_most_45_characters(fake_assistant, dev):
    for q in dev.questions[::3]:
        a = fake_assistant.ask(q.q, channel=Channel.ivr)
        if a.intent in (Intent.lookup, Intent.calculation) or a.options:
            assert len(render_speech(a).speech) <= MAX_SUMMARY_SPEECH_CHARS, (q.id, render_speech(a).speech)


@pytest.mark.parametrize(
    ("question", "intent"),
    [
        # The cue of a known ambiguity vouches for a question too short for retrieval to place.
        ("你们怎么赔啊", Intent.clarify),
        ("可以退費嗎？", Intent.clarify),
        ("費用多少？", Intent.clarify),
        ("這筆錢可以退嗎？", Intent.clarify),
        # Naming something foreign, it is refused whatever cue it holds.
        ("我家里的联通宽带违约金多少", Intent.out_of_scope),
        ("我的手机流量包怎么退订", Intent.out_of_scope),
    ],
)
def test_an_ambiguity_cue_turns_a_refusal_into_asking_back_unless_something_foreign_is_named(fake_assistant, question, intent):
    a = fake_assistant.ask(question)
    assert a.intent is intent
    assert bool(a.options) is (intent is Intent.clarify)


def test_a_refusal_is_not_turned_into_asking_back_by_a_group_narrowed_by_common_words(fake_assistant):
    # "可以" with "解约" is said of any contract: only a cue that is the contract's own keeps a refused question.
    from assistant.answer.sessions import SessionState

    r = fake_assistant.retrieve("房子的租约可以提前解约吗")
    state = SessionState(session_id="s")
    a = fake_assistant._refuse_or_ask("房子的租约可以提前解约吗", "", r.signals, {}, state)
    assert a.intent is Intent.out_of_scope
    b = fake_assistant._refuse_or_ask("违约金多少", "", fake_assistant.retrieve("违约金多少").signals, {}, state)
    assert b.intent is Intent.clarify


def test_an_earlier_question_of_the_conversation_chooses_the_reading(groups):
    # The last question names no reading; the one before it does ("提前终止沃云").
    said = ["这个违约金要是不够赔你们损失咋办", "沃云想提前终止 违约金怎么算"]
    assert ambiguity.readings_for("那要提前多久跟你们说", groups, said) == []
    assert len(ambiguity.readings_for("那要提前多久跟你们说", groups, said[:1])) > 1


def test_a_figure_of_the_contract_is_asked_back_though_retrieval_matches_no_numeral(fake_assistant):
    a = fake_assistant.ask("合同里那个十五天 是什么意思啊")
    assert a.intent is Intent.clarify
    assert {o.label for o in a.options} == {"逾期15日", "不可抗力告知", "不可抗力终止"}


def test_a_figure_flag_that_is_not_a_boolean_is_refused(tmp_path, corpus):
    bad = tmp_path / "ambiguity.toml"
    bad.write_text(GROUPS_FILE.read_text(encoding="utf-8").replace("figure = true", 'figure = "yes"', 1), encoding="utf-8")
    with pytest.raises(ValueError, match="figure and cover must be true or false"):
        ambiguity.load_groups(bad, corpus.ids)


def test_one_question_asked_of_each_part_of_the_contract_is_answered_for_each(fake_assistant):
    a = fake_assistant.ask("發生糾紛要去哪個法院？")
    assert a.intent is Intent.lookup and sorted(c.clause_id for c in a.citations) == ["A1-12", "M-42"]
    assert "有管辖权的人民法院" in a.answer and "乙方住所地人民法院" in a.answer and not a.options
    assert len(a.summary) <= 40
    # a part named is no longer a question for every part
    b = fake_assistant.ask("沃云的纠纷去哪个法院起诉")
    assert b.intent is Intent.lookup and not b.answer.startswith("合同对不同部分分别约定")


def test_a_penalty_of_ending_the_contract_is_asked_back_though_retrieval_does_not_agree(fake_assistant):
    # The cue said with a word of ending the contract vouches for the readings, as a figure of the contract does.
    a = fake_assistant.ask("解约要承担违约责任吗")
    assert a.intent is Intent.clarify
    assert {o.label for o in a.options} == {"提前终止沃云", "合同期内解除", "到期不续签", "不可抗力终止"}


@pytest.mark.parametrize(
    ("setting", "error"),
    [('cover="yes"', "figure and cover must be true or false"), ('with="解约"', "with must be a list of words")],
)
def test_a_group_s_settings_are_checked_when_loaded(tmp_path, corpus, setting, error):
    bad = tmp_path / "a.toml"
    bad.write_text(f'[[group]]\nname="x"\n{setting}\ncues=["x"]\n[[group.reading]]\nlabel="一"\nquestion="q"\nclauses=["M-1"]\n'
                   '[[group.reading]]\nlabel="二"\nquestion="q"\nclauses=["M-2"]\n', encoding="utf-8")
    with pytest.raises(ValueError, match=error):
        ambiguity.load_groups(bad, corpus.ids)


def test_a_question_whose_neighbours_are_mostly_vague_is_asked_back_with_their_readings(fake_assistant):
    """The nearest example vague and the vague ones at least Settings.vague_share of the neighbours' similarity:
    their readings are offered, the nearest one's first, though the second nearest is a lookup."""
    from assistant.answer.assistant import Assistant
    from assistant.corpus.normalize import normalize_query
    from assistant.retrieval.examples import Example, ExampleIndex
    from tests.conftest import TODAY

    question = "客户问这个期限到底指什么"
    vector = fake_assistant.retriever.embedder.encode_queries([normalize_query(question)])[0]
    examples = [
        Example("期限到底是啥", "", readings=("M-44", "A1-13.1")),
        Example("期限能延长吗", ""),
        Example("这个期限指什么", "", readings=("A1-6.4", "M-44")),
    ]
    index = ExampleIndex(examples, [vector] * len(examples))  # ties: faiss returns the last row first

    def options(share):
        settings = fake_assistant.settings.model_copy(update={"vague_share": share})
        a = Assistant(fake_assistant.knowledge, fake_assistant.retriever, settings, examples=index,
                      scope=fake_assistant.scope, today=lambda: TODAY).ask(question)
        return [o.clause_ids[0] for o in a.options] if a.intent is Intent.clarify else []

    assert options(0.5)[:3] == ["A1-6.4", "M-44", "A1-13.1"]
    # two thirds of the similarity is vague: not enough when all of it must be
    assert options(1.0)[:3] != ["A1-6.4", "M-44", "A1-13.1"]


def test_a_long_e_mail_whose_asking_sentence_is_worded_as_a_vague_question_is_asked_back(fake_assistant):
    """The greeting, the company and the contract number weigh in the e-mail's own vector; its asking sentence alone
    is what the vague examples are compared with."""
    from assistant.answer.assistant import Assistant
    from assistant.corpus.normalize import normalize_query
    from assistant.retrieval.examples import Example, ExampleIndex
    from tests.conftest import TODAY

    email = ("联通客服您好：我是北京朗润餐饮管理有限公司的出纳刘敏（电话 010-6501 8827）。我司刚刚在 8 月 20 日签了云专线"
             "合同（合同号 LR-YZX-2026-0820），公司有 12 家门店，财务这边要排付款计划。请问按合同，我们什么时候需要交钱？谢谢！")
    asked = fake_assistant.knowledge.scope.question_of(normalize_query(email))
    vector = fake_assistant.retriever.embedder.encode_queries([asked])[0]
    examples = [Example("钱哪天之前要交", "", readings=("A1-4.4", "M-29")), Example("什么时候交钱", "", readings=("A1-4.4", "M-29"))]
    index = ExampleIndex(examples, [vector] * len(examples))
    a = Assistant(fake_assistant.knowledge, fake_assistant.retriever, fake_assistant.settings, examples=index,
                  scope=fake_assistant.scope, today=lambda: TODAY).ask(email)
    assert a.intent is Intent.clarify
    assert {o.clause_ids[0] for o in a.options} == {"A1-4.4", "M-29"}


def _hits(*scored):
    from assistant.models import Hit

    return [Hit(clause_id=c, score=s) for c, s in scored]


@pytest.mark.parametrize(
    ("hits", "agrees"),
    [
        # a reading's clause first: asked back
        (_hits(("M-36", 1.0), ("M-5", 0.99)), True),
        # another clause first, a reading's close behind (within a tenth of its score): still asked back
        (_hits(("M-5", 1.0), ("M-4", 0.95), ("M-36", 0.91)), True),
        # another clause first, leading the readings' best by a tenth or more: about that clause
        (_hits(("M-5", 1.0), ("M-4", 0.95), ("M-36", 0.90)), False),
        # no reading's clause within the window at all
        (_hits(("M-5", 1.0), ("M-4", 0.99), ("M-8", 0.98), ("M-9", 0.97), ("M-10", 0.96), ("M-36", 0.95)), False),
    ],
)
def test_retrieval_must_agree_that_a_question_is_about_the_readings(hits, agrees):
    from assistant.answer.assistant import AMBIGUITY_LEAD, AMBIGUITY_WINDOW, _agrees

    assert (AMBIGUITY_WINDOW, AMBIGUITY_LEAD) == (5, 0.9)
    readings = [ambiguity.Reading("故障赔偿", "断网了怎么赔", ("M-36",), ()), ambiguity.Reading("超时开通", "开通晚了怎么赔", ("M-20", "M-22"), ())]
    assert _agrees(hits, readings) is agrees
