"""The audit stores: answers' records, feedback and subject digests.

:class:`AuditStore` and :class:`FeedbackStorage` are the interfaces; :func:`open_audit_log` and
:func:`open_feedback_store` pick the implementation from settings: by default one SQLite file shared by every
worker of the host (:class:`AuditLog`, :class:`FeedbackStore`, below), and with ``ASSISTANT_DATABASE_URL``
PostgreSQL shared by every instance (:mod:`assistant.audit.postgres`).

Records and feedback are redacted before they get here (see :mod:`assistant.audit.records`). What a record
or a comment mentioned (a phone number, an ID number) is kept only as a keyed digest beside its session id, so
``assistant forget --phone N`` can find that person's sessions without the file holding the number. Rows older
than the retention period are purged, with ``secure_delete`` and a truncated WAL so no copy survives on disk.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import math
import os
import secrets
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol

from pydantic import BaseModel, ValidationError

from assistant.audit.records import AuditRecord, AuditStoreUnavailable, Feedback
from assistant.audit.redaction import Subject
from assistant.storage import SqliteConnections

log = logging.getLogger(__name__)

Clock = Callable[[], float]

KEY_FILE = "audit.key"
# Retention is counted in days, so purging at most once an hour per process keeps the file within an hour of
# it at the cost of one indexed DELETE an hour; see AuditLog.
PURGE_INTERVAL = 3600.0
DAY = 86400.0

SCHEMA = """
CREATE TABLE IF NOT EXISTS audit (
    id INTEGER PRIMARY KEY,
    time REAL NOT NULL,
    session_id TEXT NOT NULL,
    turn INTEGER NOT NULL,
    record TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_time ON audit(time);
CREATE INDEX IF NOT EXISTS audit_session_turn ON audit(session_id, turn, time);
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY,
    time REAL NOT NULL,
    session_id TEXT NOT NULL,
    turn INTEGER NOT NULL,
    helpful INTEGER NOT NULL,
    comment TEXT,
    agent TEXT
);
CREATE INDEX IF NOT EXISTS feedback_time ON feedback(time);
CREATE INDEX IF NOT EXISTS feedback_session ON feedback(session_id);
CREATE TABLE IF NOT EXISTS subjects (
    digest TEXT NOT NULL,
    session_id TEXT NOT NULL,
    time REAL NOT NULL,
    PRIMARY KEY (digest, session_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS subjects_time ON subjects(time);
CREATE INDEX IF NOT EXISTS subjects_session ON subjects(session_id);
"""


class Removed(BaseModel):
    """How many rows of each kind a purge or a deletion removed from the audit store."""

    audit_records: int = 0
    feedback: int = 0
    subjects: int = 0


class AuditStore(Protocol):
    """Where audit records (and the subject digests beside them) are kept; failures raise AuditStoreUnavailable.

    ``local`` is True when the store is on this host (a file), so its calls wait on no network.
    """

    local: bool
    retention_days: float | None

    def record(self, rec: AuditRecord) -> int:
        """Store one record; committed when this returns. Returns its id."""
        ...

    def discard(self, record_id: int) -> None:
        """Delete one record again."""
        ...

    def query(self, since: float, until: float) -> list[AuditRecord]:
        """Records with since <= time < until, oldest first."""
        ...

    def find(self, session_id: str, turn: int, at: float | None = None) -> AuditRecord | None:
        """The record of one turn of one session, the newest at or before `at` when given."""
        ...

    def purge(self) -> Removed:
        """Delete what is older than the retention period."""
        ...

    def sessions_mentioning(self, subject: Subject, literal: str = "") -> set[str]:
        """Ids of the sessions whose records or feedback mentioned subject."""
        ...

    def delete_sessions(self, session_ids: Iterable[str]) -> Removed:
        """Delete every record, feedback and digest of these sessions."""
        ...

    def probe(self) -> None:
        """Make one cheap write; AuditStoreUnavailable when the store refuses it."""
        ...

    def close(self) -> None: ...


class FeedbackStorage(Protocol):
    """Where agents' feedback is kept (beside the audit records it rates)."""

    local: bool

    def add(self, fb: Feedback) -> int:
        """Store one piece of feedback; committed when this returns. Returns its id."""
        ...

    def query(self, since: float, until: float) -> list[Feedback]:
        """Feedback with since <= time < until, oldest first."""
        ...

    def probe(self) -> None: ...

    def close(self) -> None: ...


def default_path(settings: Any) -> Path:
    """Where the audit log and feedback live: settings.data_dir / "audit.sqlite3"."""
    return Path(settings.data_dir) / "audit.sqlite3"


def load_key(directory: Path) -> bytes:
    """The secret that keys subject digests, from ``directory / audit.key``; made (mode 0600) on first use.

    Without the key a digest cannot be tested against guessed phone numbers. Every worker of one host reads the
    same file; the first to arrive writes it, atomically, so all agree.
    """
    path = Path(directory) / KEY_FILE
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{KEY_FILE}.{os.getpid()}.{secrets.token_hex(4)}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(32))
        try:
            os.link(tmp, path)  # fails when another process got there first; its key wins
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    key = bytes.fromhex(path.read_text().strip())
    if len(key) < 16:
        raise ValueError(f"{path} holds no usable key; delete it to have a new one made")
    return key


def subject_digest(key: bytes, subject: Subject) -> str:
    """The keyed digest a subject is recorded as."""
    return hmac.new(key, f"{subject.kind}:{subject.value}".encode(), hashlib.sha256).hexdigest()


def _add_column(conn: sqlite3.Connection, table: str, column: str, decl: str) -> None:
    """Add a column a file made by an older version lacks (several workers may race to do it)."""
    if column in {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}:
        return
    try:
        conn.execute(f"ALTER TABLE {table} ADD COLUMN {column} {decl}")
    except sqlite3.OperationalError as e:
        if "duplicate column" not in str(e):
            raise


class _AuditFile:
    """One process's handle on the audit file: connections, the digest key, errors without paths."""

    local = True

    def __init__(self, path: Path, busy_timeout: float = 5.0):
        self.path = Path(path)
        self._key_bytes: bytes | None = None
        with self._errors("open"):
            self._db = SqliteConnections(self.path, busy_timeout, SCHEMA)
            # Feedback tables made before agents were recorded gain the column, whichever store opens the file first.
            _add_column(self._db.get(), "feedback", "agent", "TEXT")

    @property
    def _key(self) -> bytes:
        """The digest key, read (or made) on first use."""
        if self._key_bytes is None:
            try:
                self._key_bytes = load_key(self.path.parent)
            except (OSError, ValueError) as e:
                log.error("audit store %s could not read its key: %s", self.path, e)
                raise AuditStoreUnavailable("audit store could not read its key") from e
        return self._key_bytes

    @contextmanager
    def _errors(self, action: str) -> Iterator[None]:
        """Re-raise sqlite3 errors as AuditStoreUnavailable; the file and the cause go to the log, not the message."""
        try:
            yield
        except sqlite3.Error as e:
            log.error("audit store %s could not %s: %s", self.path, action, e)
            raise AuditStoreUnavailable(f"audit store could not {action}") from e

    @contextmanager
    def _transaction(self, action: str) -> Iterator[sqlite3.Connection]:
        """One write transaction, committed on exit and rolled back on error."""
        with self._errors(action):
            conn = self._db.get()
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    def _note_subjects(self, conn: sqlite3.Connection, session_id: str, subjects: tuple[Subject, ...], at: float) -> None:
        """Record that session_id mentioned these subjects (as digests)."""
        if not subjects:
            return
        conn.executemany(
            "INSERT INTO subjects (digest, session_id, time) VALUES (?, ?, ?) "
            "ON CONFLICT(digest, session_id) DO UPDATE SET time = max(time, excluded.time)",
            [(subject_digest(self._key, s), session_id, at) for s in subjects],
        )

    def probe(self) -> None:
        """One write to the file through a fresh connection; AuditStoreUnavailable when it is refused."""
        with self._errors("write"):
            self._db.probe()

    def close(self) -> None:
        """Close this process's connections."""
        self._db.close()


def _load_records(rows: list[tuple[str]], path: Path) -> list[AuditRecord]:
    """Parse stored records, logging and skipping any that no longer validate."""
    out = []
    for (raw,) in rows:
        try:
            out.append(AuditRecord.model_validate_json(raw))
        except ValidationError as e:
            # Types and locations only: the input may hold text we must not copy into logs.
            problems = [f"{'.'.join(map(str, err['loc'])) or '<root>'}: {err['type']}" for err in e.errors()[:3]]
            log.warning("skipping unreadable audit record in %s: %s", path, "; ".join(problems))
    return out


class AuditLog(_AuditFile):
    """Audit records in one SQLite file, shared by every thread and worker process on the host.

    ``record`` commits before it returns. ``query(since, until)`` returns the records with
    ``since <= time < until``, oldest first. SQLite failures raise :class:`AuditStoreUnavailable`, whose
    message names no file (the log does).

    With ``retention_days``, records, feedback and subject digests older than that are purged when the log is
    opened (start-up) and then on ``record`` at most once every ``PURGE_INTERVAL`` seconds per process: a
    retention counted in days is kept to within an hour, with no timer thread in each worker, and a failed purge
    is logged without failing the answer being recorded.
    """

    def __init__(
        self,
        path: Path,
        busy_timeout: float = 5.0,
        retention_days: float | None = None,
        clock: Clock = time.time,
    ):
        super().__init__(path, busy_timeout)
        self.retention_days = retention_days
        self.clock = clock
        self._last_purge = -math.inf
        self._purge_quietly()

    def record(self, rec: AuditRecord) -> int:
        """Store one record and the digests of what it mentioned; committed when this returns. Returns its id."""
        with self._transaction("write") as conn:
            cur = conn.execute(
                "INSERT INTO audit (time, session_id, turn, record) VALUES (?, ?, ?, ?)",
                (rec.time, rec.session_id, rec.turn, rec.model_dump_json()),
            )
            self._note_subjects(conn, rec.session_id, rec.subjects, rec.time)
        if self.clock() - self._last_purge >= PURGE_INTERVAL:
            self._purge_quietly()
        return int(cur.lastrowid)

    def discard(self, record_id: int) -> None:
        """Delete one record again: the answer it describes was never given (its turn could not be saved)."""
        with self._errors("write"):
            self._db.get().execute("DELETE FROM audit WHERE id = ?", (record_id,))

    def query(self, since: float, until: float) -> list[AuditRecord]:
        """Records with since <= time < until, oldest first."""
        with self._errors("read"):
            rows = self._db.get().execute(
                "SELECT record FROM audit WHERE time >= ? AND time < ? ORDER BY time, id", (since, until)
            ).fetchall()
        return _load_records(rows, self.path)

    def find(self, session_id: str, turn: int, at: float | None = None) -> AuditRecord | None:
        """The record of one turn of one session, the newest at or before `at` when given.

        A client may reuse an expired session's id, so the same (session, turn) can occur more than once.
        """
        with self._errors("read"):
            rows = self._db.get().execute(
                "SELECT record FROM audit WHERE session_id = ? AND turn = ? AND time <= ? ORDER BY time DESC, id DESC"
                " LIMIT 1",
                (session_id, turn, math.inf if at is None else at),
            ).fetchall()
        found = _load_records(rows, self.path)
        return found[0] if found else None

    # -- retention and erasure -------------------------------------------------------------------------

    def purge(self) -> Removed:
        """Delete records, feedback and digests older than the retention period (nothing without one)."""
        self._last_purge = self.clock()
        if self.retention_days is None:
            return Removed()
        cutoff = self.clock() - self.retention_days * DAY
        with self._transaction("purge") as conn:
            removed = Removed(
                audit_records=conn.execute("DELETE FROM audit WHERE time < ?", (cutoff,)).rowcount,
                feedback=conn.execute("DELETE FROM feedback WHERE time < ?", (cutoff,)).rowcount,
                subjects=conn.execute("DELETE FROM subjects WHERE time < ?", (cutoff,)).rowcount,
            )
        if removed != Removed():
            with self._errors("purge"):
                self._db.truncate_wal()
            log.info("audit retention (%s days) purged %s", self.retention_days, removed.model_dump())
        return removed

    def _purge_quietly(self) -> None:
        """purge(), logging a failure instead of raising: the data stays until the next try, nothing else fails."""
        try:
            self.purge()
        except AuditStoreUnavailable:
            pass  # already logged, with the cause

    def sessions_mentioning(self, subject: Subject, literal: str = "") -> set[str]:
        """Ids of the sessions whose records or feedback mentioned subject.

        Found by digest; ``literal`` (the number as plain digits) also finds rows written before redaction
        covered that form of it.
        """
        with self._errors("read"):
            conn = self._db.get()
            ids = {r[0] for r in conn.execute("SELECT session_id FROM subjects WHERE digest = ?", (subject_digest(self._key, subject),))}
            if literal:
                like = f"%{literal}%"
                ids |= {r[0] for r in conn.execute("SELECT DISTINCT session_id FROM audit WHERE record LIKE ?", (like,))}
                ids |= {r[0] for r in conn.execute("SELECT DISTINCT session_id FROM feedback WHERE comment LIKE ?", (like,))}
        return ids

    def delete_sessions(self, session_ids: Iterable[str]) -> Removed:
        """Delete every record, feedback and digest of these sessions, leaving no copy in the file or its WAL."""
        ids = [(s,) for s in dict.fromkeys(session_ids)]
        removed = Removed()
        if not ids:
            return removed
        with self._transaction("delete") as conn:
            for table, field in (("audit", "audit_records"), ("feedback", "feedback"), ("subjects", "subjects")):
                n = sum(conn.execute(f"DELETE FROM {table} WHERE session_id = ?", i).rowcount for i in ids)
                setattr(removed, field, n)
        with self._errors("delete"):
            self._db.truncate_wal()
        return removed


class FeedbackStore(_AuditFile):
    """Feedback in its own table of the audit SQLite file (pass the same path as the :class:`AuditLog`).

    ``add`` commits before it returns the new row's id; ``query(since, until)`` returns feedback with
    ``since <= time < until``, oldest first. SQLite failures raise :class:`AuditStoreUnavailable`.
    """

    def add(self, fb: Feedback) -> int:
        """Store one piece of feedback and the digests of what its comment mentioned; returns its id."""
        with self._transaction("write") as conn:
            cur = conn.execute(
                "INSERT INTO feedback (time, session_id, turn, helpful, comment, agent) VALUES (?, ?, ?, ?, ?, ?)",
                (fb.time, fb.session_id, fb.turn, int(fb.helpful), fb.comment, fb.agent),
            )
            self._note_subjects(conn, fb.session_id, fb.subjects, fb.time)
        return int(cur.lastrowid)

    def query(self, since: float, until: float) -> list[Feedback]:
        """Feedback with since <= time < until, oldest first."""
        with self._errors("read"):
            rows = self._db.get().execute(
                "SELECT time, session_id, turn, helpful, comment, agent FROM feedback WHERE time >= ? AND time < ?"
                " ORDER BY time, id",
                (since, until),
            ).fetchall()
        return [
            Feedback(time=t, session_id=s, turn=n, helpful=bool(h), comment=c, agent=a) for t, s, n, h, c, a in rows
        ]


def _pool_size(settings: Any) -> int:
    """Connections a process may hold to the database: one per thread answering at once, at least the default."""
    from assistant.audit.postgres import POOL_MAX

    return max(POOL_MAX, int(getattr(settings, "worker_threads", 0)))


def open_audit_log(settings: Any, clock: Clock = time.time) -> AuditStore:
    """The audit log as configured: PostgreSQL when settings.database_url is set, else the SQLite file in
    settings.data_dir; either with settings.audit_retention_days."""
    retention = getattr(settings, "audit_retention_days", None)
    url = getattr(settings, "database_url", "")
    if url:
        from assistant.audit.postgres import PostgresAuditLog  # psycopg is imported only when configured

        return PostgresAuditLog(url, retention_days=retention, clock=clock, pool_size=_pool_size(settings))
    return AuditLog(default_path(settings), retention_days=retention, clock=clock)


def open_feedback_store(settings: Any) -> FeedbackStorage:
    """The feedback store as configured: beside the audit log, in PostgreSQL or the SQLite file."""
    url = getattr(settings, "database_url", "")
    if url:
        from assistant.audit.postgres import PostgresFeedbackStore

        return PostgresFeedbackStore(url, pool_size=_pool_size(settings))
    return FeedbackStore(default_path(settings))
