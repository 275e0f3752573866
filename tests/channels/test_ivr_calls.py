"""Issue 14's phone line: greetings, the way to a person in every prompt, digits read one by one, spoken forms,
the call's counters outside the conversation, and the phrase book checked when loaded."""

from __future__ import annotations

import hashlib
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from assistant.answer.sessions import SessionState, call_session_id
from assistant.api.app import create_app
from assistant.channels.ivr import (
    GREETING_SPEECH,
    REPROMPT_SPEECH,
    PHRASES_FILE,
    TurnKind,
    classify_transcript,
    clean_transcript,
    load_phrasebook,
    render_text,
    spoken_forms,
)
from assistant.channels.ivr_service import CallStore
from assistant.channels.speech import SpanKind, tokenize
from assistant.models import Channel

KEY = {"X-API-Key": "test-key"}
HINT = ("按零", "转人工")


@pytest.fixture(scope="module")
def client(fake_settings, fake_assistant):
    settings = fake_settings.model_copy(update={"api_keys": ["test-key"]})
    with TestClient(create_app(settings, fake_assistant), raise_server_exceptions=False) as c:
        yield c


def turn(client, call_id, transcript="", dtmf=None):
    r = client.post("/v1/ivr/turn", json={"call_id": call_id, "transcript": transcript, "dtmf": dtmf}, headers=KEY)
    assert r.status_code == 200, r.text
    return r.json()


def says_how_to_reach_a_person(speech: str) -> bool:
    return all(h in speech for h in HINT)


# -- greetings and prompts ---------------------------------------------------------------------------------


@pytest.mark.parametrize("said", ["你好", "您好！", "喂，你好", "hello"])
def test_a_greeting_is_greeted_back_not_misheard(client, said):
    body = turn(client, f"greet-{len(said)}-{said.encode().hex()[:8]}", said)
    assert body["intent"] == "greeting" and body["action"] == "clarify"
    assert "没有听清" not in body["speech"]
    assert body["speech"].startswith("您好") and says_how_to_reach_a_person(body["speech"])


def test_the_first_prompt_and_every_reprompt_say_press_0_or_say_transfer(client):
    first = turn(client, "prompts", "")
    assert first["intent"] == "greeting" and says_how_to_reach_a_person(first["speech"])
    for _ in range(2):
        again = turn(client, "prompts", "嗯")
        assert again["intent"] == "silence" and says_how_to_reach_a_person(again["speech"])


@pytest.mark.parametrize("transcript, dtmf", [("", "1"), ("1", None), ("", "5")])
def test_a_key_with_no_menu_waiting_gets_how_to_ask_not_misheard(client, transcript, dtmf):
    call = f"key-{transcript or 'x'}-{dtmf or 'x'}"
    turn(client, call, "你好")
    body = turn(client, call, transcript, dtmf)
    assert body["intent"] == "keypress" and body["action"] == "clarify"
    assert "没有听清" not in body["speech"] and "请直接说出您的问题" in body["speech"]
    assert says_how_to_reach_a_person(body["speech"])


def test_a_key_chooses_a_reading_when_a_menu_waits(client):
    offered = turn(client, "menu", "违约金多少")
    assert "请按一" in offered["speech"]
    chosen = turn(client, "menu", "", dtmf="1")
    assert chosen["intent"] in ("lookup", "calculation", "clarify") and chosen["intent"] != "keypress"


def test_prompt_lines_are_short_and_say_the_hint():
    for line in (GREETING_SPEECH, REPROMPT_SPEECH):
        assert says_how_to_reach_a_person(render_text(line).speech) and len(render_text(line).speech) <= 45


# -- numbers that name things --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "spoken"),
    [
        ("端口8080", "端口八零八零"),
        ("8080端口", "八零八零端口"),
        ("80端口和443端口", "八零端口和四四三端口"),
        ("端口号：3389", "端口号：三三八九"),
        ("工单号 20261124", "工单号二零二六幺幺二四"),
        ("编号12345", "编号幺二三四五"),
        # Quantities stay quantities.
        ("8080元", "八千零八十元"),
        ("逾期 15日", "逾期十五日"),
    ],
)
def test_ports_ids_and_codes_are_read_digit_by_digit(text, spoken):
    assert render_text(text).speech == spoken + "。"


def test_a_port_is_marked_up_as_characters_in_ssml():
    assert '<say-as interpret-as="characters">8080</say-as>' in render_text("端口8080").ssml
    assert [s.kind for s in tokenize("8080端口")][0] is SpanKind.digits


def test_an_answer_about_ports_speaks_them_digit_by_digit(client):
    body = turn(client, "ports", "80端口和443端口为什么打不开，要备案吗")
    assert "八千" not in body["speech"] and "四百四十三" not in body["speech"]
    ET.fromstring(body["ssml"])


# -- spoken forms ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("said", "written"),
    [
        ("五G专线", "5g专线"),
        ("四四三端口", "443端口"),
        ("八零八零端口", "8080端口"),
        ("客服电话幺零零幺零", "客服电话10010"),
        ("五十兆专线月租多少", "50m专线月租多少"),
        ("二〇二六年三月一日", "2026年三月一日"),
        # Cardinals and short pairs are left to the parsers.
        ("一百零五元", "一百零五元"),
        ("三五天", "三五天"),
    ],
)
def test_spoken_forms_are_written_as_the_contract_writes_them(said, written):
    assert spoken_forms(said) == written


def test_spoken_forms_reach_scope_and_parsing(fake_assistant):
    """五十兆 said is the 50M line the calculators price; 幺 read as 1."""
    asked = clean_transcript("嗯 那个 五十兆的专线 停了沃云以后 月租多少")
    assert "50m" in asked
    answer = fake_assistant.ask(asked, channel=Channel.ivr, owner="o")
    assert answer.intent.value == "calculation" and answer.calculation.result == 5100.0
    assert classify_transcript("五G专线能用吗") is TurnKind.question


# -- the call's own state ----------------------------------------------------------------------------------------


def test_the_call_counters_live_outside_the_conversation(client, fake_assistant):
    assert "ivr_failures" not in SessionState.model_fields
    turn(client, "counted", "")
    turn(client, "counted", "嗯")
    owner = hashlib.sha256(b"test-key").hexdigest()[:16]
    state = CallStore(fake_assistant.sessions).get(call_session_id(owner, "counted"))
    assert (state.turns, state.failures_in_a_row) == (2, 1)


def test_a_clarify_that_progresses_is_not_a_failure(client):
    first = turn(client, "progress", "帮我算一下逾期付款的违约金")
    assert first["intent"] == "clarify"
    second = turn(client, "progress", "欠费五千元")
    assert second["intent"] in ("clarify", "calculation") and second["action"] != "transfer"


# -- the phrase book is data, checked when loaded ----------------------------------------------------------------


def test_the_phrase_book_loads_and_lists_the_transfer_words():
    book = load_phrasebook()
    assert "转人工" in book.hear.transfer and "你好" in book.hear.greeting


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (lambda t: t.replace('hint = "', 'hint = "请您在听到提示音之后按零号键或者直接说出转人工三个字我们会尽快为您转接，'), "greeting + hint"),
        (lambda t: t.replace('transfer = ["转人工"', 'transfer = ["转人工", "转人工"'), "listed twice"),
        (lambda t: t.replace("{hotline}", "热线"), "{hotline}"),
        (lambda t: t.replace("[hear]", "[hear]\nunknown = [\"x\"]"), "unknown"),
        (lambda t: t.replace('greeting = ["你好"', 'greeting = ["你好！"'), "folded"),
    ],
)
def test_a_bad_phrase_book_is_refused_naming_the_file_and_problem(tmp_path: Path, change, problem):
    bad = tmp_path / "ivr_phrases.toml"
    bad.write_text(change(PHRASES_FILE.read_text(encoding="utf-8")), encoding="utf-8")
    with pytest.raises(ValueError, match="ivr_phrases.toml") as e:
        load_phrasebook(bad)
    assert problem in str(e.value)
