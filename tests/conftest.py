"""Shared fixtures: the parsed corpus, and an Assistant on a fake embedder with its own index."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import pytest
import redis

from assistant.answer.assistant import Assistant
from assistant.answer.scope import ScopeModel
from assistant.answer.sessions import make_store
from assistant.audit import AuditLog, default_path
from assistant.corpus.knowledge import load_knowledge
from assistant.settings import PROJECT_ROOT, Settings
from tests.fakes import FakeEmbedder

CORPUS = PROJECT_ROOT / "corpus"
TODAY = date(2026, 11, 24)


@pytest.fixture(scope="session")
def knowledge():
    return load_knowledge(CORPUS)


@pytest.fixture(scope="session")
def corpus(knowledge):
    return knowledge.corpus


@pytest.fixture(scope="session")
def fake_settings(tmp_path_factory) -> Settings:
    base = tmp_path_factory.mktemp("fake")
    # Test clients send hundreds of requests from one address; the guard's own tests set tight budgets.
    return Settings(
        index_dir=base / "index", data_dir=base / "data", cache_dir=base / "cache",
        rate_per_minute_ip=1_000_000, rate_per_minute_key=1_000_000,
        rate_per_minute_agent=1_000_000, rate_per_minute_session=1_000_000,
    )


@pytest.fixture(scope="session")
def fake_assistant(fake_settings) -> Assistant:
    # The fake's cosines are not the real model's, so the scope gate reads only its lexical evidence.
    scope = ScopeModel.load(use_dense=False)
    return Assistant.from_settings(fake_settings, embedder=FakeEmbedder(), today=lambda: TODAY, scope=scope)


@pytest.fixture(scope="session")
def real_assistant() -> Assistant:
    """The real model and the project's index (built by `make test` before pytest runs)."""
    return Assistant.from_settings(Settings(), today=lambda: TODAY)


@pytest.fixture
def assistant_in(fake_assistant) -> Iterator[Callable[[Settings], Assistant]]:
    """Make an Assistant on the fake index whose sessions and audit live where the given settings say (its own
    data_dir, Redis when redis_url is set), as `Assistant.from_settings` would put them."""
    made: list[Assistant] = []

    def make(settings: Settings) -> Assistant:
        a = Assistant(
            fake_assistant.knowledge,
            fake_assistant.retriever,
            settings,
            sessions=make_store(settings),
            scope=fake_assistant.scope,
            today=lambda: TODAY,
            audit=AuditLog(default_path(settings), retention_days=settings.audit_retention_days),
        )
        made.append(a)
        return a

    yield make
    for a in made:
        a.sessions.close()
        a.audit.close()


def free_port() -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """A throwaway redis-server on a free local port, without persistence, for the whole test session."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server not installed (apt-get install redis-server); Redis store rows skipped")
    port = free_port()
    proc = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--daemonize", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    client = redis.Redis.from_url(url, socket_connect_timeout=0.2)
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"redis-server on port {port} did not answer PING (exit code {proc.poll()})")
                time.sleep(0.05)
        yield url
    finally:
        client.close()
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def pytest_collection_modifyitems(items):
    for item in items:
        if "real_assistant" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.slow)


__all__ = ["CORPUS", "TODAY", "Path"]
