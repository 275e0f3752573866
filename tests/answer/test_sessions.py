"""One behavioural suite run against every session store (memory, SQLite, a real Redis), plus backend specifics."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from dataclasses import dataclass
from types import SimpleNamespace

import pytest
import redis

from assistant.answer.sessions import (
    MemorySessionStore,
    RedisSessionStore,
    SessionState,
    SessionStore,
    SessionStoreUnavailable,
    SqliteSessionStore,
    Turn,
    belongs_to,
    call_session_id,
    make_store,
    new_session_id,
)
from assistant.models import Channel, Intent
from assistant.settings import Settings
from tests.concurrency import run_writers
from tests.conftest import free_port

TTL = 60.0


class FakeClock:
    """A clock the test moves by hand, so expiry is tested without sleeping."""

    def __init__(self, now: float = 1_000_000.0):
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        """Move time forward."""
        self.now += seconds


@dataclass
class Backend:
    """How to build one kind of store in a test, and how to plant a raw value in it."""

    kind: str
    make: Callable[..., SessionStore]
    plant: Callable[[str, str, float], None] | None = None  # (session_id, raw text, updated_at); memory has none


@pytest.fixture
def sqlite_backend(tmp_path) -> Backend:
    # A nested path checks that the store creates its parent directory.
    path = tmp_path / "data" / "sessions.sqlite3"
    stores: list[SqliteSessionStore] = []

    def make(clock=time.time, ttl=TTL, max_history=20, **kw) -> SqliteSessionStore:
        store = SqliteSessionStore(path, ttl=ttl, max_history=max_history, clock=clock, **kw)
        stores.append(store)
        return store

    def plant(session_id: str, raw: str, at: float) -> None:
        with sqlite3.connect(path) as conn:
            conn.execute("INSERT OR REPLACE INTO sessions VALUES (?, ?, ?)", (session_id, raw, at))

    def read_raw(session_id: str) -> bytes:
        with sqlite3.connect(path) as conn:
            return conn.execute("SELECT state FROM sessions WHERE session_id = ?", (session_id,)).fetchone()[0].encode()

    backend = Backend("sqlite", make, plant)
    backend.path = path  # type: ignore[attr-defined]
    backend.read_raw = read_raw  # type: ignore[attr-defined]
    yield backend
    for s in stores:
        s.close()


@pytest.fixture
def redis_backend(redis_url) -> Backend:
    client = redis.Redis.from_url(redis_url)
    client.flushdb()
    stores: list[RedisSessionStore] = []

    def make(clock=time.time, ttl=TTL, max_history=20) -> RedisSessionStore:
        store = RedisSessionStore(redis_url, ttl=ttl, max_history=max_history, clock=clock)
        stores.append(store)
        return store

    def plant(session_id: str, raw: str, at: float) -> None:
        client.set(RedisSessionStore.prefix + session_id, raw)

    backend = Backend("redis", make, plant)
    backend.url = redis_url  # type: ignore[attr-defined]
    backend.read_raw = lambda session_id: client.get(RedisSessionStore.prefix + session_id)  # type: ignore[attr-defined]
    backend.client = client  # type: ignore[attr-defined]
    yield backend
    for s in stores:
        s.close()
    client.close()


@pytest.fixture
def memory_backend() -> Backend:
    def make(clock=time.time, ttl=TTL, max_history=20) -> MemorySessionStore:
        return MemorySessionStore(ttl=ttl, max_history=max_history, clock=clock)

    return Backend("memory", make)


@pytest.fixture(params=["memory", "sqlite", "redis"])
def backend(request) -> Backend:
    return request.getfixturevalue(f"{request.param}_backend")


@pytest.fixture(params=["sqlite", "redis"])
def shared_backend(request) -> Backend:
    """Only the stores whose sessions outlive the store object and the process."""
    return request.getfixturevalue(f"{request.param}_backend")


def _state(**kw) -> SessionState:
    """A session with every field set to something non-default."""
    s = SessionState(
        session_id=kw.pop("session_id", new_session_id()),
        pending={"calculator": "early_termination", "inputs": {"monthly_fee": 1200}},
        last_calc={"calculator": "sla_credit", "inputs": {"outage_minutes": 90}},
        last_clauses=["5.2", "附件二.3"],
        turns=3,
        **kw,
    )
    s.add_turn("提前解约要赔多少？", Intent.clarify, "请提供月租费。", at=1.0)
    return s


# --- the shared behaviour ---------------------------------------------------------------------------


def test_roundtrip(backend):
    store = backend.make()
    state = _state()
    store.put(state)
    got = store.get(state.session_id)
    assert got is not None
    assert got.model_dump() == state.model_dump()
    assert got.history[0].intent == "clarify"
    assert store.get(new_session_id()) is None


def test_ownership_roundtrips_and_an_ivr_call_key_is_a_session_of_its_own(backend):
    store = backend.make()
    call = _state(session_id=call_session_id("0123abcd0123abcd", "call-0001"), channel=Channel.ivr, owner="0123abcd0123abcd")
    store.put(call)
    store.put(_state(session_id="call-0001", channel=Channel.widget))
    got = store.get(call.session_id)
    assert (got.channel, got.owner) == (Channel.ivr, "0123abcd0123abcd")
    assert belongs_to(got, Channel.ivr, "0123abcd0123abcd") is not None
    assert belongs_to(got, Channel.ivr, "another-key") is None and belongs_to(got, Channel.widget, "") is None
    assert store.get("call-0001").channel is Channel.widget


def test_records_roundtrip_apart_from_the_sessions(backend):
    """A channel's own record (an IVR call's counters) lives beside the sessions, under its own key space."""
    store = backend.make()
    assert store.get_record("ivr-call:k") is None
    store.put_record("ivr-call:k", '{"failures_in_a_row": 2}')
    store.put_record("ivr-call:k", '{"failures_in_a_row": 3}')
    store.put(_state(session_id="ivr-call:k"))
    assert store.get_record("ivr-call:k") == '{"failures_in_a_row": 3}'
    assert store.get("ivr-call:k").turns == 3


def test_records_expire_like_sessions(backend):
    if backend.kind == "redis":
        pytest.skip("Redis expires records by its own clock (PX), which a fake clock cannot move")
    clock = FakeClock()
    store = backend.make(clock=clock)
    store.put_record("ivr-call:k", "{}")
    clock.advance(TTL - 1)
    assert store.get_record("ivr-call:k") == "{}"
    clock.advance(2)
    assert store.get_record("ivr-call:k") is None


def test_issued_ids_are_unguessable_and_fit_the_api_pattern():
    ids = {new_session_id() for _ in range(1000)}
    assert len(ids) == 1000
    assert all(len(i) == 32 and i.replace("-", "").replace("_", "").isalnum() and i.isascii() for i in ids)


def test_put_overwrites(backend):
    store = backend.make()
    state = _state()
    store.put(state)
    state.turns = 4
    state.pending = None
    store.put(state)
    got = store.get(state.session_id)
    assert (got.turns, got.pending) == (4, None)


def test_returned_and_stored_states_are_independent_copies(backend):
    store = backend.make()
    state = _state()
    store.put(state)
    state.last_clauses.append("after-put")  # the caller's object changes after put
    got = store.get(state.session_id)
    got.pending["inputs"]["monthly_fee"] = 1
    got.last_clauses.clear()
    got.history.clear()
    again = store.get(state.session_id)
    assert again.pending["inputs"]["monthly_fee"] == 1200
    assert again.last_clauses == ["5.2", "附件二.3"]
    assert len(again.history) == 1


def test_sessions_are_isolated_from_each_other(backend):
    store = backend.make()
    a, b = _state(), _state()
    b.last_clauses = ["9.1"]
    store.put(a)
    store.put(b)
    assert store.get(a.session_id).last_clauses == ["5.2", "附件二.3"]
    assert store.get(b.session_id).last_clauses == ["9.1"]


def test_expires_after_ttl_of_inactivity(backend):
    clock = FakeClock()
    store = backend.make(clock=clock, ttl=TTL)
    state = _state()
    store.put(state)
    assert state.updated_at == clock.now
    clock.advance(TTL - 1)
    assert store.get(state.session_id) is not None
    clock.advance(2)
    assert store.get(state.session_id) is None


def test_activity_keeps_a_session_alive(backend):
    clock = FakeClock()
    store = backend.make(clock=clock, ttl=TTL)
    state = _state()
    for _ in range(3):
        store.put(state)
        clock.advance(TTL - 1)
        state = store.get(state.session_id)
        assert state is not None


def test_history_keeps_only_the_newest_turns(backend):
    store = backend.make(max_history=3)
    state = SessionState(session_id=new_session_id())
    store.put(state)
    for i in range(5):
        state = store.get(state.session_id)
        state.add_turn(f"q{i}", Intent.lookup, f"a{i}", at=float(i))
        store.put(state)
    got = store.get(state.session_id)
    assert [t.question for t in got.history] == ["q2", "q3", "q4"]
    assert [t.time for t in got.history] == [2.0, 3.0, 4.0]


def test_zero_history_keeps_none(backend):
    store = backend.make(max_history=0)
    state = _state()
    store.put(state)
    assert store.get(state.session_id).history == []


PHONE, ID_NUMBER = "13812345678", "11010519491231002X"


def _personal_state() -> SessionState:
    """A session whose every text field holds a phone number, an ID number or a name."""
    s = SessionState(
        session_id=new_session_id(),
        pending={"calculator": "late_fee", "inputs": {"owed": "5100", "contact": "138.1234.5678"}},
        last_calc={"calculator": "late_fee", "inputs": {"note": f"身份证{ID_NUMBER}"}},
        options=[{"label": "回电", "question": "我叫张三，回电一三八一二三四五六七八"}],
    )
    s.add_turn(f"我叫张三，手机{PHONE}，身份证{ID_NUMBER}，欠费5100元逾期12天", Intent.calculation, f"已记录{PHONE}")
    return s


def test_nothing_personal_is_stored_and_figures_stay(backend):
    store = backend.make()
    state = _personal_state()
    assert state.history[0].question == "我叫[姓名]，手机[手机号]，身份证[身份证号]，欠费5100元逾期12天"
    store.put(state)
    got = store.get(state.session_id)
    assert got.history[0].question == "我叫[姓名]，手机[手机号]，身份证[身份证号]，欠费5100元逾期12天"
    assert got.history[0].answer == "已记录[手机号]"
    assert got.pending["inputs"] == {"owed": "5100", "contact": "[手机号]"}
    assert got.last_calc["inputs"] == {"note": "身份证[身份证号]"}
    assert got.options == [{"label": "回电", "question": "我叫[姓名]，回电[手机号]"}]
    assert state.pending["inputs"]["contact"] == "138.1234.5678"  # the caller's own object is left as it was
    dumped = got.model_dump_json()
    assert PHONE not in dumped and ID_NUMBER not in dumped and "张三" not in dumped


def test_delete_removes_one_session(backend):
    store = backend.make()
    a, b = _state(), _state()
    store.put(a)
    store.put(b)
    assert store.delete(a.session_id) is True
    assert store.get(a.session_id) is None
    assert store.get(b.session_id) is not None
    assert store.delete(a.session_id) is False


# --- stores shared between objects and processes -----------------------------------------------------


def test_raw_storage_holds_no_personal_data(shared_backend):
    store = shared_backend.make()
    state = _personal_state()
    store.put(state)
    raw = shared_backend.read_raw(state.session_id)
    assert PHONE.encode() not in raw and ID_NUMBER.encode() not in raw and "张三".encode() not in raw


def test_ids_mentioning_finds_text_stored_before_redaction(shared_backend):
    clock = FakeClock()
    store = shared_backend.make(clock=clock)
    legacy = SessionState(session_id="legacy", updated_at=clock.now)
    legacy.history.append(Turn.model_construct(question=f"手机{PHONE}", intent="lookup", answer="", time=1.0))
    shared_backend.plant("legacy", legacy.model_dump_json(), clock.now)
    store.put(SessionState(session_id="other"))
    assert store.ids_mentioning(PHONE) == ["legacy"]
    assert store.ids_mentioning("13900000000") == []


@pytest.mark.parametrize(
    "raw",
    ["{not json", '{"session_id": "x", "turns": "many"}', '["a list"]', ""],
    ids=["not-json", "wrong-types", "not-an-object", "empty"],
)
def test_corrupt_row_reads_as_missing(shared_backend, raw, caplog):
    clock = FakeClock()
    store = shared_backend.make(clock=clock)
    shared_backend.plant("broken", raw, clock.now)
    with caplog.at_level("WARNING", logger="assistant.answer.sessions"):
        assert store.get("broken") is None
    assert "broken" in caplog.text
    store.put(SessionState(session_id="broken"))  # a corrupt row is simply replaced by the next turn
    assert store.get("broken") is not None


def test_survives_reopening(shared_backend):
    state = _state()
    first = shared_backend.make()
    first.put(state)
    first.close()
    assert shared_backend.make().get(state.session_id).model_dump() == state.model_dump()


def _store_expr(backend: Backend) -> str:
    """Python source that builds the same store in another process."""
    if backend.kind == "sqlite":
        return f"SqliteSessionStore(Path({str(backend.path)!r}), ttl={TTL})"
    return f"RedisSessionStore({backend.url!r}, ttl={TTL})"


def _run(code: str) -> subprocess.CompletedProcess:
    """Run code in a fresh Python process with the session stores imported."""
    prelude = "from pathlib import Path\nfrom assistant.answer.sessions import *\n"
    return subprocess.run(
        [sys.executable, "-c", prelude + textwrap.dedent(code)], capture_output=True, text=True, timeout=60
    )


def test_another_process_writes_what_this_one_reads(shared_backend):
    store = shared_backend.make()  # opened first, so the child writes to a file already in use
    proc = _run(
        f"""
        s = {_store_expr(shared_backend)}
        st = SessionState(session_id="from-child", last_clauses=["7.1"], turns=2)
        st.add_turn("问", "lookup", "答")
        s.put(st)
        """
    )
    assert proc.returncode == 0, proc.stderr
    got = store.get("from-child")
    assert got is not None
    assert (got.last_clauses, got.turns, got.history[0].answer) == (["7.1"], 2, "答")


def test_this_process_writes_what_another_reads(shared_backend):
    state = _state()
    shared_backend.make().put(state)
    proc = _run(f"print({_store_expr(shared_backend)}.get({state.session_id!r}).last_clauses)")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == str(state.last_clauses)


def test_acknowledged_put_survives_sigkill(shared_backend):
    proc = _run(
        f"""
        import os, signal
        {_store_expr(shared_backend)}.put(SessionState(session_id="killed", turns=7))
        os.kill(os.getpid(), signal.SIGKILL)
        """
    )
    assert proc.returncode == -signal.SIGKILL
    assert shared_backend.make().get("killed").turns == 7


def test_concurrent_writers_in_threads_and_processes(shared_backend):
    n = 50
    children = [
        subprocess.Popen(
            [
                sys.executable,
                "-c",
                "from pathlib import Path\nfrom assistant.answer.sessions import *\n"
                f"s = {_store_expr(shared_backend)}\n"
                f"for i in range({n}): s.put(SessionState(session_id=f'p{p}-{{i}}', turns=i))\n",
            ],
            stderr=subprocess.PIPE,
            text=True,
        )
        for p in range(2)
    ]
    store = shared_backend.make()

    def write(t: int) -> None:
        for i in range(n):
            store.put(SessionState(session_id=f"t{t}-{i}", turns=i))
            assert store.get(f"t{t}-{i}").turns == i

    assert run_writers(write, children) == []
    ids = [f"p{p}-{i}" for p in range(2) for i in range(n)] + [f"t{t}-{i}" for t in range(4) for i in range(n)]
    assert all(store.get(sid) is not None for sid in ids)


# --- SQLite specifics ---------------------------------------------------------------------------------


def test_sqlite_uses_wal(sqlite_backend):
    sqlite_backend.make()
    with sqlite3.connect(sqlite_backend.path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_sqlite_purges_expired_rows_lazily(sqlite_backend):
    clock = FakeClock()
    store = sqlite_backend.make(clock=clock, purge_every=3)
    store.put(SessionState(session_id="old-1"))
    store.put(SessionState(session_id="old-2"))
    clock.advance(TTL + 1)

    def rows() -> set[str]:
        with sqlite3.connect(sqlite_backend.path) as conn:
            return {r[0] for r in conn.execute("SELECT session_id FROM sessions")}

    assert rows() == {"old-1", "old-2"}  # expired but not yet purged
    store.put(SessionState(session_id="new"))  # the third put triggers the purge
    assert rows() == {"new"}


def _on_disk(path) -> bytes:
    """Everything SQLite keeps on disk for one database: the file, its WAL and its shared-memory index."""
    return b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))


def test_sqlite_expired_sessions_leave_no_copy_on_disk(sqlite_backend):
    """Issue 12: expired rows stayed until a purge ran, and their copies survived in the -wal file."""
    clock = FakeClock()
    store = sqlite_backend.make(clock=clock, purge_interval=600)
    store.put(SessionState(session_id="expiring", last_clauses=["MARKER-ZX81"] * 20))
    store.put(SessionState(session_id="kept"))
    assert b"MARKER-ZX81" in _on_disk(sqlite_backend.path)
    clock.advance(TTL + 1)
    store.put(SessionState(session_id="kept"))  # expired, but the purge is not due yet
    clock.advance(600)
    assert store.get("kept") is None and store.get("expiring") is None  # this read is the one that purges
    assert b"MARKER-ZX81" not in _on_disk(sqlite_backend.path)
    assert sqlite_backend.path.with_name("sessions.sqlite3-wal").stat().st_size == 0


def test_sqlite_purges_when_opened(sqlite_backend):
    clock = FakeClock()
    sqlite_backend.make(clock=clock).put(SessionState(session_id="old"))
    clock.advance(TTL + 1)
    sqlite_backend.make(clock=clock)
    with sqlite3.connect(sqlite_backend.path) as conn:
        assert conn.execute("SELECT count(*) FROM sessions").fetchone()[0] == 0


def test_sqlite_a_failed_purge_fails_no_read_or_write(sqlite_backend, caplog):
    clock = FakeClock()
    store = sqlite_backend.make(clock=clock, purge_interval=10)
    with sqlite3.connect(sqlite_backend.path) as conn:
        conn.execute("CREATE TRIGGER no_delete BEFORE DELETE ON sessions BEGIN SELECT RAISE(ABORT, 'disk says no'); END")
    store.put(SessionState(session_id="old"))
    clock.advance(TTL + 10)
    store.put(SessionState(session_id="new", turns=2))  # the purge due now fails
    assert store.get("new").turns == 2 and store.get("old") is None
    assert "could not purge" in caplog.text


def test_sqlite_delete_leaves_no_copy_on_disk(sqlite_backend):
    store = sqlite_backend.make()
    store.put(SessionState(session_id="forget-me", last_clauses=["MARKER-QW42"] * 20))
    assert store.delete("forget-me")
    assert b"MARKER-QW42" not in _on_disk(sqlite_backend.path)


def test_sqlite_unreadable_file_is_a_domain_error(tmp_path):
    path = tmp_path / "sessions.sqlite3"
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(SessionStoreUnavailable, match="sessions.sqlite3"):
        SqliteSessionStore(path, ttl=TTL, max_history=20)


# --- Redis specifics ----------------------------------------------------------------------------------


def test_redis_key_layout_and_server_side_expiry(redis_backend):
    store = redis_backend.make(ttl=TTL)
    state = _state()
    store.put(state)
    key = f"assistant:session:{state.session_id}"
    assert SessionState.model_validate_json(redis_backend.client.get(key)).session_id == state.session_id
    assert 0 < redis_backend.client.pttl(key) <= TTL * 1000


def test_unreachable_redis_is_a_domain_error():
    store = RedisSessionStore(f"redis://:s3cret@127.0.0.1:{free_port()}/0", ttl=TTL, max_history=20, timeout=0.5)
    with pytest.raises(SessionStoreUnavailable, match="127.0.0.1") as e:
        store.get("x")
    assert "s3cret" not in str(e.value)
    assert e.value.code == "session_store_unavailable"
    with pytest.raises(SessionStoreUnavailable):
        store.put(SessionState(session_id="x"))


# --- choosing a store ---------------------------------------------------------------------------------


def test_make_store_defaults_to_sqlite_in_data_dir(tmp_path):
    store = make_store(Settings(data_dir=tmp_path / "data"))
    assert isinstance(store, SqliteSessionStore)
    assert store.path == tmp_path / "data" / "sessions.sqlite3"
    assert (store.ttl, store.max_history) == (3600, 20)
    store.close()


def test_make_store_reads_session_settings(tmp_path):
    settings = SimpleNamespace(data_dir=tmp_path, redis_url="", session_ttl=90, session_history=5)
    store = make_store(settings)
    assert isinstance(store, SqliteSessionStore)
    assert (store.ttl, store.max_history) == (90, 5)
    store.close()


def test_make_store_uses_redis_when_a_url_is_set(tmp_path):
    settings = SimpleNamespace(data_dir=tmp_path, redis_url="redis://127.0.0.1:6399/2", session_ttl=90, session_history=5)
    store = make_store(settings)  # connects lazily, so no server is needed here
    assert isinstance(store, RedisSessionStore)
    assert (store.ttl, store.max_history) == (90, 5)
    assert not (tmp_path / "sessions.sqlite3").exists()


def test_issued_session_ids_never_start_like_a_command_line_option():
    from assistant.answer.sessions import new_session_id

    ids = {new_session_id() for _ in range(2000)}
    assert len(ids) == 2000 and all(len(i) == 32 and i[0].isalnum() for i in ids)
