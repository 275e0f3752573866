"""The IVR channel: spoken forms, speech and SSML rendering, transcript handling and the turn decisions."""

from __future__ import annotations

import re
import shutil
import subprocess
import xml.etree.ElementTree as ET

import pytest

from assistant.channels.ivr import (
    GOODBYE_SPEECH,
    HANDOFF_SPEECH,
    MAX_DETAIL_SPEECH_CHARS,
    MAX_FAILURES,
    MAX_SPEECH_CHARS,
    REPROMPT_SPEECH,
    SSML_ELEMENTS,
    SSML_NS,
    TRANSFER_SPEECH,
    Action,
    SpanKind,
    TurnKind,
    classify_transcript,
    clean_transcript,
    decide,
    render_speech,
    render_text,
    spoken_clause_name,
    tokenize,
)
from assistant.models import Answer, CalcResult, Citation, Intent

ASCII_DIGIT_OR_SYMBOL = re.compile(r"[0-9!-/:-@\[-`{-~]")
CLAUSE_ID = re.compile(r"[MA]\d?-\d")
XML_NS = "{http://www.w3.org/XML/1998/namespace}"

QUOTE_M29 = (
    "甲方未按期缴业务相应费用的，视为违约。乙方有权按照《中华人民共和国电信条例》规定，暂停光专线接入及沃云服务，"
    "并收取业务暂停费用；乙方有权按照甲方所欠费用每日加收 3‰的违约金（从逾期之日起算）。"
)
QUOTE_M34 = "乙方故障申告电话 10010每天 24小时受理甲方的故障申告，在承诺时限内进行修复，甲方应积极予以协助配合。"
QUOTE_A1_4_5 = "甲方应按期支付服务费，每逾期一天应向乙方支付欠费金额 3‰的违约金。逾期 15日的，乙方有权暂停对甲方的服务。"
QUOTE_A1_6_3 = (
    "任何第三方对甲方上传存储或处理的数据内容提出任何权利主张或包含有第 2.5.4条内容的，甲方应在一小时内删除，"
    "否则乙方有权断开该内容与互联网的链接；任何第三方向乙方提出前述主张的，乙方有权将该内容断开与公众互联网的链接。"
)
QUOTE_M23 = "如沃云产品停止使用，专线产品变更为 10M：1100元/月，20M： 2100 元/月，50M： 5100元/月，100M ：10000元/月。"


def calculation(text: str, clause_ids: list[str], result: float, unit: str = "元") -> Answer:
    calc = CalcResult(name="t", inputs={}, result=result, unit=unit, steps=[], clause_ids=clause_ids)
    return Answer(intent=Intent.calculation, answer=text, calculation=calc)


def lookup(clause_id: str, quote: str, name: str) -> Answer:
    citation = Citation(clause_id=clause_id, title="t", text=quote, quote=quote, score=1.0)
    return Answer(intent=Intent.lookup, answer=f"根据{name}：「{quote}」", citations=[citation])


ANSWERS = {
    "calc_line_fee_brief": calculation("50M 专线在沃云停用后的月租为 5100.00 元/月（主协议第二十三条）。", ["M-23"], 5100.0),
    "calc_line_fee": calculation(
        "50M 云专线停用沃云后，1 个月的专线费用为 5100.00元（依据主协议第二十三条）。条件：该价格仅适用于沃云产品停止使用、"
        "专线继续使用的情形；第二十三条未写明是否含税；云专线属增值电信业务，税率 6%。",
        ["M-23"],
        5100.0,
    ),
    "calc_late_fee": calculation(
        "欠费 5000 元、逾期 10 天，违约金为 150.00元，按欠费 × 3‰ × 逾期天数单利计算（依据主协议第二十九条、附件一第4.5条）。"
        "条件：违约金从缴费期限次日起算；逾期满15日乙方可暂停沃云服务、满30日可终止；补交欠费和违约金后48小时内恢复服务。",
        ["M-29", "A1-4.5"],
        150.0,
    ),
    "calc_prorated": calculation(
        "2026年3月15日竣工、月租 5100 元，竣工当月按天计费为 2796.77元（依据主协议第二十九条）。条件：按“月租费 ÷ 当月天数 × "
        "实际使用天数”计收，竣工当日计入使用天数；开户费 100 元与首月月租费一并缴纳。说明：未说明年份，按今年（2026年）计算。",
        ["M-29"],
        2796.77,
    ),
    "calc_deadline": calculation(
        "2026年3月2日受理，乙方应在 2026年3月9日 前（含当日）完成开通（受理后第5个工作日）（依据主协议第二十条）。"
        "条件：以协议生效且乙方网络资源具备为前提；超时开通的，每超时一天按一次性费用的1%退减。",
        ["M-20"],
        "2026-03-09",
        unit="date",
    ),
    "calc_vat": calculation(
        "含税金额 5100.00元 按 6% 增值税拆分：不含税价 4811.32元，税额 288.68元（依据主协议第二十八条、主协议第三十一条）。",
        ["M-28", "M-31"],
        4811.32,
    ),
    "lookup_m29": lookup("M-29", QUOTE_M29, "主协议第二十九条"),
    "lookup_m34": lookup("M-34", QUOTE_M34, "主协议第三十四条"),
    "lookup_a1_4_5": lookup("A1-4.5", QUOTE_A1_4_5, "附件一第4.5条"),
    "lookup_a1_6_3": lookup("A1-6.3", QUOTE_A1_6_3, "附件一第6.3条"),
    "lookup_m23": lookup("M-23", QUOTE_M23, "主协议第二十三条"),
    "clarify_missing": Answer(
        intent=Intent.clarify,
        answer="要计算云专线停用沃云后的月租（依据主协议第二十三条），还需要您告诉我：带宽。例如回复：“50M”。",
    ),
    "clarify_invalid": Answer(intent=Intent.clarify, answer="无法计算：2月30日不是有效日期"),
    "out_of_scope": Answer(
        intent=Intent.out_of_scope,
        answer="这个问题不在《云专线产品入网协议》及其附件的约定范围内，我无法依据合同回答。"
        "请拨打联通客服热线 10010 咨询；沃云（云服务）相关问题可拨打 4000111000。",
    ),
    "markup_in_text": Answer(
        intent=Intent.clarify, answer='请确认 <b>带宽 & 月租</b> 是否为 "50M" 与 \'5100元\'？A2-8 另有规定。'
    ),
}


def ssml_tree(ssml: str) -> ET.Element:
    return ET.fromstring(ssml)


def local_names(root: ET.Element) -> set[str]:
    return {el.tag.removeprefix(f"{{{SSML_NS}}}") for el in root.iter()}


# -- conversions -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "spoken"),
    [
        ("5100元", "五千一百元"),
        ("5100.00 元", "五千一百元"),
        ("167.67元", "一百六十七点六七元"),
        ("1,234.50元", "一千二百三十四点五元"),
        ("0.5元", "零点五元"),
        ("10000元/月", "一万元每月"),
        ("5100.00 元/月", "五千一百元每月"),
        ("3万元", "三万元"),
        ("3‰", "千分之三"),
        ("0.5‰", "千分之零点五"),
        ("6%", "百分之六"),
        ("1％", "百分之一"),
        ("2026-03-01", "二〇二六年三月一日"),
        ("2026年3月9日", "二〇二六年三月九日"),
        ("2026年12月", "二〇二六年十二月"),
        ("3月15日", "三月十五日"),
        ("12月31号", "十二月三十一日"),
        ("2026年", "二〇二六年"),
        ("（含当日）前完成", "前完成"),
        ("9:30", "九点三十分"),
        ("18:05", "十八点零五分"),
        ("50M", "五十兆"),
        ("100M 专线", "一百兆专线"),
        ("20Mbps", "二十兆"),
        ("1G", "一千兆"),
        ("24小时", "二十四小时"),
        ("48 小时", "四十八小时"),
        ("15日", "十五日"),
        ("5 个工作日", "五个工作日"),
        ("2个工作日", "两个工作日"),
        ("第2个工作日", "第二个工作日"),
        ("第5个工作日", "第五个工作日"),
        ("10010", "幺零零幺零"),
        ("热线 10010 咨询", "热线幺零零幺零咨询"),
        ("4000111000", "四零零零幺幺幺零零零"),
        ("13912345678", "幺三九幺二三四五六七八"),
        ("010-12345678", "零幺零幺二三四五六七八"),
        ("１００元", "一百元"),
        ("M-23", "主协议第二十三条"),
        ("A1-4.5", "附件一第四点五条"),
        ("A2-8", "附件二第八条"),
        ("附件一第4.5条", "附件一第四点五条"),
        ("附件二第8条", "附件二第八条"),
        ("第 2.5.4条", "第二点五点四条"),
        ("月租费/当月天数*实际使用天数", "月租费除以当月天数乘以实际使用天数"),
        ("云专线产品不能办理暂关/恢复业务", "云专线产品不能办理暂关或恢复业务"),
        ("欠费 × 3‰ × 逾期天数", "欠费乘以千分之三乘以逾期天数"),
    ],
)
def test_spoken_form(text, spoken):
    speech = render_text(text).speech
    assert speech == spoken + "。"
    assert not ASCII_DIGIT_OR_SYMBOL.search(speech)


@pytest.mark.parametrize(
    ("clause_id", "name"),
    [
        ("M-23", "主协议第二十三条"),
        ("M-9", "主协议第九条"),
        ("A1-4.5", "附件一第四点五条"),
        ("A1-2.10", "附件一第二点十条"),
        ("A1-8", "附件一第八条"),
        ("A2-8", "附件二第八条"),
    ],
)
def test_spoken_clause_name(clause_id, name):
    assert spoken_clause_name(clause_id) == name


@pytest.mark.parametrize(
    ("text", "kinds"),
    [
        ("5100元", [SpanKind.money]),
        ("10010每天", [SpanKind.phone, SpanKind.text]),
        ("10000元", [SpanKind.money]),
        ("逾期 15日", [SpanKind.text, SpanKind.number, SpanKind.text]),
        ("M-23 的 50M", [SpanKind.clause, SpanKind.text, SpanKind.bandwidth]),
        ("依据主协议第二十三条", [SpanKind.text, SpanKind.clause]),
        ("2026-03-01", [SpanKind.date]),
        ("3‰与6%", [SpanKind.permille, SpanKind.text, SpanKind.percent]),
    ],
)
def test_tokenize_types_spans(text, kinds):
    spans = tokenize(text)
    assert [s.kind for s in spans] == kinds
    assert "".join(s.source for s in spans) == text


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("10010", '<say-as interpret-as="telephone">10010</say-as>'),
        ("2026-03-01", '<say-as interpret-as="date" format="ymd">2026-03-01</say-as>'),
        ("2026年3月1日", '<say-as interpret-as="date" format="ymd">2026-03-01</say-as>'),
        ("3月2日", '<say-as interpret-as="date" format="md">03-02</say-as>'),
        ("5100.00元", '<say-as interpret-as="cardinal">5100</say-as>元'),
        ("50M", '<say-as interpret-as="cardinal">50</say-as>兆'),
        ("3‰", '千分之<say-as interpret-as="cardinal">3</say-as>'),
        ("6%", '百分之<say-as interpret-as="cardinal">6</say-as>'),
        ("24小时", '<say-as interpret-as="cardinal">24</say-as>小时'),
        ("A1-4.5", "附件一第四点五条"),
    ],
)
def test_ssml_marks_up_figures(text, fragment):
    assert fragment in render_text(text).ssml


# -- whole answers ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(ANSWERS))
def test_speech_is_plain_short_chinese(name):
    speech = render_speech(ANSWERS[name]).speech
    assert speech
    assert not ASCII_DIGIT_OR_SYMBOL.search(speech), speech
    assert not CLAUSE_ID.search(speech), speech
    assert not set("<>&\"'") & set(speech), speech
    assert len(speech) <= MAX_SPEECH_CHARS, speech
    assert speech.endswith("。") and 1 <= speech.count("。") <= 2


@pytest.mark.parametrize("name", sorted(ANSWERS))
def test_ssml_is_valid_ssml(name):
    root = ssml_tree(render_speech(ANSWERS[name]).ssml)
    assert root.tag == f"{{{SSML_NS}}}speak"
    assert root.get("version") == "1.1"
    assert root.get(f"{XML_NS}lang") == "zh-CN"
    assert local_names(root) <= SSML_ELEMENTS
    for el in root.iter(f"{{{SSML_NS}}}say-as"):
        assert el.get("interpret-as") in {"cardinal", "date", "telephone", "time"}


@pytest.mark.parametrize("name", ["lookup_m29", "clarify_missing", "out_of_scope", "calc_line_fee"])
def test_ssml_says_what_speech_says(name):
    """One tokenisation rendered twice: with each say-as read out as words, the SSML text is the speech."""
    rendered = render_speech(ANSWERS[name])
    root = ssml_tree(rendered.ssml)
    for el in root.iter(f"{{{SSML_NS}}}say-as"):
        el.text = render_text(el.text).speech.rstrip("。")
    assert "".join(root.itertext()) == rendered.speech


@pytest.mark.parametrize(
    ("name", "speech"),
    [
        ("calc_line_fee_brief", "五十兆专线在沃云停用后的月租为五千一百元每月，依据主协议第二十三条。"),
        ("calc_line_fee", "五十兆云专线停用沃云后，一个月的专线费用为五千一百元，依据主协议第二十三条。"),
        (
            "calc_late_fee",
            "欠费五千元、逾期十天，违约金为一百五十元，按欠费乘以千分之三乘以逾期天数单利计算。",
        ),
        ("calc_deadline", "二〇二六年三月二日受理，联通应在二〇二六年三月九日前完成开通，依据主协议第二十条。"),
        ("calc_prorated", "二〇二六年三月十五日竣工、月租五千一百元，竣工当月按天计费为二千七百九十六点七七元。"),
        ("lookup_m29", "主协议第二十九条规定：您未按期缴业务相应费用的，视为违约。"),
        ("lookup_a1_4_5", "附件一第四点五条规定：您应按期支付服务费，每逾期一天应向联通支付欠费金额千分之三的违约金。"),
        ("lookup_m34", "主协议第三十四条规定：联通故障申告电话幺零零幺零每天二十四小时受理您的故障申告。"),
        ("clarify_missing", "要计算云专线停用沃云后的月租，依据主协议第二十三条，还需要您告诉我：带宽。"),
        ("clarify_invalid", "无法计算：二月三十日不是有效日期。"),
        ("out_of_scope", "这个问题不在合同约定范围内。请拨打客服热线幺零零幺零咨询。"),
    ],
)
def test_speech_text(name, speech):
    assert render_speech(ANSWERS[name]).speech == speech


def test_lookup_is_trimmed_at_a_comma():
    # In one breath the clause's name does not fit with the rule's first phrase: the rule is said alone.
    speech = render_speech(ANSWERS["lookup_a1_6_3"]).speech
    assert len(speech) <= MAX_SPEECH_CHARS and "第二点五点四条" in speech
    # A caller who asked for more hears the clause named and more of the rule, still cut at a comma.
    detailed = render_speech(ANSWERS["lookup_a1_6_3"], detail=True).speech
    assert detailed.startswith("附件一第六点三条规定：") and "您应在一小时内删除，" in detailed
    assert len(detailed) <= MAX_DETAIL_SPEECH_CHARS and detailed.endswith("。")


def test_out_of_scope_names_the_given_hotline():
    rendered = render_speech(ANSWERS["out_of_scope"], hotline="10016")
    assert "幺零零幺六" in rendered.speech
    assert '<say-as interpret-as="telephone">10016</say-as>' in rendered.ssml


def test_sentences_are_separated_by_a_break():
    root = ssml_tree(render_speech(ANSWERS["out_of_scope"]).ssml)
    paragraph = root.find(f"{{{SSML_NS}}}p")
    assert [el.tag.split("}")[1] for el in paragraph] == ["s", "break", "s"]
    assert paragraph.find(f"{{{SSML_NS}}}break").get("time") == "300ms"


def test_markup_in_the_answer_is_escaped_not_passed_through():
    rendered = render_speech(ANSWERS["markup_in_text"])
    root = ssml_tree(rendered.ssml)
    assert local_names(root) <= SSML_ELEMENTS
    assert "b" not in local_names(root)
    assert "附件二第八条" in rendered.speech
    assert "和" in rendered.speech


@pytest.mark.parametrize("text", ["A & B < C > D", 'say "hi" & \'bye\'', "<speak>x</speak>", "]]><!--", "&amp; &lt;"])
def test_any_text_renders_to_parseable_ssml(text):
    rendered = render_text(text)
    root = ssml_tree(rendered.ssml)
    assert local_names(root) <= SSML_ELEMENTS
    assert not set("<>&\"'") & set(rendered.speech)


# -- transcripts and turns --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("transcript", "dtmf", "kind"),
    [
        ("", None, TurnKind.silence),
        ("   ", None, TurnKind.silence),
        ("喂", None, TurnKind.silence),
        ("喂？喂？", None, TurnKind.silence),
        ("嗯……啊", None, TurnKind.silence),
        ("那个，嗯", None, TurnKind.silence),
        ("喂，你好", None, TurnKind.greeting),
        ("你好", None, TurnKind.greeting),
        ("您好！", None, TurnKind.greeting),
        ("", "5", TurnKind.keypress),
        ("", "1", TurnKind.keypress),
        ("1", None, TurnKind.keypress),
        ("", "0", TurnKind.transfer_request),
        ("我想问一下月租", "0", TurnKind.transfer_request),
        ("人工", None, TurnKind.transfer_request),
        ("转人工", None, TurnKind.transfer_request),
        ("人工服务", None, TurnKind.transfer_request),
        ("我要找客服", None, TurnKind.transfer_request),
        ("喂，给我转人工吧", None, TurnKind.transfer_request),
        ("客服", None, TurnKind.transfer_request),
        ("没有了", None, TurnKind.goodbye),
        ("再见", None, TurnKind.goodbye),
        ("谢谢，不用了", None, TurnKind.goodbye),
        ("好的谢谢，再见！", None, TurnKind.goodbye),
        ("没有别的问题了，谢谢", None, TurnKind.goodbye),
        ("50M专线停用沃云后月租多少", None, TurnKind.question),
        ("嗯，那个，欠费多少天会被停机", None, TurnKind.question),
        ("客服电话是多少", None, TurnKind.question),
        ("人工费怎么算", None, TurnKind.question),
        ("谢谢，那违约金怎么算", None, TurnKind.question),
        ("好", None, TurnKind.question),
    ],
)
def test_classify_transcript(transcript, dtmf, kind):
    assert classify_transcript(transcript, dtmf) is kind


@pytest.mark.parametrize(
    ("transcript", "cleaned"),
    [
        ("喂，你好，那个，50M专线月租多少？", "50m专线月租多少"),
        ("嗯 违约金违约金怎么算", "违约金怎么算"),
        ("請問故障電話是多少", "故障电话是多少"),
        ("   ", ""),
    ],
)
def test_clean_transcript(transcript, cleaned):
    assert clean_transcript(transcript) == cleaned


@pytest.mark.parametrize(
    ("outcome", "failures", "progressed", "action", "speech", "after"),
    [
        (Intent.lookup, 2, False, Action.answer, None, 0),
        (Intent.calculation, 1, False, Action.answer, None, 0),
        (Intent.clarify, 0, False, Action.clarify, None, 1),
        (Intent.clarify, 2, True, Action.clarify, None, 0),
        (Intent.clarify, 2, False, Action.transfer, TRANSFER_SPEECH, 3),
        (Intent.out_of_scope, 0, False, Action.transfer, HANDOFF_SPEECH, 1),
        (TurnKind.silence, 0, False, Action.reprompt, REPROMPT_SPEECH, 1),
        (TurnKind.silence, 1, False, Action.reprompt, REPROMPT_SPEECH, 2),
        (TurnKind.silence, 2, False, Action.transfer, TRANSFER_SPEECH, 3),
        (TurnKind.transfer_request, 0, False, Action.transfer, TRANSFER_SPEECH, 0),
        (TurnKind.goodbye, 1, False, Action.goodbye, GOODBYE_SPEECH, 0),
    ],
)
def test_decide(outcome, failures, progressed, action, speech, after):
    d = decide(outcome, failures, progressed=progressed)
    assert d.action is action
    assert (d.speech.speech if d.speech else None) == speech
    assert d.failures_in_a_row == after


def test_three_silent_turns_transfer():
    failures, actions = 0, []
    for _ in range(MAX_FAILURES):
        d = decide(TurnKind.silence, failures)
        failures, actions = d.failures_in_a_row, actions + [d.action]
    assert actions == [Action.reprompt, Action.reprompt, Action.transfer]


def test_a_question_needs_its_answer_first():
    with pytest.raises(ValueError):
        decide(TurnKind.question, 0)


@pytest.mark.parametrize("line", [REPROMPT_SPEECH, TRANSFER_SPEECH, HANDOFF_SPEECH, GOODBYE_SPEECH])
def test_canned_lines_render_unchanged(line):
    assert render_text(line).speech == line
    ssml_tree(render_text(line).ssml)


# -- a real TTS engine -------------------------------------------------------------------------------

ESPEAK = shutil.which("espeak-ng")
needs_espeak = pytest.mark.skipif(ESPEAK is None, reason="espeak-ng is not installed (apt-get install espeak-ng)")
TTS_CASES = sorted(ANSWERS)


@needs_espeak
@pytest.mark.parametrize("name", TTS_CASES)
def test_espeak_reads_the_speech(name, tmp_path):
    wav = tmp_path / "speech.wav"
    text = render_speech(ANSWERS[name]).speech
    done = subprocess.run([ESPEAK, "-v", "cmn", "-w", str(wav), text], capture_output=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert wav.stat().st_size > 1000


@needs_espeak
@pytest.mark.parametrize("name", TTS_CASES)
def test_espeak_reads_the_ssml(name, tmp_path):
    wav = tmp_path / "ssml.wav"
    ssml = render_speech(ANSWERS[name]).ssml
    done = subprocess.run([ESPEAK, "-v", "cmn", "-m", "-w", str(wav), ssml], capture_output=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert wav.stat().st_size > 1000
