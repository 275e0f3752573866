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


def _start(port: int, data_dir: Path) -> subprocess.Popen:
    env = {**os.environ, "ASSISTANT_DATA_DIR": str(data_dir), "HF_HUB_OFFLINE": "1", "ASSISTANT_API_KEYS": '["k"]'}
    cmd = [sys.executable, "-m", "assistant.cli", "serve", "--port", str(port), "--workers", "2", "--no-build"]
    proc = subprocess.Popen(cmd, cwd=PROJECT_ROOT, env=env, start_new_session=True,
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
