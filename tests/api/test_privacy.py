"""Issue 12's privacy test: personal data sent through the API is found nowhere the service keeps data.

Questions carrying a phone number and an ID number, written the ways people and speech recognition write them,
go through /v1/ask (a signed-in agent's console and the public widget), /v1/feedback (the agent's) and
/v1/ivr/turn (a call namespaced under its API key); then every file of the data directory (WAL included), every
Redis key and value, and every row of every PostgreSQL table (when the audit is there) is searched for them. The answers are still computed from the questions as asked,
and the agent and the IVR call are still recorded under their own names.
"""

from __future__ import annotations

import hashlib
import time

import psycopg
import pytest
import redis
from fastapi.testclient import TestClient
from pydantic import SecretStr

from assistant.answer.sessions import call_session_id
from assistant.api.app import create_app
from assistant.audit import open_feedback_store
from assistant.models import Channel

PHONE = "13812345678"
ID_NUMBER = "11010519491231002X"
NAME = "张三"
AGENT_KEY = "alice-key-0123456789abcdef"
IVR_KEY = "ivr-key-0123456789"
# Where the IVR call lives: under the fingerprint of the API key that placed it.
IVR_SESSION = call_session_id(hashlib.sha256(IVR_KEY.encode()).hexdigest()[:16], "call-0001")

# Each form a number may take in a question, and so on disk.
NEEDLES = [
    PHONE,
    "138.1234.5678",
    "138-1234-5678",
    "138 1234 5678",
    "一三八一二三四五六七八",
    "幺三八",
    "１３８１２３４５６７８",
    ID_NUMBER[:17],
    "１１０１０５１９４９１２３１００２",
    "一一〇一〇五一九四九一二三一〇〇二",
    NAME,
    "建国路88号",
]

ASK = [
    ("agent", f"我叫{NAME}，手机{PHONE}，身份证{ID_NUMBER}，欠费5100元逾期12天，违约金多少"),
    ("agent", "那逾期20天呢，回电138.1234.5678"),
    ("widget", "我手机１３８１２３４５６７８，50M专线不要云了每个月多少钱"),
    ("widget", "身份证１１０１０５１９４９１２３１００２Ｘ，回电一三八一二三四五六七八，开户费多少钱"),
    ("agent", "138 1234 5678 地址北京市朝阳区建国路88号，提前解约违约金怎么算"),
]


@pytest.fixture(params=["sqlite", "redis", "redis+postgres"])
def stores(request, tmp_path, fake_settings, assistant_in):
    """Settings with a fresh data directory, a Redis (flushed) and a fresh PostgreSQL database when the param says
    so; the Assistant on them."""
    update = {"data_dir": tmp_path / "data", "api_keys": [IVR_KEY], "agent_keys": {"alice": SecretStr(AGENT_KEY)}}
    client = None
    if "postgres" in request.param:
        update["database_url"] = request.getfixturevalue("database_url")
    if "redis" in request.param:
        url = request.getfixturevalue("redis_url")
        client = redis.Redis.from_url(url)
        client.flushdb()
        update["redis_url"] = url
    settings = fake_settings.model_copy(update=update)
    yield settings, assistant_in(settings), client
    if client is not None:
        client.close()


def _redis_contents(client: redis.Redis) -> list[tuple[bytes, bytes, int]]:
    """Every key with its value (any type, serialised) and its time to live in ms."""
    return [(key, client.dump(key) or b"", client.pttl(key)) for key in client.scan_iter("*")]


def test_personal_data_is_stored_nowhere(stores):
    settings, assistant, redis_client = stores
    t0 = time.time()
    app = create_app(settings, assistant)
    # The agent's console (signed in) and a customer's browser (the public widget, no cookie).
    with TestClient(app, raise_server_exceptions=False) as c, TestClient(app, raise_server_exceptions=False) as customer:
        assert c.post("/v1/agents/sign-in", json={"key": AGENT_KEY}).status_code == 200
        sessions: dict[str, str | None] = {"agent": None, "widget": None}  # each channel continues its own
        answers = []
        for channel, question in ASK:
            r = (c if channel == "agent" else customer).post(
                "/v1/ask", json={"question": question, "channel": channel, "session_id": sessions[channel]}
            )
            assert r.status_code == 200, r.text
            answers.append(r.json())
            assert answers[-1]["session_started"] is (sessions[channel] is None)
            sessions[channel] = answers[-1]["session_id"]
        fb = {"session_id": sessions["agent"], "turn": 1, "helpful": False, "comment": f"没说清楚，回电138-1234-5678，身份证{ID_NUMBER}"}
        assert c.post("/v1/feedback", json=fb).status_code == 201
        for transcript in ["我的电话是幺三八 幺二三四 五六七八 逾期十天违约金多少", "身份证号一一〇一〇五一九四九一二三一〇〇二X"]:
            r = c.post("/v1/ivr/turn", json={"call_id": "call-0001", "transcript": transcript}, headers={"X-API-Key": IVR_KEY})
            assert r.status_code == 200, r.text

    # The answers were computed from the questions as asked: 5100 × 3‰ × 12 and × 20.
    assert "183.60" in answers[0]["answer"] and "306.00" in answers[1]["answer"]
    assert "5100" in answers[2]["answer"]

    # The agent and the IVR call are kept under their own names: redaction took out only the customer's data.
    agent_state, call_state = assistant.sessions.get(sessions["agent"]), assistant.sessions.get(IVR_SESSION)
    assert (agent_state.channel, agent_state.owner, agent_state.turns) == (Channel.agent, "alice", 3)
    assert call_state is not None and call_state.channel is Channel.ivr and call_state.turns == 2
    records = assistant.audit.query(t0, time.time() + 1)
    assert {(r.channel, r.agent, r.session_id) for r in records} == {
        (Channel.agent, "alice", sessions["agent"]),
        (Channel.widget, None, sessions["widget"]),
        (Channel.ivr, None, IVR_SESSION),
    }
    feedback = open_feedback_store(settings)
    assert [(f.agent, f.session_id) for f in feedback.query(t0, time.time() + 1)] == [("alice", sessions["agent"])]
    feedback.close()

    files = [p for p in settings.data_dir.rglob("*") if p.is_file()]
    if not settings.database_url:
        assert any(p.name == "audit.sqlite3-wal" for p in files) or any(p.name == "audit.sqlite3" for p in files)
    else:
        assert not any(p.name.startswith("audit.") for p in files)  # the audit went to PostgreSQL only
        with psycopg.connect(settings.database_url) as conn:
            tables = [t for (t,) in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")]
            assert {"audit", "feedback", "subjects"} <= set(tables)
            for table in tables:
                for (row,) in conn.execute(f"SELECT t::text FROM {table} t"):
                    found = [n for n in NEEDLES if n in row]
                    assert not found, f"{found} found in table {table}"
                    assert AGENT_KEY not in row and IVR_KEY not in row, f"a key found in table {table}"
    for p in files:
        data = p.read_bytes()
        found = [n for n in NEEDLES if n.encode() in data]
        assert not found, f"{found} found in {p.name}"
        assert AGENT_KEY.encode() not in data and IVR_KEY.encode() not in data, f"a key found in {p.name}"
    if redis_client is not None:
        contents = _redis_contents(redis_client)
        assert f"assistant:session:{IVR_SESSION}".encode() in {key for key, _, _ in contents}
        for key, value, ttl in contents:
            found = [n for n in NEEDLES if n.encode() in key or n.encode() in value]
            assert not found, f"{found} found in Redis key {key!r}"
            assert AGENT_KEY.encode() not in value and IVR_KEY.encode() not in value
            assert ttl > 0, f"Redis key {key!r} never expires"
