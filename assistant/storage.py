"""SQLite connections shared by the durable stores (sessions, audit, feedback)."""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
from pathlib import Path

log = logging.getLogger(__name__)


class SqliteConnections:
    """Per-thread connections to one SQLite file that several threads and worker processes share.

    The file runs in WAL mode so readers never block the writer; each thread (and each process after a fork)
    gets its own connection, and ``busy_timeout`` makes a writer wait for another instead of failing.
    Connections are in autocommit mode, so every statement is committed before ``execute`` returns and an
    acknowledged write survives the process being killed. Every connection has ``secure_delete`` on, so what is
    deleted is overwritten in the database file, and :meth:`truncate_wal` empties the WAL file after a purge, so no
    copy of deleted rows stays on disk. ``schema`` (a script of ``CREATE … IF NOT EXISTS``)
    runs once when the object is made. sqlite3 errors propagate; callers translate them.
    """

    def __init__(self, path: Path, busy_timeout: float = 5.0, schema: str = ""):
        self.path = Path(path)
        self.busy_timeout = busy_timeout
        self._local = threading.local()
        self._opened: list[sqlite3.Connection] = []
        self._opened_lock = threading.Lock()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if schema:
            self.get().executescript(schema)

    def get(self) -> sqlite3.Connection:
        """This thread's connection, opened on first use and again in a forked child."""
        conn = getattr(self._local, "conn", None)
        # A connection inherited across fork shares the parent's file locks and must not be used.
        if conn is None or self._local.pid != os.getpid():
            # isolation_level=None: autocommit, so each statement is its own committed transaction.
            conn = sqlite3.connect(self.path, timeout=self.busy_timeout, isolation_level=None)
            conn.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout * 1000)}")
            # WAL is a property of the file; switching takes a lock, so only ask when it is not set yet.
            if conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                conn.execute("PRAGMA journal_mode = WAL")
            # In WAL mode NORMAL loses nothing when the process dies (the OS holds the written WAL);
            # only a power cut can drop the last commits.
            conn.execute("PRAGMA synchronous = NORMAL")
            # Deleted rows are personal data: zero them in the file instead of leaving them in free space.
            conn.execute("PRAGMA secure_delete = ON")
            self._local.conn, self._local.pid = conn, os.getpid()
            with self._opened_lock:
                self._opened.append(conn)
        return conn

    def probe(self) -> None:
        """Write one row to a small ``_probe`` table through a fresh connection; sqlite3 errors propagate.

        A fresh connection, not this thread's: an open connection can keep writing to its WAL after the
        file itself was damaged or made read-only, while every new connection (another worker thread, the
        next process) fails. The table holds only the time of the last probe.
        """
        conn = sqlite3.connect(self.path, timeout=self.busy_timeout, isolation_level=None)
        try:
            conn.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout * 1000)}")
            conn.execute("CREATE TABLE IF NOT EXISTS _probe (id INTEGER PRIMARY KEY CHECK (id = 1), at REAL NOT NULL)")
            conn.execute("INSERT OR REPLACE INTO _probe (id, at) VALUES (1, strftime('%s', 'now'))")
        finally:
            conn.close()

    def truncate_wal(self) -> bool:
        """Copy the WAL into the database file and truncate it to zero bytes; False when a reader kept it busy.

        The WAL holds whole page images, old ones included: after rows are deleted, their text survives there
        until the WAL is checkpointed and truncated.
        """
        busy, _, _ = self.get().execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        if busy:
            log.warning("could not truncate the WAL of %s: a reader was busy; it is truncated on the next purge", self.path)
        return not busy

    def close(self) -> None:
        """Close every connection opened in this process."""
        with self._opened_lock:
            conns, self._opened = self._opened, []
        for conn in conns:
            try:
                conn.close()
            except sqlite3.ProgrammingError:
                pass  # opened in another thread; it goes away with that thread
        self._local = threading.local()
