import re
from pathlib import Path

import opencc
import pytest

from assistant.corpus import normalize
from assistant.corpus.normalize import fold, normalize_query, to_simplified


@pytest.mark.parametrize(
    "raw, folded",
    [
        ("５０Ｍ專線", "50m专线"),
        ("雲專線 欠費", "云专线欠费"),
        ("ＡＢＣ　ｄｅｆ", "abc def"),
        ("违约金\u200b怎么算\x07", "违约金怎么算"),
        ("亚马逊的云 就是 A W S 欠费了", "亚马逊的云就是 aws 欠费了"),
        ("a VAT invoice", "a vat invoice"),
        # ASR spacing inside one numeral: the next part continues the falling places …
        ("哦 不对 是 三千 五百 五", "哦不对是三千五百五"),
        ("欠的 是 一万 八 到 现在", "欠的是一万八到现在"),
        ("一万 八千", "一万八千"),
        # … while numerals that do not continue one another stay a list
        ("一千 一千二 九百", "一千、一千二、九百"),
        ("两千四 三千 两千七", "两千四、三千、两千七"),
        ("两万 三万", "两万、三万"),
        # 零 between the places of one number joins them
        ("开通 一年 零 两个 月", "开通一年零两个月"),
        ("欠 了 两千 零 五十 块", "欠了两千零五十块"),
        # a digit with a unit of its own is no place of the numeral before it
        ("欠了一万 八天", "欠了一万、八天"),
    ],
)
def test_fold(raw, folded):
    assert fold(raw) == folded


@pytest.mark.parametrize(
    "raw, clean",
    [
        ("喂 嗯 那个 就是 专线欠费了怎么办", "专线欠费了怎么办"),
        ("嗯嗯，专线专线能不能停", "专线能不能停"),
        ("请问一下开户费多少", "开户费多少"),
        # a filler standing alone inside a transcript's sentence, before folding closes its spaces
        ("这个钱 呃 是直接 退给我们 还是 怎么弄", "钱是直接退给我们还是怎么弄"),
        ("我们那个专线 上个礼拜 断了 呃 一天半", "我们那个专线上个礼拜断了一天半"),
        # …but not one beginning a word: "额外", "额度" keep their first character
        ("那个 额度 是 多少", "额度是多少"),
        ("额外收费吗", "额外收费吗"),
        # one before another filler still stands alone, and a pure interjection typed onto the next word goes
        ("额 那个 合同到期了", "合同到期了"),
        ("嗯这个合同到期了", "合同到期了"),
        ("呃我们要是不交的话会怎么样", "我们要是不交的话会怎么样"),
    ],
)
def test_normalize_query_drops_fillers_and_repetitions(raw, clean):
    assert normalize_query(raw) == clean


@pytest.mark.parametrize(
    ("message", "question"),
    [
        ("> 可核减209.59元。\n好的。请问这些核减金额会在哪个月体现？", "好的。这些核减金额会在哪个月体现?"),
        ("＞ 按30小时计算\n> 可核减86.30元\n另一条线路能核减多少", "另一条线路能核减多少"),
        # a message that is nothing but quotation is read as it is
        ("> 违约金多少", "> 违约金多少"),
    ],
)
def test_lines_an_email_reply_quotes_are_not_its_question(message, question):
    assert normalize_query(message) == question


def _texts() -> list[str]:
    """Every contract line and every question the tests hold, plus some traditional Chinese."""
    root = Path(__file__).resolve().parents[2]
    texts = (root / "corpus" / "contract.txt").read_text(encoding="utf-8").splitlines()
    for name in ("eval_questions.toml", "calc_questions.toml", "scope_calibration.toml"):
        texts += re.findall(r'"([^"\n]+)"', (root / "tests" / "data" / name).read_text(encoding="utf-8"))
    return texts + ["網路斷線了怎麼賠", "乾隆年間", "乾淨的機房", "一目瞭然", "雲專線的頻寬", "於是"]


def test_to_simplified_skips_only_texts_that_t2s_leaves_unchanged():
    assert normalize._convertible() is not None  # the dictionaries were found: the fast path is in use
    texts = _texts()
    assert len(texts) > 1000
    t2s, full = opencc.OpenCC("t2s"), normalize._t2s()
    # A text t2s would change (it holds a traditional character) is converted in full, Taiwan's words included;
    # one it would leave as it is stays as it is (tw2sp alone would turn a simplified 影片 into 视频).
    # (OpenCC's 幺 for a simplified 么 aside: see the test below.)
    assert [to_simplified(t).replace("么", "幺") for t in texts] == [
        (full.convert(t) if t2s.convert(t) != t else t).replace("么", "幺") for t in texts
    ]
    assert to_simplified("乾淨的機房") == "干净的机房" and to_simplified("乾隆") == "乾隆"


@pytest.mark.parametrize(
    ("raw", "simplified"),
    [("什么资质 帳單", "什么资质 帐单"), ("怎么辦", "怎么办"), ("为什么這樣", "为什么这样"), ("什麼時候", "什么时候"), ("首期覆盖华北 需要什么资质", "首期覆盖华北 需要什么资质")],
)
def test_a_simplified_么_stays_么_when_a_traditional_character_beside_it_is_converted(raw, simplified):
    # OpenCC reads 么 as the old variant of 幺, which the numeral reader would then take for 1 ("什1资质").
    assert to_simplified(raw) == simplified


@pytest.mark.parametrize(
    ("raw", "simplified"),
    [("聯通網路內的故障", "联通网络内的故障"), ("頻寬多少", "带宽多少"), ("雲端伺服器", "云端服务器"), ("80埠是關閉的嗎", "80端口是关闭的吗"),
     ("联通网路", "联通网路"), ("公司年会的影片", "公司年会的影片")],
)
def test_taiwans_words_become_the_contracts_only_in_traditional_text(raw, simplified):
    assert to_simplified(raw) == simplified


def test_to_simplified_converts_everything_without_the_dictionaries(monkeypatch):
    monkeypatch.setattr(normalize, "_convertible", lambda: None)
    assert to_simplified("雲專線") == "云专线" and to_simplified("云专线") == "云专线"


import pytest as _pytest

from assistant.corpus.normalize import correct_spelling


@_pytest.mark.parametrize(
    ("said", "read"),
    [
        ("握云不用了 光留专限", "沃云不用了 光留专线"),
        ("late fee怎么算 overdue 10 days", "滞纳金怎么算 逾期 10 days"),
        ("our line went live yesterday", "our line 开通了 yesterday"),
        ("vat多少 invoice", "增值税多少 发票"),
        # an amount with or without its tax, said in English, is read as the contract's words, not as 税 alone
        ("pre-tax 3300 加6% vat", "不含税 3300 加6% 增值税"),
        ("月费before tax是5100", "月费不含税是5100"),
        ("5100是tax included的", "5100是含税的"),
        ("billion", "billion"),  # English entries match whole words only
        ("最迟哪天发书面通知", "最晚哪天发书面通知"),  # a word meaning exactly what the calculators' word means
        ("是几个工作天", "是几个工作日"),
        ("今天刚受里的 最晚哪天开通", "今天刚受理的 最晚哪天开通"),
        # an A-not-A question asks whether; its 不含税 is no pre-tax amount
        ("开户费那一百块含不含税", "开户费那一百块是否含税"),
        # the opening fee named by what it was paid for, or half in English
        ("开户那笔钱里头税是多少", "开户费里头税是多少"), ("开户的钱含多少税", "开户费含多少税"),
        ("开户fee里面含的税是多少", "开户费里面含的税是多少"), ("monthly fee多少", "月租多少"),
    ],
)
def test_misspellings_homophones_and_english_words_are_read_as_the_contract_writes(said, read):
    assert correct_spelling(said) == read

