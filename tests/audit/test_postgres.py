"""What only the PostgreSQL audit stores have: a schema they create and migrate themselves, safely when several
instances start at once, a digest key every instance shares, and errors that name no password.

The behaviour they share with the SQLite stores is tested on both, through the ``audit_backend`` fixture
(tests/test_audit.py, tests/audit/test_retention.py, tests/audit/test_forget.py)."""

from __future__ import annotations

import logging
import threading

import psycopg
import pytest

from assistant.audit import AuditRecord, AuditStoreUnavailable, open_audit_log, open_feedback_store
from assistant.audit.postgres import MIGRATIONS, Migration, PostgresAuditLog, PostgresFeedbackStore, migrate
from assistant.audit.redaction import phone_subject
from assistant.models import Channel, Intent
from assistant.settings import Settings
from tests import postgres
from tests.conftest import free_port

PHONE = "13812345678"


def rec(session: str, question: str = "开户费多少钱", at: float = 1_770_000_000.0) -> AuditRecord:
    return AuditRecord(time=at, channel=Channel.agent, session_id=session, turn=1, question=question,
                       intent=Intent.lookup, corpus_sha256="x", model_id="m", latency_ms=1.0)


def _versions(url: str) -> list[int]:
    with psycopg.connect(url) as conn:
        return [v for (v,) in conn.execute("SELECT version FROM schema_migrations ORDER BY version")]


def test_the_schema_is_made_once_and_opening_again_changes_nothing(database_url):
    PostgresAuditLog(database_url).close()
    PostgresFeedbackStore(database_url).close()
    assert _versions(database_url) == [m.version for m in MIGRATIONS]
    with psycopg.connect(database_url, autocommit=True) as conn:
        assert migrate(conn) == []


def test_a_newer_version_applies_only_the_migrations_the_database_lacks(database_url):
    with psycopg.connect(database_url, autocommit=True) as conn:
        assert migrate(conn) == [1]
        conn.execute("INSERT INTO feedback (time, session_id, turn, helpful) VALUES (1, 's', 1, true)")
        newer = (*MIGRATIONS, Migration(version=2, description="a channel on feedback",
                                        sql="ALTER TABLE feedback ADD COLUMN channel TEXT"))
        assert migrate(conn, newer) == [2]
        assert migrate(conn, newer) == []
        assert conn.execute("SELECT session_id, channel FROM feedback").fetchall() == [("s", None)]
    assert _versions(database_url) == [1, 2]


def test_a_failing_migration_leaves_nothing_half_done(database_url):
    broken = (*MIGRATIONS, Migration(version=2, description="broken",
                                     sql="CREATE TABLE half (x INT); SELECT no_such_column FROM half"))
    with psycopg.connect(database_url, autocommit=True) as conn:
        with pytest.raises(psycopg.errors.UndefinedColumn):
            migrate(conn, broken)
        # Everything of that start-up rolled back, version 1 included: the next start begins again from scratch.
        assert conn.execute("SELECT to_regclass('half'), to_regclass('audit')").fetchone() == (None, None)
        assert migrate(conn) == [1]


def test_instances_starting_at_once_migrate_once_and_share_one_digest_key(database_url):
    n = 6
    start = threading.Barrier(n)
    opened: list[PostgresAuditLog] = []
    errors: list[BaseException] = []

    def instance(k: int) -> None:
        try:
            start.wait()
            log = PostgresAuditLog(database_url)
            opened.append(log)
            log.record(rec(f"s{k}", question=f"我手机{PHONE}" if k == 0 else "开户费多少钱"))
        except BaseException as e:  # surfaced below, not lost in the thread
            errors.append(e)

    threads = [threading.Thread(target=instance, args=(k,)) for k in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    try:
        assert errors == []
        assert _versions(database_url) == [1]
        # The number instance 0 recorded is found, by its digest, from every other instance.
        subject = phone_subject(PHONE)
        assert all(log.sessions_mentioning(subject) == {"s0"} for log in opened)
    finally:
        for log in opened:
            log.close()


def test_instances_on_different_hosts_find_each_others_subjects(database_url, tmp_path):
    # Each host has its own data_dir (and so its own audit.key for SQLite); the database's key is the one used.
    a = open_audit_log(Settings(data_dir=tmp_path / "a", database_url=database_url))
    b = open_audit_log(Settings(data_dir=tmp_path / "b", database_url=database_url))
    try:
        a.record(rec("from-a", question=f"回电{PHONE}"))
        assert b.sessions_mentioning(phone_subject(PHONE)) == {"from-a"}
    finally:
        a.close()
        b.close()
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()


def test_settings_pick_postgres_only_when_a_database_url_is_given(database_url, tmp_path):
    with_url = Settings(data_dir=tmp_path, database_url=database_url)
    log, fb = open_audit_log(with_url), open_feedback_store(with_url)
    try:
        assert isinstance(log, PostgresAuditLog) and isinstance(fb, PostgresFeedbackStore)
        assert not log.local and log.retention_days == with_url.audit_retention_days
    finally:
        log.close()
        fb.close()
    default = open_audit_log(Settings(data_dir=tmp_path))
    assert default.local and not isinstance(default, PostgresAuditLog)
    default.close()


def test_answers_with_a_networked_audit_store_are_not_computed_on_the_event_loop(database_url, tmp_path, fake_settings,
                                                                               assistant_in):
    a = assistant_in(fake_settings.model_copy(update={"data_dir": tmp_path, "database_url": database_url}))
    assert not a.stores_are_local  # a database round trip must not stall the server's event loop
    assert assistant_in(fake_settings.model_copy(update={"data_dir": tmp_path / "local"})).stores_are_local


@pytest.mark.parametrize(
    "url, message",
    [
        ("mysql://u:hunter2@db/assistant", "database_url must be a postgresql:// URL, got mysql"),
        ("u:hunter2@db/assistant", "database_url must be a postgresql:// URL, got no scheme"),
    ],
)
def test_a_database_url_that_is_not_postgresql_is_refused_without_echoing_it(url, message):
    with pytest.raises(ValueError, match=message) as e:
        Settings(database_url=url)
    assert "hunter2" not in str(e.value)


def test_postgres_urls_are_accepted():
    assert Settings(database_url=" postgres://u@db/a ").database_url == "postgres://u@db/a"
    assert Settings(database_url="postgresql://u:p@db:5433/a?sslmode=require").database_url.endswith("sslmode=require")


def test_an_unreachable_database_is_a_clear_error_naming_no_password(caplog):
    url = f"postgresql://assistant:hunter2@127.0.0.1:{free_port()}/audit?connect_timeout=2"
    with caplog.at_level(logging.ERROR), pytest.raises(AuditStoreUnavailable, match="audit store could not open") as e:
        PostgresAuditLog(url)
    assert "hunter2" not in str(e.value) and "127.0.0.1" not in str(e.value)
    assert "postgresql 127.0.0.1:" in caplog.text and "hunter2" not in caplog.text


def test_a_database_gone_after_start_up_fails_writes_and_readiness_with_the_store_error(postgres_server):
    url = postgres_server.create_database()
    log = PostgresAuditLog(url, timeout=1)
    try:
        log.probe()
        with psycopg.connect(postgres_server.url(), autocommit=True) as admin:
            # The database is taken away under the running instance (as a failover or an outage would).
            admin.execute(f"DROP DATABASE \"{url.rsplit('/', 1)[1]}\" WITH (FORCE)")
        with pytest.raises(AuditStoreUnavailable):
            log.probe()
        with pytest.raises(AuditStoreUnavailable):
            log.record(rec("s"))
    finally:
        log.close()


def test_without_the_binaries_the_postgres_tests_skip_locally_and_fail_in_ci(monkeypatch):
    def missing() -> None:
        raise postgres.PostgresMissing("PostgreSQL is not installed (apt-get install postgresql)")

    monkeypatch.setattr(postgres, "bin_dir", missing)
    with pytest.raises(pytest.skip.Exception, match="not installed"):
        postgres.start_or_skip(free_port(), ci=False)
    with pytest.raises(pytest.fail.Exception, match="CI must run the PostgreSQL tests"):
        postgres.start_or_skip(free_port(), ci=True)
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception):
        postgres.start_or_skip(free_port())
