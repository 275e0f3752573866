"""Shared fixtures: the parsed corpus, and an Assistant on a fake embedder with its own index."""

from __future__ import annotations

import shutil
import socket
import sqlite3
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pytest
import redis

from assistant.answer.assistant import Assistant
from assistant.answer.scope import ScopeModel
from assistant.answer.sessions import make_store
from assistant.audit import AuditStore, FeedbackStorage, default_path, open_audit_log, open_feedback_store
from assistant.corpus.knowledge import load_knowledge
from assistant.settings import PROJECT_ROOT, Settings
from tests import postgres
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
            audit=open_audit_log(settings),
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


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[postgres.PostgresServer]:
    """A throwaway PostgreSQL cluster (Debian's `postgresql` package) for the whole test session.

    Skipped when the binaries are not installed, except in CI (CI=true), where `.ci/run` installs them and a
    missing server must fail the run rather than pass it with the PostgreSQL rows unrun.
    """
    server = postgres.start_or_skip(free_port())
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def database_url(postgres_server) -> str:
    """The URL of a fresh, empty database on the test cluster (one per test)."""
    return postgres_server.create_database()


@dataclass
class AuditBackend:
    """One implementation of the audit stores, for the shared store suites: ``settings`` say where its data is."""

    name: str
    settings: Settings
    opened: list = field(default_factory=list)

    def log(self, retention_days: float | None = None, clock: Callable[[], float] = time.time) -> AuditStore:
        """An audit log on this backend (another handle on the same data each call)."""
        store = open_audit_log(self.settings.model_copy(update={"audit_retention_days": retention_days}), clock=clock)
        self.opened.append(store)
        return store

    def feedback(self) -> FeedbackStorage:
        """A feedback store on this backend."""
        store = open_feedback_store(self.settings)
        self.opened.append(store)
        return store

    @property
    def env(self) -> dict[str, str]:
        """The ASSISTANT_* variables a child process reads to open the same stores."""
        return {"ASSISTANT_DATA_DIR": str(self.settings.data_dir), "ASSISTANT_DATABASE_URL": self.settings.database_url}

    def sql(self, statement: str, params: tuple = ()) -> list[tuple]:
        """Run one statement on the backend's database directly (``?`` placeholders); the rows it returned."""
        if self.name == "postgres":
            import psycopg

            with psycopg.connect(self.settings.database_url, autocommit=True) as conn:
                cur = conn.execute(statement.replace("?", "%s"), params)
                return cur.fetchall() if cur.description else []
        with sqlite3.connect(default_path(self.settings)) as conn:
            return conn.execute(statement, params).fetchall()

    def count(self, table: str) -> int:
        return self.sql(f"SELECT count(*) FROM {table}")[0][0]


@pytest.fixture(params=["sqlite", "postgres"])
def audit_backend(request, tmp_path) -> Iterator[AuditBackend]:
    """The audit log and feedback on SQLite (a file in a fresh data_dir) and on PostgreSQL (a fresh database)."""
    url = request.getfixturevalue("database_url") if request.param == "postgres" else ""
    backend = AuditBackend(request.param, Settings(data_dir=tmp_path / "data", database_url=url))
    yield backend
    for store in backend.opened:
        store.close()


def pytest_collection_modifyitems(items):
    for item in items:
        if "real_assistant" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.slow)


__all__ = ["CORPUS", "TODAY", "Path"]
