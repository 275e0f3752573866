import re
import xml.etree.ElementTree as ET

import pytest
from fastapi.testclient import TestClient

from assistant.api.app import create_app

KEY = {"X-API-Key": "test-key"}


@pytest.fixture(scope="module")
def client(fake_settings, fake_assistant):
    settings = fake_settings.model_copy(update={"api_keys": ["test-key"]})
    with TestClient(create_app(settings, fake_assistant), raise_server_exceptions=False) as c:
        yield c


def turn(client, call_id, transcript="", dtmf=None, headers=KEY):
    return client.post("/v1/ivr/turn", json={"call_id": call_id, "transcript": transcript, "dtmf": dtmf}, headers=headers)


@pytest.mark.parametrize("headers", [{}, {"X-API-Key": "wrong"}])
def test_ivr_needs_a_valid_api_key(client, headers):
    r = turn(client, "call-1", "开户费多少钱", headers=headers)
    assert r.status_code == 401 and r.json()["error"]["code"] == "unauthorized"


def test_answer_is_short_speakable_and_cited(client):
    r = turn(client, "call-2", "喂 嗯 那个 八十端口和四四三端口默认是关的吗 要备案吗")
    body = r.json()
    assert r.status_code == 200
    assert set(body) == {"call_id", "intent", "action", "speech", "ssml", "citations"}
    assert body["action"] in ("answer", "clarify")
    assert body["citations"]
    assert not re.search(r"[0-9<>&]|[MA]\d?-\d", body["speech"])
    assert len(body["speech"]) <= 100
    assert ET.fromstring(body["ssml"]).tag.endswith("speak")


def test_silence_reprompts_and_three_failures_transfer(client):
    # The call's first silent turn is its greeting, not a failure; then three silent turns transfer.
    replies = [turn(client, "call-3", "  ").json() for _ in range(4)]
    assert [r["intent"] for r in replies] == ["greeting", "silence", "silence", "silence"]
    assert [r["action"] for r in replies] == ["clarify", "clarify", "clarify", "transfer"]


@pytest.mark.parametrize("transcript, dtmf", [("转人工", None), ("", "0")])
def test_transfer_on_request(client, transcript, dtmf):
    assert turn(client, "call-4", transcript, dtmf).json()["action"] == "transfer"


def test_out_of_scope_transfers_with_a_handoff(client):
    body = turn(client, "call-5", "我手机流量包怎么退订").json()
    assert body["action"] == "transfer" and body["intent"] == "out_of_scope" and body["citations"] == []


@pytest.mark.parametrize("payload", [{"call_id": "bad id!", "transcript": "x"}, {"transcript": "x"}, {"call_id": "c", "dtmf": "abc"}])
def test_bad_ivr_requests_are_422(client, payload):
    assert client.post("/v1/ivr/turn", json=payload, headers=KEY).status_code == 422


def test_ivr_offers_readings_with_keys_and_a_key_press_chooses_one(client):
    offered = turn(client, "call-6", "嗯 那个违约金 是多少啊").json()
    assert offered["intent"] == "clarify" and offered["action"] == "clarify"
    assert "请按一" in offered["speech"] and "请按二" in offered["speech"] and len(offered["speech"]) <= 45
    chosen = turn(client, "call-6", "", dtmf="2").json()
    # The second reading answered by its clause: its rule, or (a figure asked) its formula and the values it needs.
    assert chosen["intent"] in ("lookup", "calculation", "clarify") and chosen["citations"]
    assert chosen["intent"] != "clarify" or chosen["action"] == "clarify" and "请按" not in chosen["speech"]
    assert len(chosen["speech"]) <= 45


def test_ivr_a_spoken_choice_completes_the_question(client):
    offered = turn(client, "call-7", "违约金多少").json()
    label = offered["speech"].split("：", 1)[1].split("请按一")[0]
    chosen = turn(client, "call-7", f"嗯 {label}").json()
    # The reading answered by its clause: its rule, or its formula and the values it needs, never the options again.
    assert chosen["intent"] in ("lookup", "calculation", "clarify") and chosen["citations"]
    assert chosen["intent"] != "clarify" or "请按" not in chosen["speech"]
