"""Mentions: typed values with their cue words, protected numbers, negation, corrections, lists."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assistant.calc.mentions import denied, negated, read
from assistant.calc.parse import to_digits
from assistant.errors import CalcInputError

TODAY = date(2026, 6, 1)


def kinds(question: str) -> list[tuple[str, object]]:
    return [(m.kind, m.value) for m in read(question, TODAY).items if not m.parts]


@pytest.mark.parametrize(
    ("question", "absent"),
    [
        ("我叫张三，电话138.1234.5678，欠了5000", [Decimal(3), Decimal(138)]),
        ("联系人李四，手机13812345678", [Decimal(4)]),
        ("身份证110101199003074512 欠费3000元", [Decimal("110101199003074512")]),
        ("订单号BJ2026-0315，80/8080/443端口", [Decimal(2026), Decimal(80), Decimal(443)]),
        ("依据第36条和4.5条", [Decimal(36), Decimal("4.5")]),
        ("最后一个问题：开票金额以什么为准？", [Decimal(1)]),
        ("地址建国路88号3号楼12层", [Decimal(88), Decimal(3), Decimal(12)]),
        ("北京58同城科技有限公司", [Decimal(58)]),
        ("我们在北京三元桥21号创意园区，开户费是100元", [Decimal(3), Decimal(21)]),
        ("北京华瑞5G通信技术有限公司 欠了300", [Decimal(5), Decimal(5000)]),
        ("每月5号前付款", [Decimal(5)]),
        ("第一次15小时", [Decimal(1)]),
        ("不含税66666元。采购部 韩梅 010-6400 2233", [Decimal(10), Decimal(6400), Decimal(2233)]),
        ("座机（010）6400-2233，欠了5000", [Decimal(10), Decimal(6400), Decimal(2233)]),
        ("电话010-64002233 欠了5000", [Decimal(10), Decimal(64002233)]),
        ("门店编号101、102、205各1条", [Decimal(101), Decimal(102), Decimal(205)]),
        # a span said as a bound not reached is no value of the case
        ("断网不到24小时 月租5100", [Decimal(24)]),
        ("欠费还没满一个月 就是25天", [Decimal(1)]),
        ("中断没有超过24个小时", [Decimal(24)]),
        # a unified social credit code: digits before letters and digits after them
        ("我司税号 91110108MA01XXXX3K，欠费5000", [Decimal(1), Decimal(3), Decimal(91110108)]),
        ("纳税人识别号91110105MA00ABCD1X 两个不同的业务号码", [Decimal(0), Decimal(1), Decimal(2)]),
        # the unit of a rate restated from the contract is no value of the case
        ("超时7天。按合同每超时一天退1%", [Decimal(1)]),
        # the asker's guess at the result is the figure asked about, not an input
        ("那要是晚了150天 是不是能退4500", [Decimal(4500)]),
        ("欠了5000晚交10天 是不是要交150块", [Decimal(150)]),
        ("月租5100 断了30小时 是不是就赔给我们两百一", [Decimal(210)]),
        # the places and channels money is paid at are counted, never amounts or bandwidths
        ("专线的钱和沃云的钱是在一个地方一起交吗", [Decimal(1)]),
        ("违约金跟欠费是不是要分开在两个系统交", [Decimal(2)]),
        ("50M的专线 三个账户分别付", [Decimal(3)]),
        # 一个 before a thing is the article a, no quantity: no fee of 1 元, no one takedown
        ("补充一个情况：竣工日期可能改为6月20日", [Decimal(1)]),
        ("同事误删了一个数据目录", [Decimal(1)]),
        ("专线和沃云那边是一个标准吗", [Decimal(1)]),
        # a period the operator promised is the rule's, and one time picked out of several counts none
        ("当时被告知5个工作日内开通，但实际直到10月20日才开通", [Decimal(5)]),
        ("累计发生6次因第三方投诉被断开链接（最近一次投诉编号 TS-7781）", [Decimal(1)]),
    ],
)
def test_numbers_inside_names_phones_ids_ports_and_addresses_are_never_values(question, absent):
    values = [v for _, v in kinds(question)]
    assert not set(absent) & set(values), values


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        # chat shorthand for 万, hours said as 个钟, a rough value made exact
        ("月租1w 断了30个小时", [("money", Decimal(10000)), ("duration", Decimal(30))]),
        ("月费1.2W", [("money", Decimal(12000))]),
        ("断了10个钟", [("duration", Decimal(10))]),
        ("两千出头 就2050 拖了一个礼拜", [("number", Decimal(2050)), ("duration", Decimal(1))]),
        ("欠费两千出头 就按2050算吧 逾期8天", [("number", Decimal(2050)), ("duration", Decimal(8))]),
        # a sum counted (一笔) is no amount
        ("有一笔费用晚交了8天", [("duration", Decimal(8))]),
        ("三十个小时左右 准确说是31个小时", [("duration", Decimal(31))]),
        ("5000多 10天", [("number", Decimal(5000)), ("duration", Decimal(10))]),
        # a rough amount said with its unit is an amount, still dropped when made exact
        ("欠了两千多块钱 拖了10天", [("money", Decimal(2000)), ("duration", Decimal(10))]),
        ("欠了3000来块", [("money", Decimal(3000))]),
        ("两千多块 就按2050算 逾期8天", [("number", Decimal(2050)), ("duration", Decimal(8))]),
        # a weekday named alone is no number; weeks and days counted still are
        ("星期三受理的 开户费100元", [("money", Decimal(100))]),
        ("今天周一 欠了5000", [("date", TODAY), ("number", Decimal(5000))]),
        ("两周3天", [("duration", Decimal(2)), ("duration", Decimal(3))]),
        # 一个 of a time unit is still one of it
        ("断了一个小时 欠了一个多月", [("duration", Decimal(1)), ("duration", Decimal(1))]),
    ],
)
def test_shorthand_and_rough_values_said_the_way_people_type(question, expected):
    assert kinds(question) == expected


@pytest.mark.parametrize(
    ("question", "kind", "value"),
    [
        # a day said before a company's name is a day, not part of the name
        ("12月10号转给新公司", "date", date(2026, 12, 10)),
        ("合同12月10日转给那个新公司", "date", date(2026, 12, 10)),
        ("3天后转给子公司", "duration", Decimal(3)),
        # an amount of a few yuan is still an amount
        ("欠了3元 逾期10天", "money", Decimal(3)),
        # a bandwidth said before a company's line is a bandwidth
        ("我们100M的公司专线 不要云了 每月多少", "bandwidth", Decimal(100)),
    ],
)
def test_a_day_or_a_span_before_a_company_name_is_still_a_value(question, kind, value):
    assert (kind, value) in kinds(question)


@pytest.mark.parametrize(
    ("said", "digits"),
    [
        ("五千一", "5100"), ("一万八", "18000"), ("2万1", "21000"), ("三千一百八", "3180"), ("三万二千五", "32500"),
        ("三百五", "350"), ("20,000元", "20000元"), ("十一点半", "11点30分"), ("七点一刻", "7点15分"),
        ("一年零两个月", "14个月"), ("俩月", "2个月"), ("一整年", "12个月"),
        # 整 between a numeral and its unit: that many whole units
        ("断了一整天", "断了1天"), ("三整天", "3天"), ("一整个月", "1个月"), ("两整周", "2周"),
        ("10号 不对 12号", "12号"), ("十一点 不对 十一点半", "11点30分"),
        # what was said of the day taken back is said of the corrected one
        ("15号受理的 哦不对是16号", "16号受理的"), ("十号开通的 说错了 十二号", "12号开通的"),
        # a filler on either side of the words taking it back
        ("三号 呃 不是 四号", "4号"), ("十点 不对 那个 是十点半", "10点30分"),
        # a day said with 是 and another denied after it: the one said with 是 is meant
        ("起租是五月二号 不是十号", "起租是5月2号"), ("应该是3月12日，不是3月10日", "应该是3月12日"),
        # a 一 counting the unit after it is no tail of the numeral before it
        ("五千一个月", "5000 1个月"), ("两百一个小时", "200 1个小时"), ("五千一百一个月", "5100 1个月"),
        ("五千一", "5100"), ("十一个月", "11个月"), ("一百一十一个月", "111个月"),
    ],
)
def test_colloquial_numerals_and_corrections(said, digits):
    assert to_digits(said).strip() == digits


def test_a_clock_time_with_no_date_is_kept_apart_and_one_after_a_date_joins_it():
    from datetime import time

    said = read("是上午九点半交的", TODAY).times
    assert [(t.value, t.part_said) for t in said] == [(time(9, 30), True)]
    assert [(t.value, t.part_said) for t in read("说错了 是四点", TODAY).times] == [(time(4, 0), False)]
    joined = read("3月1日报竣的，下午两点", TODAY)
    assert joined.times == [] and [m.kind for m in joined.items] == ["datetime"]


def test_cue_words_on_both_sides_and_a_clause_boundary():
    m = read("欠了5000，晚了10天", TODAY)
    owed, days = m.items
    assert owed.left == "欠了" and days.left == "晚了"


def test_times_join_their_date_and_relative_days_carry_a_part_of_day():
    assert kinds("3月1日报竣的，下午两点") == [("datetime", datetime(2026, 3, 1, 14, 0))]
    assert kinds("昨晚九点十分报竣") == [("datetime", datetime(2026, 5, 31, 21, 10))]
    assert kinds("I confirmed the order on Feb 28 at 10:45pm") == [("datetime", datetime(2026, 2, 28, 22, 45))]


@pytest.mark.parametrize(
    ("question", "values"),
    [
        ("2025年10月签的，10月8号签的", [("month", (2025, 10)), ("date", date(2025, 10, 8))]),
        # across a new year, the year either side that puts the day nearest the one said with its year
        ("2025年12月28日受理的，1月5日才开通", [("date", date(2025, 12, 28)), ("date", date(2026, 1, 5))]),
        ("明年1月15号要转给新公司 结果12月20号才发通知", [("date", date(2027, 1, 15)), ("date", date(2026, 12, 20))]),
    ],
)
def test_a_year_said_once_carries_to_the_dates_after_it(question, values):
    assert kinds(question) == values


def test_weekdays_of_a_named_week():
    assert kinds("上周三改的备案") == [("date", date(2026, 5, 27))]


@pytest.mark.parametrize(
    ("question", "total"),
    [
        ("这个月断了三次：5h、9h、14h", Decimal(28)), ("第一次15小时、第二次13小时", Decimal(28)),
        ("这个月断了 呃 一天 加 六个小时", Decimal(30)), ("断了1天6小时", Decimal(30)), ("断了一天零五个小时", Decimal(29)),
        # each outage counted as it is said
        ("断了三回 一回十个小时 一回十四个小时 还有一回十二个小时", Decimal(36)), ("断了两次，一次10小时，一次20小时", Decimal(30)),
    ],
)
def test_several_outages_of_a_month_add_up(question, total):
    sums = [m for m in read(question, TODAY).items if m.kind == "duration" and m.parts]
    assert [m.value for m in sums] == [total]


def test_a_duration_restated_in_hours_is_not_added_to_itself():
    assert [m for m in read("不对 是一天半 三十六个小时", TODAY).items if m.parts] == []


@pytest.mark.parametrize(
    ("question", "kept"),
    [("被删了七次了 不对不对 是四次", Decimal(4)), ("欠了五千吧 呃不对 是五千一", Decimal(5100)),
     # the value denied right after the one meant
     ("实际已经使用了14个月，并非11个月", Decimal(14)), ("用了14个月 不是11个月", Decimal(14)),
     # a value said to be less than the one meant, which follows
     ("一次性费用交的不止100 还有施工费 加起来一共3000", Decimal(3000)),
     # a bare count denied, its noun said only with the value correcting it
     ("呃 不是七个 是 九个月", Decimal(9)), ("不是3个，是4个小时", Decimal(4)),
     # the value denied, then the one meant with nothing between (an ASR correction without 是)
     ("哦 不是 八天 十八天", Decimal(18)), ("不是8天，18天", Decimal(18)),
     # a spoken filler between 是 and the value meant
     ("不是 不是一年 是 呃 九个月", Decimal(9)), ("不是十天 而是 嗯 十二天", Decimal(12)),
     # a bare number denied right after the value meant, its unit left unsaid
     ("同事说记错了 是26个小时不是36", Decimal(26))],
)
def test_a_value_taken_back_after_a_particle_is_dropped(question, kept):
    m = read(question, TODAY)
    assert [i.value for i in m.items] == [kept] and len(m.retracted) == 1


def test_is_it_not_asks_and_takes_nothing_back():
    m = read("是不是15天 30天的时候会停", TODAY)
    assert [i.value for i in m.items] == [Decimal(15), Decimal(30)] and m.retracted == []


@pytest.mark.parametrize(
    ("question", "values"),
    [
        # one day said twice to make it plain is one day: never an end and a notice day at once
        ("嗯 那 四月 三号呢 就是 四月三号 解除", [date(2026, 4, 3)]),
        ("欠了5000 我是说5000整", [Decimal(5000)]),
        # a value asked to be gone by (按) is the one said before it, not one more
        ("实际累计中断时长为30小时。请按30小时重新核算", [Decimal(30)]),
        # two different values, or the same one added up, stay two
        ("3月5号 就是 3月6号", [date(2026, 3, 5), date(2026, 3, 6)]),
        ("断了10小时 一共10小时", [Decimal(10), Decimal(10)]),
        # months said again in days, as many as they hold, are those days; other days are days more
        ("拖了整整一个月31天没交", [Decimal(31)]),
        ("拖了两个月（61天）", [Decimal(61)]),
        ("拖了一个月零5天", [Decimal(1), Decimal(5)]),
    ],
)
def test_a_value_said_again_to_make_it_plain_is_one_value(question, values):
    assert [m.value for m in read(question, TODAY).items] == values


@pytest.mark.parametrize(
    ("question", "kept"),
    [
        # the verb said with the value comes before the take-back
        ("那 十一月 二号 交 呢 不对 是 十二月 二号", date(2026, 12, 2)),
        ("11月2号交的 不对 是12月2号", date(2026, 12, 2)),
    ],
)
def test_a_date_taken_back_after_its_verb_is_dropped(question, kept):
    m = read(question, TODAY)
    assert [i.value for i in m.items] == [kept] and len(m.retracted) == 1


def test_a_date_before_a_longer_phrase_is_not_taken_back():
    assert len(read("11月3号到期的 不对 11月4号", TODAY).items) == 2


@pytest.mark.parametrize(
    ("question", "amounts"),
    [
        ("前三个月分别是一千、一千二、一千一", [1000, 1200, 1100]),
        ("之前的账单：1月 2,350、2月 2,180、3月 2,470 元", [2350, 2180, 2470]),
        ("一个是两千四 一个是三千 还有一个是两千七", [2400, 3000, 2700]),
    ],
)
def test_runs_of_amounts_are_lists(question, amounts):
    lists = [m.value for m in read(question, TODAY).items if m.kind == "money_list"]
    assert lists == [[Decimal(a) for a in amounts]]


@pytest.mark.parametrize(
    ("question", "lines"),
    [
        ("3条20M加1条100M", [(20, 3), (100, 1)]),
        ("20M×2 + 200M×1", [(20, 2), (200, 1)]),
        ("总部100M，2个分部各20M，不要云了每月多少", [(100, 1), (20, 2)]),
        ("3个点每个点1条20M", [(20, 3)]),
        ("2条200M 1条50M", [(200, 2), (50, 1)]),
        ("200兆的2条 100兆的1条", [(200, 2), (100, 1)]),
        ("20M专线共8条", [(20, 8)]),
        ("1个100M和3条20M", [(100, 1), (20, 3)]),
        ("10M×4条、20M×2条", [(10, 4), (20, 2)]),
        ("总部200M一条、分公司20M两条，半年多少", [(200, 1), (20, 2)]),
        # each line followed by the product's name
        ("我们公司有4条10m专线跟2条200m专线", [(10, 4), (200, 2)]),
        # a line taken back is replaced by the one said after it, with or without "的"
        ("我们有2条50兆的还有1条200兆的不对是1条100兆的", [(50, 2), (100, 1)]),
        ("我们有2条50兆的还有1条200兆不对是1条100兆的", [(50, 2), (100, 1)]),
        # sites named one by one, each with the same line
        ("我们所在金融街15号和建国门外大街2号各有一条100M的云专线", [(100, 2)]),
        ("总部、分公司、仓库各1条20M", [(20, 3)]),
        # bandwidths named one by one, one count for each after the last
        ("我们50M跟100M各一条 握云退掉以后 每月专线费一共多少", [(50, 1), (100, 1)]),
        ("10M、20M和50M各两条", [(10, 2), (20, 2), (50, 2)]),
        # the bandwidth a line is changed to is no line of its own
        ("总部有一条100M线路（沃云部分已停用），希望降为20M，每月能节省多少", [(100, 1)]),
        # a bracketed remark between the sites and their line; the product's name before the next site
        ("总部有2条100M云专线，昌平店有1条50M，另外3家门店（门店编号101、102、205）各有1条10M",
         [(100, 2), (50, 1), (10, 3)]),
        # a bracket after a line (its addresses) does not part it from the next
        ("其中 2 条是 50M（分别在海淀上地七街3号和亦庄科创十三街18号），另外 4 条是 10M（门店用）", [(50, 2), (10, 4)]),
        # sites separated by a pause alone (chat, speech), each named by a short label
        ("公司三个点 两个门店各一条20M 总部一条200M 每月加起来多少", [(20, 2), (200, 1)]),
        ("总部1条100M 分部2条20M", [(100, 1), (20, 2)]),
        # a count said of a bandwidth with 其实 / 实际上 between ("100M的其实是3条")
        ("喔 100M的其实是3条", [(100, 3)]),
        ("20M的实际上有2条", [(20, 2)]),
        # … or with 只 / 就 ("20M的只有2条"), as a correction says it
        ("不对，20M的只有2条，不是3条", [(20, 2)]),
    ],
)
def test_lines_of_several_bandwidths(question, lines):
    found = [m.value for m in read(question, TODAY).items if m.kind == "line_list"]
    assert found == [lines]


@pytest.mark.parametrize(
    "question", ["总部100M，2个分部各20M", "前三个月分别是一千、一千二、一千一", "2条200M 1条50M，逾期10天"]
)
def test_a_lists_parts_are_the_mentions_inside_it(question):
    items = read(question, TODAY).items
    for m in items:
        for p in m.parts:
            assert m.start <= items[p].start and items[p].end <= m.end and items[p] is not m


@pytest.mark.parametrize(
    ("text", "phrase", "is_negated"),
    [
        ("不是计划割接", "计划", True),
        ("并非我方原因", "我方原因", True),
        ("我们没有收到任何检修或割接通知", "割接", True),
        ("也没提前通知，是你们那边故障", "你们", False),
        ("也没提前通知是你们那边故障", "你们", False),
        ("是计划割接", "计划", False),
    ],
)
def test_negation_reaches_to_the_end_of_its_statement(text, phrase, is_negated):
    assert negated(text, text.index(phrase)) is is_negated


@pytest.mark.parametrize(
    ("text", "phrase", "is_denied"),
    [
        ("就合同期内解约 不是到期不续", "到期不续", True),
        ("不是我们，是你们那边故障", "你们", False),
        # a question asked both ways that the look-back window would cut to its 不是 denies nothing
        ("请问你们是不是已经可以把他的云停掉了", "停掉", False),
        ("请问你们那边是否已经可以把他的云停掉了", "停掉", False),
    ],
)
def test_what_the_clause_says_is_not_meant_is_denied(text, phrase, is_denied):
    assert denied(text, text.index(phrase)) is is_denied


@pytest.mark.parametrize(
    ("text", "phrase", "is_negated"),
    [
        ("与我方设备无关", "我方设备", True),
        ("跟我们机房的问题没关系", "我们机房", True),
        ("我们机房，跟联通无关", "我们机房", False),  # the 无关 is in another clause
        ("我们机房停电了，线路无关紧要", "我们机房", False),
        ("客户机房设备无关紧要", "客户机房", False),  # 无关紧要 says nothing unrelated
        ("与客户机房设备无关", "客户机房", True),
        ("我方设备故障", "我方设备", False),
        # …or calls sound
        ("联通那边的线路没有问题", "联通那边的线路", True),
        ("你们的光缆是正常的", "你们的光缆", True),
        ("联通那边的线路问题", "联通那边的线路", False),
        ("联通那边的线路，我们这边没问题", "联通那边的线路", False),  # the 没问题 is in another clause
    ],
)
def test_what_a_clause_calls_unrelated_after_naming_it_is_negated(text, phrase, is_negated):
    at = text.index(phrase)
    assert negated(text, at, at + len(phrase)) is is_negated


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="0123456789一二两三四五六七八九十百千万点半号月年天,.、 不对", max_size=300))
def test_any_run_of_numerals_is_read_or_refused_with_a_clear_error(text):
    try:
        read(text, TODAY)
    except CalcInputError as e:  # an impossible date ("14月") or year ("0000年") names itself
        assert "不是有效" in e.message or "超出可计算的年份范围" in e.message


@pytest.mark.parametrize(
    ("question", "verb"),
    [
        ("我们于2026年4月28日在贵司丰台区南四环西路188号营业厅办理了云专线受理", "受理"),
        ("5月3日于朝阳区建国路88号完成了报竣", "报竣"),
    ],
)
def test_a_day_said_with_a_place_keeps_its_verb_in_view(question, verb):
    day = next(m for m in read(question, TODAY).items if m.kind == "date")
    assert verb in day.right


def test_a_day_without_a_place_sees_only_its_next_words():
    day = next(m for m in read("4月28日办理了手续，后来在5月20日开通", TODAY).items if m.kind == "date")
    assert "开通" not in day.right


def test_a_question_pointing_back_asks_about_the_sentence_before_it():
    """"…4月1日才完成缴费。想请问这算不算逾期？我们3月份的账单会在4月15日左右缴纳。": 这 asks about 2月's bill."""
    m = read("我司2月份的账单在4月1日才完成缴费。想请问这算不算逾期？我们3月份的账单会在4月15日左右缴纳。", TODAY)
    asked = [(i.kind, str(i.value)) for i in m.items if m.in_question(i)]
    assert asked == [("month", "(2026, 2)"), ("date", "2026-04-01")]
    # a question with values of its own asks about them alone
    m = read("我司2月份的账单欠了5000元。3月份的账单欠6000元逾期10天违约金多少？", TODAY)
    assert [str(i.value) for i in m.items if m.in_question(i)] == ["(2026, 3)", "6000", "10"]


@pytest.mark.parametrize(
    ("question", "today", "day"),
    [
        ("专线15号竣工的 月租2100 这个月按天算收多少", date(2026, 4, 20), date(2026, 4, 15)),
        ("专线 是 二月 呃 二十号 竣工 的 月租 两千一", date(2026, 3, 5), date(2026, 2, 20)),  # the month named apart
        ("上个月28号开通的", date(2026, 3, 5), date(2026, 2, 28)),
        ("上上个月28号开通的", date(2026, 3, 5), date(2026, 1, 28)),
        ("3号受理的 最晚哪天开通", date(2026, 6, 10), date(2026, 6, 3)),
        # what was done stands between the day and its verb
        ("客户5号把欠费和违约金都补交了，问服务最晚什么时候恢复", date(2026, 12, 7), date(2026, 12, 5)),
        # no event, a day still to come with no month named, or two months named: no date
        ("每月5号前付款", date(2026, 6, 10), None),
        ("不是21 是28号开的", date(2026, 9, 7), None),
        ("2月和3月都是15号交的", date(2026, 6, 10), None),
    ],
)
def test_a_day_said_without_its_month_as_the_day_something_happened(question, today, day):
    dates = [m.value for m in read(question, today).items if m.kind == "date"]
    assert dates == ([day] if day else [])


@pytest.mark.parametrize(
    ("question", "at"),
    [
        # the clock time said between the day and its event is the time of day of that day
        ("专线那边 是 呃 十四号下午五点报竣的", datetime(2026, 8, 14, 17, 0)),
        ("是14号上午九点半交的钱", datetime(2026, 8, 14, 9, 30)),
    ],
)
def test_a_day_and_its_time_said_without_the_month_before_the_event(question, at):
    assert [(m.kind, m.value) for m in read(question, date(2026, 8, 17)).items] == [("datetime", at)]


def test_an_ordinal_said_with_hui_is_no_count():
    # "第一回" names the first payment as "第一次" does; the 3000 before it is an amount, not a count of times
    items = read("九月二十三号竣工的 月租是三千 第一回要交多少", TODAY).items
    assert ("count", Decimal(3000)) not in [(m.kind, m.value) for m in items]


@pytest.mark.parametrize(
    ("question", "hours", "apart", "flags"),
    [
        # the part's flag is said of the part only; the part is taken off the duration before it
        ("累计断了50小时，其中20小时是我们自己机房的问题，其余是光缆故障", [Decimal(30)], None, set()),
        ("断了3天，其中有一天是计划割接", [Decimal(48)], None, set()),
        # no total in the message: the part's hours are kept apart for the conversation's total
        ("其中有一天是提前通知过的计划割接", [], Decimal(24), set()),
        # a part said to count (not planned, on the operator's side) is no part set apart, nor one more outage
        # (不是计划割接 says unplanned twice: 计划割接 negated, and 不是计划 itself)
        ("断了50小时，其中20小时不是计划割接", [Decimal(50), Decimal(20)], None, {"planned", "unplanned"}),
        ("断了50小时，其中20小时是你们光缆的问题", [Decimal(50), Decimal(20)], None, {"operator_side"}),
        # (the 46 hours asked to be gone by are the total said before, not one more outage)
        ("累计中断46小时（其中6月22日那一次为14小时），请按46小时重新计算", [Decimal(46), Decimal(14)], None, set()),
        # an outage of a kind that does not count said besides the total is neither added nor taken off, and its
        # flags are its own; what follows its brackets is said of the whole again
        ("非计划中断累计约40个小时（另有一次持续6小时的计划割接，不计在内），均为贵方光缆故障", [Decimal(40)], None,
         {"unplanned", "planned", "operator_side"}),
        ("本月光缆故障断了30小时，另外还有8小时是你们提前通知的割接", [Decimal(30)], None, set()),
    ],
)
def test_a_part_of_an_outage_that_does_not_count_is_set_apart(question, hours, apart, flags):
    from assistant.calc.selection import understand

    r = understand(question, date(2026, 6, 1))
    assert sorted(m.value * (24 if m.unit == "day" else 1) for m in r.mentions.of_kind("duration")) == sorted(hours)
    assert r.mentions.apart == apart
    assert {f.name for f in r.flags} == flags


def test_a_question_naming_a_value_again_asks_about_the_sentence_that_stated_it():
    """"请问3月那笔要收多少违约金": the sentence giving 3月's bill (its amount, its payment day) is asked about, not the
    one about 4月's bill beside it."""
    m = read("3月份的账单（金额8600元）直到5月8日才付款。另外4月份的账单7900元已经在4月28日付过了。请问3月那笔要收多少违约金？", TODAY)
    asked = {(i.kind, str(i.value)) for i in m.items if m.in_question(i)}
    assert {("money", "8600"), ("date", "2026-05-08")} <= asked
    assert not asked & {("money", "7900"), ("date", "2026-04-28")}


@pytest.mark.parametrize(
    ("question", "values"),
    [
        # a period said as what was agreed is the rule's figure, not the case's
        ("你们开通晚了 说好五个工作日的 结果拖了好几天 能赔多少", []),
        ("约定的是48小时内交付 结果晚了3天", [Decimal(3)]),
        # an agreed amount or day is a fact of the case
        ("约定月租为3450元", [Decimal(3450)]),
        ("开通比约定晚了8天", [Decimal(8)]),
    ],
)
def test_a_period_said_as_agreed_is_no_value_of_the_case(question, values):
    assert [m.value for m in read(question, TODAY).items] == values


@pytest.mark.parametrize(
    ("question", "exact"),
    [
        # a period said roughly is said, but no value to work out with
        ("客户欠费一个多月了还没交", []), ("欠费二十多天了 云主机会被停吗", []), ("拖了十来天", []),
        ("断了两天多 怎么赔", []), ("断了三个多小时了", []),
        ("欠费一个多月 4200块", [Decimal(4200)]),
        # 多 before a verb is "more", not rough: a year's extra cost, "多钱" for 多少钱
        ("升到20M比10M一年多花多少", [Decimal(20), Decimal(10), Decimal(1)]), ("50M一个月多钱", [Decimal(50), Decimal(1)]),
        # a rough value made exact is the exact one
        ("晚了十来天吧 不对 是十二天", [Decimal(12)]),
    ],
)
def test_a_period_said_roughly_is_no_value_to_work_out_with(question, exact):
    mentions = read(question, TODAY)
    assert [m.value for m in mentions.items if not m.rough] == exact
    assert mentions.has_exact_values == bool(exact) and mentions.has_values


@pytest.mark.parametrize("question", ["沃云上大约有3.2TB的业务数据需要迁移", "历史数据1.5t 备份2.4g", "一共12.3k条记录"])
def test_a_size_written_with_a_decimal_point_is_no_month_and_day(question):
    assert not [k for k, _ in kinds(question) if k in ("date", "datetime")]
