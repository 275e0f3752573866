"""Redaction: what it replaces, what it leaves, the identifiers it reports, and the rules file's checks."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from assistant.audit.redaction import (
    RULES_PATH,
    Subject,
    id_checksum_ok,
    load_rules,
    luhn_ok,
    phone_subject,
    redact,
    scan,
)

# Checked by hand: a valid ID (check character X), one also Luhn-valid, and bank cards that pass Luhn.
ID_X = "11010519491231002X"
ID_DIGIT = "440304199001011233"
ID_ALSO_LUHN = "110101199003070062"
ID_BAD_CHECK = "110105194912310021"
ID_FEB_30 = "110105199002301231"  # right check character, impossible birth date
CARD_16 = "4111111111111111"
CARD_19 = "6222021234567890128"
CARD_18 = "622202123456789012"
CARD_ID_SHAPED = "110101199003071235"  # looks like an ID, fails its checksum, passes Luhn

REDACTION = [
    # mobile numbers
    ("我的手机13812345678", "我的手机[手机号]"),
    ("+86 138 1234 5678", "[手机号]"),
    ("+86-13812345678请回电", "[手机号]请回电"),
    ("8613812345678", "[手机号]"),
    ("138-1234-5678", "[手机号]"),
    ("１３８１２３４５６７８", "[手机号]"),
    ("手机：１３８ １２３４ ５６７８，谢谢", "手机：[手机号]，谢谢"),
    ("电话12345678901", "电话12345678901"),  # 12… is not a mobile prefix
    ("138123456789", "138123456789"),  # 12 digits: not a mobile number
    # landlines
    ("座机010-62345678", "座机[电话]"),
    ("(010)62345678", "[电话]"),
    ("0755 8888 1234", "[电话]"),
    ("０１０－６２３４５６７８", "[电话]"),
    # resident ID numbers
    (f"身份证{ID_X}", "身份证[身份证号]"),
    (f"身份证{ID_X.lower()}", "身份证[身份证号]"),
    (f"证件号 {ID_DIGIT}。", "证件号 [身份证号]。"),
    (f"{ID_ALSO_LUHN}", "[身份证号]"),  # passes both checks: the ID reading wins
    ("１１０１０５１９４９１２３１００２Ｘ", "[身份证号]"),
    # 18 digits that are no valid ID are still redacted, as a card number (16–19 digits, whatever the check digit)
    (f"身份证{ID_BAD_CHECK}", "身份证[银行卡号]"),
    (f"身份证{ID_FEB_30}", "身份证[银行卡号]"),
    # e-mail
    ("邮箱 zhang.san@example.com.cn 谢谢", "邮箱 [邮箱] 谢谢"),
    ("发到13812345678@163.com", "发到[邮箱]"),
    # bank cards
    (f"卡号{CARD_16}", "卡号[银行卡号]"),
    (f"卡号{CARD_19}", "卡号[银行卡号]"),
    ("卡号 6222 0212 3456 7890 128", "卡号 [银行卡号]"),
    ("4111-1111-1111-1111", "[银行卡号]"),
    (CARD_18, "[银行卡号]"),  # 18 digits that are no ID
    (CARD_ID_SHAPED, "[银行卡号]"),
    ("4111111111111112", "[银行卡号]"),  # fails Luhn, but 16 digits are a card number all the same
    ("４１１１１１１１１１１１１１１１", "[银行卡号]"),
    # contract numbers, amounts, dates and bandwidths stay
    ("拨打10010或4000111000咨询", "拨打10010或4000111000咨询"),
    ("400-011-1000", "400-011-1000"),
    ("月租5100元，2026-03-01开通，带宽50M", "月租5100元，2026-03-01开通，带宽50M"),
    ("见主协议第23条 M-23 与附件一 A1-4.5", "见主协议第23条 M-23 与附件一 A1-4.5"),
    ("合同编号20260301001，金额120000.00元", "合同编号20260301001，金额120000.00元"),
    ("２０２６年３月１日，５１００元", "２０２６年３月１日，５１００元"),  # unredacted text keeps its characters
    # several kinds in one message, with numbers that must stay
    (
        f"我是张三，手机13812345678，身份证{ID_X}，月租5100元，带宽50M，2026-03-01起，客服10010",
        "我是[姓名]，手机[手机号]，身份证[身份证号]，月租5100元，带宽50M，2026-03-01起，客服10010",
    ),
    (
        f"退款到{CARD_16}，有事打010-62345678或发a@b.cn，别打4000111000",
        "退款到[银行卡号]，有事打[电话]或发[邮箱]，别打4000111000",
    ),
    # issue 12: phone numbers with separators, or in Chinese digits (as speech recognition writes them)
    ("138.1234.5678", "[手机号]"),
    ("回电138 1234 5678谢谢", "回电[手机号]谢谢"),
    ("+86 138.1234.5678", "[手机号]"),
    ("我手机一三八一二三四五六七八", "我手机[手机号]"),
    ("幺三八 幺二三四 五六七八", "[手机号]"),
    ("一三八.一二三四.五六七八", "[手机号]"),
    ("我的电话幺三八幺二三四、五六七八逾期十天", "我的电话[手机号]逾期十天"),  # as the IVR cleaner leaves it
    ("座机零一零 六二三四五六七八", "座机[电话]"),
    ("010.6234.5678", "[电话]"),
    ("身份证一一〇一〇五一九四九一二三一〇〇二X", "身份证[身份证号]"),
    ("身份证11010519491231003X", "身份证[身份证号]"),  # wrong check character, real birth date
    ("老身份证110105491231002", "老身份证[身份证号]"),  # 15 digits, first generation
    # issue 12: card numbers failing Luhn; grouped ones count when Luhn-valid or UnionPay (62…)
    ("卡号6222021234567890123", "卡号[银行卡号]"),
    ("6222 0212 3456 7890", "[银行卡号]"),
    ("前四个月分别是1200 1500 1350 1100", "前四个月分别是1200 1500 1350 1100"),  # passes Luhn, starts with 1
    ("前三个月分别是1800 2200 2600", "前三个月分别是1800 2200 2600"),
    # issue 12: names after 我叫 / 联系人 / 姓名 / 我是
    ("我叫张三，想问违约金", "我叫[姓名]，想问违约金"),
    ("我叫张三我想问一下违约金怎么算", "我叫[姓名]我想问一下违约金怎么算"),
    ("联系人：王小明 13812345678", "联系人：[姓名] [手机号]"),
    ("联系人是李四", "联系人是[姓名]"),
    ("姓名：欧阳娜娜", "姓名：[姓名]"),
    ("我的名字叫赵丽颖。", "我的名字叫[姓名]。"),
    ("您好，我是马丽（电话13812345678）", "您好，我是[姓名]（电话[手机号]）"),
    ("我是想问一下违约金", "我是想问一下违约金"),
    ("我是新用户，开户费多少", "我是新用户，开户费多少"),
    ("我是马上要到期了", "我是马上要到期了"),
    ("联系人怎么变更", "联系人怎么变更"),
    ("联系人和电话怎么改", "联系人和电话怎么改"),
    # issue 12: addresses
    ("装机地址北京市朝阳区建国路88号院3号楼1单元101", "装机地址[地址]"),
    ("我在北京市朝阳区有两条专线", "我在[地址]有两条专线"),
    ("我家住在建国路88号", "我家住在[地址]"),
    ("寄到海淀区中关村南大街12号3层", "寄到[地址]"),
    ("地址：阳光小区3号楼2单元501", "地址：[地址]"),
    ("中关村大街八十八号", "[地址]"),
    ("北京市分公司", "北京市分公司"),
    ("专线线路3号端口不通", "专线线路3号端口不通"),
    # issue 12: contract figures stay, in either kind of digits
    ("逾期12天，欠费5100元，带宽100M", "逾期12天，欠费5100元，带宽100M"),
    ("逾期十二天，欠费五千一百元", "逾期十二天，欠费五千一百元"),
    ("二〇二六年三月一日开通，一千兆", "二〇二六年三月一日开通，一千兆"),
    ("2026年4月1日受理，5个工作日", "2026年4月1日受理，5个工作日"),
    ("", ""),
]


@pytest.mark.parametrize("text, expected", REDACTION)
def test_redact(text, expected):
    assert redact(text) == expected


@pytest.mark.parametrize("text, _", REDACTION)
def test_redact_is_idempotent(text, _):
    assert redact(redact(text)) == redact(text)


@pytest.mark.parametrize(
    "number, ok",
    [(ID_X, True), (ID_X.lower(), True), (ID_DIGIT, True), (ID_BAD_CHECK, False), (ID_FEB_30, False), (CARD_18, False)],
)
def test_id_checksum(number, ok):
    assert id_checksum_ok(number) is ok


@pytest.mark.parametrize(
    "number, ok",
    [(CARD_16, True), (CARD_19, True), ("6222 0212 3456 7890 128", True), ("4111111111111112", False), ("79927398713", True)],
)
def test_luhn(number, ok):
    assert luhn_ok(number) is ok


@pytest.mark.parametrize(
    "text, subjects",
    [
        ("手机138.1234.5678，或+86 138 1234 5678", [Subject("phone", "13812345678")]),
        ("一三八一二三四五六七八", [Subject("phone", "13812345678")]),
        ("座机(010)62345678", [Subject("phone", "01062345678")]),
        (f"身份证{ID_X.lower()}，邮箱Zhang@Example.cn", [Subject("id_number", ID_X), Subject("email", "zhang@example.cn")]),
        (f"卡号{CARD_16}", [Subject("bank_card", CARD_16)]),
        ("我叫张三，住在建国路88号", []),  # names and addresses are replaced but not recorded as identifiers
    ],
)
def test_scan_reports_normalised_identifiers(text, subjects):
    assert list(scan(text).subjects) == subjects


@pytest.mark.parametrize(
    "number, value",
    [("13812345678", "13812345678"), ("+86 138-1234-5678", "13812345678"), ("010-62345678", "01062345678"),
     ("hello", None), ("13812345678 and 13900001111", None), (ID_X, None)],
)
def test_phone_subject_takes_exactly_one_phone_number(number, value):
    got = phone_subject(number)
    assert (got.value if got else None) == value


def _rules_with(tmp_path: Path, old: str, new: str) -> Path:
    """A copy of the shipped rules file with one piece of text replaced."""
    text = RULES_PATH.read_text(encoding="utf-8")
    assert old in text, old
    path = tmp_path / "rules.toml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def test_the_shipped_rules_load_and_a_copy_loads_too(tmp_path):
    rules = load_rules(_rules_with(tmp_path, "[placeholders]", "[placeholders]"))
    assert scan("我叫张三，手机138.1234.5678", rules).text == "我叫[姓名]，手机[手机号]"
    assert load_rules(RULES_PATH).placeholders == rules.placeholders


@pytest.mark.parametrize(
    "old, new, message",
    [
        ('regex = \'[A-Za-z0-9._%+-]+@', 'regex = \'(unclosed[A-Za-z0-9._%+-]+@', "pattern email: missing ), unterminated subpattern"),
        ('kind = "email"', 'kind = "passport"', "pattern email: kind 'passport' has no placeholder"),
        ('check = "luhn"', 'check = "crc32"', "pattern.7.check"),
        ('name = "id_number_15"', 'name = "email"', "pattern name 'email' is used twice"),
        ("regex = '(?<![0-9])[0-9]{16,19}", "regex = '{nowhere}(?<![0-9])[0-9]{16,19}", "pattern bank_card: unknown fragment {nowhere}"),
        ('mobile = "[手机号]"', 'mobile = "手机138 1234 5678"', "placeholder '手机138 1234 5678' of mobile is itself matched"),
        ('"九" = "9"', '"九" = "9", "十" = "10"', "[fold].digits must map single characters to one ASCII digit"),
        ("[placeholders]", "[extra]\nx = 1\n\n[placeholders]", "extra"),
        ("[placeholders]", "[placeholders", "Expected ']'"),
        ('needs = ["@"]', 'needs = [""]', "pattern email: needs must not hold an empty string"),
    ],
    ids=["bad-regex", "unknown-kind", "unknown-check", "duplicate-name", "unknown-fragment", "placeholder-matches",
         "bad-digit", "unknown-table", "not-toml", "empty-needs"],
)
def test_bad_rules_are_refused_with_a_clear_message(tmp_path, old, new, message):
    path = _rules_with(tmp_path, old, new)
    with pytest.raises(ValueError, match=re.escape(message)) as e:
        load_rules(path)
    assert str(path) in str(e.value)


def test_clean_text_is_remembered_and_text_with_personal_data_never_is():
    from assistant.audit import redaction

    clean = "逾期缴费违约金：欠费 5000 元，逾期 10 天，违约金 150.00 元。"
    personal = "我的手机 13912345678，欠费 5000 元"
    assert scan(clean).text == clean and scan(clean).text == clean
    assert clean in redaction._CLEAN
    first, again = scan(personal), scan(personal)
    assert first == again and "13912345678" not in first.text and first.subjects
    assert personal not in redaction._CLEAN
    # Rules other than the default ones are never answered from the cache.
    assert scan(clean, redaction.default_rules()).text == clean
