"""Two instances of the service, as on two machines: real servers on two ports, each with its own data directory,
sharing Redis (sessions, request budgets) and PostgreSQL (audit log, feedback). One conversation alternates
between them; the audit in PostgreSQL is complete, the budget is one, and `assistant report` and
`assistant forget` run from a third host see and reach everything."""

import json
from concurrent.futures import ThreadPoolExecutor

import httpx
import psycopg
import pytest
import redis

from assistant.cli import main
from tests.test_server import _free_port, _kill, _serve

pytestmark = pytest.mark.slow

PHONE = "13812345678"
BUDGET = 10  # requests per minute per client address, across both instances


def test_two_instances_share_one_conversation_its_audit_and_one_budget(
    tmp_path, real_assistant, redis_url, database_url, monkeypatch, capsys
):
    redis.Redis.from_url(redis_url).flushdb()
    shared = {"redis_url": redis_url, "database_url": database_url, "rate_per_minute_ip": str(BUDGET)}
    ports = [_free_port(), _free_port()]
    hosts = [tmp_path / "host-a", tmp_path / "host-b"]
    # Both start against the same empty database at once: one migrates it while the other waits for it to have.
    with ThreadPoolExecutor(2) as pool:
        starting = [pool.submit(_serve, port, host, **shared) for port, host in zip(ports, hosts)]
    procs = [f.result() for f in starting if f.exception() is None]
    try:
        for f in starting:
            if f.exception() is not None:
                raise f.exception()
        base = [f"http://127.0.0.1:{p}" for p in ports]

        def ask(n: int, question: str, sid: str | None) -> dict:
            r = httpx.post(f"{base[n % 2]}/v1/ask", json={"question": question, "session_id": sid}, timeout=60)
            assert r.status_code == 200, r.text
            return r.json()

        # Each turn is read with the ones before it, which the other instance answered.
        first = ask(0, "帮我算一下欠费的违约金", None)
        assert first["intent"] == "clarify"
        sid = first["session_id"]
        second = ask(1, "50M专线不要云了每个月多少钱", sid)
        third = ask(2, "那100M呢", sid)
        fourth = ask(3, "一年呢", sid)
        assert [a["session_id"] for a in (second, third, fourth)] == [sid] * 3
        assert [a["calculation"]["result"] for a in (second, third, fourth)] == [5100.0, 10000.0, 120000.0]
        ratings = [
            httpx.post(f"{base[1]}/v1/feedback", json={"session_id": sid, "turn": 2, "helpful": True}, timeout=30),
            httpx.post(f"{base[0]}/v1/feedback", json={"session_id": sid, "turn": 4, "helpful": False,
                                                     "comment": f"算错了请回电{PHONE}"}, timeout=30),
        ]
        assert [r.status_code for r in ratings] == [201, 201]

        # Six requests spent; alternating instances, the address has BUDGET - 6 left in all, not on each.
        codes = [httpx.get(f"{base[n % 2]}/v1/calculators", timeout=30).status_code for n in range(2 * BUDGET)]
        assert codes == [200] * (BUDGET - 6) + [429] * (BUDGET + 6)
    finally:
        for proc in procs:
            _kill(proc)

    # The audit is complete in PostgreSQL, and nothing of it (nor of the sessions) stayed on either host.
    with psycopg.connect(database_url) as conn:
        audit = conn.execute("SELECT session_id, turn, record FROM audit ORDER BY id").fetchall()
        feedback = conn.execute("SELECT session_id, turn, helpful, comment FROM feedback ORDER BY id").fetchall()
    assert [(s, t) for s, t, _ in audit] == [(sid, 1), (sid, 2), (sid, 3), (sid, 4)]
    assert [json.loads(r)["question"] for _, _, r in audit] == ["帮我算一下欠费的违约金", "50M专线不要云了每个月多少钱", "那100M呢", "一年呢"]
    assert feedback == [(sid, 2, True, None), (sid, 4, False, "算错了请回电[手机号]")]
    for host in hosts:
        assert not list(host.glob("*.sqlite3*")), list(host.iterdir())

    # A third host reads the report and erases the caller from the shared stores.
    third_host = {"ASSISTANT_DATA_DIR": str(tmp_path / "host-c"), "ASSISTANT_REDIS_URL": redis_url,
                  "ASSISTANT_DATABASE_URL": database_url}
    for k, v in third_host.items():
        monkeypatch.setenv(k, v)
    assert main(["report", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["total"] == 4 and report["helpful_count"] == 1
    assert [(u["turn"], u["question"]) for u in report["unhelpful"]] == [(4, "一年呢")]

    assert main(["forget", "--phone", PHONE, "--json"]) == 0
    done = json.loads(capsys.readouterr().out)
    assert done == {"sessions_matched": 1, "sessions": 1, "audit_records": 4, "feedback": 2, "subjects": 1}
    with psycopg.connect(database_url) as conn:
        assert conn.execute("SELECT (SELECT count(*) FROM audit) + (SELECT count(*) FROM feedback)").fetchone() == (0,)
    assert redis.Redis.from_url(redis_url).keys("assistant:session:*") == []
