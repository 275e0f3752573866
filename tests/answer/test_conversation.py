"""Multi-turn conversations: follow-ups resolve from the session's state, new topics start fresh."""

from datetime import date
from decimal import Decimal

import pytest

from assistant.answer.assistant import Assistant
from assistant.answer.sessions import SqliteSessionStore
from assistant.channels.widget import render_widget
from assistant.models import Channel, Intent
from tests.conftest import TODAY


def result(answer):
    return answer.calculation.model_dump(mode="json")["result"]


def test_follow_ups_change_one_input_of_the_last_calculation(fake_assistant):
    a = fake_assistant.ask("50M专线不要云了每个月多少钱")
    assert a.calculation.name == "line_fee" and result(a) == 5100.0
    b = fake_assistant.ask("那100M呢", session=a.session_id)
    assert b.calculation.name == "line_fee" and result(b) == 10000.0
    c = fake_assistant.ask("一年呢", session=a.session_id)
    assert c.calculation.inputs["months"] == 12 and result(c) == 120000.0


def test_follow_up_without_a_previous_calculation_is_a_fresh_question(fake_assistant):
    a = fake_assistant.ask("那100M呢")
    assert a.calculation is None or a.calculation.name == "line_fee"


def test_a_new_topic_starts_fresh(fake_assistant):
    a = fake_assistant.ask("50M专线不要云了每个月多少钱")
    b = fake_assistant.ask("80端口和443端口默认关闭吗，备案后才能开？", session=a.session_id)
    assert b.intent is Intent.lookup and b.citations[0].clause_id == "M-10"


def test_clarification_survives_a_topic_change_only_until_answered(fake_assistant):
    a = fake_assistant.ask("帮我算一下逾期付款的违约金")
    assert a.intent is Intent.clarify
    b = fake_assistant.ask("欠费5000元，逾期10天", session=a.session_id)
    assert b.calculation.name == "late_fee" and result(b) == 150.0
    c = fake_assistant.ask("那逾期20天呢", session=a.session_id)
    assert result(c) == 300.0


@pytest.mark.parametrize(
    ("reply", "expected"),
    [("4", 58800.0), ("第五个", 154800.0), ("200M", 154800.0), ("他要升到100M", 58800.0)],
)
def test_a_missing_bandwidth_is_asked_back_with_the_tariffs_bandwidths_as_options(fake_assistant, reply, expected):
    """The one input still missing is a bandwidth: the M-23 tariff's five are offered, and a reply picks one by its
    key, its place or its name, or completes the calculation with a bandwidth of its own words."""
    a = fake_assistant.ask("从50M升级一年要多掏多少钱")
    assert a.intent is Intent.clarify and [m.name for m in a.pending.missing] == ["to_mbps"]
    assert [o.label for o in a.options] == ["10M", "20M", "50M", "100M", "200M"]
    assert all(o.clause_ids == ["M-23"] for o in a.options)
    b = fake_assistant.ask(reply, session=a.session_id)
    assert b.calculation.name == "line_fee_difference" and result(b) == expected


def test_a_clarify_missing_more_than_a_bandwidth_offers_no_options(fake_assistant):
    a = fake_assistant.ask("帮我算一下逾期付款的违约金")
    assert a.intent is Intent.clarify and a.options == []


def test_values_given_after_a_lookup_complete_the_calculation_it_pointed_at(fake_assistant):
    a = fake_assistant.ask("转租被抓了 违约金是几个月的月租")
    assert a.intent is Intent.lookup and a.citations[0].clause_id == "M-11" and a.pending is None
    b = fake_assistant.ask("8个月 2100一个月", session=a.session_id)
    assert b.calculation.name == "sublease_penalty" and result(b) == 16800.0


@pytest.mark.parametrize(
    ("question", "calculator", "missing"),
    [
        ("转租被抓了 要赔多少啊", "sublease_penalty", {"months_used", "monthly_tariff"}),
        ("我们那个专线因为欠费被停了 最晚哪天把钱补上才不会被全部终止", "line_termination_date", None),
    ],
)
def test_an_own_amount_or_deadline_without_values_asks_for_them(fake_assistant, question, calculator, missing):
    """An amount or a deadline of the person's own case, asked without its values, is asked back with the
    calculation's missing inputs and the clause it rests on (a rule question, "违约金是几个月的月租", is a lookup)."""
    from assistant.calc import REGISTRY

    a = fake_assistant.ask(question)
    assert a.intent is Intent.clarify and a.pending is not None and a.pending.name == calculator
    assert a.citations and a.citations[0].clause_id in REGISTRY[calculator].clauses
    if missing is not None:
        assert {m.name for m in a.pending.missing} == missing


def test_asking_whether_the_service_is_stopped_after_a_late_fee_is_the_overdue_status(fake_assistant):
    a = fake_assistant.ask("欠了一万八 晚了九天 违约金多少")
    b = fake_assistant.ask("那要是拖到十五天呢", session=a.session_id)
    # "给我们停" asks whether the service may be suspended, however the person puts it
    c = fake_assistant.ask("拖十五天的话 那个 云那边 是不是就可以给我们停了", session=b.session_id)
    assert c.calculation.name == "overdue_status" and c.calculation.result["cloud_may_be_suspended"] is True
    # … "会把云停了吗" as well
    d = fake_assistant.ask("拖15天的话 你们会把云停了吗", session=b.session_id)
    assert d.calculation.name == "overdue_status" and d.calculation.result["cloud_may_be_suspended"] is True


@pytest.mark.parametrize(
    ("first", "then", "not_calculator"),
    [
        # A lookup leading no calculator leaves nothing to complete.
        ("云专线能暂停吗", "8个月", "sublease_penalty"),
        # A part the last result lacks is no follow-up of it.
        ("欠了5000 晚了10天 违约金多少", "那税额呢？", "late_fee"),
    ],
)
def test_a_reply_the_last_answer_cannot_take_is_not_read_as_its_calculation(fake_assistant, first, then, not_calculator):
    a = fake_assistant.ask(first)
    b = fake_assistant.ask(then, session=a.session_id)
    assert b.calculation is None or b.calculation.name != not_calculator


def test_a_follow_up_naming_the_parties_is_answered_by_the_clause_of_the_last_calculation(fake_assistant):
    """"联通这边" and "直接" are no subject: the follow-up's other words are M-11's, which the sublease penalty rests on."""
    fake_assistant.today = lambda: date(2026, 6, 1)
    first = fake_assistant.ask("客户把专线私下转租了 开通9个月了 标准资费5100一个月 违约金多少")
    assert first.calculation is not None and first.calculation.name == "sublease_penalty"
    then = fake_assistant.ask("那联通这边可以直接把协议终止掉吗", session=first.session_id)
    assert then.intent is Intent.lookup and then.citations[0].clause_id == "M-11"


def test_history_is_recorded_and_bounded(fake_assistant):
    a = fake_assistant.ask("开户费多少钱")
    for _ in range(3):
        fake_assistant.ask("开户费含税吗", session=a.session_id)
    state = fake_assistant.sessions.get(a.session_id)
    assert state.turns == 4 and [t.question for t in state.history][:1] == ["开户费多少钱"]


def test_conversation_continues_after_a_restart(tmp_path, fake_assistant):
    """A new Assistant over the same SQLite file (a restarted server) continues the conversation."""
    db = tmp_path / "sessions.sqlite3"
    first = Assistant(fake_assistant.knowledge, fake_assistant.retriever, fake_assistant.settings,
                      sessions=SqliteSessionStore(db), scope=fake_assistant.scope, today=lambda: TODAY)
    a = first.ask("帮我算一下逾期付款的违约金")
    assert a.intent is Intent.clarify
    restarted = Assistant(fake_assistant.knowledge, fake_assistant.retriever, fake_assistant.settings,
                          sessions=SqliteSessionStore(db), scope=fake_assistant.scope, today=lambda: TODAY)
    b = restarted.ask("5000元，逾期10天", session=a.session_id)
    assert b.intent is Intent.calculation and result(b) == 150.0


def widget(assistant, question):
    """Ask on the widget channel and word the answer as the widget shows it (the Assistant's answer is neutral)."""
    return render_widget(assistant.ask(question, channel=Channel.widget), assistant.hotlines)


def test_widget_answers_are_plain_and_offer_the_hotline(fake_assistant):
    inside = widget(fake_assistant, "80端口和443端口默认关闭吗，备案后才能开？")
    assert inside.answer.startswith("合同主协议第十条规定") and "甲方" not in inside.answer
    outside = widget(fake_assistant, "我手机流量包怎么退订")
    assert "10010" in outside.answer and len(outside.answer) < 80


def test_widget_calculations_use_plain_words(fake_assistant):
    a = widget(fake_assistant, "月租5100元，专线断网30小时能减多少")
    assert a.intent is Intent.calculation
    assert "甲方" not in a.answer and "乙方" not in a.answer


def test_a_follow_up_is_read_with_the_previous_question_without_its_redaction_placeholders():
    from assistant.answer.assistant import _previous_question
    from assistant.answer.sessions import SessionState, Turn

    turn = Turn(question="我叫张三，住北京市朝阳区建国路88号，欠了5100逾期12天违约金多少", intent="calculation", answer="…", time=0.0)
    assert "[姓名]" in turn.question and "[地址]" in turn.question  # stored redacted
    previous = _previous_question(SessionState(session_id="s", history=[turn]), date(2026, 6, 10))
    assert "[" not in previous and "张三" not in previous and "欠了5100逾期12天违约金多少" in previous


def test_a_reply_that_only_gave_a_value_is_read_with_the_question_it_answered():
    from assistant.answer.assistant import _previous_question
    from assistant.answer.sessions import SessionState, Turn

    asked = Turn(question="上周暴雨把机房淹了 最晚哪天要通知你们", intent="clarify", answer="…", time=0.0)
    replied = Turn(question="１３号", intent="calculation", answer="…", time=1.0)
    previous = _previous_question(SessionState(session_id="s", history=[asked, replied]), date(2026, 5, 20))
    assert previous == "上周暴雨把机房淹了 最晚哪天要通知你们，１３号"
    worded = Turn(question="那要是拖过一个月呢", intent="lookup", answer="…", time=2.0)
    assert _previous_question(SessionState(session_id="s", history=[asked, worded]), date(2026, 5, 20)) == "那要是拖过一个月呢"


def test_a_value_given_for_the_question_before_is_calculated_with_it(fake_assistant):
    a = fake_assistant.ask("我们那个云专线开了以后一直没确认，那什么时候开始算钱")
    assert a.calculation is None
    b = fake_assistant.ask("二月二十六号开的", session=a.session_id)
    assert b.intent is Intent.calculation and b.calculation.name == "billing_start"
    # A reply without a value of its own stays a question about the clause.
    c = fake_assistant.ask("我们那个云专线开了以后一直没确认，那什么时候开始算钱")
    d = fake_assistant.ask("要书面确认吗", session=c.session_id)
    assert d.calculation is None


def test_a_reply_whose_own_calculation_lacks_values_is_read_with_the_question_before(fake_assistant):
    # Alone, "…开通的" with a day is a part-month fee short of its monthly fee; with the question before, the
    # billing start of a line never confirmed, complete.
    a = fake_assistant.ask("客户线路开通以后一直没确认，问起租日怎么定")
    assert a.calculation is None
    b = fake_assistant.ask("客户说是1月28号开通的", session=a.session_id)
    assert b.intent is Intent.calculation and b.calculation.name == "billing_start"


def test_a_reply_of_values_alone_completes_the_question_before_not_its_own_reading(fake_assistant):
    """"２０Ｍ的" alone would be a line fee; after "第一次要交多少" it is that first payment."""
    a = fake_assistant.ask("新开专线第一次要交多少")
    assert a.calculation is None
    b = fake_assistant.ask("２０Ｍ的", session=a.session_id)
    assert b.calculation is not None and b.calculation.name == "first_payment"
    # Said with words of its own, the value is its own question.
    c = fake_assistant.ask("新开专线第一次要交多少")
    d = fake_assistant.ask("20M专线每月月租多少", session=c.session_id)
    assert d.calculation is not None and d.calculation.name != "first_payment"


@pytest.mark.parametrize(
    ("message", "only"),
    [("２０Ｍ的", True), ("五千一 九 天", True), ("呃 一万二", True), ("那如果是7月20号竣工的呢", False), ("他是200M的", False), ("好的", False)],
)
def test_only_values_is_a_message_of_values_and_fillers(message, only):
    from datetime import date

    from assistant.calc import only_values

    assert only_values(message, date(2026, 7, 1)) is only


@pytest.mark.parametrize(
    ("first", "then", "clause"),
    [
        ("专线上个月断了30个小时，月租5100，不是计划割接，能减免多少", "这个钱什么时候给我们", "M-36"),
        # fillers go before reading: "嗯 那个钱是…" reads "钱是…"
        ("专线上个月断了30个小时，月租5100，不是计划割接，能减免多少", "嗯 那个钱 是直接退到我们账上吗", "M-36"),
        # the rule the credit rests on (M-20), not the clause of its default fee (M-28)
        ("3月2号受理的，3月13号才开通，能退多少", "这个钱怎么给客户", "M-20"),
        # the situation the calculation was about: what its clause says of it
        ("因为不可抗力想12月31号解约 12月10号发书面通知行不行", "这种情况下解约，我司需要承担违约责任吗？", "A1-10.2"),
        # "这样…" points back as "这种情况" does
        ("因为不可抗力想12月31号解约 12月10号发书面通知行不行", "这样终止的话，我们需要承担违约责任吗？", "A1-10.2"),
        # where the contract says it: the clause the calculation rests on
        ("从50M升到100M的话 一整年下来要多掏多少钱", "这价格合同里哪条写的？发我看看", "M-23"),
        # whether, asked of the result's amount: its rule, not next month's bill dates the words around it name
        ("专线月租两千一 上个月断了三十个小时 不是计划割接 能减多少", "那这八十六块 直接抵下个月的账单吗", "M-36"),
        ("专线月租两千一 上个月断了三十个小时 不是计划割接 能减多少", "那这86.30元是在下个月账单里扣吗", "M-36"),
        # …nor is the result, said rounded, a new value (310 days overdue)
        ("欠了八千六 晚交了十二天 违约金多少", "嗯 那这三百一 呃 要跟欠费一起交吗", "M-29"),
    ],
)
def test_a_question_about_the_last_result_cites_the_rule_it_rests_on(fake_assistant, first, then, clause):
    a = fake_assistant.ask(first)
    assert a.intent is Intent.calculation
    b = fake_assistant.ask(then, session=a.session_id)
    assert b.intent is Intent.lookup and b.citations[0].clause_id == clause


@pytest.mark.parametrize(
    ("question", "names"),
    [("这个钱什么时候给我们", True), ("减免的钱怎么退", True), ("钱是直接退到我们账上吗", True), ("这种情况下解约要付违约金吗", True),
     ("这个是合同哪条规定的", True), ("开户费是多少钱", False), ("钱包里的钱能用吗", False), ("那要交多少钱", False),
     ("合同哪条规定了违约金", False)],
)
def test_words_naming_the_last_result_are_told_from_asking_for_money(question, names):
    from assistant import calc

    assert calc.names_result(question) is names


@pytest.mark.parametrize(
    ("question", "names"),
    [("那这一百零三块 是退现金给我们吗", True), ("这104块怎么退", True), ("这103.56元什么时候给", True),
     ("要是月租一百零三块呢", False), ("那这两百块呢", False)],
)
def test_the_last_results_amount_pointed_at_names_it(question, names):
    from assistant import calc

    last_result = {"result": Decimal("103.56"), "unit": "元"}
    assert calc.names_result(question, last_result, date(2026, 4, 8)) is names


@pytest.mark.parametrize(
    ("question", "whether"),
    [("那这八十六块 直接抵下个月的账单吗", True), ("这86块要开发票吗", True), ("那这八十六块 什么时候到账", False),
     ("那这八十六块的税是多少", False), ("那两千块的账单要交吗", False)],
)
def test_whether_asked_of_the_last_results_amount_is_told_from_a_figure_asked(question, whether):
    from assistant import calc

    last_result = {"result": Decimal("86.30"), "unit": "元"}
    assert (calc.whether_of_result(question, last_result, date(2026, 6, 10)) is not None) is whether


def test_the_conversations_calculation_chooses_among_the_readings_of_an_ambiguous_follow_up(fake_assistant):
    # alone, "要提前多久" has several notices to choose from
    assert fake_assistant.ask("那要提前多久申请").intent is Intent.clarify
    a = fake_assistant.ask("沃云想提前不用了 还剩10个月 每个月2500 违约金多少")
    assert a.calculation is not None and a.calculation.name == "early_termination_penalty"
    b = fake_assistant.ask("那要提前多久申请", session=a.session_id)
    assert b.intent is Intent.lookup and b.citations[0].clause_id == "A1-6.4"


def test_an_option_picked_for_a_figure_explains_the_formula_and_asks_for_the_values(fake_assistant):
    """"违约金多少", asked back, then "是欠费晚交的那个": the late fee of the person's own case, so its formula and the
    values it needs; the values then complete it."""
    first = fake_assistant.ask("客户问违约金多少")
    assert first.intent is Intent.clarify and "逾期缴费" in [o.label for o in first.options]
    picked = fake_assistant.ask("是欠费晚交的那个", session=first.session_id)
    assert picked.intent is Intent.clarify and picked.pending is not None and picked.pending.name == "late_fee"
    assert picked.citations[0].clause_id == "M-29"
    done = fake_assistant.ask("欠了两万，逾期12天", session=first.session_id)
    assert done.calculation is not None and done.calculation.name == "late_fee" and done.calculation.result == 720.0


def test_a_day_an_application_is_handed_in_is_the_notice_day_of_the_last_calculation(fake_assistant):
    """"送出" names the notice day: "8月1日送出的話來得及嗎" after the latest application day for an end on 8月31日 asks
    whether 8月1日 is in time (four weeks before: 8月3日), not for a new end on 8月1日."""
    from datetime import date

    fake_assistant.today = lambda: date(2026, 7, 6)
    first = fake_assistant.ask("我們想8月31日結束沃雲，最晚哪天要送出申請？")
    assert first.calculation is not None and first.calculation.name == "early_termination_notice"
    then = fake_assistant.ask("8月1日送出的話來得及嗎？", session=first.session_id)
    assert then.calculation is not None and then.calculation.inputs["notice_on"] == "2026-08-01"
    assert then.calculation.result == {"latest": "2026-08-03", "in_time": True}


def test_a_reply_describing_its_situation_picks_the_option_and_completes_it(fake_assistant):
    """"多久能弄好", asked back, then "欠费被停的那个 钱和违约金今天上午11点刚交完": the arrears named pick the
    restoration after payment (A1-4.5), and the time said completes it: 48 hours later."""
    from datetime import date

    fake_assistant.today = lambda: date(2026, 11, 10)
    first = fake_assistant.ask("多久能弄好啊 急急急")
    assert first.intent is Intent.clarify and "补缴后恢复" in [o.label for o in first.options]
    picked = fake_assistant.ask("欠费被停的那个 钱和违约金今天上午11点刚交完", session=first.session_id)
    assert picked.calculation is not None and picked.calculation.name == "service_restore_deadline"
    assert picked.calculation.result == "2026-11-12T11:00:00"


def test_an_option_picked_is_answered_by_its_own_clause_and_keeps_the_values_said_with_it(fake_assistant):
    """Picking "解除合同" among the notice periods cites that option's clause first; said with an end date, it is the
    latest notice day for that end date (A1-13.1: 20 business days before)."""
    from datetime import date

    fake_assistant.today = lambda: date(2026, 5, 11)
    first = fake_assistant.ask("要提前多久通知")
    assert "解除合同" in [o.label for o in first.options]
    picked = fake_assistant.ask("解除合同", session=first.session_id)
    assert picked.intent is Intent.lookup and picked.citations[0].clause_id == "A1-13.1"

    again = fake_assistant.ask("要提前多久通知")
    dated = fake_assistant.ask("就是 解除 合同 想 六 月 三十 号 解", session=again.session_id)
    assert dated.calculation is not None and dated.calculation.name == "termination_notice_by"
    assert dated.calculation.result == "2026-06-01"


@pytest.mark.parametrize(
    ("before", "then", "clause"),
    [
        # the clause the calculation rests on speaks of what the follow-up asks: it answers it, though the
        # question before it (a bare value) names no subject
        (["转租被抓了 要赔多少啊", "8个月 2100一个月"], "那你们还能直接把协议终止吗", "M-11"),
        (["我们 那个 专线 私下 转租 给 别的公司 被 你们 发现了 违约金 要交 多少", "嗯 用了 八个月 呃 月租 是 一万"],
         "那 除了 交钱 你们 还能 把 协议 终止 吗", "M-11"),
        # of the clauses the calculation rests on (the overdue status: A1-4.5, M-29) that speak of it, the one
        # retrieval ranks first: the late fee's start is the main agreement's
        (["欠了3200 晚了8天 违约金多少", "晚15天的话 你们会把我们服务停了吗"], "这个违约金从哪天开始算的啊", "M-29"),
    ],
)
def test_a_follow_up_lookup_is_answered_by_the_rule_its_calculation_rests_on(real_assistant, before, then, clause):
    """With the real model, whose ranking of the follow-up and the value message before it puts other clauses first."""
    b = _after(real_assistant, before, then)
    assert b.intent is Intent.lookup and b.citations[0].clause_id == clause


def _after(assistant, before: list[str], then: str):
    """The answer to `then` asked after the questions `before`, in one conversation."""
    session = None
    for q in before:
        session = assistant.ask(q, session=session).session_id
    return assistant.ask(then, session=session)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("first", "then", "clause"),
    [
        ("专线报竣以后云资源多久能交付给我们", "那云主机给默认装的是啥系统", "M-25"),
        ("专线故障了打哪个电话", "沃云故障呢？", "A1-5.2"),
        ("合同到期以后怎么续", "数据备份你们管吗", "A1-2.9"),
    ],
)
def test_a_follow_up_naming_its_own_subject_finds_its_clause_though_read_with_the_question_before(real_assistant, first, then, clause):
    """Read with the question before alone, each follow-up leans to that question's clause; its own reading joins the
    ranking, so its own subject's clause comes first."""
    a = real_assistant.ask(first)
    b = real_assistant.ask(then, session=a.session_id)
    assert b.intent is Intent.lookup and b.citations[0].clause_id == clause


@pytest.mark.slow
@pytest.mark.parametrize(
    ("before", "then", "clause"),
    [
        (["转租的违约金是咋算的 想先心里有个数"], "那要是我们没转租 只是把线拿去干别的用了呢", "M-14"),
        (["专线私下转租给别人 你们会怎么处理"], "要是没转租 只是改了用途没告诉你们呢", "M-14"),
        # after the sublease penalty, whose rule (M-11) also speaks of a use other than the one leased for
        (["分公司把专线转给别的公司用了 这得罚多少", "用了十四个月 标准月租是一万"], "那 要是不转租 就是想换个用途 得怎么办", "M-14"),
    ],
)
def test_a_follow_up_setting_the_previous_subject_aside_is_read_without_it(real_assistant, before, then, clause):
    """"没转租 只是…" says the question is not about the sublease the conversation was about: the change of use
    (M-14) answers it, not the sublease clause the question before (or the calculation's rule) would draw it to."""
    b = _after(real_assistant, before, then)
    assert b.intent is Intent.lookup and b.citations[0].clause_id == clause


@pytest.mark.slow
def test_a_bandwidth_change_with_neither_bandwidth_said_is_completed_by_two_picks(real_assistant):
    a = real_assistant.ask("升级带宽要加多少钱")
    assert a.intent is Intent.clarify and [o.label for o in a.options] == ["10M", "20M", "50M", "100M", "200M"]
    b = real_assistant.ask(a.options[2].question, session=a.session_id)
    assert b.intent is Intent.clarify and b.options
    c = real_assistant.ask(b.options[3].question, session=b.session_id)
    assert c.intent is Intent.calculation and c.calculation.result == 4900


@pytest.mark.slow
def test_a_follow_up_in_scope_as_it_stands_is_not_refused_for_its_reading_with_the_question_before(real_assistant):
    """Read with the question before, "停了以后交上钱多久能恢复" looks out of scope to the gate (spoken fillers, a
    calculation's words); read alone it is the restore rule, as the same question asked first is."""
    first = real_assistant.ask("停了 以后 交上 钱 多久 能 恢复")
    assert first.intent is Intent.lookup
    a = real_assistant.ask("拖 二十天 的话 那个 云 会不会 被 停")
    b = real_assistant.ask("停了 以后 交上 钱 多久 能 恢复", session=a.session_id)
    assert b.intent is Intent.lookup and b.citations[0].clause_id == first.citations[0].clause_id == "A1-4.5"


def test_fusing_a_follow_ups_two_rankings_keeps_what_both_agree_on():
    from assistant.answer.assistant import _with_alone
    from assistant.models import Hit
    from assistant.retrieval.search import Retrieval

    def ranking(*ids):
        return Retrieval("q", [], [Hit(clause_id=c, score=1.0) for c in ids], signals=None)

    fused = _with_alone(ranking("M-26", "M-25", "M-21"), ranking("M-25", "M-21", "A1-4.2"))
    assert [h.clause_id for h in fused.hits] == ["M-25", "M-21", "M-26"]
    # the context's ranking leads where the question alone is no surer
    fused = _with_alone(ranking("M-26", "M-25"), ranking("A1-4.2", "M-21"))
    assert fused.hits[0].clause_id == "M-26"


@pytest.mark.parametrize(
    ("question", "reply", "name", "asking_the_figure"),
    [
        ("专线这个月断了好几回 能赔吗", "一共断了30个小时，月租5100，不是计划割接", "outage_credit", "专线这个月断了好几回 租费能核减多少"),
        ("客户把专线转给别人用了 联通会追究吗", "转租了8个月，月租2100", "sublease_penalty", None),
        # asked whether, with some of the values: the clause still answers, and the reply adds what was missing
        ("专线断了一整天 你们要负责吗", "月租2100，不是计划割接", "outage_credit", None),
    ],
)
def test_a_rule_question_giving_no_value_is_answered_by_its_clause_and_a_reply_with_values_computes(
    fake_assistant, question, reply, name, asking_the_figure
):
    """A question that gives no value and asks for no figure is not asked for inputs: the clause answers it, and the
    calculation waits for values the next message may give."""
    a = fake_assistant.ask(question)
    assert a.intent is Intent.lookup and a.calculation is None and a.citations
    b = fake_assistant.ask(reply, session=a.session_id)
    assert b.intent is Intent.calculation and b.calculation.name == name
    if asking_the_figure:
        # asking for the figure itself still asks for the values it needs
        c = fake_assistant.ask(asking_the_figure)
        assert c.intent is Intent.clarify and c.pending is not None


@pytest.mark.parametrize(
    "question, clause, calculator",
    [
        ("我们网站的备案信息3月2日有变更，要在几天内跟你们报备？", "M-17", "filing_update_deadline"),
        ("沃云想在8月31日提前终止，要提前多久申请？", "A1-6.4", "early_termination_notice"),
    ],
)
def test_a_question_on_the_period_alone_is_answered_by_its_clause_and_the_day_follows(fake_assistant, question, clause, calculator):
    a = fake_assistant.ask(question)
    assert a.intent is Intent.lookup and a.citations[0].clause_id == clause
    b = fake_assistant.ask("那最晚是哪一天？", session=a.session_id)
    assert b.intent is Intent.calculation and b.calculation.name == calculator


@pytest.mark.parametrize(
    "question",
    [
        "我们网站的备案信息3月2日有变更，要在几个工作日内报备，最晚是哪天？",
        "我们机房3月16日着火了，不可抗力要在多少天内通知你们，最晚哪天",
    ],
)
def test_a_period_asked_with_its_day_is_calculated(fake_assistant, question):
    assert fake_assistant.ask(question).intent is Intent.calculation


@pytest.mark.parametrize(
    "question, clause",
    [
        # the length asked is the very input the calculation lacks: the rule's threshold, which its clause states
        ("欠费的话 就是 拖多少天你们会把云那边给停掉啊", "A1-4.5"),
        ("客户问欠费一直不交，多久以后计算资源会被销毁", "A1-4.5"),
        ("我们欠了5000 晚了多少天会被停", "A1-4.5"),
    ],
)
def test_asked_how_long_before_the_rule_applies_its_clause_answers(fake_assistant, question, clause):
    a = fake_assistant.ask(question)
    assert a.intent is Intent.lookup and clause in [c.clause_id for c in a.citations[:2]]


@pytest.mark.slow
@pytest.mark.parametrize(
    ("before", "then"),
    [
        (["3月账单金额是4350元，我们拖到5月3日才缴，违约金要付多少？"], "那逾期几天联通就可以暂停云服务？"),
        (["我司2月份账单金额为12600元，4月8日才能付款，违约金是多少？"], "如果2月账单一直拖着没付，逾期多少天贵司会暂停沃云服务？"),
    ],
)
def test_the_threshold_asked_after_the_persons_own_case_is_the_rules(real_assistant, before, then):
    """After how many days the rule applies, asked after the person's own arrears: its clause, not the verdict for
    their days, whatever calculator the conversation's values would fit."""
    b = _after(real_assistant, before, then)
    assert b.intent is Intent.lookup and b.calculation is None and b.citations[0].clause_id == "A1-4.5"


@pytest.mark.slow
def test_a_rate_asked_is_no_verdict_either(real_assistant):
    """"晚交一天扣百分之几" asks the late fee's rate: no calculator gives it, not even the arrears' status for one
    day late, which the real model's ranking proposes."""
    a = real_assistant.ask("晚交一天扣百分之几")
    assert a.calculation is None and "M-29" in [c.clause_id for c in a.citations]


@pytest.mark.parametrize(
    "question",
    [
        "欠费20天了 还有几天会被终止",  # the length of the person's own case is given: calculated
        "欠了5000 拖了12天 违约金多少",
    ],
)
def test_a_length_given_is_no_threshold_asked(fake_assistant, question):
    assert fake_assistant.ask(question).intent is Intent.calculation


def test_a_day_said_when_picking_an_option_asks_for_the_calculation(fake_assistant):
    a = fake_assistant.ask("要提前多久通知")
    assert a.intent is Intent.clarify and any(o.label == "解除合同" for o in a.options)
    b = fake_assistant.ask("就是解除合同 想6月30号解", session=a.session_id)
    assert b.intent is Intent.calculation and b.calculation.name == "termination_notice_by"


@pytest.mark.parametrize(
    ("question", "intent"),
    [
        # A suspension asked for is the rule on suspending (M-9), not the status of an unpaid bill.
        ("专线能不能先暂停两个月 等过完年再恢复", Intent.lookup),
        ("欠费被停了20天了，还能恢复吗", Intent.calculation),
    ],
)
def test_a_calculator_applies_only_in_its_situation(fake_assistant, question, intent):
    a = fake_assistant.ask(question)
    assert a.intent is intent
    assert (a.calculation is not None and a.calculation.name == "overdue_status") is (intent is Intent.calculation)


def test_the_situation_may_be_said_by_the_question_before(fake_assistant):
    a = fake_assistant.ask("我们沃云欠费了，逾期10天")
    b = fake_assistant.ask("那再过20天会被终止吗", session=a.session_id)
    assert b.calculation is not None and b.calculation.name == "overdue_status"


@pytest.mark.parametrize("then", ["晚9天会不会给我们停掉", "9天的话 你们会把我们服务停了吗"])
def test_the_situation_may_be_said_earlier_in_the_conversation(fake_assistant, then):
    a = fake_assistant.ask("欠了8000 晚了6天")
    # a correction saying no situation of its own comes between
    b = fake_assistant.ask("打错了 是9天", session=a.session_id)
    assert b.calculation.name == "late_fee"
    c = fake_assistant.ask(then, session=b.session_id)
    assert c.calculation is not None and c.calculation.name == "overdue_status"
    assert c.calculation.inputs["days_overdue"] == 9 and c.calculation.result["line_may_be_suspended"] is True


def test_a_situation_set_aside_earlier_in_the_conversation_does_not_apply(fake_assistant):
    a = fake_assistant.ask("欠费了 逾期5天")
    b = fake_assistant.ask("我们没欠费 专线能不能先暂停两个月", session=a.session_id)
    assert b.calculation is None or b.calculation.name != "overdue_status"


def test_a_yes_or_no_on_the_last_facts_asks_the_calculator_that_gives_the_verdict(fake_assistant):
    a = fake_assistant.ask("欠了一万二 晚了二十五天 违约金多少")
    assert a.calculation.name == "late_fee"
    b = fake_assistant.ask("晚这么久 沃云 会不会 被停啊", session=a.session_id)
    assert b.calculation is not None and b.calculation.name == "overdue_status"
    assert b.calculation.inputs["days_overdue"] == 25


@pytest.mark.parametrize(
    ("first", "then", "calculator"),
    [
        ("含税10600元，未税是多少？", "那税额呢？", "vat_split"),
        ("逾期12天了 云会被停吗", "还有几天会被停", "overdue_status"),
    ],
)
def test_a_follow_up_naming_a_part_of_the_last_result_says_that_result_again(fake_assistant, first, then, calculator):
    a = fake_assistant.ask(first)
    assert a.calculation.name == calculator
    b = fake_assistant.ask(then, session=a.session_id)
    assert b.calculation is not None and b.calculation.name == calculator
    assert b.calculation.result == a.calculation.result


def test_a_related_calculation_takes_the_month_the_last_result_names(fake_assistant):
    a = fake_assistant.ask("3月31日用的量算在哪个月的账单？")
    assert a.calculation.name == "bill_month_of" and a.calculation.result["bill_month"] == f"{TODAY.year}-04"
    b = fake_assistant.ask("那张账单什么时候出账、最晚何时要缴？", session=a.session_id)
    assert b.calculation is not None and b.calculation.name == "bill_dates"
    assert b.calculation.inputs["month"] == f"{TODAY.year}-04"


def test_asking_whether_after_a_calculation_runs_the_calculator_that_gives_the_verdict(fake_assistant):
    a = fake_assistant.ask("客户说欠费9600元，逾期20天，问违约金多少。")
    b = fake_assistant.ask("客户问现在会被停吗？", session=a.session_id)
    assert b.calculation is not None and b.calculation.name == "overdue_status"
    assert b.calculation.inputs["days_overdue"] == 20


def test_asking_whether_runs_no_calculator_that_gives_no_verdict(fake_assistant):
    a = fake_assistant.ask("50M专线首期要交多少钱，3月10日竣工")
    b = fake_assistant.ask("请问其中的开户费是含税价吗？", session=a.session_id)
    assert b.calculation is None
    c = fake_assistant.ask("逾期12天了 云会被停吗")
    d = fake_assistant.ask("呃 那 还 有 几 天 就 要 被 终止 了", session=c.session_id)
    assert d.calculation is not None and d.calculation.name == "overdue_status"


@pytest.mark.parametrize(
    ("then", "days"),
    [("那如果再晚5天才缴呢？", 27), ("又拖了3天呢", 25), ("那要是拖到30天呢", 30), ("那5天呢", 5), ("那差不多5天呢", 5)],
)
def test_days_said_as_more_are_added_to_the_last_ones(fake_assistant, then, days):
    a = fake_assistant.ask("欠款9150元，逾期22天，违约金多少？")
    assert a.calculation.name == "late_fee" and a.calculation.inputs["days_overdue"] == 22
    b = fake_assistant.ask(then, session=a.session_id)
    assert b.calculation.name == "late_fee" and b.calculation.inputs["days_overdue"] == days


def test_months_said_as_more_are_added_to_the_last_ones(fake_assistant):
    a = fake_assistant.ask("专线转租被查到了 用了8个月 月资费5100 违约金多少")
    assert a.calculation.name == "sublease_penalty" and a.calculation.inputs["months_used"] == 8
    b = fake_assistant.ask("要是再用两个月才被发现呢", session=a.session_id)
    assert b.calculation.name == "sublease_penalty" and b.calculation.inputs["months_used"] == 10


@pytest.mark.parametrize(
    ("question", "calculator"),
    [
        ("我们欠费了 违约金咋算呀", "late_fee"),
        ("客户被查到把专线私下转租给楼里另一家公司了，问违约金怎么算", "sublease_penalty"),
        # the case stated as what they intend to do is theirs too
        ("我們打算提前解約，沃雲不用了，違約金要怎麼算？", "early_termination_penalty"),
        ("客户准备提前退掉沃云，违约金怎么算？", "early_termination_penalty"),
        # …or as what was done to them (被查到, with no 了)
        ("我們分公司被查到把專線私下轉租給隔壁公司用，這種違約金怎麼算？", "sublease_penalty"),
    ],
)
def test_how_the_figure_of_ones_own_case_is_worked_out_gets_the_formula_and_a_request_for_the_values(fake_assistant, question, calculator):
    from assistant.calc import REGISTRY

    a = fake_assistant.ask(question)
    assert a.intent is Intent.clarify and a.pending is not None and a.pending.name == calculator
    assert a.answer.startswith(REGISTRY[calculator].summary.rstrip("。"))
    assert [c.clause_id for c in a.citations] == list(REGISTRY[calculator].clauses)


def test_compensation_asked_of_a_late_activation_asks_for_its_days_not_which_penalty(fake_assistant):
    a = fake_assistant.ask("你们开通晚了 说好五个工作日的 结果拖了好几天 能赔多少")
    # the five business days are the rule's, not the days late
    assert a.intent is Intent.clarify and a.calculation is None
    assert a.pending is not None and a.pending.name == "late_activation_credit"


def test_a_payment_made_just_now_asks_for_its_time_rather_than_assume_midnight(fake_assistant):
    a = fake_assistant.ask("我们欠费被停了 刚刚交完钱 最晚啥时候能恢复")
    assert a.intent is Intent.clarify and a.calculation is None
    assert a.pending is not None and a.pending.name == "service_restore_deadline"


def test_small_talk_holding_a_day_changes_no_calculation(fake_assistant):
    a = fake_assistant.ask("合同打算7月31号解除 最晚哪天要书面通知")
    assert a.calculation is not None and a.calculation.name == "termination_notice_by"
    b = fake_assistant.ask("好哒 今天北京好热啊 你吃饭了没", session=a.session_id)
    assert b.intent is Intent.out_of_scope and b.calculation is None


@pytest.mark.parametrize("question", ["好嘞 那个 顺便问下 北京明天 是不是要下雪啊", "換個問題 明天北京會下雪嗎"])
def test_a_message_said_to_change_the_subject_changes_no_calculation(fake_assistant, question):
    fake_assistant.today = lambda: date(2026, 2, 9)
    a = fake_assistant.ask("专线2月10号开通 我们一直没确认 那就按这个起租 合同到哪天到期")
    assert a.calculation is not None and a.calculation.name == "contract_term"
    b = fake_assistant.ask(question, session=a.session_id)
    assert b.intent is not Intent.calculation and b.calculation is None


def test_hearsay_of_a_planned_transfer_gives_its_day_not_a_notice(fake_assistant):
    a = fake_assistant.ask("听说联通要把我们的合同转给一家子公司 那最晚啥时候得通知我们啊")
    assert a.pending is not None and a.pending.name == "transfer_notice_by"
    b = fake_assistant.ask("说是8月1号转过去", session=a.session_id)
    assert b.calculation.name == "transfer_notice_by" and b.calculation.inputs["transfer_on"].endswith("08-01")


def test_a_supposed_case_is_answered_by_the_clause_and_the_values_still_complete_it(fake_assistant):
    a = fake_assistant.ask("转租被抓到的话，违约金怎么算？")
    assert a.intent is Intent.lookup and a.citations[0].clause_id == "M-11"
    b = fake_assistant.ask("我们欠费了 违约金咋算呀")
    c = fake_assistant.ask("欠了五千一 晚了十二天", session=b.session_id)
    assert c.calculation.name == "late_fee" and result(c) == 183.6


def test_a_last_input_carried_by_name_is_not_carried_again_to_another_input_of_its_kind(fake_assistant):
    a = fake_assistant.ask("帮客户查下 他们欠了七千五 拖了十八天 违约金多少")
    b = fake_assistant.ask("这样沃云会不会已经被停了", session=a.session_id)
    assert b.calculation.name == "overdue_status" and b.calculation.inputs["days_overdue"] == 18
    # nobody said the line was suspended, let alone for how long
    assert b.calculation.inputs.get("days_since_suspension") is None


def test_a_reply_stating_values_without_picking_an_option_answers_the_question_asked_back(fake_assistant):
    """"开通严重延误 能退多少", asked back, then "受理日期是4月27日，实际开通日期是5月15日": no option picked, but the
    dates answer the question asked (the late-activation credit, M-20), not the activation deadline they give alone."""
    from datetime import date

    fake_assistant.today = lambda: date(2026, 5, 6)
    first = fake_assistant.ask("您好，我司的云专线开通严重延误，按合同规定贵司应给予退减。请问我们能退多少？")
    assert first.intent is Intent.clarify and first.options
    then = fake_assistant.ask("韩工：受理日期是4月27日，实际开通日期是5月15日。", session=first.session_id)
    assert then.calculation is not None and then.calculation.name == "late_activation_credit"
    assert then.calculation.result == 8.0


@pytest.mark.parametrize(
    ("turns", "calculator", "inputs"),
    [
        # the change said as done names the line as it will be: its own fee is asked, not the change again
        (["我们专线想从200M降到100M，每个月可以少付多少？", "一整年算下来呢？", "那降完以后，100M一整年总共要付多少"],
         "line_fee", {"bandwidth_mbps": "100", "months": "12"}),
        # a day no word ties to another calculator is the last calculation's own ("交": the request handed in)
        (["客户要提前停掉部分云服务，想明年3月31日停，问最晚哪天得把书面申请交上来", "客户说他下周一交"],
         "early_termination_notice", {"end_on": "2027-03-31", "notice_on": "2026-11-30"}),
        # a complete question whose day its own cue words name is not the day a waiting calculation lacks
        (["我们专线是2025年9月1号起租的 合同哪天到期", "那 我今天通知 还来得及不", "啊 那就是 自动又续一年了是吧",
          "那 续上以后 我们要是下周三发书面通知解除合同 最早哪天能解"],
         "earliest_termination", {"notice_on": "2026-12-02"}),
    ],
)
def test_a_follow_up_asks_what_its_own_words_name(fake_assistant, turns, calculator, inputs):
    fake_assistant.today = lambda: TODAY
    session = None
    for q in turns:
        answer = fake_assistant.ask(q, session=session)
        session = answer.session_id
    assert answer.calculation is not None and answer.calculation.name == calculator
    assert {k: str(answer.calculation.inputs.get(k)) for k in inputs} == inputs


def test_an_impossible_date_asked_before_is_not_read_again_as_an_error(fake_assistant):
    fake_assistant.today = lambda: TODAY  # November: it has no 31st
    a = fake_assistant.ask("欠了5000 逾期10天 违约金多少")
    b = fake_assistant.ask("那要是拖到这个月三十一号再交呢", session=a.session_id)
    assert b.intent is Intent.clarify and "30天" in b.answer
    c = fake_assistant.ask("那20天呢", session=a.session_id)
    assert c.calculation is not None and c.calculation.name == "late_fee"
