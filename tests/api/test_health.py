"""Honest health: /readyz probes both stores with a write and checks the index files against their checksums;
503 answers name no file and no host (the details go to the log)."""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import socket
import subprocess
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from assistant.answer.assistant import Assistant
from assistant.answer.sessions import RedisSessionStore
from assistant.api.app import create_app
from assistant.audit import AuditLog
from tests.conftest import TODAY
from tests.fakes import FakeEmbedder

QUESTION = {"question": "开户费多少钱", "channel": "agent"}


@pytest.fixture
def make_client(tmp_path, fake_settings, fake_assistant):
    """A client on an Assistant whose data folder and index (a copy of the fake one) are this test's own."""
    shutil.copytree(fake_settings.index_dir, tmp_path / "index")
    settings = fake_settings.model_copy(update={"data_dir": tmp_path / "data", "index_dir": tmp_path / "index"})
    opened: list[TestClient] = []

    def make(**kw) -> tuple[TestClient, Assistant]:
        a = Assistant.from_settings(
            settings, embedder=FakeEmbedder(), rebuild=False, scope=fake_assistant.scope, today=lambda: TODAY, **kw
        )
        c = TestClient(create_app(settings, a), raise_server_exceptions=False)
        c.__enter__()
        opened.append(c)
        return c, a

    yield make
    for c in opened:
        c.__exit__(None, None, None)


def _corrupt(path: Path) -> None:
    """Replace a SQLite file (and its WAL) by bytes that are no database."""
    for extra in ("-wal", "-shm"):
        Path(f"{path}{extra}").unlink(missing_ok=True)
    path.write_bytes(b"this is not a database" * 500)


@contextlib.contextmanager
def _read_only(path: Path):
    """Make a file unwritable even for root (chattr +i), or skip when this file system cannot."""
    if os.geteuid() != 0:
        path.chmod(0o444)
        try:
            yield
        finally:
            path.chmod(0o644)
        return
    if shutil.which("chattr") is None or subprocess.run(["chattr", "+i", str(path)], capture_output=True).returncode:
        pytest.skip("cannot make a file read-only for root here")
    try:
        yield
    finally:
        subprocess.run(["chattr", "-i", str(path)], check=True)


def _failed(r) -> dict[str, bool]:
    return {c["name"]: c["ok"] for c in r.json()["error"]["checks"]}


def _assert_generic(r, *secrets: str) -> None:
    """A 503 whose message names no path and no host."""
    assert r.status_code == 503
    text = r.text
    for s in secrets:
        assert s not in text
    assert "/" not in r.json()["error"]["message"]


def test_ready_when_every_check_passes(make_client):
    client, _ = make_client()
    r = client.get("/readyz")
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "ready" and body["clauses"] == 121
    assert {c["name"]: c["ok"] for c in body["checks"]} == {"session_store": True, "audit_store": True, "index": True}


def test_not_ready_while_every_answer_fails_on_a_corrupt_audit_file(make_client, tmp_path, caplog):
    # The reproduction: /readyz said ready while every answer failed.
    client, a = make_client()
    _corrupt(a.audit.path)
    caplog.set_level(logging.WARNING)
    r = client.get("/readyz")
    assert r.status_code == 503
    assert _failed(r) == {"session_store": True, "audit_store": False, "index": True}
    assert r.json()["error"]["message"] == "not ready: audit_store failed"
    ask = client.post("/v1/ask", json=QUESTION)
    _assert_generic(ask, str(tmp_path), "audit.sqlite3")
    assert ask.json()["error"]["code"] == "audit_store_unavailable"
    # The details are in the log, for the operator.
    assert "audit.sqlite3" in caplog.text


def test_not_ready_on_a_read_only_audit_file(make_client, tmp_path):
    client, a = make_client()
    a.audit.close()
    a.audit = AuditLog(a.audit.path)  # no connection open yet: every write goes through the read-only file
    with _read_only(a.audit.path):
        r = client.get("/readyz")
        assert r.status_code == 503
        assert _failed(r)["audit_store"] is False
        _assert_generic(client.post("/v1/ask", json=QUESTION), str(tmp_path))
    assert client.get("/readyz").status_code == 200


def test_not_ready_on_a_corrupt_session_file(make_client, tmp_path):
    client, a = make_client()
    _corrupt(a.sessions.path)
    r = client.get("/readyz")
    assert r.status_code == 503
    assert _failed(r) == {"session_store": False, "audit_store": True, "index": True}
    ask = client.post("/v1/ask", json=QUESTION)
    _assert_generic(ask, str(tmp_path), "sessions.sqlite3")
    assert ask.json()["error"]["code"] == "session_store_unavailable"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_unreachable_redis_is_not_ready_and_its_host_is_not_shown(make_client, caplog):
    port = _free_port()
    store = RedisSessionStore(f"redis://:s3cret@127.0.0.1:{port}/0", timeout=0.2)
    client, _ = make_client(sessions=store)
    caplog.set_level(logging.WARNING)
    r = client.get("/readyz")
    assert r.status_code == 503 and _failed(r)["session_store"] is False
    _assert_generic(r, "127.0.0.1", str(port), "s3cret", "redis")
    ask = client.post("/v1/ask", json=QUESTION)
    _assert_generic(ask, "127.0.0.1", str(port), "s3cret", "redis")
    assert ask.json()["error"] == {"code": "session_store_unavailable", "message": "会话存储暂时不可用，请稍后再试"}
    assert f"127.0.0.1:{port}" in caplog.text and "s3cret" not in caplog.text


@pytest.mark.parametrize("name", ["dense.faiss", "rows.json", "bm25_ids.json", "bm25/data.csc.index.npy"])
def test_not_ready_when_an_index_file_no_longer_matches_its_checksum(make_client, tmp_path, name):
    client, _ = make_client()
    path = tmp_path / "index" / name
    path.write_bytes(path.read_bytes()[:-8])
    r = client.get("/readyz")
    assert r.status_code == 503
    assert _failed(r) == {"session_store": True, "audit_store": True, "index": False}
    _assert_generic(r, str(tmp_path))



def test_a_turn_whose_audit_record_cannot_be_written_is_not_saved(make_client):
    from assistant.answer.sessions import SessionState
    from assistant.audit import AuditStoreUnavailable

    _, a = make_client()
    a.sessions.put(SessionState(session_id="call-1", turns=1))
    a.audit.close()
    _corrupt(a.audit.path)
    with pytest.raises(AuditStoreUnavailable):
        a.ask("开户费多少钱", session="call-1")
    state = a.sessions.get("call-1")
    assert state.turns == 1 and state.history == []
