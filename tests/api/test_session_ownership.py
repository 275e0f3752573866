"""Sessions belong to their channel and client: only the server issues ids, and nobody reads another's conversation."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from assistant.answer.sessions import SessionState, call_session_id
from assistant.api.app import create_app
from assistant.models import Channel

KEY_A = {"X-API-Key": "ivr-key-a"}
KEY_B = {"X-API-Key": "ivr-key-b"}


@pytest.fixture(scope="module")
def client(fake_settings, fake_assistant):
    settings = fake_settings.model_copy(update={"api_keys": ["ivr-key-a", "ivr-key-b"]})
    with TestClient(create_app(settings, fake_assistant), raise_server_exceptions=False) as c:
        yield c


def ivr(client, call_id, transcript, headers=KEY_A):
    r = client.post("/v1/ivr/turn", json={"call_id": call_id, "transcript": transcript}, headers=headers)
    assert r.status_code == 200, r.text
    return r.json()


def ask(client, question, session_id=None, channel="widget"):
    r = client.post("/v1/ask", json={"question": question, "session_id": session_id, "channel": channel})
    assert r.status_code == 200, r.text
    return r.json()


def test_an_anonymous_widget_request_can_neither_read_nor_change_an_ivr_call(client):
    """Issue 12's reproduction: a widget request naming the IVR call's id got the caller's amount, and a second
    one changed the amount the IVR then read to the caller."""
    first = ivr(client, "call-0001", "我欠费6000元 逾期10天 违约金多少")
    assert first["intent"] == "calculation"

    for question in ("那60天呢", "那逾期60天呢"):
        peek = ask(client, question, session_id="call-0001")
        assert peek["session_started"] is True and peek["session_notice"]
        assert peek["session_id"] != "call-0001"
        # (6000, not the 5000 a clarifying question gives as an example reply)
        assert "6000" not in peek["answer"] and "1080" not in peek["answer"]
        assert not (peek["calculation"] and peek["calculation"]["inputs"].get("owed") == 6000)

    tamper = ask(client, "欠费8000元逾期10天违约金多少", session_id="call-0001")
    assert tamper["session_id"] != "call-0001" and tamper["calculation"]["result"] == 240.0

    # The caller's own follow-up still reads the caller's amount: 6000 元 × 3‰ × 60 天.
    follow = ivr(client, "call-0001", "那逾期60天呢")
    assert follow["intent"] == "calculation"
    assert "一千零八十" in follow["speech"] or "1080" in follow["ssml"]


def test_a_client_chosen_id_starts_a_new_session_whose_id_the_server_issued(client):
    a = ask(client, "开户费多少钱", session_id="my-own-id")
    b = ask(client, "开户费多少钱", session_id="my-own-id")
    assert a["session_started"] and b["session_started"]
    assert len({a["session_id"], b["session_id"], "my-own-id"}) == 3
    assert len(a["session_id"]) >= 32


def test_the_first_question_starts_a_session_without_a_notice(client):
    a = ask(client, "开户费多少钱")
    assert a["session_started"] is True and a["session_notice"] is None


def test_an_issued_id_continues_its_conversation(client):
    a = ask(client, "欠费5000元逾期10天违约金多少")
    b = ask(client, "那逾期20天呢", session_id=a["session_id"])
    assert b["session_id"] == a["session_id"] and b["session_started"] is False
    assert b["calculation"]["result"] == 300.0


def test_an_id_from_another_channel_is_unknown(client):
    widget = ask(client, "欠费5000元逾期10天违约金多少", channel="widget")
    agent = ask(client, "那逾期20天呢", session_id=widget["session_id"], channel="agent")
    assert agent["session_started"] is True and agent["session_id"] != widget["session_id"]
    assert not (agent["calculation"] and agent["calculation"]["inputs"].get("owed") == 5000)
    # The widget's own conversation is untouched and goes on.
    again = ask(client, "那逾期20天呢", session_id=widget["session_id"], channel="widget")
    assert again["session_started"] is False and again["calculation"]["result"] == 300.0


def test_an_ivr_call_lives_under_the_key_that_created_it(client, fake_assistant):
    ivr(client, "call-shared", "我欠费5000元 逾期10天 违约金多少", headers=KEY_A)
    other = ivr(client, "call-shared", "那逾期60天呢", headers=KEY_B)
    assert "九百" not in other["speech"] and "900" not in other["ssml"]
    # Two calls, one per key; the bare call id names neither.
    assert fake_assistant.sessions.get("call-shared") is None
    states = [s for s in (fake_assistant.sessions.get(call_session_id(fp, "call-shared")) for fp in _fingerprints()) if s]
    assert len(states) == 2 and {s.owner for s in states} == set(_fingerprints())


def _fingerprints() -> list[str]:
    import hashlib

    return [hashlib.sha256(k.encode()).hexdigest()[:16] for k in ("ivr-key-a", "ivr-key-b")]


def test_a_session_stored_without_an_owner_is_unknown(client, fake_assistant):
    """A state written before sessions had owners (or by anything else) belongs to no one."""
    fake_assistant.sessions.put(SessionState(session_id="legacy-session-0001", turns=3))
    r = ask(client, "开户费多少钱", session_id="legacy-session-0001", channel="agent")
    assert r["session_started"] is True and r["session_id"] != "legacy-session-0001"
    assert fake_assistant.sessions.get("legacy-session-0001").turns == 3


def test_a_signed_in_agents_session_is_unknown_to_another_agent(fake_assistant):
    a = fake_assistant.ask("欠费5000元逾期10天违约金多少", channel=Channel.agent, agent="alice")
    b = fake_assistant.ask("那逾期20天呢", session=a.session_id, channel=Channel.agent, agent="bob")
    assert b.session_started and b.session_id != a.session_id
    c = fake_assistant.ask("那逾期20天呢", session=a.session_id, channel=Channel.agent, agent="alice")
    assert not c.session_started and c.calculation.result == 300.0
