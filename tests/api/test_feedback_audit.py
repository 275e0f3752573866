import time

import pytest
from fastapi.testclient import TestClient

from assistant.answer.assistant import Assistant
from assistant.answer.sessions import MemorySessionStore, SessionState, SessionStoreUnavailable
from assistant.api.app import create_app
from assistant.audit import AuditLog, AuditStoreUnavailable, FeedbackStore, default_path
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


def test_feedback_comments_are_redacted_with_the_wider_patterns(client, fake_settings):
    """Issue 12: names, dotted and Chinese-digit phone numbers and addresses in comments were stored in clear."""
    t0 = time.time()
    sid = client.post("/v1/ask", json={"question": "开户费多少钱"}).json()["session_id"]
    comment = "我叫张三，回电138.1234.5678或一三九零零零零一一一一，地址北京市朝阳区建国路88号"
    assert client.post("/v1/feedback", json={"session_id": sid, "turn": 1, "helpful": False, "comment": comment}).status_code == 201
    stored = [f for f in FeedbackStore(default_path(fake_settings)).query(t0, time.time() + 1) if f.session_id == sid]
    assert stored[0].comment == "我叫[姓名],回电[手机号]或[手机号],地址[地址]"  # NFKC-folded by the API


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
    # The data dir is the whole test session's: the question is looked for among every out-of-scope question
    # asked, not only among the ten most asked, which depend on what other tests asked before.
    assert main(["report", "--json", "--top", "100000"]) == 0
    out = capsys.readouterr().out
    assert '"out_of_scope"' in out and "流量包" in out


def test_report_command_refuses_a_bad_period(monkeypatch, fake_settings):
    monkeypatch.setenv("ASSISTANT_DATA_DIR", str(fake_settings.data_dir))
    with pytest.raises(SystemExit, match="not a date"):
        main(["report", "--since", "2026-13-01"])


# -- an answer's audit record and its turn are kept together or not at all (issue 12) -------------------------


def _on(backend, fake_settings):
    """The fake assistant's settings with its audit where the backend keeps it (a fresh SQLite file or database)."""
    return fake_settings.model_copy(update={"data_dir": backend.settings.data_dir, "database_url": backend.settings.database_url})


def _break_audit(backend) -> None:
    """Make every later audit write fail, as a corrupt or read-only audit file or a broken database would."""
    backend.sql("DROP TABLE audit")


def test_a_turn_whose_audit_record_cannot_be_written_is_not_saved(audit_backend, fake_settings, assistant_in):
    a = assistant_in(_on(audit_backend, fake_settings))
    sid = a.ask("开户费多少钱").session_id
    _break_audit(audit_backend)
    with pytest.raises(AuditStoreUnavailable):
        a.ask("那月租呢", session=sid)
    assert a.sessions.get(sid).turns == 1  # the second turn was not saved
    with pytest.raises(AuditStoreUnavailable):
        a.ask("付款方式有哪些", session="brand-new", issue_id=False)  # kept under that id, as an IVR call is
    assert a.sessions.get("brand-new") is None


def test_the_failure_is_a_generic_503_and_the_details_go_to_the_log(audit_backend, fake_settings, assistant_in, caplog):
    settings = _on(audit_backend, fake_settings)
    a = assistant_in(settings)
    with TestClient(create_app(settings, a), raise_server_exceptions=False) as c:
        _break_audit(audit_backend)
        r = c.post("/v1/ask", json={"question": "开户费多少钱"})
    assert r.status_code == 503
    assert r.json()["error"]["code"] == "audit_store_unavailable"
    for detail in (str(settings.data_dir), "audit.sqlite3", "no such table", "127.0.0.1", "postgres", "does not exist"):
        assert detail not in r.text
    if settings.database_url:
        assert "postgresql 127.0.0.1:" in caplog.text and 'relation "audit" does not exist' in caplog.text
    else:
        assert str(default_path(settings)) in caplog.text and "no such table" in caplog.text


class _UnsaveableSessions(MemorySessionStore):
    """A session store that reads but cannot write, as an unreachable Redis would."""

    def put(self, state: SessionState) -> None:
        raise SessionStoreUnavailable("session store could not write")


def test_an_audit_record_whose_turn_cannot_be_saved_is_taken_back(tmp_path, fake_assistant):
    log = AuditLog(tmp_path / "audit.sqlite3")
    a = Assistant(fake_assistant.knowledge, fake_assistant.retriever, fake_assistant.settings,
                  sessions=_UnsaveableSessions(), scope=fake_assistant.scope, audit=log)
    with pytest.raises(SessionStoreUnavailable):
        a.ask("开户费多少钱")
    assert log.query(0, time.time() + 1) == []
