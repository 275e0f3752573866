"""plan(): colloquial questions to calculators and inputs, lookups left alone, clarify and completion."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest

from assistant.calc import answer_text, clarify_text, latent, plan, run
from assistant.calc.accuracy import evaluate
from assistant.calc.vocabulary import TRIGGERS_PATH, VocabularyError, load, vocabulary
from assistant.calc.planner import build
from assistant.corpus.normalize import normalize_query
from assistant.errors import CalcInputError

QUESTIONS = Path(__file__).resolve().parents[1] / "data" / "calc_questions.toml"


@pytest.mark.parametrize(
    ("question", "name", "inputs"),
    [
        ("50兆的专线不要云了以后一个月多少钱", "line_fee", {"bandwidth_mbps": 50, "months": 1}),
        ("咱那个一百兆的光专线，云不要了，一年下来多少钱", "line_fee", {"bandwidth_mbps": 100, "months": 12}),
        ("欠了五千一百块，逾期两周，违约金多少", "late_fee", {"owed": "5100", "days_overdue": 14}),
        ("帮我算下滞纳金：欠费0.51万，晚交20天", "late_fee", {"owed": "5100", "days_overdue": 20}),
        ("逾期10天了还有几天会停机", "overdue_status", {"days_overdue": 10}),
        ("专线断了一天一夜，月租5100，能减免多少", "outage_credit", {"monthly_fee": "5100", "outage_hours": 24}),
        ("这个月掉线两天，月费2100，能补偿多少", "outage_credit", {"monthly_fee": "2100", "outage_hours": 48}),
        ("开户费不含税是多少", "vat_split", {}),
        # the VAT split refuses a pre-tax amount (不含税…); the VAT on a pre-tax amount takes it
        ("报价不含税3万 加上6%的增值税一共多少", "vat_from_pre_tax", {"pre_tax": "30000"}),
        # … also when the VAT split's many words ("VAT", "税") rank it first on probability
        ("报价单上写的不含税12345.67，VAT是多少？", "vat_from_pre_tax", {"pre_tax": "12345.67"}),
        ("3月2号受理的 3月16号才给开 超时能退多少", "late_activation_credit", {"accepted_on": "2026-03-02", "activated_on": "2026-03-16"}),
        ("我们于2026年4月28日在贵司丰台区南四环西路188号营业厅办理了云专线受理，但线路直到5月20日才开通。请问因超时开通可退减多少？",
         "late_activation_credit", {"accepted_on": "2026-04-28", "activated_on": "2026-05-20"}),
        ("9月28日受理的，最晚哪天开通", "activation_deadline", {"accepted_on": "2026-09-28"}),
        # the day the line must be connected (通), asked without 开通
        ("客户4月28号在营业厅递交的申请，我们当天接了，客户问最晚哪天必须通", "activation_deadline", {"accepted_on": "2026-04-28"}),
        ("3月1日上午10点报竣，云资源最晚什么时候交付", "cloud_delivery_deadline", {"completed_at": "2026-03-01T10:00:00"}),
        ("今年被删除了6次会被终止合作吗", "takedown_limit", {"events": 6}),
        ("4月的账单计费周期是哪几天", "billing_cycle", {"month": "2026-04"}),
        ("上个月的账单最晚什么时候交", "bill_dates", {"month": "2026-10"}),
        ("起租日2026年3月1日，合同几号到期", "contract_term", {"start_on": "2026-03-01"}),
        ("5月31号用的流量算几月的账单", "bill_month_of", {"usage_on": "2026-05-31"}),
        ("10月30号用的 算这个月的还是下个月的账单啊", "bill_month_of", {"usage_on": "2026-10-30"}),
        # asks when: a line named in passing is no line fee
        ("想开一条一百兆的专线 今天受理的话 最晚什么时候能给开通", "activation_deadline", {"accepted_on": "2026-11-24"}),
        # several lines once the cloud is stopped: the phrases of the single-line fee name the list too
        ("沃云停用后，总部200M一条、分公司20M两条，半年专线费用合计多少？", "line_fee_total",
         {"lines": [{"bandwidth_mbps": 200, "count": 1}, {"bandwidth_mbps": 20, "count": 2}], "months": 6}),
        ("云那块停掉以后光剩线路 200M 半年下来要交多少", "line_fee", {"bandwidth_mbps": 200, "months": 6}),
        # paying more said colloquially (多掏, 多花) is the difference between the two bandwidths
        ("只用专线的话 从50M升到100M 半年下来要多掏多少钱", "line_fee_difference", {"from_mbps": 50, "to_mbps": 100, "months": 6}),
        # a transfer asked in words of its own (转过去, 能转) after a written notice, not the notice of a termination
        ("我们今天刚收到这份书面通知，最快哪天可以转过去？", "transfer_notice", {"notice_on": "2026-11-24"}),
        ("我们今天11月2号收到的书面通知 最早哪天能转", "transfer_notice", {"notice_on": "2026-11-02"}),
        # the cloud cancelled is the situation of every line-fee reading: it names no single line over a change
        ("云停了以后 专线从20M升到50M 每个月要多交多少钱 thx", "line_fee_difference", {"from_mbps": 20, "to_mbps": 50}),
        # 第一回 is 第一次: the first payment, with the completion day said in its month
        ("专线 九月二十三号 竣工的 月租 是三千 第一回 要交多少 连那个 开户费", "first_payment",
         {"monthly_fee": "3000", "completion_date": "2026-09-23"}),
        # a list of one line is that line's fee
        ("客户说他们沃云已经停了，只留一条200M专线，问三个月专线费多少", "line_fee", {"bandwidth_mbps": 200, "months": 3}),
        ("沃云我们不用了，只留一条10M专线，一整年的费用是多少？", "line_fee", {"bandwidth_mbps": 10, "months": 12}),
        ("云停了 剩两条200M专线 三个月多少", "line_fee_total", {"lines": [{"bandwidth_mbps": 200, "count": 2}], "months": 3}),
        # the last line of a list, with a cue word beside it, is still one line of the whole list
        ("我们有两条50M还有一条10M的 沃云停了以后一整年下来总共多少钱", "line_fee_total",
         {"lines": [{"bandwidth_mbps": 50, "count": 2}, {"bandwidth_mbps": 10, "count": 1}], "months": 12}),
        # 不可抗力 decides which termination: its notice-by calculator counts 解约 too
        ("因为不可抗力想12月31号解约 12月10号发书面通知行不行", "force_majeure_termination_notice_by",
         {"end_on": "2026-12-31", "notice_on": "2026-12-10"}),
        # any number of months over one is what A1-10.2 asks for, said as "两个多月" as well as "一个多月"
        ("政府封控影响我们已经两个多月了 想10月10号把合同结束掉 9月28号再发通知来得及吗", "force_majeure_termination_notice_by",
         {"end_on": "2026-10-10", "notice_on": "2026-09-28"}),
        # words naming the force majeure termination (终止协议, 持续) name both directions of its notice
        ("政府封控我们这边都俩月了 合同根本没法履行 想12月10号终止协议 打算11月28号发书面通知 来得及不？",
         "force_majeure_termination_notice_by", {"end_on": "2026-12-10", "notice_on": "2026-11-28"}),
        ("你们要是12月1号把合同转出去 最晚得哪天通知我们", "transfer_notice_by", {"transfer_on": "2026-12-01"}),
        # a calculator complete on its defaults yields to one that takes the values said (not the opening fee's VAT)
        ("供应商报价为不含税66666元。请按6%的增值税率，告知税额以及价税合计金额", "vat_from_pre_tax", {"pre_tax": "66666"}),
        # a date its own reading's words do not name, and a sibling's do, read the sibling's way when the question
        # asks for what the sibling gives (最晚 … 通知); "最早 … 解除" keeps the forward reading
        ("客户因政府管控（不可抗力，已持续两个多月）想在9月30日终止协议，问最晚哪天书面通知。", "force_majeure_termination_notice_by",
         {"end_on": "2026-09-30"}),
        ("11月16号提的解约 最早啥时候能解除 要算工作日的", "earliest_termination", {"notice_on": "2026-11-16"}),
        # outages summed though their total is restated after them; a never-word qualifying the amount's noun
        ("4月9日断了约14小时，4月21日又断了13个小时，合计27小时。月租18000元，能核减多少", "outage_credit",
         {"outage_hours": 27, "monthly_fee": "18000"}),
        ("云专线不含税金额为 36,500 元，请问加税后的含税总额和税额分别是多少", "vat_from_pre_tax", {"pre_tax": "36500"}),
        # a term said as what was bought (包了一年), beside the months used
        ("沃云包了一年 才用了五个月就想退 月费2980 违约金要付多少啊", "early_termination_penalty",
         {"term_months": 12, "months_used": 5, "monthly_fee": "2980"}),
        # a line changed to another bandwidth (升成) is a difference of fees, not the fee of the line counted
        ("如果其中一条20M升成50M 每个月要多掏多少", "line_fee_difference", {"from_mbps": 20, "to_mbps": 50}),
        # the month's bills of a usage-based cloud, named as bills
        ("按量计费的握云 前几个月bill 1800 2200 2600 合同一年 用了3个月 想提前解约 违约经多少", "early_termination_penalty",
         {"term_months": 12, "months_used": 3, "served_monthly_amounts": ["1800", "2200", "2600"]}),
        # a force-majeure event named by what happened, not by the contract's word
        ("暴雨把我们机房淹了 7月20号的事 最晚啥时候要通知联通", "force_majeure_notice", {"occurred_on": "2026-07-20"}),
        # … or by the contract's own words for it (不能履行), beside words a notice of termination also has
        ("6月10号出了状况，我们实在没法履行合同了，按规定最晚要在哪天之前通知你们", "force_majeure_notice", {"occurred_on": "2026-06-10"}),
        # a bill's range, a day's bill month, a line given to another company to use
        ("２月的账单是从几号算到几号", "billing_cycle", {"month": "2026-02"}),
        ("5月31号那天用的费用 算5月还是6月的bill", "bill_month_of", {"usage_on": "2026-05-31"}),
        ("被发现把专线分给隔壁公司用了 从开通到现在8个月 50M的 违约金多少", "sublease_penalty",
         {"months_used": 8, "bandwidth_mbps": 50}),
        # 顺延 of a holiday is a deadline's question; of the contract (自动顺延), the term's
        ("2月12号受理的 最迟几号要开通 过年放假会不会顺延", "activation_deadline", {"accepted_on": "2026-02-12"}),
        ("合同到期以后会自动顺延吗 起租日是2025年3月1日", "contract_term", {"start_on": "2025-03-01"}),
        # the first payment asked with words between 第一次 and the paying
        ("计划新办理一条20M云专线，想请问开户时第一次需要交多少钱？", "first_payment", {"bandwidth_mbps": 20}),
        ("如果是10M，9月25日竣工，第一次总共要缴多少？", "first_payment", {"bandwidth_mbps": 10, "completion_date": "2026-09-25"}),
        # a day its clause names as another event (an application's) is no completion day: the whole month is due
        ("我们于3月2日在营业厅提交了云专线申请，选的是50M的专线，第一次缴费连同开户费一共要准备多少钱？", "first_payment",
         {"bandwidth_mbps": 50}),
        ("50M专线3月2日受理的 第一次交多少", "first_payment", {"bandwidth_mbps": 50}),
        # … read in the whole clause, beyond the words beside the day; a signing is such an event
        ("上周（1月12日）与贵司业务经理签订了云专线协议，选择的是50M的专线。请问首次需要缴纳的费用一共是多少？", "first_payment",
         {"bandwidth_mbps": 50}),
        ("我司已于1月9日与贵司签订云专线入网协议，带宽选的是50M，第一次总共需要缴纳多少费用？", "first_payment", {"bandwidth_mbps": 50}),
        ("我们5月8号签的合同 50M专线 首次要交多少", "first_payment", {"bandwidth_mbps": 50}),
        ("选的是50M的专线，第一次缴费连同开户费一共要准备多少钱？我们财务下周一要走付款审批", "first_payment", {"bandwidth_mbps": 50}),
        # the total said as 合计 is the tax-inclusive amount, not the opening fee named in it
        ("第一次缴费是开户费100加首月月租2100，都是含税价，合计2200，问这笔里面税额多少", "vat_split", {"amount": "2200"}),
        # a part of the outage that does not count is taken off the total said before it
        ("本月断了3天，其中有一天是计划割接，月租5100，能核减多少？", "outage_credit", {"outage_hours": 48, "monthly_fee": "5100"}),
        ("累计中断50小时，其中20小时是我们自己机房UPS断电造成的，其余时间是光缆故障，月租2100能减多少", "outage_credit",
         {"outage_hours": 30, "monthly_fee": "2100"}),
        # a day of use is no bill month: the calculator taking that day answers, though the cycle's words lead
        ("7月15日产生的用量算在哪一期账单？那一期计费周期从哪天到哪天？", "bill_month_of", {"usage_on": "2026-07-15"}),
        ("10月的账单计费周期是从哪天到哪天", "billing_cycle", {"month": "2026-10"}),
    ],
)
def test_plan_on_colloquial_questions(question, name, inputs, today):
    found = plan(question, today)
    assert found is not None and found.name == name
    assert found.inputs == inputs and found.missing == []
    assert found.clause_ids == run(name, found.inputs).clause_ids


@pytest.mark.parametrize(
    "question",
    ["云专线能暂停吗", "违约金怎么算", "开户需要提交什么资料", "故障申告电话是多少", "沃云欠费多久会被暂停",
     "云专线的资源池在哪里", "你好", "可以转租吗", "网站备案信息变更要几天内报备", "超时开通的赔偿怎么算",
     "合同到期自动续吗", "到期了会自动顺延吗", "到期了不想续要怎么弄", "合同到期不续签要办什么手续", "开户费适用的税率是多少", "5100元的专线费税率是多少",
     # without values, asking for nothing of the kind the calculator gives (a date here)
     "那个 合同到期不续了 你们那个设备 要还回去吗", "合同到期后数据还会留多久",
     # asking only for a rule, with values that happen to be mentioned
     "沃云本周二凌晨中断了约两个小时，说是电力部门检修导致的，这种情况贵司是否承担责任？",
     "光专线今天上午已经报竣，沃云资源在报竣后多长时间内交付？",
     "我们欠了5100元，逾期的违约金是按什么标准计算的？", "沃云8月20号签的验证单据，按合同计费是怎么约定的？",
     "公司准备办理云专线，带宽初步考虑20M。到营业厅办理入网需要准备哪些材料？经办人带什么证件？",
     "我们计划租两条100M云专线做CDN加速，使用专线之前需要具备什么资质？",
     "专线是50M的，专线和沃云的费用要分别交、发票也是两张，合同里是不是就是这么规定的？",
     # a value the rule itself states (the one-year term), none the calculator reads
     "我们这份协议签的期限是一年，到期前要是双方谁都没提，是不是会自动续下去？",
     "协议期限写的是一年，到期以后会不会自己顺延", "合同一年到期了没人提，会默认续下去吗",
     # both readings of the amount named around 还是: which one holds is M-28's fact, not a split
     "开户费100块是含税价还是不含税价", "你们那个开户费一百块 它是含税的价格 还是说税要另外再加",
     "这一百块开户费 是含税的还是税另算",
     # asking only for a rate, with a day ("一天几个点") that is the rate's unit, not days overdue
     "交费晚了的话滞纳金按啥比列收 一天几个点", "逾期一天的违约金费率是多少", "超时开通一天退百分之几",
     # which of two ways a fee is paid, said with 一块(儿) for together: no amount of 1 yuan to work out
     "就是 开户那一百块钱 是要单独先交 还是说 跟那个月租 一块儿交", "开户费是要先单独交 还是跟第一个月的月租一块交啊？"],
)
def test_plain_lookups_are_not_calculations(question, today):
    assert plan(question, today) is None


@pytest.mark.parametrize(
    ("question", "name"),
    [("合同几号到期", "contract_term"), ("开通超时了能退多少钱", "late_activation_credit")],
)
def test_a_question_without_values_asking_for_the_calculators_figure_asks_for_its_inputs(question, name, today):
    found = plan(question, today)
    assert found is not None and found.name == name and found.missing


def test_date_without_year_uses_the_clock_and_says_so():
    found = plan("3月15日竣工，月租5100，当月收多少", date(2027, 6, 1))
    assert found.inputs["completion_date"] == "2027-03-15"
    assert any("2027年" in a for a in found.assumptions)
    assert "2027年" in answer_text(run(found.name, found.inputs), found)


def test_clarify_asks_for_everything_missing_then_a_reply_completes_it(today):
    first = plan("帮我算一下逾期付款的违约金", today)
    assert first.name == "late_fee" and first.missing == ["owed", "days_overdue"]
    question = clarify_text(first)
    assert "欠费金额" in question and "逾期天数" in question and "主协议第二十九条" in question
    done = plan("5000元，逾期10天", today, pending=first)
    assert done.name == "late_fee" and done.missing == []
    assert run(done.name, done.inputs).result == 150.0


def test_clarify_asks_for_exactly_what_is_missing(today):
    first = plan("欠了5000块，违约金多少", today)
    assert first.missing == ["days_overdue"]
    question = clarify_text(first)
    assert "逾期天数" in question and "欠费金额" not in question
    done = plan("十天", today, pending=first)
    assert done.inputs == {"owed": "5000", "days_overdue": 10}


def test_a_complete_question_of_another_calculator_does_not_half_complete_the_pending_one(today):
    # The bill month would be half of the overdue status's alternative (a month and a payment day): the message
    # asks the bill's due day in full.
    first = plan("我们10月的账单多少天不交会被停云", today)
    assert first.name == "overdue_status" and first.missing
    done = plan("10月的账单最晚几号交", today, pending=first)
    assert done.name == "bill_dates" and not done.missing


@pytest.mark.parametrize(
    ("today_", "name", "known", "reply", "inputs"),
    [
        # a day said without its month, asked for a day: the one nearest today…
        (date(2026, 5, 20), "force_majeure_notice", {}, "１３号", {"occurred_on": "2026-05-13"}),
        (date(2026, 5, 3), "force_majeure_notice", {}, "28号", {"occurred_on": "2026-04-28"}),
        # …or nearest the day the pending calculation already has
        (date(2026, 5, 20), "late_activation_credit", {"accepted_on": "2026-03-16"}, "27号开的",
         {"accepted_on": "2026-03-16", "activated_on": "2026-03-27"}),
    ],
)
def test_a_day_without_its_month_completes_a_pending_day(today_, name, known, reply, inputs):
    waiting = build(name, known, [])
    assert waiting.missing
    done = plan(reply, today_, pending=waiting)
    assert done is not None and done.inputs == inputs and not done.missing


def test_a_bare_number_completes_a_pending_money_input(today):
    first = plan("断网30小时能减免多少", today)
    assert first.missing == ["monthly_fee"]
    done = plan("5100", today, pending=first)
    assert done.inputs == {"monthly_fee": "5100", "outage_hours": 30} and not done.missing


@pytest.mark.parametrize(
    ("question", "name"),
    [
        ("转租被抓了 要赔多少啊", "sublease_penalty"),
        ("我们想提前终止云服务，要付多少违约金？", "early_termination_penalty"),
        # a penalty asked in general words (罚, 要罚, 罚款) is the penalty of what the question names
        ("提前终止沃云 要罚多少钱", "early_termination_penalty"),
        ("客户问：要是私下把专线转租给别的公司被查到，要罚多少钱", "sublease_penalty"),
        ("欠费了 要罚多少", "late_fee"),
    ],
)
def test_a_question_without_values_points_at_the_calculation_it_leads(today, question, name):
    waiting = latent(question, today)
    assert waiting.name == name and waiting.latent and not waiting.inputs and waiting.missing


@pytest.mark.parametrize(
    "question",
    [
        "云专线能暂停吗",  # asks for no figure
        "转租了8个月，月租2100，违约金多少",  # gives its values: a calculation, not a latent one
        "合同里写了转租的违约金吗",  # asks for no figure either
    ],
)
def test_only_a_value_less_question_leading_one_calculator_points_at_it(today, question):
    assert latent(question, today) is None


def test_a_latent_calculation_continues_only_with_a_reply_that_completes_it(today):
    waiting = latent("转租被抓了 要赔多少啊", today)
    done = plan("8个月 2100一个月", today, pending=waiting)
    assert done.name == "sublease_penalty" and done.inputs == {"months_used": 8, "monthly_tariff": "2100"}
    assert run(done.name, done.inputs).result == 16800
    # Nobody asked for the values: a part of them is no reply to it.
    assert plan("8个月", today, pending=waiting) is None


@pytest.mark.parametrize(
    ("question", "asks"),
    [("问超过几次我们会终止合作", True), ("一年里被投诉删好几次会怎么样", False)],
)
def test_how_many_times_asks_for_a_count_and_several_times_does_not(today, question, asks):
    from assistant.calc.selection import understand

    assert understand(question, today).asks is asks


@pytest.mark.parametrize(
    ("question", "calculator"),
    [
        # how long an upgrade takes: the fee difference of the two lines answers nothing asked
        ("專線從100M升級到200M，送出申請之後要多久才會生效？", None),
        ("专线从50M临时升到100M 申请后要几天才能生效", None),
        # an amount asked too, or the hours only said: the calculation stands
        ("从100M升到200M 每个月多交多少钱 多久生效", "line_fee_difference"),
        ("上个月专线断了三十个小时 月租两千一 能减多少", "outage_credit"),
        ("上个月十七号线才弄好 月租五千一 那几天要收多少", "prorated_fee"),
    ],
)
def test_a_question_asking_only_how_long_is_never_an_amount(today, question, calculator):
    p = plan(normalize_query(question), today)
    assert (p.name if p is not None else None) == calculator


@pytest.mark.parametrize(
    ("question", "only_duration"),
    [
        ("申请后要多久才会生效", True),
        ("要几天才能开好", True),
        # a few days said, not asked
        ("想把开通日往后延几天 这样月租还是照收吗", False),
        ("晚几天交行不行", False),
        # an amount asked too, or a rule's period
        ("升到200M多久生效 每月要加多少钱", False),
        ("得提前多长时间跟你们说", False),
        # "交多少" before a unit of time asks a length, not an amount
        ("要是一直拖着不交多少天你们会停", True),
        ("一直拖着不交 要交多少", False),
    ],
)
def test_a_question_asks_only_how_long_when_it_asks_nothing_else(question, only_duration):
    from assistant.calc.selection import asks_only_duration

    assert asks_only_duration(normalize_query(question), vocabulary()) is only_duration


def test_both_bandwidths_of_a_change_are_offered_one_after_the_other(today):
    """Neither bandwidth said: the one changed from is offered first, then the one changed to; the second pick
    completes the difference."""
    from assistant.calc import bandwidth_choices

    first = build("line_fee_difference", {}, [])
    assert first.missing == ["from_mbps", "to_mbps"]
    choices = bandwidth_choices(first, "换带宽每个月差多少？")
    assert [c.label for c in choices] == ["10M", "20M", "50M", "100M", "200M"]
    assert choices[2].question.startswith("换带宽每个月差多少，") and "50M" in choices[2].question
    second = choices[2].plan
    assert second.inputs["from_mbps"] == 50 and second.missing == ["to_mbps"]
    done = bandwidth_choices(second, choices[2].question)[3].plan
    assert done.runnable and run(done.name, done.inputs).result == 4900


def test_a_monthly_fee_a_bandwidth_may_stand_for_is_offered_as_the_bandwidths(today):
    """The first payment takes a monthly fee or a bandwidth: without either, the tariff's bandwidths are offered,
    and a pick completes it with that line's price."""
    from assistant.calc import bandwidth_choices

    first = build("first_payment", {}, [])
    assert first.missing == ["monthly_fee"]
    choices = bandwidth_choices(first, "第一次总共要交多少钱？")
    assert [c.label for c in choices] == ["10M", "20M", "50M", "100M", "200M"]
    done = choices[1].plan
    assert done.runnable and run(done.name, done.inputs).result == 2200


def test_a_new_question_replaces_the_pending_one(today):
    pending = plan("帮我算一下逾期付款的违约金", today)
    found = plan("50兆专线不要云了一年多少钱", today, pending=pending)
    assert found.name == "line_fee" and found.inputs["months"] == 12


def test_a_reply_that_fills_nothing_falls_back_to_a_fresh_plan(today):
    pending = plan("帮我算一下逾期付款的违约金", today)
    assert plan("云专线能暂停吗", today, pending=pending) is None


def test_one_of_inputs_are_asked_for_and_either_completes(today):
    first = plan("提前终止沃云，还剩5个月，违约金多少", today)
    assert first.name == "early_termination_penalty" and first.missing == ["monthly_fee"]
    done = plan("每月5100元", today, pending=first)
    assert done.inputs == {"remaining_months": 5, "monthly_fee": "5100"}
    assert run(done.name, done.inputs).result == 25500.0


def test_defaults_are_said_back(today):
    found = plan("开通超时了3天，能退减多少", today)
    assert any("100 元" in a for a in found.assumptions)


def test_impossible_date_in_a_question_is_a_clear_error(today):
    with pytest.raises(CalcInputError) as exc:
        plan("2月30日受理的，最晚哪天开通", today)
    assert "2月只有28天" in exc.value.message


def test_negative_amount_is_caught_when_run(today):
    found = plan("欠费负五千元，逾期10天，违约金多少", today)
    with pytest.raises(CalcInputError) as exc:
        run(found.name, found.inputs)
    assert exc.value.field == "owed"


def test_absurd_hours_are_refused(today):
    found = plan("这个月断网1000小时，月租5100，能减免多少", today)
    with pytest.raises(CalcInputError) as exc:
        run(found.name, found.inputs)
    assert exc.value.field == "outage_hours"


def test_answer_text_names_clauses_conditions_and_result(today):
    found = plan("欠费五千块，逾期十天，违约金多少", today)
    text = answer_text(run(found.name, found.inputs), found)
    assert "150.00元" in text and "主协议第二十九条" in text and "附件一第4.5条" in text and "48小时" in text


def test_answer_text_for_null_lists_the_bandwidths(today):
    found = plan("30M专线不要云了多少钱一个月", today)
    text = answer_text(run(found.name, found.inputs), found)
    assert "30M" in text and "10M 1100元/月" in text and "200M 18000元/月" in text


def test_answer_text_for_zero_says_why(today):
    found = plan("断了23.5小时 月租5100 能核减吗", today)
    text = answer_text(run(found.name, found.inputs), found)
    assert "未达 24 小时" in text


def test_answer_text_works_without_a_plan():
    text = answer_text(run("takedown_limit", {"events": 5}))
    assert "未超过五次" in text and "附件一第6.3条" in text


def test_question_file_has_enough_rows_and_all_match():
    report = evaluate(QUESTIONS)
    assert len(report.outcomes) >= 30
    misses = [o for o in report.outcomes if not o.ok]
    assert not misses, "\n".join(f"{o.q}: {o.calculator} {o.result} {o.error}" for o in misses)


def test_the_term_starts_on_the_day_billing_starts_not_on_the_signing_day(today):
    # M-44 counts the year from 起租: a signing day said beside it is no start of the term
    found = plan("我司于2026年1月28日与贵司签订了入网协议，线路于2026年2月10日起租。请问协议到什么时候期满？", today)
    assert found is not None and found.name == "contract_term" and found.inputs["start_on"] == "2026-02-10"


@pytest.mark.parametrize(
    ("edit", "error"),
    [
        # A calculator none of whose phrases occur scores 0: a threshold of 0 would choose it.
        (lambda t: re.sub(r"(?m)^threshold = .*$", "threshold = 0", t), "threshold must be > 0, got 0.0"),
        (lambda t: t.replace('"re:够[^，,。？?]{0,6}吗"', '"re:够[吗"', 1), "intent.yes_no: 're:够\\[吗' is not a regular expression"),
        (lambda t: t.replace("verdict = true", 'verdict = "yes"', 1), "verdict must be true or false"),
        (lambda t: t.replace("unlisted = true", 'unlisted = "line_only"', 1), "line_fee.unlisted must be true or false"),
        (lambda t: t.replace('question = "{amount}元是含税价', 'question = "{total}元是含税价', 1), r"vat_split.reading.question may name only \{amount\}"),
        (lambda t: t.replace('gives = "money"', 'gives = "cash"', 1), "gives must be one of"),
        (lambda t: t.replace('hollow = [', 'hollow = ["起", ', 1), "hollow words hold a one-character cue"),
        (lambda t: t.replace('"re:^(?:那|这)?', '"re:^((?:那|这)?', 1), "intent.result_words"),
        (lambda t: t.replace('derived = ["税多少"', 'derived = ["", "税多少"', 1), "vat_split.derived must be a list of non-empty strings"),
        (lambda t: t.replace('"re:(?<!好)几次"', '"re:(几次"', 1), "intent.cues"),
        (lambda t: t.replace('situation = ["逾期"', 'situation = ["", "逾期"', 1), "overdue_status.situation must be a list of non-empty strings"),
        (lambda t: t.replace('asks_period = ["几天内"', 'asks_period = [3, "几天内"', 1), "intent.asks_period must be a list of non-empty strings"),
        (lambda t: t.replace("asks_whether = ['re:[吗嘛]'", "asks_whether = ['re:[吗嘛'", 1), "intent.asks_whether"),
        (lambda t: t.replace('tax = ["税额"', 'tax = ["", "税额"', 1), "result_parts.tax must be a list of non-empty strings"),
        (lambda t: t.replace('third_person = ["re:客户(', 'third_person = ["re:客户((', 1), "perspective.third_person"),
        (lambda t: t.replace('own_case = ["re:(?:', 'own_case = ["re:((?:', 1), "intent.own_case"),
        (lambda t: t.replace('first_person = ["我们"', 'first_person = ["我"', 1), "first_person must hold words of two characters"),
        (lambda t: t.replace('lines_of = "line_fee"', 'lines_of = "late_fee"', 1), "lines_of must name a calculator with input bandwidth_mbps"),
        (lambda t: t.replace('lines_of = "line_fee"', 'lines_of = "line_fees"', 1), "lines_of must name a calculator"),
        # questions are folded to lower case: "2G" is read "2g", so a trigger spelt "G" would never match
        (lambda t: t.replace("(?i)\\\\d+\\\\s*(m|兆|mbps|g)", "\\\\d+\\\\s*(M|兆|Mbps|G)", 1), "upper-case letters never match a folded question"),
        (lambda t: t.replace('vat = 1.0', 'VAT = 1.0', 1), "upper-case letters never match a folded question"),
        (lambda t: t.replace('excluded = ["planned"', 'excluded = ["plan"', 1), r"parts.excluded: \['plan'\] are not \[flags\] lexicons"),
        (lambda t: t.replace('markers = ["这其中"', 'markers = ["", "这其中"', 1), "parts.markers must be a list of non-empty strings"),
        (lambda t: t.replace('"re:(?:违约金|罚金', '"re:((?:违约金|罚金', 1), "intent.asks_money"),
        # a change said as done is found by its pattern: a plain word there would be read as one
        (lambda t: t.replace("state_after = [", 'state_after = ["以后", ', 1), r"intent.state_after: every entry is a 're:' pattern"),
        (lambda t: t.replace("state_after = [\n  're:(?:", "state_after = [\n  're:((?:", 1), "intent.state_after"),
        # plain lists are matched by substring: a pattern there would never match, so it is refused
        (lambda t: t.replace('asks_period = ["几天内"', 'asks_period = ["re:几天内?"', 1), "intent.asks_period is matched as plain words"),
        (lambda t: t.replace('compute = ["', 'compute = ["re:算一?下", "', 1), "intent.compute is matched as plain words"),
        # a subject's phrases are stated once: in [subjects], not again among a calculator's own triggers
        (lambda t: t.replace('subjects = ["transfer"]', 'subjects = ["transfers"]', 1), r"transfer_notice.subjects: no subject 'transfers'"),
        (lambda t: t.replace('"转让" = 2.5, "最早" = 0.5', '"转让" = 2.5, "转给" = 1, "最早" = 0.5', 1),
         r"transfer_notice.triggers: \['转给'\] are stated in \[subjects.transfer\] already"),
        (lambda t: t.replace('beyond = ["损失"]', 'beyond = ["", "损失"]', 1), "outage_credit.beyond must be a list of non-empty strings"),
        # a subject the calculator names only as a hint is scaled down, never up and never away
        (lambda t: t.replace("subjects = { line_only = 0.4 }", "subjects = { line_only = 1.5 }", 1), r"line_fee_total.subjects must be"),
        (lambda t: t.replace("subjects = { line_only = 0.4 }", "subjects = { line_only = 0 }", 1), r"line_fee_total.subjects must be"),
        (lambda t: t.replace("subjects = { line_only = 0.4 }", "subjects = { line_onl = 0.4 }", 1), r"line_fee_total.subjects: no subject 'line_onl'"),
    ],
)
def test_a_bad_vocabulary_is_refused_when_loaded(tmp_path, edit, error):
    bad = tmp_path / "triggers.toml"
    bad.write_text(edit(TRIGGERS_PATH.read_text(encoding="utf-8")), encoding="utf-8")
    assert load(TRIGGERS_PATH).threshold > 0
    with pytest.raises(VocabularyError, match=error):
        load(bad)


def test_a_subject_named_with_a_scale_lends_its_phrases_at_that_share_of_their_weight():
    # [subjects.line_only] states 不要云 at 2.5 and 沃云停 at 2; line_fee_total names the subject at 0.4.
    spec = load(TRIGGERS_PATH).calculators
    assert spec["line_fee"].triggers["不要云"] == 2.5
    assert spec["line_fee_total"].triggers["不要云"] == pytest.approx(1.0)
    assert spec["line_fee_total"].triggers["沃云停"] == pytest.approx(0.8)


@pytest.mark.parametrize(
    ("question", "calculator", "inputs"),
    [
        # Two dates and a yes/no: the calculator that says whether the notice is in time, not the one that
        # computes the earliest end from the notice alone.
        ("我们打算四月一号解约 三月二号寄书面通知 提前二十个工作日够了吧 行不行", "termination_notice_by",
         {"end_on": "2026-04-01", "notice_on": "2026-03-02"}),
        ("十月份账单 我们打算十一月二十号交 可以吧", "payment_overdue", {"bill_month": "2026-10", "paid_on": "2026-11-20"}),
        # "够…吗" asks yes or no whatever stands between ("re:" in [intent].yes_no).
        ("你们说8月1号要转让合同，可通知7月5号才发过来，这够天数吗", "transfer_notice_by",
         {"transfer_on": "2026-08-01", "notice_on": "2026-07-05"}),
        # the transfer's own words (主体变更) name both directions of its notice, so the yes/no decides between them
        ("5月28日收到贵司书面通知，拟于7月1日把协议转让给第三方并签主体变更协议，这个通知时间是否符合约定？", "transfer_notice_by",
         {"transfer_on": "2026-07-01", "notice_on": "2026-05-28"}),
        # "符合…吗" asks whether the notice keeps to the rule
        ("联通说要在10月1日把合约转让给第三方，但通知书9月15日才寄到我们公司，这样符合提前通知的规定吗？", "transfer_notice_by",
         {"transfer_on": "2026-10-01", "notice_on": "2026-09-15"}),
        # … and so does "满足…吗"
        ("联通拟7月1日把合同转让给第三方，书面通知今天6月3日才发出，满足提前期吗？", "transfer_notice_by",
         {"transfer_on": "2026-07-01", "notice_on": "2026-06-03"}),
    ],
)
def test_a_yes_no_question_goes_to_a_calculator_whose_result_is_a_verdict(question, calculator, inputs):
    p = plan(question, date(2026, 11, 30))
    assert p is not None and p.name == calculator
    assert vocabulary().calculators[calculator].verdict
    assert {k: p.inputs[k] for k in inputs} == inputs


def test_the_previous_questions_best_clauses_propose_their_calculators():
    """After a question on force majeure (A1-10.2 first), its calculators are candidates for the next question
    even when no trigger of theirs is in it, with the `previous` feature saying why."""
    from assistant.calc.selection import candidates, understand

    reading = understand("我们打算6月25日发出书面通知，哪天能结束合作？", date(2026, 5, 20))
    alone = {c.name for c in candidates(reading, {"lexical": {"A1-13.1": 1}})}
    after = {c.name: c.features["previous"] for c in candidates(reading, {"lexical": {"A1-13.1": 1}, "previous": {"A1-10.2": 1}})}
    assert "force_majeure_termination" not in alone
    assert after["force_majeure_termination"] == 1.0 and after["earliest_termination"] == 0.0


def test_candidates_are_remembered_per_question_day_and_rankings():
    from assistant.calc.selection import candidates, forget_candidates, model, understand

    reading = understand("欠费5000元逾期10天违约金多少", date(2026, 11, 30))
    first = candidates(reading, {"lexical": {"M-29": 1}})
    again = candidates(reading, {"lexical": {"M-29": 1}})
    assert again == first and again is not first and all(a is b for a, b in zip(again, first))
    # Other rankings are another key; the explicit model is never answered from memory.
    other = candidates(reading, {"lexical": {"M-29": 5}})
    assert other[0] is not first[0]
    assert candidates(reading, {"lexical": {"M-29": 1}}, scorer=model())[0] is not first[0]
    again.clear()  # a caller's list is its own
    forget_candidates()
    fresh = candidates(reading, {"lexical": {"M-29": 1}})
    assert [c.name for c in fresh] == [c.name for c in first] and fresh[0] is not first[0]


@pytest.mark.parametrize(
    ("question", "undecided"),
    [
        ("5000块的税是多少", True),  # tax-inclusive or pre-tax: nothing says
        ("客户问2100元税额多少", True),
        ("客户说他每月付2100，这是含税价，问其中税款多少", False),  # the word after the value decides too
        ("不含税5000 税多少", False),
        ("那這100元裡稅金是多少？", False),  # an amount's tax "inside" it is tax-inclusive
        ("开户费的税是多少", False),  # no value given: the opening fee, tax-inclusive by M-28
    ],
)
def test_a_value_no_word_reads_either_way_is_undecided(question, undecided):
    p = plan(normalize_query(question), date(2026, 6, 10))
    assert p is not None and p.name in ("vat_split", "vat_from_pre_tax")
    assert p.undecided is undecided


def test_an_opposite_must_name_its_calculator_back(tmp_path):
    bad = tmp_path / "triggers.toml"
    text = TRIGGERS_PATH.read_text(encoding="utf-8").replace('opposite = "vat_split"', 'opposite = "line_fee"', 1)
    bad.write_text(text, encoding="utf-8")
    with pytest.raises(VocabularyError, match="opposite"):
        load(bad)


@pytest.mark.parametrize(
    "question",
    ["客户说专线是5月20日停的，最晚哪天交能避免全部服务被终止？", "专线5月20日被暂停了，哪天之前交钱所有服务才不会被终止"],
)
def test_the_day_all_services_end_after_a_suspension_is_asked_in_either_word_order(question, today):
    found = plan(question, today)
    assert found is not None and found.name == "line_termination_date" and found.inputs == {"suspended_on": "2026-05-20"}


def test_the_nearest_example_questions_propose_their_calculator():
    """A calculator no trigger and no clause ranking names becomes a candidate when more of the example questions
    nearest to the question ask for it than for anything else, with the `similar` feature saying how many; when
    more ask for no calculation, it is no candidate."""
    from assistant.calc.selection import candidates, understand

    reading = understand("5000块我们晚了12天才给，得多掏多少", date(2026, 11, 30))
    alone = {c.name: c.features["similar"] for c in candidates(reading, {"lexical": {"A1-13.1": 1}})}
    near = {c.name: c.features["similar"] for c in candidates(reading, {"lexical": {"A1-13.1": 1}, "similar": {"late_fee": 0.6}})}
    outvoted = {c.name for c in candidates(reading, {"lexical": {"A1-13.1": 1}, "similar": {"late_fee": 0.3, "outage_credit": 0.2}})}
    assert "late_fee" not in alone and all(v == 0.0 for v in alone.values())
    assert near["late_fee"] == 0.6 and "late_fee" not in outvoted


def test_example_questions_load_checked(tmp_path):
    from assistant.calc.examples import load_examples, write_examples
    from assistant.retrieval.examples import Example

    path = tmp_path / "examples.toml"
    rows = [Example('5000元逾期10天，"违约金"多少？\n谢谢\\\x08\x7f', "late_fee"), Example("云专线能暂停吗", "")]
    write_examples(rows, path)
    assert list(load_examples(path)) == rows
    path.write_text('[[example]]\nq = "x"\ncalculator = "late_fees"\n', encoding="utf-8")
    with pytest.raises(ValueError, match="'late_fees', not a calculator; known: .*late_fee"):
        load_examples(path)
    path.write_text('[[example]]\nq = " "\n', encoding="utf-8")
    with pytest.raises(ValueError, match="example 0 has no question"):
        load_examples(path)
    path.write_text('[[example]]\nq = "x"\ncalculator = "late_fee"\nout_of_scope = true\n', encoding="utf-8")
    with pytest.raises(ValueError, match="never with a calculator"):
        load_examples(path)
    write_examples([Example("移动宽带多少钱", "", True)], path)
    assert load_examples(path)[0].out_of_scope is True
    write_examples([Example("转租会怎么样", "", False, ("M-11", "A1-6.3"))], path)
    assert load_examples(path)[0].clauses == ("M-11", "A1-6.3")
    for bad in ('clauses = "M-11"', 'clauses = [""]', 'clauses = ["M-11"]\ncalculator = "late_fee"'):
        path.write_text(f'[[example]]\nq = "x"\n{bad}\n', encoding="utf-8")
        with pytest.raises(ValueError, match="example 0: clauses must be a list of clause ids, and only on a lookup"):
            load_examples(path)
    write_examples([Example("合同里那个30天是啥", "", readings=("contract_term", "A1-3.5"))], path)
    assert load_examples(path)[0].readings == ("contract_term", "A1-3.5")
    for bad in ('readings = "M-44"', 'readings = ["M-44"]\nclauses = ["M-44"]', 'readings = ["M-44"]\nout_of_scope = true'):
        path.write_text(f'[[example]]\nq = "x"\n{bad}\n', encoding="utf-8")
        with pytest.raises(ValueError, match="example 0: readings must be a list of calculators or clause ids, and only on a vague"):
            load_examples(path)


def test_the_shipped_examples_load_and_name_calculators():
    from assistant.calc.examples import load_examples

    examples = load_examples()
    assert len({e.label for e in examples if e.label}) >= 20 and any(not e.label for e in examples)


def test_the_shipped_examples_cite_only_clauses_of_the_contract(fake_assistant):
    from assistant.calc.examples import load_examples
    from assistant.calc.registry import REGISTRY

    cited = {c for e in load_examples() for c in e.clauses}
    assert len(cited) >= 50 and cited <= set(fake_assistant.knowledge.corpus.ids)
    readings = {r for e in load_examples() for r in e.readings}
    assert readings and readings <= set(fake_assistant.knowledge.corpus.ids) | set(REGISTRY)


@pytest.mark.parametrize(
    ("question", "own"),
    [
        ("转租被抓了 要赔多少啊", True),
        ("专线断了好久 能减多少钱啊", True),
        ("最晚哪天前得交钱", True),
        ("客户问他们合同什么时候到期", True),
        ("欠费多少天会被停", False),  # a number of days the clause states
        ("沃云是从哪一天开始计费的？", False),  # the rule's day, not a deadline
        ("每个月的账单什么时候能看到", False),
        ("违约金按什么标准计算，要赔多少", False),  # asks the rule and an amount: not only a figure
    ],
)
def test_asks_own_figure(question, own):
    from assistant.calc import asks_own_figure

    assert asks_own_figure(question) is own



@pytest.mark.parametrize(
    ("name", "question", "inputs", "whether"),
    [
        ("outage_credit", "电力公司改造线路，断线一整天，这种情况你们要负责吗", {"outage_hours": 24}, True),
        ("outage_credit", "被黑客打了 断了大半天 你们 赔 不 赔", {}, True),  # A-not-A, spoken with spaces
        ("outage_credit", "请问贵司是否有权因为升级中断服务？", {}, True),  # 是否, as e-mails ask
        ("outage_credit", "断了一整天 这种情况你们要负责的吧？", {"outage_hours": 24}, True),  # a closing 吧 asks to confirm
        ("late_fee", "欠了5000 帮我算一下吧", {"owed": 5000}, False),  # a 吧 after asking to compute asks a figure
        ("outage_credit", "断了30个小时 月租2100 能赔吗", {"outage_hours": 30, "monthly_fee": 2100}, False),  # all given
        ("outage_credit", "断了30个小时 能赔多少吗", {"outage_hours": 30}, False),  # asks a figure too
        ("outage_credit", "断了30个小时 帮我算一下能不能赔", {"outage_hours": 30}, False),  # asks outright to compute
        ("payment_overdue", "3月的账单4月30号交 算逾期吗", {"bill_month": "2026-03"}, False),  # its result is a verdict
        ("late_fee", "欠了5000 晚了十天", {"owed": 5000}, False),  # asks nothing whether
    ],
)
def test_asks_whether_only(name, question, inputs, whether):
    from assistant.calc import asks_whether_only

    assert asks_whether_only(name, question, inputs, date(2026, 6, 1)) is whether


def test_a_question_asking_whether_takes_the_verdict_that_uses_more_of_its_values():
    # Example questions worded alike ask for the earliest transfer day; the question asks whether its notice was in
    # time, which only the verdict on both of its days answers.
    question = "客户收到我们的书面通知，说10月8日要把合同转让给第三方，通知落款是9月15日，客户问这个通知给得够不够提前。"
    got = plan(question, date(2026, 9, 16), ranks={"similar": {"transfer_notice": 1.0}})
    assert (got.name, got.inputs) == ("transfer_notice_by", {"transfer_on": "2026-10-08", "notice_on": "2026-09-15"})


@pytest.mark.parametrize(
    ("question", "name", "clause", "lookup"),
    [
        # which of two ways the rule goes, with no value: the clause answers, though example questions lean to
        # the calculator
        ("请问专线的起租日从哪一天开始算？是施工完成那天，还是双方确认开通的那天？", "billing_start", "M-21", True),
        # asking for the amount as well: its inputs are asked for
        ("开通超时了能退多少钱？按天退还是一次性退？", "late_activation_credit", "M-20", False),
    ],
)
def test_a_question_asking_which_of_two_without_values_is_a_lookup(question, name, clause, lookup):
    got = plan(question, date(2026, 6, 1), ranks={"similar": {name: 1.0}, "lexical": {clause: 1}, "dense": {clause: 1}})
    assert (got is None) is lookup
    assert lookup or (got.name == name and got.missing)
