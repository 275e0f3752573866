"""Conversation state kept between turns, behind one small store interface.

Three stores implement :class:`SessionStore`: in process memory (tests, single worker), SQLite on local
disk (several workers on one host) and Redis (several hosts). :func:`make_store` picks one from settings.

Nothing personal is stored: a :class:`Turn`'s question and answer are redacted when it is built, and every
string of the rest of the state when it is put. Sessions really expire: Redis drops a key ``ttl`` seconds after
its last write, and SQLite deletes expired rows (``secure_delete``, then a truncated WAL) so no copy stays on disk.
"""

from __future__ import annotations

import itertools
import logging
import secrets
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import Enum
from pathlib import Path
from typing import Any, Protocol

import redis
from pydantic import BaseModel, Field, ValidationError, ValidationInfo, field_validator

from assistant.audit.redaction import redact, redact_values
from assistant.errors import AssistantError
from assistant.models import Channel
from assistant.storage import SqliteConnections

log = logging.getLogger(__name__)

Clock = Callable[[], float]

DEFAULT_TTL = 3600.0
DEFAULT_HISTORY = 20
# How often, at most, the SQLite store deletes expired sessions (on a read or write, besides every purge_every puts).
PURGE_INTERVAL = 300.0
# Validation context of a state read back from a store: its text was redacted when it was written.
_STORED = {"stored": True}


class SessionStoreUnavailable(AssistantError, RuntimeError):
    """The session backend (SQLite file or Redis server) cannot be read or written right now."""

    code = "session_store_unavailable"


class Turn(BaseModel):
    """One question and the answer given to it, kept so later turns can refer back.

    ``question`` and ``answer`` are redacted when the turn is built, so an unredacted turn cannot be stored; the
    answer to the question itself was computed from the question as asked.
    """

    question: str
    intent: str
    answer: str
    time: float

    @field_validator("question", "answer")
    @classmethod
    def _redact(cls, v: str, info: ValidationInfo) -> str:
        # Read back from a store, the text was redacted when it was written; redacting again would only cost time.
        return v if info.context == _STORED else redact(v)


class SessionState(BaseModel):
    """What a follow-up needs: the last calculation, a pending clarification, the last clauses.

    ``history`` holds the most recent turns, oldest first; stores keep at most their ``max_history``.
    ``updated_at`` is set by the store on every ``put`` and drives expiry. ``channel`` and ``owner`` say whose
    conversation this is (see :func:`belongs_to`); a state stored without them belongs to no one.
    """

    session_id: str
    channel: Channel | None = None
    owner: str = ""  # the signed-in agent, the IVR API key's fingerprint; "" for the public widget
    pending: dict[str, Any] | None = None  # a CalcPlan still missing inputs, as JSON
    last_calc: dict[str, Any] | None = None  # the last completed CalcPlan, as JSON
    last_result: dict[str, Any] | None = None  # its result and unit, for "这个钱的税是多少"
    options: list[dict[str, Any]] = Field(default_factory=list)  # the readings last offered, for "1" / "第二个"
    last_clauses: list[str] = Field(default_factory=list)
    turns: int = 0
    history: list[Turn] = Field(default_factory=list)
    updated_at: float = Field(default_factory=time.time)

    def add_turn(self, question: str, intent: str | Enum, answer: str, at: float | None = None) -> None:
        """Append one turn to the history; the store trims it to its bound on put."""
        self.history.append(
            Turn(
                question=question,
                intent=intent.value if isinstance(intent, Enum) else intent,
                answer=answer,
                time=time.time() if at is None else at,
            )
        )


class SessionStore(Protocol):
    """Where session state lives between turns; ``get`` returns a private copy or None.

    ``local`` is True when ``get`` and ``put`` touch only this host (memory, a local file), so they are quick
    enough to run on the server's event loop; a networked store's calls wait on the network.
    """

    local: bool

    def get(self, session_id: str) -> SessionState | None: ...

    def put(self, state: SessionState) -> None: ...

    def probe(self) -> None:
        """Make one cheap write; SessionStoreUnavailable when the store does not accept writes now."""
        ...

    def delete(self, session_id: str) -> bool:
        """Remove one session now; True when there was one."""
        ...

    def ids_mentioning(self, text: str) -> list[str]:
        """Ids of the stored sessions whose state contains text verbatim (data written before redaction)."""
        ...

    def get_record(self, key: str) -> str | None:
        """A channel's own small record kept beside the sessions (an IVR call's counters), or None; it expires
        like a session, `ttl` seconds after its last put."""
        ...

    def put_record(self, key: str, value: str) -> None:
        """Keep a channel's record under `key` (nothing personal: the caller writes counts and names)."""
        ...


def _snapshot(state: SessionState, now: float, max_history: int, deep: bool = True) -> SessionState:
    """Stamp state with now and return a copy whose history keeps only the newest max_history turns, and whose
    other text (a pending calculation's inputs, the options offered) is redacted.

    Stores that keep the object need a deep copy; stores that serialise it at once only need a shallow one.
    """
    state.updated_at = now
    # Slicing with [-0:] would keep everything, so a zero bound needs its own case.
    history = state.history[-max_history:] if max_history > 0 else []
    # redact_values builds new dicts and lists, so the caller's objects are left as they were.
    redacted = {f: redact_values(getattr(state, f)) for f in ("pending", "last_calc", "last_result", "options")}
    copy = state.model_copy(update={"history": history, **redacted})
    return copy.model_copy(deep=True) if deep else copy


def _parse(raw: str | bytes, session_id: str, where: str) -> SessionState | None:
    """Decode a stored state, logging and returning None when it is not a valid SessionState."""
    try:
        return SessionState.model_validate_json(raw, context=_STORED)
    except ValidationError as e:
        # Types and locations only: the input itself may hold a customer's words.
        problems = [f"{'.'.join(map(str, err['loc'])) or '<root>'}: {err['type']}" for err in e.errors()[:3]]
        log.warning("discarding corrupt session %s in %s: %s", session_id, where, "; ".join(problems))
        return None


@contextmanager
def _translate(kind: type[BaseException], message: str) -> Iterator[None]:
    """Re-raise backend errors of one type as SessionStoreUnavailable with a message naming the store."""
    try:
        yield
    except kind as e:
        raise SessionStoreUnavailable(f"{message}: {e}") from e


class MemorySessionStore:
    """Sessions in this process's memory, expiring after ttl seconds of inactivity.

    Nothing is shared between worker processes and nothing survives a restart; use it for tests and a
    single worker. Beyond ``max_sessions`` the least recently updated session is dropped.
    """

    local = True

    def __init__(
        self,
        ttl: float = DEFAULT_TTL,
        max_sessions: int = 10000,
        max_history: int = DEFAULT_HISTORY,
        clock: Clock = time.time,
    ):
        self.ttl = ttl
        self.max_sessions = max_sessions
        self.max_history = max_history
        self.clock = clock
        self._data: dict[str, SessionState] = {}
        self._records: dict[str, tuple[str, float]] = {}
        self._lock = threading.Lock()

    def get(self, session_id: str) -> SessionState | None:
        with self._lock:
            s = self._data.get(session_id)
            if s and self.clock() - s.updated_at > self.ttl:
                del self._data[session_id]
                return None
            return s.model_copy(deep=True) if s else None

    def put(self, state: SessionState) -> None:
        snap = _snapshot(state, self.clock(), self.max_history)
        with self._lock:
            self._data[snap.session_id] = snap
            if len(self._data) > self.max_sessions:
                oldest = min(self._data.values(), key=lambda s: s.updated_at)
                del self._data[oldest.session_id]

    def probe(self) -> None:
        """Process memory always accepts a write."""

    def delete(self, session_id: str) -> bool:
        with self._lock:
            return self._data.pop(session_id, None) is not None

    def ids_mentioning(self, text: str) -> list[str]:
        with self._lock:
            return [sid for sid, s in self._data.items() if text in s.model_dump_json()]

    def get_record(self, key: str) -> str | None:
        with self._lock:
            value, at = self._records.get(key, (None, 0.0))
            if value is not None and self.clock() - at > self.ttl:
                del self._records[key]
                return None
            return value

    def put_record(self, key: str, value: str) -> None:
        with self._lock:
            self._records[key] = (value, self.clock())
            if len(self._records) > self.max_sessions:
                del self._records[min(self._records, key=lambda k: self._records[k][1])]


class SqliteSessionStore:
    """Sessions in one SQLite file that several threads and worker processes on one host share.

    The file runs in WAL mode so readers never block the writer; each thread (and each process after a
    fork) opens its own connection, and ``busy_timeout`` makes a writer wait for another instead of failing.
    Every ``put`` is committed before it returns, so an acknowledged turn survives the process being killed.
    Sessions idle for more than ``ttl`` seconds are not returned, and are deleted when the store opens, every
    ``purge_every`` puts and on any read or write at least ``purge_interval`` seconds after the last purge; a
    purge that deleted rows truncates the WAL, so with ``secure_delete`` no copy of them stays in either file.
    SQLite errors (locked past the timeout, unreadable file) raise :class:`SessionStoreUnavailable`.
    """

    local = True

    def __init__(
        self,
        path: Path,
        ttl: float = DEFAULT_TTL,
        max_history: int = DEFAULT_HISTORY,
        clock: Clock = time.time,
        busy_timeout: float = 5.0,
        purge_every: int = 100,
        purge_interval: float = PURGE_INTERVAL,
    ):
        self.path = Path(path)
        self.ttl = ttl
        self.max_history = max_history
        self.clock = clock
        self.busy_timeout = busy_timeout
        self.purge_every = max(1, purge_every)
        self.purge_interval = purge_interval
        self._puts = itertools.count(1)
        with self._errors("open"):
            self._db = SqliteConnections(
                self.path,
                busy_timeout,
                schema=(
                    "CREATE TABLE IF NOT EXISTS sessions ("
                    " session_id TEXT PRIMARY KEY, state TEXT NOT NULL, updated_at REAL NOT NULL);"
                    "CREATE INDEX IF NOT EXISTS sessions_updated_at ON sessions(updated_at);"
                    "CREATE TABLE IF NOT EXISTS records ("
                    " key TEXT PRIMARY KEY, value TEXT NOT NULL, updated_at REAL NOT NULL);"
                    "CREATE INDEX IF NOT EXISTS records_updated_at ON records(updated_at);"
                ),
            )
        self._purge_quietly()

    def _conn(self) -> sqlite3.Connection:
        """This thread's connection."""
        return self._db.get()

    def _errors(self, action: str):
        """Context manager turning sqlite3 errors into SessionStoreUnavailable."""
        return _translate(sqlite3.Error, f"session store {self.path} could not {action}")

    def _purge_if_due(self) -> None:
        """purge() when purge_interval has passed since the last one."""
        if self.clock() - self._last_purge >= self.purge_interval:
            self._purge_quietly()

    def _purge_quietly(self) -> None:
        """purge(), logging a failure instead of raising: expired rows are unreadable anyway and go next time."""
        try:
            self.purge()
        except SessionStoreUnavailable as e:
            log.warning("%s", e)

    def get(self, session_id: str) -> SessionState | None:
        self._purge_if_due()
        with self._errors("read"):
            row = self._conn().execute(
                "SELECT state, updated_at FROM sessions WHERE session_id = ?", (session_id,)
            ).fetchone()
        if row is None or self.clock() - row[1] > self.ttl:
            return None
        return _parse(row[0], session_id, str(self.path))

    def put(self, state: SessionState) -> None:
        snap = _snapshot(state, self.clock(), self.max_history, deep=False)
        with self._errors("write"):
            conn = self._conn()
            conn.execute(
                "INSERT INTO sessions (session_id, state, updated_at) VALUES (?, ?, ?) "
                "ON CONFLICT(session_id) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at",
                (snap.session_id, snap.model_dump_json(), snap.updated_at),
            )
        if next(self._puts) % self.purge_every == 0:
            self._purge_quietly()
        else:
            self._purge_if_due()

    def probe(self) -> None:
        """One write to the file through a fresh connection (see SqliteConnections.probe)."""
        with self._errors("write"):
            self._db.probe()

    def purge(self) -> int:
        """Delete sessions idle longer than ttl, leaving no copy on disk; returns how many were removed."""
        self._last_purge = self.clock()
        with self._errors("purge"):
            cur = self._conn().execute("DELETE FROM sessions WHERE updated_at < ?", (self.clock() - self.ttl,))
            records = self._conn().execute("DELETE FROM records WHERE updated_at < ?", (self.clock() - self.ttl,))
            if cur.rowcount or records.rowcount:
                self._db.truncate_wal()
        return cur.rowcount

    def delete(self, session_id: str) -> bool:
        with self._errors("delete"):
            cur = self._conn().execute("DELETE FROM sessions WHERE session_id = ?", (session_id,))
            if cur.rowcount:
                self._db.truncate_wal()
        return cur.rowcount > 0

    def ids_mentioning(self, text: str) -> list[str]:
        # instr, not LIKE: the text is matched verbatim, % and _ included.
        with self._errors("read"):
            rows = self._conn().execute("SELECT session_id FROM sessions WHERE instr(state, ?) > 0", (text,)).fetchall()
        return [r[0] for r in rows]

    def get_record(self, key: str) -> str | None:
        self._purge_if_due()
        with self._errors("read"):
            row = self._conn().execute("SELECT value, updated_at FROM records WHERE key = ?", (key,)).fetchone()
        if row is None or self.clock() - row[1] > self.ttl:
            return None
        return row[0]

    def put_record(self, key: str, value: str) -> None:
        with self._errors("write"):
            self._conn().execute(
                "INSERT INTO records (key, value, updated_at) VALUES (?, ?, ?) "
                "ON CONFLICT(key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
                (key, value, self.clock()),
            )

    def close(self) -> None:
        """Close every connection this store opened in this process."""
        self._db.close()


class RedisSessionStore:
    """Sessions in Redis, one JSON value per key ``assistant:session:<id>``, shared by every host.

    Each ``put`` sets the key with an expiry of ``ttl`` seconds, so Redis itself drops idle sessions;
    ``get`` also checks the stored ``updated_at`` against ``clock`` so expiry is exact and testable.
    The connection is made lazily; when Redis cannot be reached, ``get``/``put`` raise
    :class:`SessionStoreUnavailable`.
    """

    prefix = "assistant:session:"
    record_prefix = "assistant:record:"
    local = False

    def __init__(
        self,
        url: str,
        ttl: float = DEFAULT_TTL,
        max_history: int = DEFAULT_HISTORY,
        clock: Clock = time.time,
        timeout: float = 2.0,
    ):
        self.ttl = ttl
        self.max_history = max_history
        self.clock = clock
        # Short timeouts: a question should fail fast with a clear error rather than hang on a dead server.
        self.client = redis.Redis.from_url(url, socket_connect_timeout=timeout, socket_timeout=timeout)
        kw = self.client.connection_pool.connection_kwargs
        # Named by host and port only, so a password in the URL never reaches logs or error messages.
        self._where = f"redis {kw.get('host', kw.get('path', '?'))}:{kw.get('port', '')}/{kw.get('db', 0)}"

    def _key(self, session_id: str) -> str:
        """The Redis key holding one session."""
        return self.prefix + session_id

    def _errors(self, action: str):
        """Context manager turning redis errors into SessionStoreUnavailable."""
        return _translate(redis.RedisError, f"session store {self._where} could not {action}")

    def get(self, session_id: str) -> SessionState | None:
        with self._errors("read"):
            raw = self.client.get(self._key(session_id))
        if raw is None:
            return None
        state = _parse(raw, session_id, self._where)
        if state is None or self.clock() - state.updated_at > self.ttl:
            return None
        return state

    def put(self, state: SessionState) -> None:
        snap = _snapshot(state, self.clock(), self.max_history, deep=False)
        with self._errors("write"):
            self.client.set(self._key(snap.session_id), snap.model_dump_json(), px=max(1, int(self.ttl * 1000)))

    def probe(self) -> None:
        """Set a short-lived key; a read-only replica or an unreachable server raises SessionStoreUnavailable."""
        with self._errors("write"):
            self.client.set("assistant:probe", "1", px=60_000)

    def delete(self, session_id: str) -> bool:
        with self._errors("delete"):
            return bool(self.client.delete(self._key(session_id)))

    def ids_mentioning(self, text: str) -> list[str]:
        found = []
        with self._errors("read"):
            for key in self.client.scan_iter(match=self.prefix + "*", count=500):
                raw = self.client.get(key)
                if raw is not None and text.encode() in raw:
                    found.append(key.decode()[len(self.prefix):])
        return found

    def get_record(self, key: str) -> str | None:
        with self._errors("read"):
            raw = self.client.get(self.record_prefix + key)
        return raw.decode() if raw is not None else None

    def put_record(self, key: str, value: str) -> None:
        with self._errors("write"):
            self.client.set(self.record_prefix + key, value, px=max(1, int(self.ttl * 1000)))

    def close(self) -> None:
        """Release the connection pool."""
        self.client.close()


def make_store(settings: Any, clock: Clock = time.time) -> SessionStore:
    """Redis when settings.redis_url is set, else SQLite at settings.data_dir / "sessions.sqlite3"."""
    ttl = float(getattr(settings, "session_ttl", DEFAULT_TTL))
    history = int(getattr(settings, "session_history", DEFAULT_HISTORY))
    url = getattr(settings, "redis_url", "")
    if url:
        return RedisSessionStore(url, ttl=ttl, max_history=history, clock=clock)
    return SqliteSessionStore(Path(settings.data_dir) / "sessions.sqlite3", ttl=ttl, max_history=history, clock=clock)


def new_session_id() -> str:
    """A fresh unguessable session id: 32 URL-safe characters carrying about 192 random bits, never starting with
    "-" or "_", so that command lines (`assistant forget --session ID`) do not read it as an option."""
    while True:
        sid = secrets.token_urlsafe(24)
        if sid[0].isalnum():
            return sid


def belongs_to(state: SessionState | None, channel: Channel, owner: str) -> SessionState | None:
    """state when it is a conversation of this channel and owner, else None (another's session is unknown)."""
    if state is None or state.channel != channel or state.owner != owner:
        return None
    return state


def call_session_id(owner: str, call_id: str) -> str:
    """The store key of an IVR call: in its API key's namespace, and never of the form of an issued id.

    The colons keep it apart from every id :func:`new_session_id` issues and every id a client may send.
    """
    return f"ivr:{owner}:{call_id}"
