"""Audit retention (ASSISTANT_AUDIT_RETENTION_DAYS): purged when opened and at most hourly on write, leaving no copy.

The purge tests run on every audit backend (SQLite, PostgreSQL); what stays on disk is SQLite's own test."""

from __future__ import annotations


import pytest

from assistant.audit import AuditLog, AuditRecord, Feedback
from assistant.audit.stores import PURGE_INTERVAL
from assistant.models import Channel, Intent
from assistant.settings import Settings

DAY = 86400.0
NOW = 1_770_000_000.0


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self, now: float = NOW):
        self.now = now

    def __call__(self) -> float:
        return self.now


def rec(at: float, session: str = "s", question: str = "开户费多少钱") -> AuditRecord:
    """An audit record written at `at`."""
    return AuditRecord(time=at, channel=Channel.agent, session_id=session, turn=1, question=question,
                       intent=Intent.lookup, corpus_sha256="x", model_id="m", latency_ms=1.0)


def test_default_retention_is_180_days_and_configurable(monkeypatch):
    assert Settings().audit_retention_days == 180
    monkeypatch.setenv("ASSISTANT_AUDIT_RETENTION_DAYS", "30")
    assert Settings().audit_retention_days == 30


@pytest.mark.parametrize("value", [0, -5])
def test_retention_must_be_positive(value):
    with pytest.raises(ValueError, match=f"audit_retention_days must be > 0, got {value}"):
        Settings(audit_retention_days=value)


def test_the_assistant_opens_its_audit_log_with_the_configured_retention(fake_assistant):
    assert fake_assistant.audit.retention_days == 180


def test_old_records_feedback_and_digests_are_purged_when_the_log_opens(audit_backend):
    clock = FakeClock()
    log, fb = audit_backend.log(clock=clock), audit_backend.feedback()  # no retention: keeps everything
    log.record(rec(NOW - 31 * DAY, "old", question="我手机13812345678"))
    fb.add(Feedback(session_id="old", turn=1, helpful=False, comment="回电13812345678", time=NOW - 31 * DAY))
    log.record(rec(NOW - 29 * DAY, "recent", question="我手机13900001111"))
    assert tuple(audit_backend.count(t) for t in ("audit", "feedback", "subjects")) == (2, 1, 2)

    audit_backend.log(retention_days=30, clock=clock)  # what start-up does

    assert [r.session_id for r in log.query(0, NOW)] == ["recent"]
    assert tuple(audit_backend.count(t) for t in ("audit", "feedback", "subjects")) == (1, 0, 1)


def test_writes_purge_at_most_once_an_hour(audit_backend):
    clock = FakeClock()
    log = audit_backend.log(retention_days=30, clock=clock)  # purged now, on opening
    log.record(rec(NOW - 40 * DAY, "too-old"))  # (say, written by a worker whose clock was behind)
    clock.now += PURGE_INTERVAL - 1
    log.record(rec(clock.now, "a"))
    assert audit_backend.count("audit") == 2  # not an hour since the last purge
    clock.now += 1
    log.record(rec(clock.now, "b"))
    assert {r.session_id for r in log.query(0, clock.now + 1)} == {"a", "b"}


def test_purged_rows_leave_no_copy_on_disk(tmp_path):
    path = tmp_path / "audit.sqlite3"
    clock = FakeClock()
    AuditLog(path, clock=clock).record(rec(NOW - 200 * DAY, "old", question="MARKER-RT99 " * 30))
    AuditLog(path, retention_days=180, clock=clock)
    on_disk = b"".join(p.read_bytes() for p in tmp_path.glob("audit.sqlite3*"))
    assert b"MARKER-RT99" not in on_disk


def test_a_failed_purge_does_not_fail_the_write(audit_backend, caplog):
    clock = FakeClock()
    log = audit_backend.log(retention_days=30, clock=clock)
    audit_backend.sql("DROP TABLE subjects")  # the purge's last DELETE now fails
    clock.now += PURGE_INTERVAL
    log.record(rec(clock.now, "a"))
    assert [r.session_id for r in log.query(0, clock.now + 1)] == ["a"]
    assert "could not purge" in caplog.text
