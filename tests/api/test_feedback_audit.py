import time

import pytest
from fastapi.testclient import TestClient

from assistant.api.app import create_app
from assistant.audit import AuditLog, FeedbackStore, default_path
from assistant.cli import main


@pytest.fixture(scope="module")
def client(fake_settings, fake_assistant):
    with TestClient(create_app(fake_settings, fake_assistant), raise_server_exceptions=False) as c:
        yield c


def test_each_answer_writes_a_redacted_audit_record(client, fake_settings):
    t0 = time.time()
    r = client.post("/v1/ask", json={"question": "我手机13812345678，50M专线不要云了每个月多少钱", "channel": "widget"})
    body = r.json()
    records = [x for x in AuditLog(default_path(fake_settings)).query(t0, time.time() + 1) if x.session_id == body["session_id"]]
    assert len(records) == 1
    rec = records[0]
    assert "13812345678" not in rec.question and "[手机号]" in rec.question
    assert rec.channel.value == "widget" and rec.intent.value == body["intent"]
    assert rec.clause_ids == [c["clause_id"] for c in body["citations"]]
    assert rec.model_id == "fake-embedder" and len(rec.corpus_sha256) == 64 and rec.latency_ms > 0


def test_feedback_is_stored(client, fake_settings):
    t0 = time.time()
    sid = client.post("/v1/ask", json={"question": "开户费多少钱"}).json()["session_id"]
    r = client.post("/v1/feedback", json={"session_id": sid, "turn": 1, "helpful": False, "comment": "没说清楚，邮箱a@b.cn"})
    assert r.status_code == 201 and r.json()["id"] >= 1
    stored = [f for f in FeedbackStore(default_path(fake_settings)).query(t0, time.time() + 1) if f.session_id == sid]
    assert stored[0].helpful is False and "a@b.cn" not in stored[0].comment


@pytest.mark.parametrize(
    "payload",
    [
        {"session_id": "s1", "turn": 0, "helpful": True},
        {"session_id": "bad id", "turn": 1, "helpful": True},
        {"session_id": "s1", "turn": 1},
        {"session_id": "s1", "turn": 1, "helpful": True, "time": 0},
        {"session_id": "s1", "turn": 1, "helpful": True, "comment": "x" * 501},
    ],
)
def test_bad_feedback_is_422(client, payload):
    r = client.post("/v1/feedback", json=payload)
    assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_request"


def test_report_command_lists_intents(client, fake_settings, monkeypatch, capsys):
    client.post("/v1/ask", json={"question": "我手机流量包怎么退订"})
    monkeypatch.setenv("ASSISTANT_DATA_DIR", str(fake_settings.data_dir))
    assert main(["report", "--json"]) == 0
    out = capsys.readouterr().out
    assert '"out_of_scope"' in out and "流量包" in out


def test_report_command_refuses_a_bad_period(monkeypatch, fake_settings):
    monkeypatch.setenv("ASSISTANT_DATA_DIR", str(fake_settings.data_dir))
    with pytest.raises(SystemExit, match="not a date"):
        main(["report", "--since", "2026-13-01"])
