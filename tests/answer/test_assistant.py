from datetime import date
from decimal import Decimal

import pytest

from assistant.answer.assistant import QuestionError
from assistant.evaluation import DEFAULT_CALC_QUESTIONS, calc_report
from assistant.models import Intent


def test_lookup_quotes_and_cites(fake_assistant):
    a = fake_assistant.ask("80端口和443端口默认关闭吗，备案后才能开？")
    assert a.intent is Intent.lookup
    assert a.citations and a.citations[0].clause_id == "M-10"
    assert a.citations[0].quote in a.answer
    assert "主协议第十条" in a.answer


def test_out_of_scope_has_no_citations_and_names_the_hotline(fake_assistant):
    a = fake_assistant.ask("我的手机流量包怎么退订")
    assert a.intent is Intent.out_of_scope
    assert a.citations == []
    assert "10010" in a.answer


@pytest.mark.parametrize(
    "question",
    [
        "500M的专线多少钱一个月？",
        "200M降到500M每月能省多少",
        # M-23's situation stated: still a price the contract never lists (SCHEMA: "the price of a 500M line").
        "三百兆的专线 单独用 一个月是个什么价",
        "千兆的专线 沃云停了以后一个月啥价位啊",
        # several lines, one of them unlisted: the total is a price the contract never gives either
        "两条20M加一条500M 云不要了 一个月一共多少",
        # bandwidth in G, written in capitals (questions are folded to lower case)
        "客户要2G带宽，问价格",
    ],
)
def test_an_unlisted_bandwidth_price_is_out_of_scope_with_what_the_contract_lists(fake_assistant, question):
    a = fake_assistant.ask(question)
    assert a.intent is Intent.out_of_scope
    assert a.calculation is not None and a.calculation.result is None
    assert [c.clause_id for c in a.citations] == ["M-23"]
    assert "10010" in a.answer and "合同只列出" in a.answer


@pytest.mark.parametrize(
    "question",
    ["我们以后想升到５００M，专线一个月要多少钱？", "从500M降下来 每个月能省多少"],
)
def test_an_unlisted_bandwidth_is_out_of_scope_whatever_the_other_one_would_be(fake_assistant, question):
    """The bandwidth changed from (to) is not said, but no answer to it could give a figure: the contract lists no
    500M price, and no guessed bandwidth is shown as the person's."""
    a = fake_assistant.ask(question)
    assert a.intent is Intent.out_of_scope and a.calculation is None and a.pending is None
    assert [c.clause_id for c in a.citations] == ["M-23"]
    assert "合同只列出" in a.answer and "500M" in a.answer and "10010" in a.answer


def test_a_bandwidth_change_between_listed_lines_still_asks_for_the_other_one(fake_assistant):
    a = fake_assistant.ask("想升到200M 每个月多交多少")
    assert a.intent is Intent.clarify and a.pending is not None
    assert [o.label for o in a.options] == ["10M", "20M", "50M", "100M", "200M"]


@pytest.mark.parametrize("question", ["合約裡面有提到一個「十五天」，那是指什麼情況？", "客户经理说的那5个工作日是指哪件事"])
def test_a_number_said_as_no_bandwidth_is_no_unlisted_bandwidth(fake_assistant, question):
    assert fake_assistant.ask(question).intent is not Intent.out_of_scope


@pytest.mark.parametrize(
    "question",
    ["開戶費多少錢？有含稅嗎？", "发票怎么开 专线跟云能开一张吗",
     # the value given is only the calculator's default, and the question asks whether, not for a figure
     "那个开户费一百块 是含税的吗", "我们交的100元开户费是含税价吗？", "一次性开户费那一百块含不含税"],
)
def test_a_question_giving_no_input_is_answered_from_the_clause(fake_assistant, question):
    """A calculator would run on defaults alone (the 100 元 fee, no amount given): the clause states the fact."""
    a = fake_assistant.ask(question)
    assert a.intent is Intent.lookup
    assert a.calculation is None
    assert a.citations


@pytest.mark.parametrize(
    "question",
    ["我们是200M的专线 合同能转给子公司吗", "客户是100M专线加沃云，打算把专线撤了，问云主机还能不能接着用。",
     # "到期后" says when, it asks for no day: the term's end date waits while M-44 answers whether it renews
     "客户的云专线一年期快满了，他们从来没提过不续签，问到期后合同是不是自己就续上了。",
     # a period said roughly ("一个多月") is the situation, not the days overdue of a calculation
     "客户欠费一个多月了还没交，问他们云主机上的资源会怎么处理。", "欠费二十多天了 云主机会被停吗"],
)
def test_a_whether_question_with_a_value_in_passing_is_answered_from_the_clause(fake_assistant, question):
    """One value (a bandwidth) and no phrase naming a calculation: the question asks a rule, not the line's fee."""
    a = fake_assistant.ask(question)
    assert a.intent is Intent.lookup
    assert a.calculation is None


@pytest.mark.parametrize("question", ["我们50M的专线 报障电话是多少", "１００Ｍ专线半夜断了报修打哪个号 凌晨有人接么"])
def test_a_question_asking_whom_to_call_is_answered_from_the_clause(fake_assistant, question):
    """A bandwidth in passing does not make "which number do we call" a question about the line's fee."""
    a = fake_assistant.ask(question)
    assert a.calculation is None
    assert a.citations[0].clause_id == "M-34"


@pytest.mark.parametrize(
    ("question", "result"),
    [("云不用了 就剩100M专线 一个月是一万吗", Decimal("10000")),  # a phrase names the calculation: worked out
     ("客户问1G的专线有没有", None)],  # no price listed: the calculation says the contract gives none
)
def test_a_whether_question_naming_its_calculation_or_an_unlisted_value_is_calculated(fake_assistant, question, result):
    """The exceptions to the rule above: a strong trigger phrase, or a value whose figure the contract lacks."""
    a = fake_assistant.ask(question)
    assert a.calculation is not None and a.calculation.name == "line_fee"
    assert a.calculation.result == result


@pytest.mark.parametrize("question", ["开户费含税的吧 里面税多少 要开invoice", "开户的时候那笔一次性费用 里头的税是多少钱"])
def test_a_figure_only_the_calculation_gives_is_computed_on_the_defaults(fake_assistant, question):
    """The clause states the 100 元 fee, not its tax: asking for the tax is a calculation on that fee."""
    a = fake_assistant.ask(question)
    assert a.intent is Intent.calculation and a.calculation.name == "vat_split"
    assert a.calculation.result["tax"] == 5.66


def test_calculation_is_traced_and_cited(fake_assistant):
    a = fake_assistant.ask("50M专线不用沃云了以后每个月多少钱")
    assert a.intent is Intent.calculation
    assert a.calculation.name == "line_fee"
    assert a.calculation.model_dump(mode="json")["result"] == 5100.0
    assert "M-23" in a.calculation.clause_ids
    assert [c.clause_id for c in a.citations] == a.calculation.clause_ids[: len(a.citations)]


def test_calculation_questions_are_confirmed_without_the_model(fake_assistant):
    """BM25 alone confirms every labelled calculation question, so none of them waits for a model encode (a weak
    lexical plan is compared with the example questions by their wording, not by the model)."""
    embedder = fake_assistant.retriever.embedder
    before = embedder.calls
    ok, n, misses = calc_report(fake_assistant, DEFAULT_CALC_QUESTIONS)
    assert (ok, embedder.calls - before) == (n, 0), misses


def test_missing_input_asks_then_completes_on_the_next_turn(fake_assistant):
    first = fake_assistant.ask("帮我算一下逾期付款的违约金")
    assert first.intent is Intent.clarify
    assert first.citations
    second = fake_assistant.ask("5000元，逾期10天", session=first.session_id)
    assert second.intent is Intent.calculation
    assert second.calculation.name == "late_fee"
    assert second.calculation.model_dump(mode="json")["result"] == 150.0


def test_impossible_date_is_explained_not_crashed(fake_assistant):
    a = fake_assistant.ask("2月30日受理的专线，最晚哪天开通")
    assert a.intent is Intent.clarify
    assert "2月30日" in a.answer or "日期" in a.answer


def test_impossible_date_after_a_calculation_pointing_at_its_result_is_explained_not_crashed(fake_assistant):
    fake_assistant.today = lambda: date(2026, 6, 10)
    a = fake_assistant.ask("欠了八千六 晚交了十二天 违约金多少")
    assert a.calculation is not None and a.calculation.name == "late_fee"
    b = fake_assistant.ask("那这三百一 2月30号交行吗", session=a.session_id)
    assert b.intent is Intent.clarify and "2月30号" in b.answer


@pytest.mark.parametrize("q", ["", "   ", "x" * 501])
def test_unusable_questions_raise(fake_assistant, q):
    with pytest.raises(QuestionError):
        fake_assistant.ask(q)


def test_an_outage_under_24_hours_is_answered_without_asking_for_the_fee(fake_assistant):
    a = fake_assistant.ask("网断了十个钟头能不能减钱")
    assert a.intent is Intent.calculation and a.calculation.name == "outage_credit"
    assert a.calculation.model_dump(mode="json")["result"] == 0.0
    assert "未达 24 小时" in a.answer and "monthly_fee" not in a.calculation.inputs


@pytest.mark.parametrize("q", ["网断了十个钟头 耽误的生意损失你们赔吗", "服务器被攻击 停了三十个小时 我们的损失谁来承担"])
def test_the_losses_an_outage_caused_are_asked_of_a_clause_not_computed_as_a_credit(fake_assistant, q):
    # The rent credit never covers losses (A1-10.4): whatever hours are given, the rule is the answer.
    a = fake_assistant.ask(q)
    assert a.intent is Intent.lookup and a.calculation is None


def test_an_outage_that_earns_a_credit_asks_for_the_fee_then_computes(fake_assistant):
    first = fake_assistant.ask("断网30个小时能减多少")
    assert first.intent is Intent.clarify and "基本月租费" in first.answer
    assert [c.clause_id for c in first.citations] == ["M-36"]
    second = fake_assistant.ask("月租5100元", session=first.session_id)
    assert second.intent is Intent.calculation
    assert second.calculation.model_dump(mode="json")["result"] == 209.59  # 167.67 × 1.25


@pytest.mark.parametrize("question", ["开通的时候第一次要交多少", "客户问第一次交多少"])
def test_a_question_giving_nothing_with_several_readings_is_asked_which_before_its_inputs(fake_assistant, question):
    """No value yet and the contract answers it differently per product: which reading comes first, not the
    inputs of one calculator's guess."""
    a = fake_assistant.ask(question)
    assert a.intent is Intent.clarify
    assert a.pending is None
    assert len(a.options) >= 2


@pytest.mark.parametrize(("question", "clause"), [("第十五条讲的什么", "M-15"), ("附件一第4.5条说了啥", "A1-4.5"), ("责任书第八条", "A2-8")])
def test_a_clause_named_by_number_is_quoted_first(fake_assistant, question, clause):
    a = fake_assistant.ask(question)
    assert a.intent is Intent.lookup
    assert a.citations[0].clause_id == clause


def test_an_article_of_a_law_is_not_a_clause_of_the_contract(fake_assistant):
    assert fake_assistant.ask("电信条例第十五条原文是什么").intent is Intent.out_of_scope


@pytest.mark.parametrize(
    ("question", "calculator"),
    [
        # The term's end date would need a start date the question never gives; the values it does give compute
        # another calculation the question also names.
        ("沃云再三个月就到期了，每月费用2000元，现在先终止的话要付多少违约金", "early_termination_penalty"),
        ("我们的100M专线，云服务已经不续约了，一整年下来专线费用总共多少钱", "line_fee"),
    ],
)
def test_the_calculation_that_uses_the_values_given_is_preferred_to_asking_for_others(fake_assistant, question, calculator):
    a = fake_assistant.ask(question)
    assert a.intent is Intent.calculation and a.calculation.name == calculator


def test_asking_outright_to_compute_beats_asking_for_the_rule(fake_assistant):
    """"几个工作日内" alone asks what the rule is; "帮我算一下哪天截止" asks for the date, so its input is asked for."""
    rule = fake_assistant.ask("网站备案信息有变更，要在几个工作日内跟联通报备？")
    assert rule.intent is Intent.lookup
    a = fake_assistant.ask("网站备案信息有变更，要在几个工作日内跟联通报备？帮我算一下哪天截止")
    assert a.intent is Intent.clarify and a.pending is not None and a.pending.name == "filing_update_deadline"


def test_a_value_no_word_reads_either_way_is_asked_back_with_both_figures(fake_assistant):
    a = fake_assistant.ask("5000块的税是多少")
    assert a.intent is Intent.clarify and [o.label for o in a.options] == ["含税价", "不含税价"]
    assert "283.02" in a.answer and "300.00" in a.answer  # each reading's own figure, from its calculator
    picked = fake_assistant.ask("2", session=a.session_id)
    assert picked.calculation.name == "vat_from_pre_tax" and picked.calculation.result["total"] == 5300.0


def test_a_law_the_annex_mentions_is_a_question_about_the_contract(fake_assistant):
    a = fake_assistant.ask("客户看到附件二里提到信息产业部33号令，问这条要求他们做什么")
    assert a.intent is Intent.lookup and "A2-7" in [c.clause_id for c in a.citations]


@pytest.mark.parametrize("question", ["我们这边5000块拖了12天没交，得多掏多少", "5000块拖了12天才交，要多给多少"])
def test_a_weak_lexical_plan_is_planned_again_with_the_nearest_example_questions(fake_assistant, tmp_path, question):
    """Words that also fit the late-activation credit (拖了…天) plan it lexically; with example questions asking
    for the late fee nearest to the question, the late fee is computed: 5000 × 0.3% × 12 = 180."""
    from assistant.answer.assistant import Assistant
    from assistant.retrieval.examples import Example, ExampleIndex
    from tests.fakes import FakeEmbedder

    a = fake_assistant
    examples = ExampleIndex.build(
        [Example("欠费5000元拖了10天没交，得多掏多少", "late_fee"), Example("云专线能暂停吗", "")], FakeEmbedder(), tmp_path
    )
    without = Assistant(a.knowledge, a.retriever, a.settings, scope=a.scope, today=a.today, examples=None).ask(question)
    near = Assistant(a.knowledge, a.retriever, a.settings, scope=a.scope, today=a.today, examples=examples).ask(question)
    assert without.calculation is not None and without.calculation.name != "late_fee"
    assert near.calculation is not None and near.calculation.name == "late_fee"
    assert str(near.calculation.result) in ("180", "180.0", "180.00")


def test_the_tax_asked_of_the_questions_own_line_fee_is_the_vat_split_of_that_fee(fake_assistant):
    a = fake_assistant.ask("沃云停掉后 50M 专线一个月的费用，如果那是含税价，里面的税金占多少？")
    assert a.calculation.name == "vat_split" and a.calculation.inputs["amount"] == 5100
    assert a.calculation.result["tax"] == 288.68


@pytest.mark.parametrize(
    "question",
    ["这个月断网不到24小时 月租5100 能赔多少", "断了没满一天 月租2100 能减免多少", "專線中斷未滿24小時，月租10000元，可以核減多少？"],
)
def test_an_outage_said_to_be_under_24_hours_never_earns_a_credit(fake_assistant, question):
    """M-36 credits nothing under 24 hours: the bound is no value of the outage, so no credit is computed from it."""
    a = fake_assistant.ask(question)
    assert a.calculation is None or float(a.calculation.result or 0) == 0.0


def test_a_contract_handed_to_another_company_is_a_transfer_whatever_notice_it_is_given(fake_assistant):
    a = fake_assistant.ask("分公司想在12月1日把一批沃云合同转给合作方运营，法务打算11月5日给客户发书面通知，赶得上合同要求吗？最晚哪天发？")
    assert a.calculation is not None and a.calculation.name == "transfer_notice_by"
    assert a.calculation.inputs == {"transfer_on": "2026-12-01", "notice_on": "2026-11-05"}


@pytest.mark.parametrize(
    "question",
    ["那个 我们欠费被停了 刚才 就是今天下午三点半 把欠费跟违约金都补上了 那你们最晚 呃 最晚什么时候给恢复啊",
     "我刚刚下午3点把欠费和滞纳金全交了 马上放国庆了 啥时候能给我恢复啊"],
)
def test_asking_when_the_service_is_given_back_after_paying_is_the_restore_deadline(fake_assistant, question):
    a = fake_assistant.ask(question)
    assert a.calculation is not None and a.calculation.name == "service_restore_deadline"


@pytest.mark.slow
@pytest.mark.parametrize(
    ("email", "clause"),
    [
        ("您好！我是北京青禾文化传播有限公司的行政主管周琳，联系电话13911112222。我司于2025年3月通过贵司开通了一条云专线"
         "（合同编号BJ-YZX-20250318-02，带宽50M），现在隔壁两家合作公司想和我们一起用这条线。请问我们能否把部分带宽让给他们"
         "用，再每月向他们收点钱？盼复，谢谢！", "M-11"),
        ("您好，我是朝阳区望京街10号写字楼的物业经理刘工（电话 13522223333）。租户北京青禾文化传播有限公司在我们3层机房放了"
         "一台联通的光电转换设备，工单号 GZ-1234567。我们正在做固定资产清点，想确认这台设备归谁所有：算租户的还是联通的？"
         "请回复，谢谢。", "M-4"),
    ],
)
def test_a_long_e_mail_is_answered_by_what_its_asking_sentences_ask(real_assistant, email, clause):
    """The phone number, the company and the contract number draw the e-mail as a whole to the clauses on the
    parties and the fault hotline; its asking sentences, read alone too, find the clause they ask about."""
    a = real_assistant.ask(email)
    assert a.intent is Intent.lookup and a.citations[0].clause_id == clause
