"""Numbers, durations, bandwidths and dates as people type or say them."""

from __future__ import annotations

import re
from datetime import date, time
from decimal import Decimal
from pathlib import Path

import pytest

from assistant.calc import parse
from assistant.calc.parse import extract, to_digits
from assistant.errors import CalcInputError

TODAY = date(2026, 11, 24)


def quantities(text: str) -> list[tuple[str, Decimal, str]]:
    """(kind, value, unit) of every quantity found."""
    return [(q.kind, q.value, q.unit) for q in extract(text, TODAY).quantities]


@pytest.mark.parametrize(
    ("text", "mbps"),
    [("50M", 50), ("50兆", 50), ("五十兆", 50), ("50Mbps", 50), ("５０Ｍ", 50), ("50 m", 50),
     ("两百兆", 200), ("一百兆", 100), ("千兆", 1000), ("1G", 1000)],
)
def test_bandwidth(text, mbps):
    assert quantities(text) == [("bandwidth", Decimal(mbps), "Mbps")]


@pytest.mark.parametrize(
    ("text", "yuan"),
    [("5100元", 5100), ("五千一百元", 5100), ("5100块", 5100), ("0.51万", 5100), ("5千", 5000),
     ("一万八千元", 18000), ("1.5万元", 15000), ("一点五万", 15000), ("￥1234.56", Decimal("1234.56")),
     ("五千一百块钱", 5100), ("负五千元", -5000),
     # digits with falling units are one amount, not 10000 and 2000
     ("1万2千元", 12000), ("3万5千块", 35000), ("2千5百元", 2500), ("1万2千5百元", 12500),
     # chat shorthand for 万 and 千, also right before a 一 counting the month
     ("1.2w", 12000), ("2k", 2000), ("1.5K", 1500),
     # yuan with its jiao and fen: one amount, in characters or digits
     ("一千二百三十四块五毛六", Decimal("1234.56")), ("3元2角5分", Decimal("3.25")), ("十二块零五分", Decimal("12.05")),
     ("两块五", Decimal("2.5")), ("3块2", Decimal("3.2")), ("5块5毛钱", Decimal("5.5")),
     # a numeral running through 万一 ("just in case" only without a numeral before it)
     ("两万一千块", 21000), ("一万一千元", 11000), ("三万一千二百元", 31200)],
)
def test_money(text, yuan):
    assert quantities(text) == [("money", Decimal(yuan), "元")]


@pytest.mark.parametrize(
    ("text", "values"),
    [
        # a digit after 块 with a unit of its own is a count, not the jiao
        ("欠了5000块10天", [("money", Decimal(5000), "元"), ("duration", Decimal(10), "day")]),
        ("2100块2条", [("money", Decimal(2100), "元"), ("count", Decimal(2), "条")]),
    ],
)
def test_yuan_then_a_count(text, values):
    assert quantities(text) == values


@pytest.mark.parametrize(
    ("text", "yuan"),
    # a sentence comma after thousands groups (full-width before NFKC) ends the amount
    [("月租 2,100，6月9號竣工", 2100), ("月租 2,100,6月9号竣工", 2100), ("欠了 12,345元", 12345)],
)
def test_thousands_before_a_comma(text, yuan):
    assert ("money", Decimal(yuan), "元") in quantities(text) or ("bare", Decimal(yuan), "") in quantities(text)


@pytest.mark.parametrize(("text", "value"), [("月租五千一百", 5100), ("一万八", 18000), ("五千一", 5100), ("1万2千", 12000),
                                            ("1万2千5", 12500)])
def test_bare_number_is_kept_for_the_planner(text, value):
    assert quantities(text) == [("bare", Decimal(value), "")]


@pytest.mark.parametrize(
    ("text", "value", "unit"),
    [("20天", 20, "day"), ("二十天", 20, "day"), ("两周", 2, "week"), ("半个月", Decimal("0.5"), "month"),
     ("3个月", 3, "month"), ("半年", 6, "month"), ("一年", 1, "year"), ("一年半", 18, "month"),
     ("24小时", 24, "hour"), ("一天一夜", 24, "hour"), ("两天两夜", 48, "hour"), ("30个小时", 30, "hour"),
     ("四个半小时", Decimal("4.5"), "hour"), ("23.5小时", Decimal("23.5"), "hour"), ("十五日", 15, "day"),
     ("两天半", Decimal("2.5"), "day"), ("3天半", Decimal("3.5"), "day"), ("两个季度", 6, "month"),
     # "一个多礼拜" is at least a week, as "一个多月" is at least a month (its 1 was read as a day)
     ("一个多礼拜", 1, "week"), ("两个多星期", 2, "week"),
     ("这样一季要多少", 3, "month"), ("每季度交多少", 3, "month"), ("嗯 一季度 呢", 3, "month"),
     ("两季度要多少", 6, "month"),
     # paying by the quarter or by the year pays for that span each time
     ("按季度交呢", 3, "month"), ("按 季 付 的话", 3, "month"), ("按年交呢", 12, "month")],
)
def test_durations(text, value, unit):
    assert quantities(text) == [("duration", Decimal(value), unit)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [("断了两天零十个小时", [(2, "day"), (10, "hour")]), ("断了2天零10个小时", [(2, "day"), (10, "hour")]),
     ("三天零二十个小时", [(3, "day"), (20, "hour")]), ("一千零五元", [(1005, "元")])],
)
def test_zero_joining_the_parts_of_a_period_is_no_digit(text, expected):
    assert [(q.value, q.unit) for q in extract(text, TODAY).quantities] == [(Decimal(v), u) for v, u in expected]


@pytest.mark.parametrize("text", ["最晚是哪一天", "哪一条规定"])
def test_which_one_holds_no_numeral(text):
    assert quantities(text) == []


@pytest.mark.parametrize("text", ["第三季度的账单", "一季度的账单", "上一季的账单", "三季度要交多少", "一季度末"])
def test_a_named_quarter_is_no_duration(text):
    assert not [q for q in quantities(text) if q[0] == "duration"]


def test_counts_and_references_that_are_not_inputs():
    assert quantities("被删了六次") == [("count", Decimal(6), "次")]
    assert quantities("一次性费用") == []
    assert quantities("第6个工作日") == []
    assert quantities("2026年被删了6次") == [("count", Decimal(6), "次")]
    # "欠费第8天了": the eighth day now, a count of days; "第6个工作日" stays a label.
    assert quantities("欠费第8天了") == [("duration", Decimal(8), "day")]
    # the day or month a span runs to is its length ("拖到第30天才交"); a clause or business day run to stays a label
    assert quantities("拖到第30天才交") == [("duration", Decimal(30), "day")]
    assert quantities("假设用到第20个月才被发现") == [("duration", Decimal(20), "month")]
    assert quantities("到第6个工作日还没开通") == []
    assert quantities("翻到第11条看看") == []
    # "第五次被删除": the fifth time, a count; "第一次交多少" names the first payment.
    assert quantities("今年度第五次被删除内容了") == [("count", Decimal(5), "次")]
    assert quantities("第一次要交多少") == []
    # 第三方 after an ordinal is no value of a list item that the ordinal would label.
    assert quantities("已经是第六次被第三方投诉了") == [("count", Decimal(6), "次")]
    assert quantities("第二次13小时") == [("duration", Decimal(13), "hour")]
    # A guess between two numbers is no value; the correction after it is.
    assert quantities("大概有三四次吧 我查了一下 是四次") == [("count", Decimal(4), "次")]
    assert quantities("断了两三天") == []
    assert quantities("二十三天") == [("duration", Decimal(23), "day")]
    # Counted things that no calculator takes: invoices, copies, people, companies.
    assert quantities("专线跟云能开一张吗") == []
    assert quantities("发票开两份，三个人签字，两家公司") == []
    assert quantities("一张5000元的发票") == [("money", Decimal(5000), "元")]
    # An address, numerals in its place names too, is never an input; the values after it are.
    assert quantities("诊所地址：东城区东四北大街15号，第一次交多少钱") == []
    assert quantities("我们在朝阳区建国路88号，50M专线，逾期10天") == [("bandwidth", Decimal(50), "Mbps"), ("duration", Decimal(10), "day")]
    assert quantities("地址昌平区生命科学园路29号）的云专线月租为5100元") == [("money", Decimal(5100), "元")]
    # Rates are the contract's, never an input; nor is a batch.
    assert quantities("不含税66666元，请按6%的增值税率") == [("money", Decimal(66666), "元")]
    assert quantities("欠5000元 按3‰算") == [("money", Decimal(5000), "元")]
    assert quantities("采购一批专线") == []
    # only paying by the year is a year's span; reckoning by the year is no amount of time
    assert quantities("违约金按年计算吗") == []


@pytest.mark.parametrize(
    ("text", "expected", "assumed"),
    [("2026年3月1日", date(2026, 3, 1), False), ("3月1号", date(2026, 3, 1), True),
     ("3.1", date(2026, 3, 1), True), ("2026-03-01", date(2026, 3, 1), False), ("3/1", date(2026, 3, 1), True),
     ("二〇二六年三月一日", date(2026, 3, 1), False), ("三月三十一号", date(2026, 3, 31), True),
     ("2024年2月29日", date(2024, 2, 29), False), ("2026/3/1", date(2026, 3, 1), False),
     ("今天", TODAY, False), ("昨天", date(2026, 11, 23), False),
     # the same day of another year
     ("我们是去年今天开始用的", date(2025, 11, 24), False), ("明年的今天到期", date(2027, 11, 24), False),
     ("前年昨天", date(2024, 11, 23), False),
     # a year named relative to today is given, not assumed
     ("明年一月十五号", date(2027, 1, 15), False), ("今年5月1号", date(2026, 5, 1), False),
     ("去年12月31日", date(2025, 12, 31), False), ("后年2月29号", date(2028, 2, 29), False),
     ("明年 3/1", date(2027, 3, 1), False),
     # the last day of a month
     ("3月底", date(2026, 3, 31), True), ("明年三月底", date(2027, 3, 31), False), ("2028年2月末", date(2028, 2, 29), False),
     ("6月最后一天", date(2026, 6, 30), True), ("下个月底", date(2026, 12, 31), False), ("这个月底", date(2026, 11, 30), False),
     # a day of a month named relative to today
     ("上个月15号", date(2026, 10, 15), False), ("下月1日", date(2026, 12, 1), False), ("本月3号", date(2026, 11, 3), False),
     ("上上个月10号", date(2026, 9, 10), False), ("下个月月底", date(2026, 12, 31), False),
     # chat leaves the 日 off when nothing after the day makes it a quantity
     ("哦等下 是3月12开的", date(2026, 3, 12), True), ("三 月 十二 开 的", date(2026, 3, 12), True),
     ("合同3月1 起租", date(2026, 3, 1), True),
     # a caller hesitates between the month and the day
     ("我们九月 呃 十号 发书面通知", date(2026, 9, 10), True), ("三月嗯 嗯五号开通的", date(2026, 3, 5), True),
     # a year in two digits before 年; a number outside 2015–2035 is no year ("用了12年")
     ("25年12月1日开通的", date(2025, 12, 1), False), ("合同是26年2月10号起租的", date(2026, 2, 10), False),
     ("二五年十二月底", date(2025, 12, 31), False), ("用了12年3月5号到期", date(2026, 3, 5), True)],
)
def test_dates(text, expected, assumed):
    found = extract(text, TODAY).dates
    assert [(d.value, d.year_assumed) for d in found] == [(expected, assumed)]


def test_the_same_day_of_a_year_without_29_february_is_28_february():
    assert [d.value for d in extract("去年今天开通的", date(2028, 2, 29)).dates] == [date(2027, 2, 28)]


def test_date_with_time():
    found = extract("3月1日下午3点半报竣", TODAY).dates[0]
    assert found.value == date(2026, 3, 1) and found.at == time(15, 30)


def test_decimal_amounts_are_not_read_as_dates():
    found = extract("3.5万元", TODAY)
    assert not found.dates and quantities("3.5万元") == [("money", Decimal(35000), "元")]


@pytest.mark.parametrize(
    ("text", "month"),
    [("4月账单", (2026, 4)), ("2025年12月份的账单", (2025, 12)), ("25年12月份的账单", (2025, 12)), ("上个月", (2026, 10)), ("下个月", (2026, 12)),
     ("上上个月的账单", (2026, 9)),
     ("去年12月的账单", (2025, 12)), ("明年三月份", (2027, 3))],
)
def test_months(text, month):
    assert [(m.year, m.month) for m in extract(text, TODAY).months] == [month]


@pytest.mark.parametrize("text", ["2月30日", "2026年2月29日", "13月1日", "4月31号", "2025-02-29", "13月底", "这个月31号", "2.30号"])
def test_impossible_dates_raise(text):
    with pytest.raises(CalcInputError) as exc:
        extract(text, TODAY)
    assert "不是有效日期" in exc.value.message


@pytest.mark.parametrize("text", ["可用性是99.95%还是99.9", "SLA 99.9", "3.45的折扣",
                                  # a month beside a quantity of its own is no day of it
                                  "3月200元", "3月 12天", "合同12个月3600元"])
def test_a_number_with_a_point_that_is_no_day_is_not_a_date(text):
    # Only 月/日 written out is a date that can be impossible; "99.9" is just a number.
    assert extract(text, TODAY).dates == []


def test_leap_day_in_a_leap_year_is_fine():
    assert extract("2028年2月29日", TODAY).dates[0].value == date(2028, 2, 29)


@pytest.mark.parametrize(
    ("text", "at"),
    [("订单我刚确认了 现在晚上9点半 握云最晚几点开", time(21, 30)), ("刚刚下午3点交了", time(15, 0))],
)
def test_a_clock_time_said_as_now_is_today_at_that_time(text, at):
    dates = extract(text, TODAY).dates
    assert [(d.value, d.at) for d in dates] == [(TODAY, at)]


def test_now_without_a_clock_time_is_no_date():
    assert extract("现在通知还来得及吗", TODAY).dates == []


@pytest.mark.parametrize("text", ["网站备案下周一5月11号变更", "星期一5月11号变更", "礼拜一5月11号变更", "下週一5月11號變更"])
def test_a_weekday_right_before_a_date_is_no_digit_of_its_month(text):
    # it was read as 15月11号 and raised an invalid date
    assert [d.value for d in extract(text, date(2026, 5, 6)).dates] == [date(2026, 5, 11)]


def test_to_digits_leaves_unrelated_text_readable():
    assert to_digits("五十兆的专线不要云了以后一个月多少钱") == "50兆的专线不要云了以后1个月多少钱"


@pytest.mark.parametrize(
    ("text", "money", "other"),
    [
        # A numeral in characters right after digits is a number of its own, not more digits of it.
        ("8个月 2100一个月", 2100, "1个月"),
        ("交了300一次", 300, "1次"),
        ("5000一年", 5000, "1年"),
        ("资费1w一个月", "10000元", "1个月"),
    ],
)
def test_a_numeral_after_digits_is_no_more_digits_of_them(text, money, other):
    digits = to_digits(text)
    assert f"{money} {other}" in digits and f"{money}1" not in digits


@pytest.mark.parametrize(("text", "digits"), [("月租5千一", "月租5100"), ("2026年一月一号", "2026年1月1号"),
                                              ("万一修不好怎么办", "万一修不好怎么办")])
def test_numerals_after_units_still_join_their_number(text, digits):
    assert to_digits(text).strip() == digits


@pytest.mark.parametrize(
    ("text", "digits"),
    [
        # ASR spaces every character: a word whose 一 is no numeral stays a word across the spaces.
        ("放假 想 停 一 段 时间 再 恢复", "放假 想 停 一 段 时间 再 恢复"),
        ("帮 我 算 一 下", "帮 我 算 一 下"),
        ("停一段时间", "停一段时间"),
        # the May Day holiday is no number
        ("客户说中间赶上五一放假了", "客户说中间赶上五一放假了"),
        # "another" and "in how many copies" count nothing; the copies' own number still does
        ("另一个客户问云主机默认装的是什么系统", "另一个客户问云主机默认装的是什么系统"),
        ("合同一式几份", "合同一式几份"),
        ("协议一式四份", "协议一式4份"),
        # 一 counting an action is no quantity ("重新对了一遍日志" is no amount of 1)
        ("我们运维重新对了一遍日志", "我们运维重新对了一遍日志"), ("再冒昧问一句", "再冒昧问一句"),
        ("麻烦 跑 一 趟", "麻烦 跑 一 趟"),
        ("麻烦再算一次", "麻烦再算一次"),
        # … nor a step of a process ("经进一步排查" is no amount of 1)
        ("经我方进一步排查，故障点在我司机房", "经我方进一步排查,故障点在我司机房"),
        # … nor does 一 in an idiom of repetition ("一拖再拖" is no amount of 1)
        ("施工一拖再拖，晚了120天才开通", "施工一拖再拖,晚了120天才开通"),
        # "一块(儿)" before a verb is together, never one yuan ("跟月租一块儿交" is no amount of 1)
        ("跟那个月租 一块儿交", "跟那个月租 一块儿交"), ("跟第一个月的月租一块交啊", "跟第1个月的月租一块交啊"),
        ("就差一块钱", "就差1块钱"),
        # A numeral beside such a word is still one.
        ("逾期 一 天", "逾期 1 天"),
    ],
)
def test_words_that_are_not_numerals_survive_asr_spacing(text, digits):
    assert to_digits(text) == digits


@pytest.mark.parametrize(
    ("text", "digits"),
    [
        # A quantity taken back keeps the corrected one, as days and times already did.
        ("晚了十来天吧 不对 是十二天", "晚了12天"),
        ("两条 说错了 三条", "3条"),
        ("月租五千 不对 五千一", "月租5100 "),
        # "是三条 不是两条": the first one said is the right one.
        ("五十兆的是三条 不是两条", "50兆的是3条"),
        # A negation that takes nothing back is left alone.
        ("不是计划割接，断了30小时", "不是计划割接,断了30小时"),
        ("欠了5000元，不是含税的", "欠了5000元,不是含税的"),
    ],
)
def test_quantities_taken_back_keep_the_corrected_one(text, digits):
    assert to_digits(text) == digits


MAY_20 = date(2026, 5, 20)


@pytest.mark.parametrize(
    ("text", "dates"),
    [
        # A month or year end without its month or year is this month's or this year's; 每月底 is a rule.
        ("客户想月底前把沃云终止掉", [date(2026, 5, 31)]),
        ("月末", [date(2026, 5, 31)]),
        ("每月底出账", []),
        ("年底前解约", [date(2026, 12, 31)]),
        ("明年底到期", [date(2027, 12, 31)]),
        ("明年年底到期", [date(2027, 12, 31)]),
        ("2027 年底", [date(2027, 12, 31)]),
        ("每年底", []),
        # One date said twice is one mention: side by side, or named in words and written out elsewhere.
        ("我們年底（12 月 31 日）想提前解約", [date(2026, 12, 31)]),
        ("今天，也就是5月20日交的", [date(2026, 5, 20)]),
        ("集团年底迁移，希望在2026年12月31日终止，12月1日申请", [date(2026, 12, 31), date(2026, 12, 1)]),
        # "那个 八月三十一号" (ASR spaces dropped: "那个8月31号") is a date; "个" before a month is a measure word only
        # after a number.
        ("月租五千一 那个 八月三十一号竣工", [date(2026, 8, 31)]),
        # Two different dates side by side stay two.
        ("于今天（6月10日）发出", [MAY_20, date(2026, 6, 10)]),
    ],
)
def test_month_and_year_ends_and_dates_said_twice(text, dates):
    assert [d.value for d in extract(text, MAY_20).dates] == dates


def test_a_month_named_again_without_its_year_is_the_month_named_before():
    months = extract("去年12月份的账单准备今天付，12月账单最晚哪天交", date(2026, 1, 30)).months
    assert [(m.year, m.month, m.year_assumed) for m in months] == [(2025, 12, False), (2025, 12, False)]


class _AlwaysTransform:
    """Stands in for the character set so that every text goes through cn2an."""

    @staticmethod
    def isdisjoint(_text: str) -> bool:
        return False


def test_to_digits_skips_cn2an_only_where_it_would_change_nothing(monkeypatch):
    root = Path(__file__).resolve().parents[2]
    texts = (root / "corpus" / "contract.txt").read_text(encoding="utf-8").splitlines()
    for name in ("eval_questions.toml", "calc_questions.toml", "scope_calibration.toml"):
        texts += re.findall(r'"([^"\n]+)"', (root / "tests" / "data" / name).read_text(encoding="utf-8"))
    texts += ["廿天", "半天", "半个钟头", "5万", "0.51万元", "两千块", "贰佰元", "百分之六", "一下子", "万一断网", "10010"]
    skipped = [t for t in texts if parse._CN2AN_CHARS.isdisjoint(t)]
    assert len(skipped) > 100  # the shortcut is exercised
    fast = [to_digits(t) for t in texts]
    monkeypatch.setattr(parse, "_CN2AN_CHARS", _AlwaysTransform())
    assert fast == [to_digits(t) for t in texts]


@pytest.mark.parametrize(
    ("text", "months"),
    [("4月到12月只用专线", 9), ("四月到十二月", 9), ("11月至2月", 4), ("2026年4月到6月", 3), ("从九月用到十二月", 4),
     # one month, or days named: no span of months
     ("3月到3月", None), ("4月5号到12月1号", None)],
)
def test_a_span_of_months_is_also_its_number_of_months(text, months):
    said = to_digits(text)
    assert (f"（共{months}个月）" in said) if months else ("个月" not in said)


def test_an_annex_named_by_its_number_is_no_quantity():
    assert to_digits("客户看到附件二里提到信息产业部33号令") == "客户看到附件二里提到信息产业部33号令"


@pytest.mark.parametrize(
    "text",
    ["马骏（电话 185 1023 9047）欠费5000", "电话：010 8888 6666，欠费5000", "手机号 139-1122-8765 欠费5000"],
)
def test_a_phone_number_after_its_label_is_protected_whole(text):
    """Spaced groups of a phone number are one number, never an amount ("185 1023 9047": not 1023 and 9047)."""
    from assistant.calc.mentions import read

    assert [(m.kind, m.value) for m in read(text, date(2026, 10, 22)).items] == [("number", Decimal(5000))]


@pytest.mark.parametrize(
    ("text", "found"),
    [
        # Ports, and the ports a question about ports names anywhere in it, are no amounts.
        ("外网访问不了80端口 443也不通", []),
        ("那个 八零端口 还有四四三 怎么都打不开啊", []),
        ("为啥我们网站80端口访问不了 443也不通", []),
        # The question's own values stay.
        ("80端口不通 断了30小时 月租5100", [("duration", Decimal(30), "hour"), ("bare", Decimal(5100), "")]),
        # Without a word on ports, 443 is a number like any other.
        ("欠了443块", [("money", Decimal(443), "元")]),
    ],
)
def test_ports_are_no_amounts(text, found):
    assert quantities(text) == found
