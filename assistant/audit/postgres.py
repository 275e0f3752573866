"""The audit log and feedback in PostgreSQL, shared by every instance of the service (``ASSISTANT_DATABASE_URL``).

The same interface as the SQLite stores of :mod:`assistant.audit.stores`. The service creates and migrates its
own schema at start-up: numbered migrations, each applied once in its own transaction and recorded in
``schema_migrations``, all under one advisory lock, so instances starting at the same time take turns and the
second finds nothing left to do. The key of the subject digests lives in the database too (``audit_key``), made
by the first instance, so every instance digests a phone number alike and ``assistant forget --phone`` run on
any host finds what all of them recorded.
"""

from __future__ import annotations

import logging
import math
import os
import secrets
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

import psycopg
from psycopg.conninfo import conninfo_to_dict
from psycopg_pool import ConnectionPool
from pydantic import BaseModel, ValidationError

from assistant.audit.records import AuditRecord, AuditStoreUnavailable, Feedback
from assistant.audit.redaction import Subject
from assistant.audit.stores import DAY, PURGE_INTERVAL, Clock, Removed, subject_digest

log = logging.getLogger(__name__)

# Any constant both instances agree on: pg_advisory_xact_lock serialises the migrations of every instance.
MIGRATION_LOCK = 0x61756469  # "audi"
POOL_MAX = 8
CONNECT_TIMEOUT = 5


class Migration(BaseModel):
    """One numbered schema change; ``sql`` runs in one transaction with the row recording it."""

    version: int
    description: str
    sql: str


MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        version=1,
        description="audit records, feedback, subject digests and the digest key",
        sql="""
        CREATE TABLE audit (
            id BIGSERIAL PRIMARY KEY,
            time DOUBLE PRECISION NOT NULL,
            session_id TEXT NOT NULL,
            turn INTEGER NOT NULL,
            record TEXT NOT NULL
        );
        CREATE INDEX audit_time ON audit (time);
        CREATE INDEX audit_session_turn ON audit (session_id, turn, time);
        CREATE TABLE feedback (
            id BIGSERIAL PRIMARY KEY,
            time DOUBLE PRECISION NOT NULL,
            session_id TEXT NOT NULL,
            turn INTEGER NOT NULL,
            helpful BOOLEAN NOT NULL,
            comment TEXT,
            agent TEXT
        );
        CREATE INDEX feedback_time ON feedback (time);
        CREATE INDEX feedback_session ON feedback (session_id);
        CREATE TABLE subjects (
            digest TEXT NOT NULL,
            session_id TEXT NOT NULL,
            time DOUBLE PRECISION NOT NULL,
            PRIMARY KEY (digest, session_id)
        );
        CREATE INDEX subjects_time ON subjects (time);
        CREATE INDEX subjects_session ON subjects (session_id);
        CREATE TABLE audit_key (id SMALLINT PRIMARY KEY CHECK (id = 1), key TEXT NOT NULL);
        CREATE TABLE probe (id SMALLINT PRIMARY KEY CHECK (id = 1), at DOUBLE PRECISION NOT NULL);
        """,
    ),
)


def describe(url: str) -> str:
    """The database as host:port/name, for logs: never the password or the rest of the URL."""
    try:
        p = conninfo_to_dict(url)
    except psycopg.Error:
        return "postgresql <unparsable URL>"
    return f"postgresql {p.get('host', 'localhost')}:{p.get('port', 5432)}/{p.get('dbname', '')}"


def migrate(conn: psycopg.Connection, migrations: Iterable[Migration] = MIGRATIONS) -> list[int]:
    """Apply the migrations this database lacks, in order; the versions applied (none when it is up to date).

    Runs under a transaction-scoped advisory lock, so two instances starting at once apply each migration once:
    the second waits for the first, then finds the versions recorded. A failing migration rolls back whole.
    """
    applied: list[int] = []
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
        conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, description TEXT NOT NULL,"
            " applied_at TIMESTAMPTZ NOT NULL DEFAULT now())"
        )
        done = {v for (v,) in conn.execute("SELECT version FROM schema_migrations")}
        for m in sorted(migrations, key=lambda m: m.version):
            if m.version in done:
                continue
            conn.execute(m.sql)
            conn.execute("INSERT INTO schema_migrations (version, description) VALUES (%s, %s)", (m.version, m.description))
            applied.append(m.version)
    if applied:
        log.info("audit database migrated to version %s", applied[-1])
    return applied


def _load_key(conn: psycopg.Connection) -> bytes:
    """The digest key every instance shares; the first instance to ask makes it."""
    conn.execute(
        "INSERT INTO audit_key (id, key) VALUES (1, %s) ON CONFLICT (id) DO NOTHING", (secrets.token_hex(32),)
    )
    (key,) = conn.execute("SELECT key FROM audit_key WHERE id = 1").fetchone()
    return bytes.fromhex(key)


class _Database:
    """One process's pool of connections to the audit database, its schema made current when opened."""

    local = False

    def __init__(self, url: str, pool_size: int = POOL_MAX, timeout: float = CONNECT_TIMEOUT):
        self.url = url
        self.where = describe(url)
        self.pool_size = pool_size
        # How long a request waits for a connection before it fails (a 503) while the database is away.
        self.timeout = timeout
        self._pool: ConnectionPool | None = None
        self._pid = os.getpid()
        self._lock = threading.Lock()
        with self._errors("open"):
            with psycopg.connect(url, autocommit=True, connect_timeout=CONNECT_TIMEOUT) as conn:
                migrate(conn)
                self._key = _load_key(conn)

    @contextmanager
    def _errors(self, action: str) -> Iterator[None]:
        """Re-raise psycopg errors as AuditStoreUnavailable; the database and the cause go to the log only."""
        try:
            yield
        except psycopg.Error as e:
            log.error("audit store %s could not %s: %s", self.where, action, e)
            raise AuditStoreUnavailable(f"audit store could not {action}") from e

    def _get_pool(self) -> ConnectionPool:
        """This process's pool, opened on first use (and again in a forked child, which must not share sockets)."""
        with self._lock:
            if self._pool is None or self._pid != os.getpid():
                self._pool = ConnectionPool(
                    self.url,
                    min_size=1,
                    max_size=self.pool_size,
                    kwargs={"autocommit": True, "connect_timeout": CONNECT_TIMEOUT},
                    # A connection broken by a database restart is replaced instead of failing one request.
                    check=ConnectionPool.check_connection,
                    timeout=self.timeout,
                    name="audit",
                    open=True,
                )
                self._pid = os.getpid()
            return self._pool

    @contextmanager
    def _connection(self, action: str) -> Iterator[psycopg.Connection]:
        """A pooled connection in autocommit mode; errors become AuditStoreUnavailable."""
        with self._errors(action), self._get_pool().connection() as conn:
            yield conn

    @contextmanager
    def _transaction(self, action: str) -> Iterator[psycopg.Connection]:
        """One transaction, committed on exit and rolled back on error."""
        with self._connection(action) as conn, conn.transaction():
            yield conn

    def _note_subjects(self, conn: psycopg.Connection, session_id: str, subjects: tuple[Subject, ...], at: float) -> None:
        """Record that session_id mentioned these subjects (as digests)."""
        if not subjects:
            return
        with conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO subjects (digest, session_id, time) VALUES (%s, %s, %s) ON CONFLICT (digest, session_id)"
                " DO UPDATE SET time = greatest(subjects.time, excluded.time)",
                [(subject_digest(self._key, s), session_id, at) for s in subjects],
            )

    def probe(self) -> None:
        """One write; AuditStoreUnavailable when the database refuses it (down, read-only, out of connections)."""
        with self._connection("write") as conn:
            conn.execute(
                "INSERT INTO probe (id, at) VALUES (1, %s) ON CONFLICT (id) DO UPDATE SET at = excluded.at", (time.time(),)
            )

    def _vacuum(self, tables: Iterable[str]) -> None:
        """Let PostgreSQL reclaim the rows just deleted (best effort: a failure is logged, the deletion stands)."""
        try:
            with self._connection("vacuum") as conn:
                for table in tables:
                    conn.execute(f"VACUUM {table}")
        except AuditStoreUnavailable:
            pass  # logged; autovacuum gets to them later

    def close(self) -> None:
        """Close this process's pool."""
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None and self._pid == os.getpid():
            pool.close()


def _load_records(rows: list[tuple[str]], where: str) -> list[AuditRecord]:
    """Parse stored records, logging and skipping any that no longer validate."""
    out = []
    for (raw,) in rows:
        try:
            out.append(AuditRecord.model_validate_json(raw))
        except ValidationError as e:
            problems = [f"{'.'.join(map(str, err['loc'])) or '<root>'}: {err['type']}" for err in e.errors()[:3]]
            log.warning("skipping unreadable audit record in %s: %s", where, "; ".join(problems))
    return out


class PostgresAuditLog(_Database):
    """Audit records in PostgreSQL: the interface and guarantees of :class:`assistant.audit.stores.AuditLog`.

    ``record`` commits before it returns; ``query(since, until)`` returns the records with
    ``since <= time < until``, oldest first; database failures raise :class:`AuditStoreUnavailable`, whose
    message names no host (the log does). With ``retention_days`` older rows are purged when the log is opened
    and then at most every ``PURGE_INTERVAL`` seconds per process. Deleted rows are vacuumed at once; copies in
    the database's WAL archive and backups are the database administrator's to expire.
    """

    def __init__(
        self,
        url: str,
        retention_days: float | None = None,
        clock: Clock = time.time,
        pool_size: int = POOL_MAX,
        timeout: float = CONNECT_TIMEOUT,
    ):
        super().__init__(url, pool_size, timeout)
        self.retention_days = retention_days
        self.clock = clock
        self._last_purge = -math.inf
        self._purge_quietly()

    def record(self, rec: AuditRecord) -> int:
        """Store one record and the digests of what it mentioned; committed when this returns. Returns its id."""
        with self._transaction("write") as conn:
            (record_id,) = conn.execute(
                "INSERT INTO audit (time, session_id, turn, record) VALUES (%s, %s, %s, %s) RETURNING id",
                (rec.time, rec.session_id, rec.turn, rec.model_dump_json()),
            ).fetchone()
            self._note_subjects(conn, rec.session_id, rec.subjects, rec.time)
        if self.clock() - self._last_purge >= PURGE_INTERVAL:
            self._purge_quietly()
        return int(record_id)

    def discard(self, record_id: int) -> None:
        """Delete one record again: the answer it describes was never given (its turn could not be saved)."""
        with self._connection("write") as conn:
            conn.execute("DELETE FROM audit WHERE id = %s", (record_id,))

    def query(self, since: float, until: float) -> list[AuditRecord]:
        """Records with since <= time < until, oldest first."""
        with self._connection("read") as conn:
            rows = conn.execute(
                "SELECT record FROM audit WHERE time >= %s AND time < %s ORDER BY time, id", (since, until)
            ).fetchall()
        return _load_records(rows, self.where)

    def find(self, session_id: str, turn: int, at: float | None = None) -> AuditRecord | None:
        """The record of one turn of one session, the newest at or before `at` when given."""
        with self._connection("read") as conn:
            rows = conn.execute(
                "SELECT record FROM audit WHERE session_id = %s AND turn = %s AND time <= %s"
                " ORDER BY time DESC, id DESC LIMIT 1",
                (session_id, turn, math.inf if at is None else at),
            ).fetchall()
        found = _load_records(rows, self.where)
        return found[0] if found else None

    def purge(self) -> Removed:
        """Delete records, feedback and digests older than the retention period (nothing without one)."""
        self._last_purge = self.clock()
        if self.retention_days is None:
            return Removed()
        cutoff = self.clock() - self.retention_days * DAY
        with self._transaction("purge") as conn:
            removed = Removed(
                audit_records=conn.execute("DELETE FROM audit WHERE time < %s", (cutoff,)).rowcount,
                feedback=conn.execute("DELETE FROM feedback WHERE time < %s", (cutoff,)).rowcount,
                subjects=conn.execute("DELETE FROM subjects WHERE time < %s", (cutoff,)).rowcount,
            )
        if removed != Removed():
            self._vacuum(("audit", "feedback", "subjects"))
            log.info("audit retention (%s days) purged %s", self.retention_days, removed.model_dump())
        return removed

    def _purge_quietly(self) -> None:
        """purge(), logging a failure instead of raising: the data stays until the next try, nothing else fails."""
        try:
            self.purge()
        except AuditStoreUnavailable:
            pass  # already logged, with the cause

    def sessions_mentioning(self, subject: Subject, literal: str = "") -> set[str]:
        """Ids of the sessions whose records or feedback mentioned subject (by digest, and ``literal`` verbatim)."""
        with self._connection("read") as conn:
            ids = {r[0] for r in conn.execute(
                "SELECT session_id FROM subjects WHERE digest = %s", (subject_digest(self._key, subject),)
            )}
            if literal:
                like = f"%{literal}%"
                ids |= {r[0] for r in conn.execute("SELECT DISTINCT session_id FROM audit WHERE record LIKE %s", (like,))}
                ids |= {r[0] for r in conn.execute("SELECT DISTINCT session_id FROM feedback WHERE comment LIKE %s", (like,))}
        return ids

    def delete_sessions(self, session_ids: Iterable[str]) -> Removed:
        """Delete every record, feedback and digest of these sessions in one transaction, then vacuum."""
        ids = list(dict.fromkeys(session_ids))
        if not ids:
            return Removed()
        with self._transaction("delete") as conn:
            removed = Removed(
                audit_records=conn.execute("DELETE FROM audit WHERE session_id = ANY(%s)", (ids,)).rowcount,
                feedback=conn.execute("DELETE FROM feedback WHERE session_id = ANY(%s)", (ids,)).rowcount,
                subjects=conn.execute("DELETE FROM subjects WHERE session_id = ANY(%s)", (ids,)).rowcount,
            )
        if removed != Removed():
            self._vacuum(("audit", "feedback", "subjects"))
        return removed


class PostgresFeedbackStore(_Database):
    """Feedback in PostgreSQL: the interface of :class:`assistant.audit.stores.FeedbackStore`."""

    def add(self, fb: Feedback) -> int:
        """Store one piece of feedback and the digests of what its comment mentioned; returns its id."""
        with self._transaction("write") as conn:
            (fid,) = conn.execute(
                "INSERT INTO feedback (time, session_id, turn, helpful, comment, agent)"
                " VALUES (%s, %s, %s, %s, %s, %s) RETURNING id",
                (fb.time, fb.session_id, fb.turn, fb.helpful, fb.comment, fb.agent),
            ).fetchone()
            self._note_subjects(conn, fb.session_id, fb.subjects, fb.time)
        return int(fid)

    def query(self, since: float, until: float) -> list[Feedback]:
        """Feedback with since <= time < until, oldest first."""
        with self._connection("read") as conn:
            rows = conn.execute(
                "SELECT time, session_id, turn, helpful, comment, agent FROM feedback WHERE time >= %s AND time < %s"
                " ORDER BY time, id",
                (since, until),
            ).fetchall()
        return [Feedback(time=t, session_id=s, turn=n, helpful=h, comment=c, agent=a) for t, s, n, h, c, a in rows]
