"""The real server as a process: two workers share sessions, and a SIGKILL mid-conversation loses nothing."""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from assistant.settings import PROJECT_ROOT

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve(port: int, data_dir: Path, workers: int = 1, **env: str) -> subprocess.Popen:
    """`assistant serve` on 127.0.0.1:port with ASSISTANT_* settings from `env`, once it answers /healthz."""
    settings = {f"ASSISTANT_{k.upper()}": v for k, v in env.items()}
    full = {**os.environ, "HF_HUB_OFFLINE": "1", "ASSISTANT_DATA_DIR": str(data_dir), **settings}
    cmd = [sys.executable, "-m", "assistant.cli", "serve", "--port", str(port), "--workers", str(workers), "--no-build"]
    proc = subprocess.Popen(cmd, cwd=PROJECT_ROOT, env=full, start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 180
    while time.time() < deadline:
        assert proc.poll() is None, "server exited during start-up"
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.5)
    _kill(proc)
    raise AssertionError("server did not become ready")


def _start(port: int, data_dir: Path, workers: int = 2) -> subprocess.Popen:
    """The server these tests share: two workers, an API key, no rate limit in the way."""
    return _serve(port, data_dir, workers, api_keys='["k"]', rate_per_minute_ip="100000")


def _kill(proc: subprocess.Popen) -> None:
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)


def test_two_workers_share_sessions_and_a_killed_server_continues_the_conversation(tmp_path, real_assistant):
    port = _free_port()
    url = f"http://127.0.0.1:{port}/v1/ask"
    proc = _start(port, tmp_path)
    try:
        first = httpx.post(url, json={"question": "帮我算一下欠费的违约金"}, timeout=30).json()
        assert first["intent"] == "clarify"
        sid = first["session_id"]
        # Several turns across two workers: every one sees the session the other wrote.
        for _ in range(4):
            again = httpx.post(url, json={"question": "50M专线不要云了每个月多少钱", "session_id": sid}, timeout=30).json()
            assert again["calculation"]["result"] == 5100.0
        follow = httpx.post(url, json={"question": "那100M呢", "session_id": sid}, timeout=30).json()
        assert follow["calculation"]["result"] == 10000.0
    finally:
        _kill(proc)
    proc = _start(port, tmp_path)
    try:
        after = httpx.post(url, json={"question": "一年呢", "session_id": sid}, timeout=30).json()
        assert after["calculation"]["name"] == "line_fee"
        assert after["calculation"]["result"] == 120000.0
    finally:
        _kill(proc)


def test_sigkill_loses_no_acknowledged_turn_audit_record_or_feedback(tmp_path, real_assistant):
    """Clients talk and rate answers while the server is killed with SIGKILL; everything acknowledged survives."""
    from concurrent.futures import ThreadPoolExecutor

    from assistant.answer.sessions import SqliteSessionStore
    from assistant.audit import AuditLog, FeedbackStore

    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    proc = _start(port, tmp_path, workers=1)
    acked_turns: list[tuple[str, int, str]] = []  # session, turn, question
    acked_feedback: list[int] = []
    questions = ["开户费多少钱", "50M专线不要云了每个月多少钱", "那100M呢", "欠费5000元逾期10天违约金多少", "专线能暂停吗"]

    def client(n: int) -> None:
        sid = None
        with httpx.Client(timeout=10) as http:
            for i in range(200):
                q = questions[i % len(questions)]
                try:
                    r = http.post(base + "/v1/ask", json={"question": q, "session_id": sid})
                    if r.status_code != 200:
                        return
                    sid = r.json()["session_id"]
                    turn = sum(1 for s, _, _ in acked_turns if s == sid) + 1
                    acked_turns.append((sid, turn, q))
                    f = http.post(base + "/v1/feedback", json={"session_id": sid, "turn": turn, "helpful": i % 2 == 0})
                    if f.status_code == 201:
                        acked_feedback.append(f.json()["id"])
                except httpx.HTTPError:
                    return  # the server was killed mid-request: that turn was never acknowledged

    with ThreadPoolExecutor(4) as pool:
        futures = [pool.submit(client, n) for n in range(4)]
        time.sleep(6)
        _kill(proc)
        for f in futures:
            f.result()
    assert len(acked_turns) >= 8 and acked_feedback

    sessions = SqliteSessionStore(tmp_path / "sessions.sqlite3")
    for sid in {s for s, _, _ in acked_turns}:
        state = sessions.get(sid)
        mine = [q for s, _, q in acked_turns if s == sid]
        assert state is not None and state.turns >= len(mine)
    log = AuditLog(tmp_path / "audit.sqlite3")
    recorded = {(r.session_id, r.turn) for r in log.query(0, time.time() + 1)}
    assert {(s, t) for s, t, _ in acked_turns} <= recorded
    stored = FeedbackStore(tmp_path / "audit.sqlite3").query(0, time.time() + 1)
    assert len(stored) >= len(acked_feedback)

    proc = _start(port, tmp_path, workers=1)
    try:
        sid = acked_turns[-1][0]
        r = httpx.post(base + "/v1/ask", json={"question": "50M专线不要云了每个月多少钱", "session_id": sid}, timeout=30)
        assert r.json()["calculation"]["result"] == 5100.0
        r = httpx.post(base + "/v1/ask", json={"question": "一年呢", "session_id": sid}, timeout=30)
        assert r.json()["calculation"]["result"] == 61200.0
    finally:
        _kill(proc)
