"""Role assignment, yes/no facts and follow-ups: the mechanisms, each on questions written for the purpose."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from assistant.calc import asks_period, follow_up, is_follow_up, plan, run
from assistant.calc.dialogue import composed, unquoted
from assistant.calc.planner import build
from assistant.calc.mentions import read
from assistant.calc.roles import assign, flag_values, refused
from assistant.calc.selection import candidates, understand
from assistant.calc.vocabulary import trigger_index, vocabulary
from assistant.corpus.normalize import normalize_query

TODAY = date(2026, 6, 1)


def assigned(calculator: str, question: str) -> dict:
    spec = vocabulary().calculators[calculator]
    reading = understand(question, TODAY)
    return {**assign(spec, reading.mentions, TODAY).inputs, **flag_values(spec, reading.flags)}


@pytest.mark.parametrize(
    ("calculator", "question", "expected"),
    [
        # An outage said in weeks is hours (M-36 counts hours); "一个多礼拜" is said roughly: no days late to work
        # out with (they are asked for), and never the one day its 1 would be.
        ("outage_credit", "专线断了一周 月租5100 能赔多少", {"outage_hours": 168, "monthly_fee": "5100"}),
        ("late_activation_credit", "开通拖了一个多礼拜 能赔多少", {"days_late": None}),
        ("late_activation_credit", "开通拖了一个礼拜 能赔多少", {"days_late": 7}),
        # Dates said in the other order still satisfy accepted ≤ activated.
        ("late_activation_credit", "3月12日才开通的，3月2日受理的", {"accepted_on": "2026-03-02", "activated_on": "2026-03-12"}),
        # colloquial words for the line coming up name the activation day
        ("late_activation_credit", "2月12号受理的，3月4号才能开", {"accepted_on": "2026-02-12", "activated_on": "2026-03-04"}),
        ("late_activation_credit", "2月12号受理的，3月4号才给通上", {"accepted_on": "2026-02-12", "activated_on": "2026-03-04"}),
        # A derived input and the facts it comes from exclude each other; the cue decides.
        ("early_termination_penalty", "还剩5个月，每月5100", {"remaining_months": 5, "monthly_fee": "5100"}),
        ("early_termination_penalty", "签了三年，用了14个月，每月5100", {"term_months": 36, "months_used": 14, "monthly_fee": "5100"}),
        ("early_termination_penalty", "订购了为期24个月的沃云服务，月费5100元，目前已使用10个月",
         {"term_months": 24, "months_used": 10, "monthly_fee": "5100"}),
        ("early_termination_penalty", "剩余服务期限6个月，每月3000", {"remaining_months": 6, "monthly_fee": "3000"}),
        # A cue word negated is no cue ("不含税" is not "含税"); one that asks for a quantity labels nothing.
        ("vat_from_pre_tax", "不含税16300，含税多少", {"pre_tax": "16300"}),
        # The nearer word names the value: 含税 stands between 一万 and the 不含税 that is asked for.
        ("vat_split", "就是一万块钱 含税的 不含税是多少 呃 税额也说一下吧", {"amount": "10000"}),
        ("late_fee", "4月的账单6月10号才交，欠5000", {"bill_month": "2026-04", "paid_on": "2026-06-10", "owed": "5000"}),
        # a bill said as "的账" is a bill all the same
        ("late_fee", "三月份的账 五月五号才交上的 欠了23000元", {"bill_month": "2026-03", "paid_on": "2026-05-05", "owed": "23000"}),
        ("line_fee_difference", "100M→10M差多少", {"from_mbps": 100, "to_mbps": 10}),
        # The nearest input word names a value: "合同还剩" is the months remaining, not the term.
        ("early_termination_penalty", "按量计费，合同还剩9个月，每月2700", {"remaining_months": 9, "monthly_fee": "2700"}),
        # "3月 2470": 月 is the unit of the 3 before, not a word naming a monthly fee.
        ("early_termination_penalty", "之前的账单：1月 2350、2月 2180、3月 2470 元，合约还剩 10 个月",
         {"remaining_months": 10, "served_monthly_amounts": ["2350", "2180", "2470"]}),
        ("line_fee_difference", "流量峰值80M左右，想把200M专线降为100M", {"from_mbps": 200, "to_mbps": 100}),
        # a one-character cue inside a word that does not mean it names nothing: 起 in 想起来, 到 in 收到
        ("contract_term", "2026年10月20日才想起来要发通知", {"notice_on": "2026-10-20", "start_on": None}),
        # the same characters standing as cues still name their input
        ("contract_term", "2025年11月5日起，签一年", {"start_on": "2025-11-05"}),
        ("termination_notice_by", "到6月30日解除", {"end_on": "2026-06-30"}),
        # a one-character cue of another input between a named cue and its value ("是") is not nearer to it
        ("first_payment", "月租是3500 首次缴费要跟开户费一块交吧 总共多少钱", {"monthly_fee": "3500", "bandwidth_mbps": None}),
        ("first_payment", "带宽是50M 第一次交多少", {"bandwidth_mbps": 50}),
        # "还剩" between 合同 and the value is the nearer word: the months remaining, not the term
        ("early_termination_penalty", "已经出过四个月的账单，分别是3200元、2800元、3500元和3300元，届时合同还剩 6 个月没到期",
         {"remaining_months": 6, "term_months": None}),
        # the means said between a day and its verb ("晚上通过对公转账付的") leaves the verb naming the day
        ("late_fee", "我们4月的账单6800元是在5月31日晚上通过对公转账付的，有违约金吗", {"paid_on": "2026-05-31", "owed": "6800"}),
        # …and so does a place after a day said in brackets ("今天（6月16日）在贵司营业厅受理了")
        ("activation_deadline", "我司今天（6月16日）在贵司营业厅受理了一条50M云专线。因我们计划6月底举办发布会，贵司最晚应在哪一天开通？",
         {"accepted_on": "2026-06-16"}),
        # a span its word names ("逾期32天") is that input's, though a payment day excludes it: never another's
        ("overdue_status", "我司沃云费用到今天已经逾期 32 天未缴。请问贵司是否已经有权暂停我们的沃云服务？我们会在6月5日前补缴",
         {"days_since_suspension": None}),
        ("overdue_status", "我们1月份有一笔专线费用，现在已经逾期2天了。贵司能不能因为这个暂停我们的专线？",
         {"days_overdue": 2, "days_since_suspension": None}),
        # the day a contract is valid until is its end ("有效期至", "合同到"), not its start…
        ("contract_term", "合同有效期至2027年1月15日，到期不续签，我们打算2026年12月20日寄出通知函",
         {"end_on": "2027-01-15", "notice_on": "2026-12-20", "start_on": None}),
        ("contract_term", "我们的合同到2027年3月1日 不想续了", {"end_on": "2027-03-01", "start_on": None}),
        # …but "至今" reaches up to now
        ("contract_term", "2025年11月5日至今，不想续了", {"end_on": None}),
    ],
)
def test_roles_are_assigned_jointly_by_their_cue_words(calculator, question, expected):
    got = assigned(calculator, question)
    assert {k: got.get(k) for k in expected} == expected


@pytest.mark.parametrize(
    ("question", "role", "named"),
    [("1月28号收到的通知", "end_on", False), ("1月28号到期", "end_on", True), ("1月28号收到的通知", "notice_on", True),
     # "要到X才能寄出": not until that day; the sending names it, no end
     ("书面通知可能要到11月16日才能寄出", "end_on", False), ("书面通知可能要到11月16日才能寄出", "notice_on", True),
     # a day the date is moved to is named by the verb after it
     ("那要是拖到7月10号才发通知呢", "end_on", False), ("那要是拖到7月10号才发通知呢", "notice_on", True),
     ("那如果我们提前到11月18日寄出呢", "end_on", False), ("那如果我们提前到11月18日寄出呢", "notice_on", True)],
)
def test_a_one_character_cue_inside_a_hollow_word_names_nothing(question, role, named):
    from assistant.calc.roles import cue_score

    spec = vocabulary().calculators["termination_notice_by"]
    m = read(question, TODAY).items[0]
    assert (cue_score(spec.role(role), m, spec.other_cues(role), spec.hollow) > 0) is named


@pytest.mark.parametrize(
    ("question", "day"),
    [
        # the event a verb takes as its object names the day, whatever the place between them holds
        ("工程师已于2026年7月25日完成我司大兴仓库（兴华大街88号）光专线的竣工。月租10000元。请问7月当月应收多少？"
         "我们8月份还有两条线路要在8月3日和8月10日开工。", "2026-07-25"),
        ("7月25日在贵司丰台区南四环西路188号营业厅办理了竣工手续，月租10000元，当月收多少？8月3日还有一条开工", "2026-07-25"),
        # a day said with nothing between it and its verb is named as before
        ("7月25日竣工，月租10000元，当月收多少", "2026-07-25"),
    ],
)
def test_the_event_said_later_in_its_clause_names_the_day(question, day):
    assert assigned("prorated_fee", question).get("completion_date") == day


def test_the_weekday_said_with_a_day_and_the_agent_said_with_you_leave_the_verb_naming_it():
    got = assigned("late_activation_credit", "业务在2026年3月2日（周一）由你们朝阳门营业厅受理，结果专线直到3月13日才开通，能退多少")
    assert (got.get("accepted_on"), got.get("activated_on")) == ("2026-03-02", "2026-03-13")


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("不是计划割接，断了30小时", {"planned": False}),
        ("是计划割接，断了30小时", {"planned": True}),
        ("我们没有收到任何检修或割接通知，断了30小时", {"planned": False}),
        # a negator the window would have cut in two still negates ("均不是…的计划割接"), and 不是计划的 says unplanned
        ("累计中断了整整两天，均不是贵司提前通知的计划割接", {"planned": False}),
        ("嗯 不是计划的 断了36个小时", {"planned": False}),
        # … whichever negator it is: the window starting at 有 of 没有 reads the whole 没有
        ("没有收到过贵司发的任何割接通知，断了30小时", {"planned": False}),
        # told in advance by any means (提前发短信通知过) is planned; not told so is not
        ("好像是你们提前发短信通知过的那种升级维护，断了30小时", {"planned": True}),
        ("你们也没提前打电话通知过，断了30小时", {"planned": False}),
        ("我们自己机房的交换机坏了，断了30小时", {"in_operator_network": False}),
        ("客户机房UPS坏了，断了30小时", {"in_operator_network": False}),
        ("故障点实际在我司大楼内部的配线间，断了30小时", {"in_operator_network": False}),
        ("不是我们这边的问题，断了30小时", {"in_operator_network": True}),
        ("是你们联通线路的故障，断了30小时", {"in_operator_network": True}),
        # the operator's own room (你们联通自己机房) is not the customer's (自己机房)
        ("说是你们联通自己机房里设备坏了，断了30小时", {"in_operator_network": True}),
        ("是我们自己机房的设备坏了，断了30小时", {"in_operator_network": False}),
        # A job title is no network of the customer's ("仓储有限公司的网络管理员").
        ("我是某仓储有限公司的网络管理员，专线断了30小时", {"in_operator_network": None}),
        ("我是北京顺迅冷链物流有限公司网络运维主管吴建国，专线断了30小时", {"in_operator_network": None}),
        # Said unrelated after it is named, a side is negated as "不是我们这边的问题" is.
        ("断了30小时，与我方设备无关", {"in_operator_network": True}),
        ("断了30小时，跟我们机房完全没关系", {"in_operator_network": True}),
        ("中断40小时，经核实与客户机房设备无关", {"in_operator_network": True}),  # the rest of the noun in between
        ("断了30小时，跟联通线路没关系，是我们机房停电", {"in_operator_network": False}),
        # An agent speaking of the customer in the third person means the operator by 我们 / 我方.
        ("客户专线本月累计中断30小时，初步判断是我们网络故障", {"in_operator_network": True}),
        ("客户反映断了30小时，故障点在我方机房", {"in_operator_network": True}),
        ("客户说断了30小时，是他们自己机房的交换机坏了", {"in_operator_network": False}),
        # A customer writing to the operator means itself, whatever else it calls a customer.
        ("贵司客户经理您好，我们机房的交换机坏了，断了30小时", {"in_operator_network": False}),
        # A question asked both ways ("是不是", "有没有") negates nothing.
        ("断了30小时 是不是计划割接也照样减免", {"planned": True}),
        ("断了30小时 是不是我们自己机房的问题也算", {"in_operator_network": False}),
        # a maintenance arranged beforehand is planned; said not to be, it is not
        ("断了30小时 是事先排好的维护", {"planned": True}),
        ("断了30小时 那不是事先排好的维护 是你们机房设备坏掉", {"planned": False}),
    ],
)
def test_planned_and_whose_side_are_read_with_their_negation(question, expected):
    got = assigned("outage_credit", question)
    assert {k: got.get(k) for k in expected} == expected


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("并非联通方面的原因，是我们预算删减，剩3个月，每月5200", False),
        ("因为是贵公司（联通）那边机房的问题才要提前终止，剩4个月，月费2800", True),
        # the fault said with words between the party and it
        ("如果是因为贵司的服务原因导致我们不得不终止，剩4个月，月费2800", True),
        ("假如是由于贵司服务方面的原因，剩4个月，月费2800", True),
        ("提前终止是贵司屡次故障造成的，剩4个月，月费2800", True),
        ("请问贵司有什么问题需要我们配合，剩4个月，月费2800", False),
        # the side named with 那边 and the fault with 出 ("联通那边一直出问题")
        ("因为是联通那边一直出问题我们才要提前解约，剩8个月，每月5000", True),
        ("贵司总是出故障，剩4个月，月费2800", True),
        # the fault said as how often it happens (老出问题, 老断网), with both names of the party or none between
        ("是你们联通那边 老出问题 我们才不用的，剩5个月，月费3000", True),
        ("客户说是因为我们这边老断网他们才要退的，剩5个月，月费3000", True),
        ("我们内网老断网，想提前不用了，剩5个月，月费3000", False),
        # the operator as 贵方 (e-mails), and the fault said before the party (责任在贵司一方)
        ("由于贵方机房多次故障导致业务无法开展，我方决定提前终止，剩4个月，月费2800", True),
        ("贵司书面回复已确认责任在贵司一方，剩4个月，月费2800", True),
        ("经核实责任在我方，剩4个月，月费2800", False),
    ],
)
def test_whose_fault_an_early_termination_is(question, expected):
    assert assigned("early_termination_penalty", question).get("operator_at_fault", False) is expected


@pytest.mark.parametrize(
    ("question", "name", "inputs"),
    [
        # the tax asked of the question's own line fee: the VAT split of that fee
        ("沃云停掉后 50M 专线一个月的费用，如果那是含税价，里面的税金占多少？", "vat_split", {"amount": 5100}),
        # a part of the VAT split named (税…多少), where the follow-up path would read the fee restated
        ("停用沃云后，100M专线每个月的专线费里包含的增值税是多少钱？", "vat_split", {"amount": 10000}),
        ("这个月租里头的增值税有多少 我们是50M的 沃云停了", "vat_split", {"amount": 5100}),
        # nothing asked of the fee: no second calculation
        ("沃云停掉后 50M 专线一个月多少钱", None, None),
        # the part named is the fee itself (含税价 = the total): the fee, not its split
        ("沃云停了以后50M专线的含税价是每月多少", None, None),
    ],
)
def test_a_figure_asked_of_the_questions_own_amount_is_calculated_on_it(question, name, inputs):
    again = composed(question, TODAY, plan(question, TODAY))
    assert (again.name, {k: float(v) for k, v in again.inputs.items()}) == (name, inputs) if name else again is None


def followed(first: str, then: str) -> tuple[str, dict] | None:
    """The calculator and inputs (as text) `then` is planned as after `first`, or None."""
    last, last_result = last_of(first)
    again = follow_up(normalize_query(then), TODAY, last, last_result, earlier=[first])
    return None if again is None else (again.name, {k: str(v) for k, v in again.inputs.items()})


def last_of(question: str):
    found = plan(question, TODAY)
    return found, {"result": run(found.name, found.inputs).model_dump(mode="json")["result"], "unit": run(found.name, found.inputs).unit}


@pytest.mark.parametrize(
    ("first", "then", "name", "result"),
    [
        ("欠了5100，逾期12天，违约金多少", "那20天呢", "late_fee", 306.0),
        ("欠了5100，逾期12天，违约金多少", "五千", "late_fee", 180.0),
        ("200M专线不要云了每月多少", "降到100M能省多少", "line_fee_difference", 8000.0),
        ("50M专线不要云了一个月多少", "这个钱里的税是多少", "vat_split", {"tax": 288.68}),
        ("断了30小时，月租5100，能减多少", "如果是计划割接呢", "outage_credit", 0.0),
        # a day corrected with the words of its event (开的: activation), not the other day of the calculation
        ("3月2号受理的专线 结果3.13才开通 能赔多少", "哦等下 是3月12开的", "late_activation_credit", 3.0),
        ("断了30小时，月租5100，能减多少", "要是我们自己设备的问题呢", "outage_credit", 0.0),
        # "开户费" alone would be the VAT of the 100 元 fee on defaults: no complete question of its own
        ("20M专线沃云停了以后一个月多少", "加上开户费 第一次交多少", "first_payment", 2200.0),
        # 竣工 names the first payment's own completion date, not the prorated fee of the month
        ("100M专线第一次要交多少", "那个 如果是七月一号竣工的呢", "first_payment", 10100.0),
        # a verdict asked of a calculation that gives one is about it ("来得及不" after a term's notice date) …
        ("我们是2025年7月15号起租的 合同啥时候到期啊", "不想续了 打算6月10号发书面通知 来得及不", "contract_term",
         {"notice_by": "2026-06-15", "in_time": True}),
        # … and of the rule read the other way round, when the last gives none, is decided by the last day
        ("我们 二月二十五号 发通知 最早 哪天能解除", "那要是想 三月三十一号 解除 最晚哪天通知 二十五号 来得及吗",
         "termination_notice_by", {"latest": "2026-03-03", "in_time": True}),
        ("我们6月19日收到贵司转让的书面通知，最早哪天可以转", "通知里写的转让日期是7月10日，这符合通知期限吗",
         "transfer_notice_by", {"latest": "2026-06-10", "in_time": False}),
        # the 到 of a day moved to (提前到) is no end: the verb after it names the day
        ("我们希望在12月18日解除合同，最晚哪天要书面通知", "那如果我们提前到11月18日寄出呢",
         "termination_notice_by", {"latest": "2026-11-20", "in_time": True}),
        # … and of one that gives none names one that does ("算逾期" after a late fee)
        ("3月的账单欠6000元，如果拖到5月18日才交，违约金多少", "那5月18日交算逾期几天", "payment_overdue", {"days_overdue": 18}),
        # the opening fee named beside its amount is no monthly fee: the last amount is
        ("50M专线月租5100元，按6%拆分税额多少", "如果把100元开户费一起算，首月一共交多少？", "first_payment", 5200.0),
        # one value turned into another changes the input to the second
        ("如果是10M，9月25日竣工，第一次总共要缴多少？", "10M改成100M呢？", "first_payment", 2100.0),
        # a complete question for the last calculator re-runs it, not a related one on its words (按天)
        ("计划新办理一条20M云专线，开户时第一次需要交多少钱？", "如果这条50M线路在1月20日竣工，首月按天计费，第一次一共要交多少？",
         "first_payment", 2074.19),
        # the day the last calculation found is the input it names: the billing start is the term's start
        ("6月5日开通的 一直没确认 哪天起租", "起租以后合同到哪天", "contract_term", {"end": "2027-06-15"}),
        # an intent cue that is another calculator's own strong trigger (到期 of the term) names that calculator
        ("6月5日开通的 一直没确认 哪天起租", "那按这个起租日 合同啥时候到期", "contract_term", {"end": "2027-06-15"}),
        ("6月5日开通的 一直没确认 哪天起租", "那从这天起租的话 合约到哪一天", "contract_term", {"end": "2027-06-15"}),
        # the day a contract ends asked apart from its name ("合同…算一年是吧 那到哪天结束") is its term's end
        ("6月5日开通的 一直没确认 哪天起租", "那 合同是从起租那天算一年是吧 那 到哪天结束", "contract_term", {"end": "2027-06-15"}),
        # a question whose own best reading is the last calculator, with none of its values, asks it again
        ("我们是2025年8月11号起租的 合同到哪天", "不续约的话最晚哪天要书面通知", "contract_term", {"notice_by": "2026-07-12"}),
        # a first payment charges its first month by the day: "按天" with a completion date changes it
        ("20M专线 第一次总共交多少", "哦对 线是9月16号竣工的 按天算的话呢", "first_payment", 1150.0),
        # more hours of outage said as such add to the month's; a total said as such is the total
        ("昨天专线断了十个小时 能赔吗 月租2100", "今天又断了20个小时 这个月加起来呢", "outage_credit", 86.3),
        ("加起来断了18个小时，月租1100", "客户又说昨天晚上又断了8小时，这个月累计26小时了", "outage_credit", 39.17),
        # a day said without its month moves the last date within its month; "不是 X 是 Y号" the date whose day was X
        ("7月30号用的云主机流量算哪个月的账单", "那31号呢", "bill_month_of", {"bill_month": "2026-08"}),
        ("9月7号受理的 拖到9月21号才开通 能赔多少", "呃 不是 二十一 是 二十八号 开 的", "late_activation_credit", 14.0),
        # …and the date whose day was said, then called wrong ("十六号 不对")
        ("9月7号受理的 拖到9月16号才开通 能赔多少", "十六号 不对 我说错了 是二十号", "late_activation_credit", 6.0),
        # …and a whole date said only to be taken back ("不是今天") goes with the day that replaces it
        ("月租3000 今天竣工 首次缴费多少", "呃 不对 不是今天 是 十一号 竣工的", "first_payment", 2100.0),
        # a reply quoting the answer it follows gives the quoted values again, not as new inputs
        ("2026年1月的账单6360元 3月9日才交 违约金多少", "谢谢您的回复（“逾期9天，违约金171.72元”）。可以提前到3月4日支付，这样违约金是多少？",
         "late_fee", 76.32),
        # naming what an input's default is asks about the default, not about the last result
        ("20M专线 第一次要交多少", "开户费里面税多少", "vat_split", {"total": 100.0, "tax": 5.66}),
        ("20M专线 第一次要交多少", "这笔钱里面税多少", "vat_split", {"total": 2200.0}),
        # "首月按天" is how a first payment with its completion day charges the first month, not another calculation
        ("20M专线 第一次总共交多少", "要是2月10号竣工 首月按天算呢", "first_payment", 1525.0),
        # the term and the months used given instead of the months remaining replace them
        ("客户要提前终止沃云，合同还剩5个月，月费3800，违约金多少", "客户纠正：合同一共12个月，已经用了9个月",
         "early_termination_penalty", 11400.0),
        # a bandwidth the last difference already has changes nothing of it: the fee at that bandwidth is asked
        ("专线从200M降到50M，一年能省多少", "降到50M以后每月专线费是多少", "line_fee", 5100.0),
        # a bare count denied is the months corrected, never the monthly fee
        ("合同还没到期 提前不用了 还剩七个月 每个月两千一 违约金多少", "呃 不是七个 是 九个月", "early_termination_penalty", 18900.0),
        # words saying what the line will be once changed name no change again: the line's own fee is asked
        ("100M降到20M 每个月能省多少", "降到50M以后一年要交多少", "line_fee", 61200.0),
        ("50M专线升级到200M 每个月多交多少", "升级为200M以后，每个月的专线费用总共是多少？", "line_fee", 18000.0),
        # months said with a word another calculator shares (还剩), asked in the last one's words (多付), re-run it
        ("50M专线升级到200M 每个月多交多少", "我们的合同还剩9个月，按9个月计算的话，总共要多付多少？",
         "line_fee_difference", 116100.0),
        # "每月" names the default of a line fee's months: not the months of the last calculation
        ("转租了，用了9个月，标准资费每月5100，违约金多少", "再请教一个问题：另一条100M专线沃云已停用，单独使用的话每月多少钱？", "line_fee", 10000.0),
        # asking only for the day the last calculation gives is asking for its result again
        ("我们网站的备案信息3月2日有变更，要在几天内跟你们报备？", "那最晚是哪一天？", "filing_update_deadline", "2026-03-09"),
        # a bare number corrected is the amount said before, never a bandwidth of thousands of megabits
        ("第一次要交多少钱 月租三千五", "哦 不对 是 四千二", "first_payment", 4300.0),
        # a line compared with ("比20M的…贵多少") is the other end of a difference, not a new line fee
        ("沃云停了以后50M专线一整年多少钱", "比20M的一年贵多少", "line_fee_difference", 36000.0),
        # the facts the days overdue are derived from, said in full, replace the days said before
        ("欠了6800，晚了9天，违约金多少", "客户又说搞错了，其实是5月份的账单，今天交，那还要罚吗", "late_fee", 0.0),
        ("欠了6800，晚了9天，违约金多少", "搞错了 是4月的账单 今天才交", "late_fee", 20.4),
    ],
)
def test_follow_ups_rerun_or_relate_the_last_calculation(first, then, name, result):
    last, last_result = last_of(first)
    again = follow_up(then, TODAY, last, last_result)
    assert again is not None and again.name == name
    got = run(again.name, again.inputs).model_dump(mode="json")["result"]
    assert (got == result) if not isinstance(result, dict) else all(got[k] == v for k, v in result.items())


@pytest.mark.parametrize(
    ("then", "lines"),
    [
        ("客户更正：是4条20M", {20: 4, 100: 1}),
        ("把100M那条换成50M", {20: 3, 50: 1}),
        # a line said to be really another bandwidth, or really another count (其实 / 实际上)
        ("客户又说100M那条其实是200M", {20: 3, 200: 1}),
        ("100M的其实是3条", {20: 3, 100: 3}),
        ("不对，是4条20M，外加1条10M", {20: 4, 10: 1}),
        # "是X 不是Y" corrects too, and the count it names replaces the one taken back.
        ("一百兆的是两条 不是一条", {20: 3, 100: 2}),
        # lines said as added join those the calculation had
        ("再加1条200M呢", {20: 3, 100: 1, 200: 1}),
        ("那再加两条20M", {20: 5, 100: 1}),
    ],
)
def test_a_correction_edits_the_lines_of_the_last_calculation(then, lines):
    last, last_result = last_of("3条20M加1条100M，不要云每月一共多少钱")
    again = follow_up(then, TODAY, last, last_result)
    assert again is not None and again.name == "line_fee_total"
    assert {e["bandwidth_mbps"]: e["count"] for e in again.inputs["lines"]} == lines


@pytest.mark.parametrize(
    ("first", "then", "lines", "months"),
    [
        # a count of lines alone is that many of the last line's bandwidth
        ("100M专线 云不用了 单独一个月多少", "两条 呢", {100: 2}, 1),
        ("客户是50M的，停云以后一个月多少", "客户说他们有两条", {50: 2}, 1),
        ("50M专线不要云 半年多少钱", "那三条呢", {50: 3}, 6),
        # lines said as added join the last one, and months the message says replace its months
        ("100M专线 云不用了 单独一个月多少", "再 加 一条 十兆 的 嗯 一年 一共 多少", {100: 1, 10: 1}, 12),
        ("20M的专线停了沃云每月多少", "再加两条20M呢", {20: 3}, 1),
    ],
)
def test_a_count_of_lines_after_one_line_totals_the_lines(first, then, lines, months):
    last, last_result = last_of(first)
    assert last.name == "line_fee"
    again = follow_up(normalize_query(then), TODAY, last, last_result)
    assert again is not None and again.name == "line_fee_total"
    assert {e["bandwidth_mbps"]: e["count"] for e in again.inputs["lines"]} == lines
    assert again.inputs.get("months", 1) == months


@pytest.mark.parametrize("then", ["那200M呢", "中断了两次呢", "两条20M和一条100M分别是哪条条款"])
def test_a_message_without_a_count_of_lines_alone_is_no_total_of_the_last_line(then):
    last, last_result = last_of("100M专线 云不用了 单独一个月多少")
    again = follow_up(normalize_query(then), TODAY, last, last_result)
    assert again is None or again.name != "line_fee_total" or {e["bandwidth_mbps"] for e in again.inputs["lines"]} != {100}


@pytest.mark.parametrize(
    ("first", "then", "end", "notice"),
    [
        ("我们拟于4月30日解除协议，最晚哪天要书面通知", "我们计划3月25日发出通知，时间来得及吧？", "2026-04-30", "2026-03-25"),
        # "发得出去": 发 names the notice date of every notice calculator, not the end date already known
        ("因为不可抗力影响超过一个月，我们想在6月30日终止合约，最晚哪天要发书面通知？", "我們6月20日才發得出去，來得及嗎？",
         "2026-06-30", "2026-06-20"),
    ],
)
def test_a_notice_date_said_after_a_latest_notice_date_is_the_notice_date(first, then, end, notice):
    last, last_result = last_of(first)
    again = follow_up(normalize_query(then), TODAY, last, last_result)
    assert again is not None and again.name == last.name
    assert str(again.inputs["end_on"]) == end and str(again.inputs["notice_on"]) == notice


def test_a_message_only_stating_a_notice_day_adds_it_to_the_latest_notice_day():
    # Alone, "他们今天就发" is complete for another calculator (a force-majeure end after a notice today, when
    # retrieval puts A1-10.2 first), but it asks for none of its figures: the notice day is the last calculation's.
    day = date(2026, 11, 16)
    last = plan("客户要在12月18日解除合同，问最晚哪天书面通知", day)
    then = normalize_query("他们今天就发")
    ranks = {"lexical": {"A1-10.2": 1, "A1-13.1": 2}}
    assert plan(then, day, ranks=ranks).name == "force_majeure_termination"
    again = follow_up(then, day, last, {"result": run(last.name, last.inputs).model_dump(mode="json")["result"]}, ranks)
    assert again is not None and again.name == last.name
    assert again.inputs == {"end_on": "2026-12-18", "notice_on": "2026-11-16"}


@pytest.mark.parametrize(
    ("waiting", "reply", "name", "inputs"),
    [
        # asked for the notice date of a force-majeure termination, the person gives the day they want to end
        ("force_majeure_termination", "我们想在11月30日终止，最晚哪天要发通知？", "force_majeure_termination_notice_by",
         {"end_on": "2026-11-30"}),
        ("transfer_notice", "我们打算12月10日转给新公司，最晚哪天通知", "transfer_notice_by", {"transfer_on": "2026-12-10"}),
        ("transfer_notice_by", "我们11月5日书面通知的，最早哪天能转", "transfer_notice", {"notice_on": "2026-11-05"}),
        # a value the waiting calculation's own words name completes it
        ("force_majeure_termination", "我们10月20日书面通知的", "force_majeure_termination", {"notice_on": "2026-10-20"}),
        # a complete question whose day its own cue words name, not the day the waiting calculation lacks
        ("contract_term", "我们要是下个月十五号发书面通知解除合同 最早哪天能解", "earliest_termination", {"notice_on": "2026-07-15"}),
    ],
)
def test_a_reply_naming_the_other_direction_of_the_same_rule_computes_that(waiting, reply, name, inputs):
    got = plan(normalize_query(reply), TODAY, pending=build(waiting, {}))
    assert got is not None and got.name == name
    assert {k: str(got.inputs.get(k)) for k in inputs} == inputs


@pytest.mark.parametrize(
    ("then", "events", "over"),
    [("要是再来一次呢", 6, True), ("又被删了两次", 7, True), ("那是3次呢", 3, False)],
)
def test_a_count_said_as_more_adds_to_the_last_one(then, events, over):
    last, last_result = last_of("今年已经被删了5次了，会被终止合作吗")
    assert last.name == "takedown_limit" and last.inputs["events"] == 5
    again = follow_up(normalize_query(then), TODAY, last, last_result)
    assert again is not None and again.inputs["events"] == events
    assert run(again.name, again.inputs).result is over


@pytest.mark.parametrize(
    ("then", "name", "notice"),
    [
        # asking for the latest day asks for no verdict: the last notice date is not carried
        ("如果我们希望在11月30日提前终止沃云服务，最晚应在哪天之前提交申请？", "early_termination_notice", None),
        # a bare "…呢" asks the last question again, verdict included
        ("如果只是提前终止沃云服务呢？", "early_termination_notice", "2026-09-01"),
    ],
)
def test_a_notice_date_is_carried_only_to_a_question_asking_its_verdict(then, name, notice):
    last, last_result = last_of("我们想在2026年11月30日解除协议，9月1日发通知来得及吗")
    again = follow_up(normalize_query(then), TODAY, last, last_result)
    assert again is not None and again.name == name
    assert (str(again.inputs["notice_on"]) if "notice_on" in again.inputs else None) == notice


def test_a_follow_up_naming_the_other_direction_of_the_last_rule_computes_that():
    last, last_result = last_of("不可抗力超过一个月了，我们10月20日书面通知，哪天终止")
    again = follow_up(normalize_query("那要是我们想在12月31日终止呢，最晚哪天通知"), TODAY, last, last_result)
    assert again is not None and again.name == "force_majeure_termination_notice_by"
    assert str(again.inputs["end_on"]) == "2026-12-31"


@pytest.mark.parametrize(
    ("then", "name", "inputs"),
    [
        # the day is cued as a notice by the other calculation's words, not as the event's day
        ("如果一直修不好，我们打算7月5日寄书面通知终止合同，最早哪天可以终止？", "force_majeure_termination",
         {"notice_on": "2026-07-05", "started_on": "2026-05-20"}),
        # a day said with the event's own cue word changes the last calculation
        ("说错了，是5月22日发生的", "force_majeure_notice", {"occurred_on": "2026-05-22"}),
    ],
)
def test_a_day_cued_for_another_named_calculation_moves_to_it(then, name, inputs):
    last, last_result = last_of("5月20日机房遇到暴雨淹水，属于不可抗力，最晚哪天要通知你们")
    again = follow_up(normalize_query(then), TODAY, last, last_result)
    assert again is not None and again.name == name
    assert {k: str(v) for k, v in again.inputs.items()} == inputs


@pytest.mark.parametrize(
    ("first", "then", "name", "result"),
    [
        # values named as strongly by both directions go the way the message's own direction word asks
        ("想在3月31号解约 最晚哪天通知你们", "那2月27号通知的话 最早哪天就能解除", "earliest_termination", "2026-03-26"),
        ("要是你们7月1号把合同转给别家 最晚哪天得书面通知我们", "那他们要是6月10号才书面通知我们 最早哪天能转",
         "transfer_notice", "2026-07-10"),
        # 最快 asks for the earliest day as 最早 does
        ("要是你们7月1号把合同转给别家 最晚哪天得书面通知我们", "那照6月10号通知来算 最快哪天才可以转",
         "transfer_notice", "2026-07-10"),
        # a verdict asked of a calculation that gives one stays with it
        ("想在3月31号解约 最晚哪天通知你们", "如果我们在2月26日寄出书面通知，是否来得及？", "termination_notice_by",
         {"latest": "2026-03-03", "in_time": True}),
    ],
)
def test_a_follow_up_asking_the_other_direction_in_its_words_turns_the_rule_round(first, then, name, result):
    last, last_result = last_of(first)
    again = follow_up(normalize_query(then), TODAY, last, last_result)
    assert again is not None and again.name == name
    got = run(again.name, again.inputs).model_dump(mode="json")["result"]
    assert (got if not isinstance(result, dict) else {k: got[k] for k in result}) == result


@pytest.mark.parametrize(
    ("first", "then", "name", "result"),
    [
        # the line's monthly fee its bandwidth gives (M-23), not the last result: a first payment's total, a year
        ("我们50M的专线 5月20号竣工 第一次要交多少", "要是6月18号才竣工呢 竣工当月按天收多少", "prorated_fee", 2210.0),
        # …while the first month (第一个月, as 首月) of a first payment is still its first payment, pro-rated
        ("我们50M的专线 5月20号竣工 第一次要交多少", "要是6月18号才竣工呢 第一个月不是不满嘛", "first_payment", 2310.0),
        ("100M专线停了沃云一年多少钱", "那要是断了48小时能减多少", "outage_credit", 657.54),
        # a part of the last result named (CalcSpec.parts): a first payment's first month by the day
        ("我们50M的专线 5月20号竣工 第一次要交多少", "那这里面首月月租单独是多少", "prorated_fee", 1974.19),
        ("月租3000 6月11号竣工 首次缴费多少", "其中按天计收的专线费（不含开户费）是多少", "prorated_fee", 2000.0),
        ("月租3000 6月11号竣工 首次缴费多少", "那这个月光专线本身是多少", "prorated_fee", 2000.0),
        # the months after a first payment: the line's fee for a month
        ("我们50M的专线 5月20号竣工 第一次要交多少", "那6月以后每个月要付多少", "line_fee", 5100.0),
        ("20M专线 第一次交多少", "之后每月呢", "line_fee", 2100.0),
    ],
)
def test_a_related_calculation_or_a_part_works_on_the_last_facts(first, then, name, result):
    last, last_result = last_of(first)
    again = follow_up(normalize_query(then), TODAY, last, last_result)
    assert again is not None and again.name == name
    assert run(again.name, again.inputs).model_dump(mode="json")["result"] == result


def test_a_part_of_another_kind_than_the_one_asked_is_not_meant():
    last, last_result = last_of("我们50M的专线 5月20号竣工 第一次要交多少")
    again = follow_up(normalize_query("之后每个月的账单最晚什么时候要缴清"), TODAY, last, last_result)
    assert again is None or again.name != "line_fee"


@pytest.mark.parametrize(
    ("then", "paid_at"),
    [("哦 说错了 是上午九点半交的", "2026-05-08T09:30"), ("其实是晚上8点交的", "2026-05-08T20:00"),
     # an hour said without 上午/下午 keeps the afternoon of the 下午3点 it corrects
     ("哦 说错了 是四点", "2026-05-08T16:00"), ("不对 不是三点 是五点半", "2026-05-08T17:30"),
     # …but one said with its part of the day is meant as said
     ("说错了 是凌晨两点", "2026-05-08T02:00"), ("哦 是半夜一点交的", "2026-05-08T01:00")],
)
def test_a_clock_time_said_alone_sets_the_time_of_day_of_the_last_date_time(then, paid_at):
    last, last_result = last_of("5月8日下午3点把欠费交了 什么时候能恢复")
    again = follow_up(normalize_query(then), TODAY, last, last_result)
    assert again is not None and again.name == "service_restore_deadline"
    assert str(again.inputs["paid_at"]).startswith(paid_at)


@pytest.mark.parametrize(
    ("then", "paid_at"),
    [("哦 说错了 是5月7号交的", "2026-05-07T15:00"), ("记错了，是前天，时间没变", f"{TODAY - timedelta(days=2)}T15:00"),
     # a day said with its own clock time takes that time
     ("是5月7号上午10点交的", "2026-05-07T10:00")],
)
def test_a_day_said_alone_keeps_the_time_of_day_of_the_last_date_time(then, paid_at):
    last, last_result = last_of("5月8日下午3点把欠费交了 什么时候能恢复")
    again = follow_up(normalize_query(then), TODAY, last, last_result)
    assert again is not None and again.name == "service_restore_deadline"
    assert str(again.inputs["paid_at"]).startswith(paid_at)


def test_a_message_asking_for_a_rule_is_no_related_calculation():
    last, last_result = last_of("50M专线第一次要交多少")
    assert follow_up("最后一个问题：开票金额以什么为准？", TODAY, last, last_result) is None


@pytest.mark.parametrize(("first", "then"), [
    ("客户今天上午9点把欠费和违约金都补交了，问最晚什么时候恢复服务", "客户问恢复以后什么时候开始重新计费"),
    ("昨天晚上22:40交清的欠费和违约金 最晚啥时候恢复", "恢复以后从啥时候开始重新收费"),
    ("断了30个小时 月租2100 能减多少", "那这个损失你们赔不赔"),
])
def test_a_follow_up_on_what_the_last_result_never_covers_asks_the_rule(first, then):
    """When billing starts again, or the losses an outage caused, are no part of the restore deadline or the credit
    just given: the clause answers, as it would the question alone."""
    last, last_result = last_of(first)
    assert follow_up(then, TODAY, last, last_result) is None


@pytest.mark.parametrize(
    ("then", "name", "result"),
    [
        # a day asked of a refund's facts: the deadline its acceptance date gives
        ("按规定最晚应该哪天开通", "activation_deadline", "2026-02-13"),
        # an amount asked again is the refund itself, not another calculation
        ("那退多少", "late_activation_credit", None),
    ],
)
def test_a_figure_of_another_kind_asked_of_the_last_facts_is_the_calculator_giving_it(then, name, result):
    last, last_result = last_of("2月6日受理的，今天3月3日才开通，是你们的原因，能退多少")
    again = follow_up(normalize_query(then), TODAY, last, last_result)
    assert again is not None and again.name == name
    if result is not None:
        assert run(again.name, again.inputs).model_dump(mode="json")["result"] == result


@pytest.mark.parametrize(
    ("then", "hours", "planned"),
    [
        ("客户补充：其中有一天是我们提前通知过的计划割接。", 48, False),
        ("经复查，其中有20小时是我们自己机房断电造成的，其余是光缆故障，请重新核算", 52, False),
        # said of the whole outage, not of a part of it
        ("客户补充：这次是提前通知过的计划割接。", 72, True),
    ],
)
def test_a_part_that_does_not_count_is_taken_off_the_last_outage(then, hours, planned):
    last, last_result = last_of("50M线路本月断了3天，月租5100，能核减多少？")
    again = follow_up(normalize_query(then), TODAY, last, last_result)
    assert again is not None and again.name == "outage_credit"
    assert again.inputs["outage_hours"] == hours and bool(again.inputs.get("planned")) is planned


@pytest.mark.parametrize(("then", "related"), [("那 开户费 含 税 吗", False), ("那开户费里面的税是多少", True)])
def test_asking_whether_of_a_related_calculators_default_is_no_calculation(then, related):
    """Whether the 100 元 fee includes tax is what its clause says; its tax is a figure the VAT split gives."""
    last, last_result = last_of("100M专线第一次要交多少")
    again = follow_up(normalize_query(then), TODAY, last, last_result)
    assert (again is not None and again.name == "vat_split") is related


def test_a_new_complete_question_starts_fresh():
    last, last_result = last_of("欠了5100，逾期12天，违约金多少")
    assert follow_up("3月2日受理的，最晚哪天开通", TODAY, last, last_result) is None


@pytest.mark.parametrize(
    ("calculator", "question", "taken", "refused_values"),
    [
        ("vat_split", "预算是按不含税25500做的，问含税要付多少", {}, 1),
        ("vat_split", "税前1999元加完增值税的总价", {}, 1),
        ("vat_split", "一千一 含税价 帮我拆一下 不含税多少", {"amount": "1100"}, 0),
        # a never-word asked about, its 多少 cut short by the window after the value, still asks
        ("vat_split", "账单上含税是一万八那个不含税是多少", {"amount": "18000"}, 0),
        ("vat_from_pre_tax", "发票上含税2120元，不含税多少", {}, 1),
        ("vat_from_pre_tax", "不含税16300，含税多少", {"pre_tax": "16300"}, 0),
        ("vat_split", "未税金额1234.5元，加上6%增值税以后总额是多少", {}, 1),
        # … with 的 between the never-word and the noun it qualifies
        ("vat_split", "我们这个不含税的金额是两万三 要交的增值税是多少", {}, 1),
        # … or a plain word for an amount, which is no cue of the calculator's
        ("vat_split", "这笔不含税的费用是一万五 增值税要交多少", {}, 1),
        # a never-word asked for beside another part ("拆成不含税跟税额各是多少") states nothing of the value
        ("vat_split", "含税金额21200 拆成不含税跟税额各是多少", {"amount": "21200"}, 0),
        # a number stated as the monthly fee is never a bandwidth ("月租是一万" is not a 10000M line)
        ("line_fee", "嗯 用了 八个月 呃 月租 是 一万", {"months": "8"}, 1),
    ],
)
def test_a_value_stated_as_something_else_is_never_that_input(calculator, question, taken, refused_values):
    spec = vocabulary().calculators[calculator]
    mentions = read(question, TODAY)
    assert {k: str(v) for k, v in assign(spec, mentions, TODAY).inputs.items()} == taken
    assert refused(spec, mentions) == refused_values


@pytest.mark.parametrize(
    ("question", "named", "unnamed"),
    [
        ("不含税的报价是25500，问含税多少", "vat_from_pre_tax", "vat_split"),
        ("含税的发票总额是2333.33元，拆成未税与税额", "vat_split", "vat_from_pre_tax"),
    ],
)
def test_a_value_another_calculators_input_words_name_counts_against_a_candidate(question, named, unnamed):
    found = {c.name: c for c in candidates(understand(question, TODAY))}
    assert found[named].features["cue_deficit"] == 0
    assert found[unnamed].features["cue_deficit"] >= 1.0


@pytest.mark.parametrize(
    ("text", "phrase", "found"),
    [("不含税25500", "含税", False), ("不含税25500", "不含税", True), ("不含税价，含税多少", "含税", True), ("未逾期", "逾期", False)],
)
def test_a_trigger_phrase_negated_by_the_character_before_it_is_not_found(text, phrase, found):
    assert (phrase in trigger_index().found(text)) is found


@pytest.mark.parametrize(
    ("text", "phrase", "found"),
    [
        ("就合同期内想解约那种 不是到期不续", "到期", False),
        ("就合同期内想解约那种 不是到期不续", "解约", True),
        ("并非转租，只是借给关联公司", "转租", False),
        # a plain 是 after the denier starts a new statement
        ("不是我们的问题，是专线中断了", "中断", True),
        ("不是计划割接 是你们线路中断", "中断", True),
        # asked both ways, nothing is denied
        ("我们那个专线费晚交了 是不是要罚钱", "要罚", True),
    ],
)
def test_a_trigger_phrase_the_question_denies_is_not_found(text, phrase, found):
    assert (phrase in trigger_index().found(text)) is found


@pytest.mark.parametrize(
    ("text", "settled"),
    [
        ("降到50M以后一年要交多少", {"降到", "降"}),
        ("升级为200M之后每个月多少", {"升级", "升"}),
        ("降完以后每月合计多少", {"降"}),
        # the change itself asked: its words still name it
        ("从100M降到50M每月能省多少", set()),
        ("升到200M以后每月多交多少", {"升到", "升"}),
    ],
)
def test_a_change_said_as_done_names_no_change(text, settled):
    reading = understand(text, TODAY)
    assert reading.settled == settled and settled <= reading.phrases


@pytest.mark.parametrize("then", ["那最晚是哪一天？", "那最早哪天呢", "具体是几号"])
def test_a_follow_up_that_only_asks_for_the_date_names_no_other_calculator(then):
    """"那最晚是哪一天" after a filing-change deadline asks about that deadline: 最晚 / 哪天 are question words,
    not the notice calculators' triggers."""
    last, last_result = last_of("网站备案信息3月2日变更了，几号前要报给你们")
    assert last.name == "filing_update_deadline"
    again = follow_up(then, TODAY, last, last_result)
    assert again is None or again.name == "filing_update_deadline"


@pytest.mark.parametrize("then", ["那我们自己设备出问题 谁来管", "客户问内部网络出问题联通管不管"])
def test_a_follow_up_restating_a_condition_the_last_calculation_has_is_no_rerun(then):
    """After a credit already computed for a fault on the customer's side, naming that side again changes nothing:
    the message asks something else about it (a rule), not the same calculation."""
    last, last_result = last_of("断了30个小时 月租2100 是我们自己机房交换机坏了")
    assert last.name == "outage_credit" and last.inputs["in_operator_network"] is False
    assert follow_up(then, TODAY, last, last_result) is None


def test_a_follow_up_changing_a_condition_reruns_the_last_calculation():
    last, last_result = last_of("断了30个小时 月租2100")
    again = follow_up("后来查出来是我们自己交换机坏了 还赔吗", TODAY, last, last_result)
    assert again is not None and again.name == "outage_credit" and again.inputs["in_operator_network"] is False


def test_an_exclusive_input_yields_to_its_strongest_rival_not_its_last():
    """With two rivals naming one value, the stronger cue decides whichever rival is listed last."""
    from assistant.calc.roles import _Option, _strongest_of_exclusive

    spec = vocabulary().calculators["early_termination_penalty"]
    assert {frozenset({"remaining_months", "term_months"}), frozenset({"remaining_months", "months_used"})} <= set(spec.exclusive)
    mine = _Option(index=0, value=9, note=None, score=1.0, cued=True, cue=1.2)
    for strong_first in (True, False):
        rivals = {"term_months": [_Option(0, 9, None, 1.0, True, 1.5)], "months_used": [_Option(0, 9, None, 1.0, True, 0.5)]}
        order = ["term_months", "months_used"] if strong_first else ["months_used", "term_months"]
        options = {"remaining_months": [mine], **{k: rivals[k] for k in order}}
        assert _strongest_of_exclusive(spec, options)["remaining_months"] == []


@pytest.mark.parametrize(
    ("message", "amounts", "remaining"),
    [
        ("不对 第三个月是3200", ["2000", "2400", "3200"], 9),
        ("第一个月的账单其实是1800", ["1800", "2400", "2600"], 9),
        # "最后一个月" names a place in the series, not one remaining month
        ("最后一个月其实是3000", ["2000", "2400", "3000"], 9),
        ("第五个月是3000", None, 9),  # no fifth month served: nothing changes
    ],
)
def test_a_monthly_amount_named_by_its_place_changes_that_month(message, amounts, remaining):
    today = date(2026, 6, 10)
    last = build("early_termination_penalty", {"remaining_months": 9, "served_monthly_amounts": ["2000", "2400", "2600"]}, [])
    again = follow_up(normalize_query(message), today, last)
    if amounts is None:
        assert again is None or again.inputs["served_monthly_amounts"] == ["2000", "2400", "2600"]
        return
    assert again.name == "early_termination_penalty"
    assert [str(a) for a in again.inputs["served_monthly_amounts"]] == amounts
    assert again.inputs["remaining_months"] == remaining and "monthly_fee" not in again.inputs


@pytest.mark.parametrize(
    ("message", "result", "kept"),
    [
        ("您提到“最早可于2026年11月8日转让”。如果按10月12日起算呢", "2026-11-08", "如果按10月12日起算呢"),
        ("您回复的「含税合计10,000.00元」不对吧", {"total": 10000.0, "tax": 566.04}, "不对吧"),
        # a quotation of anything else is read as said
        ("客户原话“欠了5000 晚了10天”", "150.00", "“欠了5000 晚了10天”"),
    ],
)
def test_a_quotation_of_the_last_result_is_blanked(message, result, kept):
    out = unquoted(message, {"result": result}, TODAY)
    assert kept in out and len(out) == len(message)
    assert ("“" in out or "「" in out) == ("“" in kept)


def test_carry_fills_no_input_whose_alternative_is_given():
    """The term's start taken from the last result (the 起租日 billing_start found) leaves its end unfilled: start_on
    and end_on are one_of alternatives, so the opening date is not carried as the end as well."""
    from assistant.calc.dialogue import carry

    last, last_result = last_of("专线是2月13号开通的 我们一直没去确认 那从哪天开始起租啊")
    assert last.name == "billing_start"
    inputs = carry("contract_term", {}, last, last_result, verdict=False)
    assert inputs == {"start_on": last_result["result"]}


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        # the day force majeure occurred is the day it began, never the notice date as well
        ({}, {"started_on": "2026-10-20"}),
        ({"notice_on": "2026-11-25"}, {"started_on": "2026-10-20", "notice_on": "2026-11-25"}),
    ],
)
def test_a_carried_date_goes_only_to_the_input_its_words_name(given, expected):
    from assistant.calc.dialogue import carry

    last = build("force_majeure_notice", {"occurred_on": "2026-10-20"})
    assert carry("force_majeure_termination", dict(given), last, {"result": "2026-11-04", "unit": "日期"}) == expected


def test_of_the_last_calculations_dates_the_one_named_alike_is_carried():
    """After a late activation (accepted 4月3日, opened 4月17日) the billing start runs from the opening day."""
    from assistant.calc.dialogue import carry

    last = build("late_activation_credit", {"accepted_on": "2026-04-03", "activated_on": "2026-04-17"})
    assert carry("billing_start", {}, last, {"result": 4.0, "unit": "元"}) == {"opened_on": "2026-04-17"}



@pytest.mark.parametrize(
    ("last_name", "last_inputs", "name", "expected"),
    [
        # a line's completion (报竣) is no order confirmation: the related deadline waits for its own time
        ("cloud_delivery_deadline", {"completed_at": "2026-07-08T14:00"}, "cloud_activation_deadline", {}),
        ("service_restore_deadline", {"paid_at": "2026-07-20T17:00"}, "cloud_activation_deadline", {}),
        # the same event's time is carried
        ("cloud_activation_deadline", {"confirmed_at": "2026-07-09T10:00"}, "cloud_activation_deadline",
         {"confirmed_at": "2026-07-09T10:00"}),
    ],
)
def test_a_time_is_carried_only_to_an_input_naming_the_same_event(last_name, last_inputs, name, expected):
    from assistant.calc.dialogue import carry

    last = build(last_name, last_inputs)
    assert carry(name, {}, last, {"result": "2026-07-10T14:00:00", "unit": "时间"}) == expected


def test_asking_for_a_day_after_an_amount_does_not_rerun_the_amount():
    """"那这张5月的账单最晚哪天要付清" after a late fee asks for the bill's due day, which the question alone plans."""
    last, last_result = last_of("2026年5月的账单23450元 7月3日才付 违约金多少")
    assert last.name == "late_fee"
    question = "那这张5月的账单按合同本来最晚哪天要付清"
    again = follow_up(question, TODAY, last, last_result)
    assert again is None or again.name != "late_fee"
    own = plan(question, TODAY)
    assert own is not None and own.name == "bill_dates" and run(own.name, own.inputs).result["due"] == "2026-06-30"


def test_a_related_calculation_takes_what_the_last_one_lacks_from_earlier_questions():
    """"降到50M一年能省多少" after a tax on the fee: the 100M line is in the question two turns before."""
    last = build("vat_from_pre_tax", {"pre_tax": 10000})
    result = {"result": {"pre_tax": 10000.0, "tax": 600.0, "total": 10600.0}, "unit": ""}
    earlier = ["那要是不含税 加上税一共多少", "这10000要是含税价 里面税是多少", "100M专线 沃云我们不要了 每月多少"]
    again = follow_up("降到50M一年能省多少", TODAY, last, result, earlier=earlier)
    assert again is not None and again.name == "line_fee_difference"
    assert again.inputs == {"from_mbps": 100, "to_mbps": 50, "months": 12}
    assert run(again.name, again.inputs).result == 58800
    # a follow-up giving none of its own values is no calculation on the earlier ones
    assert follow_up("那交完钱后多久能恢复", TODAY, build("line_termination_date", {"suspended_on": "2026-05-20"}),
                     {"result": {"pay_by": "2026-07-19"}, "unit": ""}, earlier=["5月20日被停的 最晚哪天交 4月的账单"]) is None


@pytest.mark.parametrize(
    ("last_inputs", "then", "expected"),
    [
        # no bill month anywhere: the payment day derives nothing, the days said are the days overdue
        ({"owed": 4500, "days_overdue": 20}, "下周一才能去交 那时候就26天了", {"owed": 4500, "days_overdue": 26}),
        # with the bill month the conversation gave, the payment day moves
        ({"owed": 8600, "bill_month": "2026-05", "paid_on": "2026-07-08"}, "不对不对 财务说7月12号才能到账",
         {"owed": 8600, "bill_month": "2026-05", "paid_on": "2026-07-12"}),
    ],
)
def test_a_fact_only_a_derivation_reads_goes_nowhere_without_its_other_facts(last_inputs, then, expected):
    last = build("late_fee", last_inputs)
    again = follow_up(then, TODAY, last, {"result": 0, "unit": "元"})
    assert again is not None and again.name == "late_fee"
    assert {k: again.inputs.get(k) for k in expected} == expected


def test_a_related_calculation_takes_a_fact_its_missing_input_is_derived_from_from_earlier_questions():
    """A refund for a late activation after an activation deadline: the days late are derived from the acceptance
    day (the last calculation's) and the activation day, which only the question before said."""
    last = build("activation_deadline", {"accepted_on": "2026-02-12"})
    earlier = ["我司于2026年2月12日在贵司受理了云专线业务（受理单号 SL20260212-0088），但线路直到3月6日才开通。请问贵司最晚应在哪一天前完成开通？"]
    again = follow_up("那么本次超时开通，贵司应退减多少费用？我方缴纳的一次性费用为100元。", TODAY, last,
                      {"result": "2026-02-26", "unit": "日期"}, earlier=earlier)
    assert again is not None and again.name == "late_activation_credit"
    assert again.inputs.get("activated_on") == "2026-03-06" and again.inputs.get("accepted_on") == "2026-02-12"
    assert run(again.name, again.inputs).result == 8


def test_an_amount_asked_without_values_takes_a_quantity_said_earlier_but_no_day():
    """"那第一次要交多少钱" after an activation deadline for a 100M line: the 100M of the first question is the line's
    bandwidth (its monthly fee's alternative); the day the line was accepted is no completion day of the first
    month, and a 起租 day said earlier is no end of a term."""
    last = build("activation_deadline", {"accepted_on": "2026-03-17"})
    earlier = ["那要是明天才受理呢", "我们想开一条一百兆的专线 今天受理的话最晚什么时候能给开通"]
    again = follow_up("那第一次要交多少钱", TODAY, last, {"result": "2026-03-24", "unit": "日期"}, earlier=earlier)
    assert again is not None and again.name == "first_payment"
    assert again.inputs.get("bandwidth_mbps") == 100 and again.inputs.get("completion_date") is None
    assert run(again.name, again.inputs).result == 10100
    term = build("contract_term", {"start_on": "2025-10-20"})
    again = follow_up("不续的话最晚哪天通知", TODAY, term, {"result": {"end": "2026-10-20", "notice_by": "2026-09-20"}, "unit": ""},
                      earlier=["我们合同是2025年10月20日起租的 什么时候到期"])
    assert again is None or again.inputs.get("end_on") != "2025-10-20"


def test_an_own_amount_asked_on_the_last_facts_keeps_them_and_waits_for_the_rest():
    """"那违约金要付多少" after an overdue status of 32 days: a late fee of those 32 days, asking for the amount owed;
    "违约金要多少" after a bill paid late, whose amount an earlier question gave: that late fee."""
    last = build("overdue_status", {"days_overdue": 32})
    again = follow_up("那违约金要付多少", TODAY, last, {"result": {"cloud_may_be_terminated": True}, "unit": ""})
    assert again is not None and again.name == "late_fee"
    assert again.inputs.get("days_overdue") == 32 and again.missing == ["owed"]
    first = "我们4月的账单6000元还没缴，打算6月5号缴，这样算逾期吗？"
    last = build("payment_overdue", {"bill_month": "2026-04", "paid_on": "2026-06-05"})
    again = follow_up("违约金要多少", TODAY, last, {"result": {"overdue": True, "days_overdue": 5}, "unit": ""}, earlier=[first])
    assert again is not None and again.name == "late_fee" and run(again.name, again.inputs).result == 90


def test_a_value_said_twice_in_a_follow_up_changes_one_input():
    """"已经使用了6个月，麻烦按6个月重新计算": the months used, not the term as well."""
    last, last_result = last_of("沃云合同期12个月，已使用5个月，月租4200元，提前终止违约金多少")
    again = follow_up("补充一下：财务核对后发现实际已经使用了6个月，麻烦按6个月重新计算", TODAY, last, last_result)
    assert again is not None and again.inputs == {"term_months": 12, "months_used": 6, "monthly_fee": "4200"}
    assert run(again.name, again.inputs).result == 25200


def test_renewing_is_no_signing():
    # 续签 holds the start date's cue 签 without meaning it: the day the notice is sent is the notice date.
    got = assigned("contract_term", "起租日2025年4月1日，客户打算2026年3月5日发不续签的书面通知，来得及吗")
    assert got.get("start_on") == "2025-04-01" and got.get("notice_on") == "2026-03-05"


@pytest.mark.parametrize(
    ("first", "then", "inputs"),
    [
        # 说 of 说错了 is no notice cue: the corrected day stays the start of the term
        ("合同是2025年6月20号生效的 哪天到期", "说错了 是2025年6月30号生效的", {"start_on": "2025-06-30"}),
        # a day without its year replacing one is in the year nearest that day, not this year
        ("合同是2025年6月20号生效的 哪天到期", "记错了 是六月三十号生效的", {"start_on": "2025-06-30"}),
        ("备案负责人2025年12月28日变更的 最晚哪天报备", "说错了 是12月30号变的", {"changed_on": "2025-12-30"}),
        ("备案负责人2025年12月28日变更的 最晚哪天报备", "不对 是1月3号变的", {"changed_on": "2026-01-03"}),
    ],
)
def test_a_corrected_day_keeps_its_role_and_the_year_of_the_day_it_replaces(first, then, inputs):
    last, last_result = last_of(first)
    again = follow_up(normalize_query(then), TODAY, last, last_result)
    assert again is not None and again.name == last.name
    assert {k: str(v) for k, v in again.inputs.items()} == inputs


def test_a_correction_gives_its_value_to_the_input_that_held_the_value_taken_back():
    # The new day is no start of the term (the first day by position): it replaces the notice day said as 9月20号.
    last, last_result = last_of("起租日2025年10月15日，我们打算2026年9月20号发不续约的书面通知，来得及吗")
    again = follow_up(normalize_query("哦 不是九月二十 是九月十二号 我看错了"), TODAY, last, last_result)
    assert again is not None and again.name == "contract_term"
    assert (str(again.inputs["start_on"]), str(again.inputs["notice_on"])) == ("2025-10-15", "2026-09-12")


@pytest.mark.parametrize(
    ("then", "inputs"),
    [
        # time passing adds to the months used, never to the term the contract fixed
        ("如果我们再继续用三个月之后再终止，违约金会是多少？", {"term_months": 24, "months_used": 18}),
        ("那再用两个月呢", {"term_months": 24, "months_used": 17}),
        ("要是再多用四个月再解约呢", {"term_months": 24, "months_used": 19}),
    ],
)
def test_more_time_said_lengthens_the_spans_that_run_not_the_term(then, inputs):
    last, last_result = last_of("沃云合同24个月，已经用了15个月，月费3600元，现在提前终止违约金多少")
    again = follow_up(normalize_query(then), TODAY, last, last_result)
    assert again is not None and again.name == "early_termination_penalty"
    assert {k: again.inputs.get(k) for k in inputs} == inputs


def test_a_corrected_day_says_which_year_it_took():
    last, last_result = last_of("备案负责人2025年12月28日变更的 最晚哪天报备")
    again = follow_up(normalize_query("说错了 是12月30号变的"), TODAY, last, last_result)
    assert again.assumptions == ["未说明年份，按更正前的日期取2025年"]


@pytest.mark.parametrize(
    ("first", "then"),
    [
        ("合同是2025年6月20号开始收钱的 哪天到期", "说错了 是2025年6月30号开始收钱的"),
        ("我们2025年6月20号开始计费的 合同哪天到期", "不对 是6月30号开始计费的"),
    ],
)
def test_a_correction_restating_the_question_before_names_no_other_calculator_by_its_words(first, then):
    last, last_result = last_of(first)
    again = follow_up(normalize_query(then), TODAY, last, last_result, earlier=[first])
    assert again is not None and again.name == "contract_term"
    assert str(again.inputs["start_on"]) == "2025-06-30"


@pytest.mark.parametrize(
    ("first", "then", "name", "inputs"),
    [
        # a day said without its month as the day of another event is in the month of the conversation's day…
        ("3月16号受理的 最晚哪天开通", "那要是拖到二十七号才开 能退多少钱", "late_activation_credit",
         {"accepted_on": "2026-03-16", "activated_on": "2026-03-27"}),
        # …or the month after, when its number is smaller
        ("3月16号受理的 最晚哪天开通", "那要是拖到5号才开呢 能退多少", "late_activation_credit",
         {"accepted_on": "2026-03-16", "activated_on": "2026-04-05"}),
        # complete only with that month, it is still this conversation's question
        ("1月15号受理的专线 最晚哪天开通", "云那边呢 专线要是22号下午5点报竣", "cloud_delivery_deadline",
         {"completed_at": "2026-01-22T17:00:00"}),
        # a day of the last calculation's own event still moves its date
        ("3月16号受理的 最晚哪天开通", "那要是20号受理的呢", "activation_deadline", {"accepted_on": "2026-03-20"}),
        # the bill of the cycle just given, its due day asked as 最晚哪天交
        ("12月账单的计费周期是从几号到几号", "那这个bill最晚哪天交", "bill_dates", {"month": "2026-12"}),
        # a part of the last result asked after the event it counts to ("终止…还有几天")
        ("客户欠费已经逾期20天，问联通现在可以采取哪些措施", "离可以终止沃云还有几天", "overdue_status", {"days_overdue": "20"}),
        # a part of the last result asked in words naming the last calculator more than any other
        ("2025年10月15号起租的专线 什么时候到期", "那 不想续了的话 最晚哪天 得通知你们", "contract_term",
         {"start_on": "2025-10-15"}),
        ("合同是2025年9月30号起租的 啥时候到期", "我们不打算续约了 最晚哪天得告诉你们", "contract_term",
         {"start_on": "2025-09-30"}),
        ("服务费不含税金额为 8,000 元，加上 6% 增值税后一共应付多少？", "那这笔费用里的税额具体是多少？", "vat_from_pre_tax",
         {"pre_tax": "8000"}),
        # of a calculation with two days, the one whose event the words after the day name
        ("3月16号受理的 拖到3月25号才开 能退多少", "那27号才开呢", "late_activation_credit",
         {"accepted_on": "2026-03-16", "activated_on": "2026-03-27"}),
        ("3月16号受理的 拖到3月25号才开 能退多少", "那要是18号受理的呢", "late_activation_credit",
         {"accepted_on": "2026-03-18", "activated_on": "2026-03-25"}),
        # another calculation asked with a day said without its month: the day nearest the conversation's days…
        ("5月的账单7月12号才能交 欠了8600 违约金多少", "要是真被停了 12号上午10点交完 最晚啥时候能恢复",
         "service_restore_deadline", {"paid_at": "2026-07-12T10:00:00"}),
        ("5月的账单7月15号交 欠了8600 违约金多少", "那20号上午10点交的话 最晚啥时候能恢复",
         "service_restore_deadline", {"paid_at": "2026-07-20T10:00:00"}),
        # the due day asked again of the bill's dates just given
        ("一月份的账单什么时候能看到", "最晚什么时候要交？", "bill_dates", {"month": "2026-01"}),
        # the bill of the cycle just given: when it has to be paid
        ("2月的账单计费周期是从哪天到哪天", "这张最晚啥时候要交", "bill_dates", {"month": "2026-02"}),
        # the result named again by 这 is the amount asked about, not a new monthly fee
        ("月租四千二 第一次要交多少钱", "那 这四千三里头 税是多少", "vat_split", {"amount": "4300"}),
        # a part of a split said again is read afresh, with its own words
        ("我们上个月出账8480 里面税是多少", "那要是这8480是不含税的呢 税和总数各多少", "vat_from_pre_tax", {"pre_tax": "8480"}),
        # the last result said to be a pre-tax amount ("不含税" holds no "含税")
        ("50M跟100M各一条 沃云退掉以后 一个季度专线费一共多少", "假如这个是不含税的价 加上VAT之后是多少", "vat_from_pre_tax",
         {"pre_tax": "45300"}),
        # a value of the last calculation taken back corrects it, though the message alone is a question of its own
        ("现在是50M的专线 想升到100M 一年要多交多少钱", "呃 不是五十兆 是二十兆 我看错了", "line_fee_difference",
         {"from_mbps": "20", "to_mbps": "100", "months": "12"}),
        # the pre-tax part asked for with the tax says nothing of which the amount is
        ("50M专线不要云了 一年多少钱", "这笔钱不含税金额和税额分别多少", "vat_split", {"amount": "61200"}),
    ],
)
def test_a_follow_up_is_read_with_the_conversations_days_and_results(first, then, name, inputs):
    assert followed(first, then) == (name, inputs)


@pytest.mark.parametrize("then", ["我们在荣华南路20号 交了的话 最晚啥时候能恢复", "德胜门外大街 20 号那边交了 最晚啥时候能恢复"])
def test_a_streets_number_is_no_day_of_another_calculation(then):
    assert followed("5月的账单7月15号交 欠了8600 违约金多少", then) is None


@pytest.mark.parametrize(
    ("then", "changes"),
    [
        # the result said roughly ("七万多" of 73800) is the result talked about, never a new monthly fee
        ("七万多啊 那这个钱 要是 还不够你们损失的 还得 再补吗", False),
        # a round amount the result is not near is a new value
        ("那要是每个月一万多呢", True),
    ],
)
def test_the_result_said_roughly_is_no_new_value(then, changes):
    got = followed("沃云合同签的二十四个月，已经用了十五个月，每个月八千二，提前不用了违约金多少", then)
    assert (got is not None and got[0] == "early_termination_penalty") is changes


@pytest.mark.parametrize(
    ("then", "changes"),
    [
        # the result pointed at with its cents dropped (103.56 → "一百零三块") or rounded off is the result talked about
        ("那这一百零三块 是退现金给我们吗", False),
        ("这104块钱是直接从账单里扣吗", False),
        # a whole amount the result does not round to is a new monthly fee
        ("那这一百零五块的月租呢", True),
    ],
)
def test_the_result_without_its_cents_is_no_new_value(then, changes):
    got = followed("嗯 我们那个专线 上个礼拜 断了 呃 一天半 月租是两千一 这个能减多少", then)
    assert (got is not None and got[0] == "outage_credit") is changes


def test_an_order_taken_is_an_acceptance_and_a_line_coming_up_is_its_activation():
    first = "喂 我们三月三号 在营业厅那边 你们接的单 那个线路最晚哪天得给我们通上"
    last, _ = last_of(first)
    assert (last.name, {k: str(v) for k, v in last.inputs.items()}) == ("activation_deadline", {"accepted_on": "2026-03-03"})
    # a day cued only for another calculation, named as strongly as a second one: the one sharing the last facts
    assert followed(first, "那 嗯 你们拖到 三月十二号 才给通上 能赔我们多少") == (
        "late_activation_credit", {"accepted_on": "2026-03-03", "activated_on": "2026-03-12"})


def test_asking_to_confirm_something_names_no_confirmation_of_the_line():
    first = "我司9月的账单4500元，要到11月6日才能付款，违约金多少"
    last, last_result = last_of(first)
    again = follow_up(normalize_query("另外想确认一下，9月这期账单最晚哪天付款才不算逾期？"), TODAY, last, last_result, earlier=[first])
    assert again is None or again.name != "billing_start"
    assert plan(normalize_query("3月2日开通的 我们一直没确认 哪天起租"), TODAY).name == "billing_start"


@pytest.mark.parametrize(
    ("then", "inputs"),
    [
        ("那个专线 是拖了第二天就被停了 到现在 停了 六十九天 会不会 全都给断掉", {"days_overdue": 70, "days_since_suspension": 69}),
        ("专线已经被停了十七天了 会不会全部给断掉", {"days_overdue": 70, "days_since_suspension": 17}),
    ],
)
def test_a_trigger_of_the_last_calculation_said_with_its_particle_names_no_other(then, inputs):
    first = "欠费七十天了 握云那边 会被怎么样"
    last, last_result = last_of(first)
    again = follow_up(normalize_query(then), TODAY, last, last_result, earlier=[first])
    assert again is not None and again.name == "overdue_status"
    assert {k: again.inputs[k] for k in inputs} == inputs


@pytest.mark.parametrize(
    ("question", "follows"),
    [("月租2100也帮拆一下 税多少", True), ("这个也给我们算算", True), ("那50M呢", True),
     ("我们也想问一下开户费多少", False), ("月租2100的税多少", False),
     # a change relayed by an agent is a correction too, whoever is said to make it
     ("客户把解除日改成11月6号了", True), ("把100M那条换成50M", True)],
)
def test_the_same_asked_again_for_another_value_reads_as_a_follow_up(question, follows):
    assert is_follow_up(question) is follows


@pytest.mark.parametrize(
    ("question", "asks"),
    [
        ("内容被人投诉删掉 一年超过几次你们就能跟我们解约", True),  # the rule's count, which A1-6.3 states
        ("我们10月的bill多少天不交会被停云", True),
        ("要在几天内报备", True),
        ("客户准备月底跟我们解除合同，问要提前几个工作日书面提出", True),  # A1-13.1's 20 business days
        ("6月份账单要是一直没交 超过几天会停沃云", True),
        # after how many days of arrears something happens: the rule's threshold, which A1-4.5 states
        ("那逾期几天会被停云服务", True),
        ("就是欠费多少天会停云那个", True),
        ("这样会逾期几天", False),  # the person's own days overdue
        ("今年被删了6次 你们能终止合作吗", False),  # the person's own count
        ("欠费十二天了 还有几天会停云", False),  # the days left of the person's own case
        ("6月1号停的 最晚哪天交钱", False),
    ],
)
def test_asking_the_rules_own_count_or_period(question, asks):
    assert asks_period(question) is asks


@pytest.mark.parametrize(
    ("name", "question", "role", "value"),
    [
        # a day decided by a 'now' word is today
        ("termination_notice_by", "现在通知还来得及吗", "notice_on", TODAY.isoformat()),
        # a time of day is not: "just paid" is not paid at midnight, so it is asked for
        ("service_restore_deadline", "我们刚交了欠费 最晚什么时候能恢复", "paid_at", None),
    ],
)
def test_a_now_word_gives_today_as_a_day_but_no_time_of_day(name, question, role, value):
    from assistant.calc.roles import today_values

    values, _ = today_values(vocabulary().calculators[name], question, TODAY, set())
    assert values.get(role) == value


@pytest.mark.parametrize(
    ("then", "suspended", "may_end"),
    [("他的线路是被暂停的，到现在停了44天，能终止全部服务吗？", 44, False),
     ("专线已经被停了65天了 会不会被终止全部服务", 65, True)],
)
def test_days_since_suspension_said_after_an_overdue_status_change_that_status(then, suspended, may_end):
    # The end of all services (line_termination_date) wants the day of suspension, which no fact gives; the
    # overdue status takes the days since suspension by their cue words and weighs them.
    last, last_result = last_of("客户欠费45天了，联通现在能采取哪些措施？")
    again = follow_up(normalize_query(then), TODAY, last, last_result)
    assert again is not None and again.name == "overdue_status"
    assert again.inputs == {"days_overdue": 45, "days_since_suspension": suspended}
    assert run(again.name, again.inputs).model_dump(mode="json")["result"]["all_services_may_be_terminated"] is may_end


def test_is_it_so_asked_with_shi_bu_shi_asks_a_verdict_on_the_last_facts():
    # "你们是不是可以把云给停了啊" ends on no 吗 but asks whether: the overdue status on the days of the last calculation.
    last, last_result = last_of("三月份的账单 5月20号才交的 晚了几天 最后期限是哪天")
    again = follow_up(normalize_query("这么晚了 那个 你们是不是 可以把我们的云给停了啊"), TODAY, last, last_result)
    assert again is not None and again.name == "overdue_status"
    assert run(again.name, again.inputs).model_dump(mode="json")["result"]["cloud_may_be_suspended"] is True


@pytest.mark.parametrize("then", ["那联通最早从哪天起可以终止", "那从哪天起你们就可以终止了"])
def test_the_day_termination_may_start_asked_after_a_pay_by_day_is_that_result_again(then):
    last, last_result = last_of("专线5月12号因为欠费被停了 最晚哪天之前补缴才不会被终止所有服务")
    again = follow_up(normalize_query(then), TODAY, last, last_result)
    assert again is not None and again.name == "line_termination_date" and again.inputs == last.inputs


def test_a_bare_value_updates_the_input_the_previous_question_stated():
    # "65天" fits the days overdue and the days since suspension; the question before it spoke of the suspension.
    first = "客户欠费45天了，联通现在能采取哪些措施？"
    second = "他的线路是被暂停的，到现在停了50天，能终止全部服务吗？"
    last, last_result = last_of(first)
    last = follow_up(normalize_query(second), TODAY, last, last_result, earlier=[first])
    assert last is not None and last.inputs == {"days_overdue": 45, "days_since_suspension": 50}
    result = {"result": run(last.name, last.inputs).model_dump(mode="json")["result"]}
    again = follow_up("65天", TODAY, last, result, earlier=[second, first])
    assert again is not None and again.inputs == {"days_overdue": 45, "days_since_suspension": 65}
    assert run(again.name, again.inputs).model_dump(mode="json")["result"]["all_services_may_be_terminated"] is True


@pytest.mark.parametrize("then", ["那个 当时 出事 以后 要 多少天 之内 告诉 你们 来着", "那台风刚发生的时候，我们要在多久内告诉你们？"])
def test_a_day_of_another_event_is_never_carried_as_the_day_force_majeure_began(then):
    # The end and notice days of a termination are no day the event happened: M-40's 15 days would run from them.
    last, last_result = last_of("因为不可抗力想12月31号解约 12月10号发书面通知行不行")
    again = follow_up(normalize_query(then), TODAY, last, last_result)
    assert again is None or "occurred_on" not in again.inputs
