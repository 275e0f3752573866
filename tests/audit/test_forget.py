"""`assistant forget --session ID | --phone N`, end to end: conversations through the API, then the command.

Each test runs on SQLite alone (one host), on Redis sessions beside the SQLite audit file, and on Redis sessions
with the audit log and feedback in PostgreSQL (several instances)."""

from __future__ import annotations

import hashlib
import json
import sqlite3
import time

import psycopg
import pytest
import redis
from fastapi.testclient import TestClient

from pydantic import SecretStr

from assistant.answer.sessions import call_session_id
from assistant.api.app import create_app
from assistant.audit import default_path, open_audit_log, open_feedback_store
from assistant.cli import main
from assistant.models import Channel

PHONE = "13812345678"
AGENT_KEY = "alice-key-0123456789abcdef"


def _call(call_id: str, key: str = "k") -> str:
    """The id an IVR call placed with API key `key` is stored and audited under."""
    return call_session_id(hashlib.sha256(key.encode()).hexdigest()[:16], call_id)


@pytest.fixture(params=["sqlite", "redis", "redis+postgres"])
def env(request, tmp_path, fake_settings, assistant_in, monkeypatch):
    """Settings on a fresh data directory (a flushed Redis, and a fresh PostgreSQL database, as the param says),
    exported as the environment the command reads, and an API client on an Assistant using the same stores."""
    update = {"data_dir": tmp_path / "data", "api_keys": ["k", "k2"]}
    monkeypatch.setenv("ASSISTANT_DATA_DIR", str(update["data_dir"]))
    monkeypatch.delenv("ASSISTANT_REDIS_URL", raising=False)
    monkeypatch.delenv("ASSISTANT_DATABASE_URL", raising=False)
    if "redis" in request.param:
        url = request.getfixturevalue("redis_url")
        redis.Redis.from_url(url).flushdb()
        update["redis_url"] = url
        monkeypatch.setenv("ASSISTANT_REDIS_URL", url)
    if "postgres" in request.param:
        update["database_url"] = request.getfixturevalue("database_url")
        monkeypatch.setenv("ASSISTANT_DATABASE_URL", update["database_url"])
    settings = fake_settings.model_copy(update=update)
    assistant = assistant_in(settings)
    with TestClient(create_app(settings, assistant), raise_server_exceptions=False) as client:
        yield settings, assistant, client


def _ask(client, question: str, session: str | None = None) -> str:
    """Ask through the API; the session id answered."""
    r = client.post("/v1/ask", json={"question": question, "session_id": session})
    assert r.status_code == 200, r.text
    return r.json()["session_id"]


def _forget(capsys, *args: str) -> dict:
    """Run `assistant forget … --json`; what it reported removing."""
    assert main(["forget", *args, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def _audit_sessions(settings) -> set[str]:
    """Sessions that still have audit records."""
    log = open_audit_log(settings)
    try:
        return {r.session_id for r in log.query(0, time.time() + 10)}
    finally:
        log.close()


def _feedback_sessions(settings) -> set[str]:
    """Sessions that still have feedback."""
    store = open_feedback_store(settings)
    try:
        return {f.session_id for f in store.query(0, time.time() + 10)}
    finally:
        store.close()


def test_forget_phone_deletes_that_persons_data_everywhere(env, capsys):
    settings, assistant, client = env
    # The person's first conversation: their number written with dots, a follow-up, feedback naming it again.
    a1 = _ask(client, "我手机138.1234.5678，欠费5100元逾期12天，违约金多少")
    _ask(client, "那逾期20天呢", a1)
    client.post("/v1/feedback", json={"session_id": a1, "turn": 2, "helpful": False, "comment": "请回电"})
    # Their second conversation, the number in Chinese digits; an IVR call whose caller said it.
    a2 = _ask(client, "回电一三八一二三四五六七八，开户费多少钱")
    r = client.post("/v1/ivr/turn", json={"call_id": "call-77", "transcript": "我的电话幺三八 幺二三四 五六七八 逾期十天违约金多少"},
                    headers={"X-API-Key": "k"})
    assert r.status_code == 200
    # Someone else, with another number, and someone who gave none.
    b = _ask(client, "我手机13900001111，开户费多少钱")
    c = _ask(client, "开户费多少钱")
    # Feedback whose comment alone names the number, on a conversation that did not.
    d = _ask(client, "付款方式有哪些")
    client.post("/v1/feedback", json={"session_id": d, "turn": 1, "helpful": False, "comment": "打我电话138-1234-5678"})

    done = _forget(capsys, "--phone", "+86 138 1234 5678")

    assert done == {"sessions_matched": 4, "sessions": 4, "audit_records": 5, "feedback": 2, "subjects": 4}
    for sid in (a1, a2, _call("call-77"), d):
        assert assistant.sessions.get(sid) is None
    assert _audit_sessions(settings) == {b, c}
    assert _feedback_sessions(settings) == set()
    assert assistant.sessions.get(b) is not None and assistant.sessions.get(c) is not None
    # Nothing is left to find a second time.
    assert _forget(capsys, "--phone", PHONE) == {"sessions_matched": 0, "sessions": 0, "audit_records": 0, "feedback": 0, "subjects": 0}


def test_forget_session_deletes_one_conversation(env, capsys):
    settings, assistant, client = env
    a = _ask(client, "开户费多少钱")
    _ask(client, "那月租呢", a)
    client.post("/v1/feedback", json={"session_id": a, "turn": 1, "helpful": True})
    b = _ask(client, "付款方式有哪些")

    done = _forget(capsys, "--session", a)

    assert done == {"sessions_matched": 1, "sessions": 1, "audit_records": 2, "feedback": 1, "subjects": 0}
    assert assistant.sessions.get(a) is None and assistant.sessions.get(b) is not None
    assert _audit_sessions(settings) == {b}


def _ivr(client, call_id: str, transcript: str, key: str = "k") -> None:
    r = client.post("/v1/ivr/turn", json={"call_id": call_id, "transcript": transcript}, headers={"X-API-Key": key})
    assert r.status_code == 200, r.text


def test_forget_session_takes_an_ivr_calls_stored_id(env, capsys):
    settings, assistant, client = env
    _ivr(client, "call-0001", "欠费5000元逾期10天违约金多少")
    _ivr(client, "call-0001", "那逾期20天呢")
    _ivr(client, "call-0001", "开户费多少钱", key="k2")  # the same call id under another key: another call
    stored = _call("call-0001")
    assert stored in _audit_sessions(settings) and assistant.sessions.get(stored).channel is Channel.ivr

    # The phone system's bare call id names nothing stored: nothing is removed and the command says how calls are kept.
    assert main(["forget", "--session", "call-0001"]) == 0
    assert "ivr:<API key fingerprint>:<call id>" in capsys.readouterr().out
    assert assistant.sessions.get(stored) is not None

    done = _forget(capsys, "--session", stored)

    assert done == {"sessions_matched": 1, "sessions": 1, "audit_records": 2, "feedback": 0, "subjects": 0}
    assert assistant.sessions.get(stored) is None
    assert _audit_sessions(settings) == {_call("call-0001", "k2")}
    assert assistant.sessions.get(_call("call-0001", "k2")) is not None


def test_forget_reaches_a_signed_in_agents_conversation_and_feedback(env, capsys):
    settings, assistant, _ = env
    agents = settings.model_copy(update={"agent_keys": {"alice": SecretStr(AGENT_KEY)}})
    with TestClient(create_app(agents, assistant), raise_server_exceptions=False) as console:
        assert console.post("/v1/agents/sign-in", json={"key": AGENT_KEY}).status_code == 200
        a = _ask(console, f"客户手机{PHONE}，欠费5000元逾期10天违约金多少")
        _ask(console, "那逾期20天呢", a)
        assert console.post("/v1/feedback", json={"session_id": a, "turn": 2, "helpful": True}).status_code == 201
    assert assistant.sessions.get(a).owner == "alice"

    done = _forget(capsys, "--phone", PHONE)

    assert done == {"sessions_matched": 1, "sessions": 1, "audit_records": 2, "feedback": 1, "subjects": 1}
    assert assistant.sessions.get(a) is None and _audit_sessions(settings) == set() and _feedback_sessions(settings) == set()


def test_forget_finds_a_number_stored_before_redaction(env, capsys):
    settings, assistant, client = env
    old = _ask(client, "开户费多少钱")
    # A record written by a version that did not redact: the number in clear, no digest beside it.
    update = "UPDATE audit SET record = replace(record, '开户费多少钱', {p}) WHERE session_id = {p}"
    if settings.database_url:
        with psycopg.connect(settings.database_url, autocommit=True) as conn:
            conn.execute(update.format(p="%s"), (f"我手机{PHONE}开户费多少钱", old))
    else:
        with sqlite3.connect(default_path(settings)) as conn:
            conn.execute(update.format(p="?"), (f"我手机{PHONE}开户费多少钱", old))
    done = _forget(capsys, "--phone", PHONE)
    assert (done["sessions_matched"], done["audit_records"]) == (1, 1)
    assert not any(PHONE in r.model_dump_json() for r in assistant.audit.query(0, time.time() + 10))
    if not settings.database_url:
        assert PHONE.encode() not in b"".join(p.read_bytes() for p in settings.data_dir.glob("audit.sqlite3*"))


def test_forget_prints_counts(env, capsys):
    _, _, client = env
    _ask(client, f"我手机{PHONE}，开户费多少钱")
    assert main(["forget", "--phone", PHONE]) == 0
    out = capsys.readouterr().out
    assert out.startswith("removed: 1 live session(s) of 1 matched, 1 audit record(s), 0 feedback")


@pytest.mark.parametrize(
    "args, message",
    [
        (["--phone", "hello"], "'hello' is not a phone number"),
        (["--phone", "13812345678 13900001111"], "is not a phone number"),
        (["--phone", "11010519491231002X"], "is not a phone number"),
    ],
)
def test_forget_refuses_what_is_not_a_phone_number(env, args, message):
    with pytest.raises(SystemExit, match=message):
        main(["forget", *args])


@pytest.mark.parametrize("args", [[], ["--session", "a", "--phone", PHONE]])
def test_forget_needs_exactly_one_of_session_and_phone(env, args, capsys):
    with pytest.raises(SystemExit) as e:
        main(["forget", *args])
    assert e.value.code == 2
    assert "--session" in capsys.readouterr().err
