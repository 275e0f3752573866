"""The widget's rendering: customer wording everywhere (steps included), clause names in words, no agents' notes."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from assistant.api.app import create_app
from assistant.channels.widget import WORDING_FILE, load_wording, render_widget
from assistant.models import Answer, CalcResult, Citation, Hotline, Intent, Option

HOTLINES = [Hotline(name="联通客服热线", number="10010"), Hotline(name="沃云客服热线", number="4000111000")]
CONTRACT_WORDS = ("甲方", "乙方")


def calculation() -> Answer:
    result = CalcResult(
        name="line_fee_without_cloud",
        inputs={},
        result=5100.0,
        unit="元",
        steps=["乙方按 M-23 的资费收取", "甲方停用沃云后月租 5100 元"],
        clause_ids=["M-23"],
    )
    return Answer(
        intent=Intent.calculation,
        answer="费用为 5100.00元（依据 M-23）。条件：乙方按月收取；第二十三条未写明是否含税；税率 6%。",
        calculation=result,
        summary="甲方月租：5100.00元",
        options=[],
    )


def test_a_calculation_reads_in_customer_words_steps_included():
    shown = render_widget(calculation(), HOTLINES)
    texts = [shown.answer, shown.summary, *shown.calculation.steps]
    assert not any(w in t for t in texts for w in CONTRACT_WORDS), texts
    assert shown.calculation.steps == ["联通按 主协议第二十三条 的资费收取", "您停用沃云后月租 5100 元"]
    assert "M-23" not in shown.answer and "主协议第二十三条" in shown.answer
    # What the contract leaves open is for agents; what the customer should know stays.
    assert "未写明" not in shown.answer and "税率 6%" in shown.answer and "联通按月收取" in shown.answer
    assert shown.calculation.result == 5100.0 and shown.calculation.clause_ids == ["M-23"]


def test_the_neutral_answer_is_left_as_it_was():
    neutral = calculation()
    render_widget(neutral, HOTLINES)
    assert neutral.calculation.steps[0].startswith("乙方") and "M-23" in neutral.answer


def test_a_lookup_states_the_rule_with_the_clause_named():
    quote = "甲方应按期支付服务费。"
    answer = Answer(
        intent=Intent.lookup,
        answer=f"根据附件一第4.5条：「{quote}」另见主协议第二十九条。",
        citations=[Citation(clause_id="A1-4.5", title="t", text=quote, quote=quote, score=1.0)],
    )
    shown = render_widget(answer, HOTLINES)
    assert shown.answer == "合同附件一第4.5条规定：您应按期支付服务费。"
    assert shown.citations[0].quote == quote  # a citation stays the contract's own text


def test_out_of_scope_names_the_hotlines():
    shown = render_widget(Answer(intent=Intent.out_of_scope, answer="不在范围内"), HOTLINES)
    assert "联通客服热线 10010" in shown.answer and "4000111000" in shown.answer


def test_an_out_of_scope_answer_that_says_what_the_contract_lists_keeps_saying_it():
    citation = Citation(clause_id="M-23", title="t", text="10M：1100元/月", quote="10M：1100元/月", score=1.0)
    answer = Answer(intent=Intent.out_of_scope, answer="合同只列出10M至100M的价格，乙方未列出1G。请拨打10010。", citations=[citation])
    shown = render_widget(answer, HOTLINES)
    assert shown.answer.startswith("合同只列出10M至100M的价格，联通")


def test_options_are_in_customer_words():
    answer = Answer(
        intent=Intent.clarify,
        answer="请选择",
        options=[Option(label="乙方违约", question="乙方违约怎么赔？"), Option(label="甲方欠费", question="甲方欠费违约金？")],
    )
    shown = render_widget(answer, HOTLINES)
    assert [o.label for o in shown.options] == ["联通违约", "您欠费"]


@pytest.fixture(scope="module")
def client(fake_settings, fake_assistant):
    with TestClient(create_app(fake_settings, fake_assistant), raise_server_exceptions=False) as c:
        yield c


def test_the_api_words_the_answer_for_its_channel(client):
    question = "月租5100元，专线断网30小时能减多少"
    agent = client.post("/v1/ask", json={"question": question, "channel": "agent"}).json()
    widget = client.post("/v1/ask", json={"question": question, "channel": "widget"}).json()
    assert agent["intent"] == widget["intent"] == "calculation"
    assert "乙方" in agent["answer"] + "".join(agent["calculation"]["steps"])
    assert not any(w in widget["answer"] + "".join(widget["calculation"]["steps"]) for w in CONTRACT_WORDS)
    assert widget["turn"] == agent["turn"] == 1


def test_turn_and_pending_are_sent(client):
    first = client.post("/v1/ask", json={"question": "帮我算一下逾期付款的违约金", "channel": "widget"}).json()
    assert first["intent"] == "clarify" and first["turn"] == 1
    pending = first["pending"]
    assert pending["name"] and pending["title"] and pending["missing"]
    assert {"name", "title", "example"} <= set(pending["missing"][0])
    second = client.post(
        "/v1/ask", json={"question": "5000元，逾期10天", "channel": "widget", "session_id": first["session_id"]}
    ).json()
    assert second["turn"] == 2 and second["pending"] is None and second["intent"] == "calculation"


def test_a_bad_wording_file_is_refused_naming_it(tmp_path: Path):
    bad = tmp_path / "widget.toml"
    bad.write_text(WORDING_FILE.read_text(encoding="utf-8").replace("{hotlines}", "10010"), encoding="utf-8")
    with pytest.raises(ValueError, match=r"(?s)widget\.toml.*\{hotlines\}"):
        load_wording(bad)
