"""The audit log and feedback stores (threads, processes, SIGKILL), the report and its period.

The store tests run against each implementation (SQLite, PostgreSQL: the ``audit_backend`` fixture); the schema
migrations of PostgreSQL have their own tests in tests/audit/test_postgres.py, redaction in
tests/audit/test_redaction.py."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from datetime import datetime, timedelta, timezone

import pytest
from pydantic import ValidationError

from assistant.audit import (
    AuditLog,
    AuditRecord,
    AuditStoreUnavailable,
    Feedback,
    build_report,
    default_path,
    format_report,
    parse_period,
    percentile,
)
from assistant.models import Channel, Intent
from assistant.settings import Settings
from tests.concurrency import run_writers

# -- audit log -----------------------------------------------------------------------------------------------

T0 = 1_770_000_000.0  # a fixed epoch so periods are exact


def rec(i: int = 0, **kw) -> AuditRecord:
    """An audit record at T0 + i seconds; keyword arguments override fields."""
    fields = dict(
        time=T0 + i,
        channel=Channel.agent,
        session_id=f"s{i}",
        turn=1,
        question=f"问题{i}",
        intent=Intent.lookup,
        clause_ids=["M-10"],
        corpus_sha256="ab" * 32,
        model_id="fake-e5",
        latency_ms=100.0,
    )
    return AuditRecord(**(fields | kw))


def test_record_redacts_question_and_calc_inputs():
    r = rec(
        question="我手机13812345678，月租多少",
        intent=Intent.calculation,
        calculator="outage_credit",
        calc_inputs={"monthly_fee": 10000, "contact": "13812345678", "notes": ["a@b.cn", 3], "start": datetime(2026, 3, 1).date()},
    )
    assert r.question == "我手机[手机号]，月租多少"
    assert r.calc_inputs == {"monthly_fee": 10000, "contact": "[手机号]", "notes": ["[邮箱]", 3], "start": "2026-03-01"}


def test_audit_roundtrip_and_period_query(audit_backend):
    log = audit_backend.log()
    records = [
        rec(0),
        rec(10, channel=Channel.ivr, intent=Intent.calculation, calculator="overdue", calc_inputs={"days": 3}, turn=2),
        rec(20),
        rec(30),
    ]
    for r in reversed(records):  # written out of order; query sorts by time
        log.record(r)
    assert log.query(T0, T0 + 31) == records
    assert log.query(T0 + 10, T0 + 30) == records[1:3]  # since inclusive, until exclusive
    assert log.query(T0 + 31, T0 + 100) == []
    assert audit_backend.log().query(0, T0 + 100) == records  # a second handle reads the same data


def test_find_returns_the_newest_turn_at_or_before(audit_backend):
    log = audit_backend.log()
    old, new = rec(0, session_id="reused", question="旧"), rec(100, session_id="reused", question="新")
    log.record(old)
    log.record(new)
    assert log.find("reused", 1) == new
    assert log.find("reused", 1, at=T0 + 50) == old
    assert log.find("reused", 2) is None


def test_unwritable_store_raises_its_own_error(tmp_path):
    (tmp_path / "dir.sqlite3").mkdir()  # a directory where the file should be
    with pytest.raises(AuditStoreUnavailable, match="could not open"):
        AuditLog(tmp_path / "dir.sqlite3")


def test_default_path_is_in_data_dir(tmp_path):
    assert default_path(Settings(data_dir=tmp_path)) == tmp_path / "audit.sqlite3"


PRELUDE = "from assistant.audit import *\nfrom assistant.models import *\nfrom assistant.settings import Settings\n"


def _run(code: str, backend) -> subprocess.CompletedProcess:
    """Run code in a fresh Python process with the audit module imported and the backend's settings in its env."""
    return subprocess.run(
        [sys.executable, "-c", PRELUDE + textwrap.dedent(code)], capture_output=True, text=True, timeout=60,
        env={**os.environ, **backend.env},
    )


def _child_record(session: str, n: int) -> str:
    """Python source that writes n records of one session to the configured audit log."""
    return textwrap.dedent(
        f"""
        log = open_audit_log(Settings(audit_retention_days=36500))  # T0 is older than the default retention
        for i in range({n}):
            log.record(AuditRecord(time={T0} + i, channel=Channel.widget, session_id={session!r}, turn=i + 1,
                question="q", intent=Intent.lookup, corpus_sha256="x", model_id="m", latency_ms=1.0))
        """
    )


def test_concurrent_writers_in_threads_and_processes(audit_backend):
    n = 40
    log = audit_backend.log()  # the store is open here before the children start
    children = [
        subprocess.Popen([sys.executable, "-c", PRELUDE + _child_record(f"proc{k}", n)], stderr=subprocess.PIPE,
                         env={**os.environ, **audit_backend.env})
        for k in range(2)
    ]

    def write(k: int) -> None:
        """Write n records of session thread<k>."""
        for i in range(n):
            log.record(rec(i, session_id=f"thread{k}", turn=i + 1))

    assert run_writers(write, children) == []
    got = log.query(0, T0 + n)
    per_session: dict[str, list[int]] = {}
    for r in got:
        per_session.setdefault(r.session_id, []).append(r.turn)
    expected_sessions = {f"thread{k}" for k in range(4)} | {"proc0", "proc1"}
    assert set(per_session) == expected_sessions
    assert all(sorted(turns) == list(range(1, n + 1)) for turns in per_session.values())


def test_acknowledged_record_survives_sigkill(audit_backend):
    audit_backend.log()  # the parent holds the store open too, as a running server would
    proc = _run(_child_record("killed", 1) + "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)\n", audit_backend)
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    got = audit_backend.log().query(0, T0 + 1)
    assert [(r.session_id, r.channel) for r in got] == [("killed", Channel.widget)]


def test_another_process_reads_what_this_one_wrote(audit_backend):
    audit_backend.log().record(rec(0, question="手机13812345678"))
    proc = _run(f"print(open_audit_log(Settings(audit_retention_days=36500)).query(0, {T0 + 1})[0].question)", audit_backend)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "手机[手机号]"


# -- feedback --------------------------------------------------------------------------------------------------


def test_feedback_roundtrip(audit_backend):
    store = audit_backend.feedback()
    fbs = [
        Feedback(session_id="abc_1-2", turn=1, helpful=True, time=T0),
        Feedback(session_id="abc_1-2", turn=2, helpful=False, comment="  答非所问，回电13812345678 ", time=T0 + 5),
        Feedback(session_id="x", turn=3, helpful=False, comment="   ", time=T0 + 9),
    ]
    ids = [store.add(fb) for fb in fbs]
    assert len(set(ids)) == 3
    assert fbs[1].comment == "答非所问，回电[手机号]"
    assert fbs[2].comment is None
    assert audit_backend.feedback().query(T0, T0 + 9) == fbs[:2]
    audit_backend.log().record(rec(0))  # the other table of the same store is unaffected
    assert store.query(0, T0 + 10) == fbs


@pytest.mark.parametrize(
    "fields",
    [
        {"session_id": "", "turn": 1, "helpful": True},
        {"session_id": "a b", "turn": 1, "helpful": True},
        {"session_id": "<script>", "turn": 1, "helpful": True},
        {"session_id": "a" * 65, "turn": 1, "helpful": True},
        {"session_id": "a", "turn": 0, "helpful": True},
        {"session_id": "a", "turn": 1, "helpful": "maybe"},
        {"session_id": "a", "turn": 1, "helpful": False, "comment": "长" * 501},
    ],
)
def test_feedback_rejects(fields):
    with pytest.raises(ValidationError):
        Feedback(**fields)


# -- report ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "values, p, expected",
    [([], 50, None), ([7.0], 99, 7.0), ([1, 2, 3, 4], 50, 2), ([1, 2, 3, 4, 5], 50, 3), (list(range(1, 101)), 95, 95)],
)
def test_percentile_is_nearest_rank(values, p, expected):
    assert percentile(values, p) == expected


@pytest.fixture
def filled(audit_backend):
    """A synthetic week: 20 answers on three channels, repeated OOS/clarify questions, and feedback."""
    log, fb = audit_backend.log(), audit_backend.feedback()
    rows = [
        # (channel, intent, question, latency)
        ("agent", "lookup", "80端口默认关闭吗", 100),
        ("agent", "lookup", "怎么暂停专线", 200),
        ("agent", "calculation", "中断30小时减免多少", 300),
        ("agent", "out_of_scope", "宽带怎么办理？", 400),
        ("agent", "out_of_scope", "宽带 怎么办理", 500),
        ("agent", "out_of_scope", "ＩＰＴＶ多少钱", 600),
        ("agent", "clarify", "违约金多少", 700),
        ("agent", "clarify", "违约金多少？", 800),
        ("agent", "clarify", "减免多少", 900),
        ("agent", "lookup", "备案要多久", 1000),
        ("widget", "out_of_scope", "宽带怎么办理。", 50),
        ("widget", "out_of_scope", "iptv多少钱", 60),
        ("widget", "out_of_scope", "手机13812345678停机了", 70),
        ("widget", "lookup", "开通要几天", 80),
        ("widget", "lookup", "付款方式", 90),
        ("ivr", "lookup", "怎么退订", 1500),
        ("ivr", "out_of_scope", "宽带怎么办理", 2500),
        ("ivr", "clarify", "违约金多少", 3500),
        ("ivr", "calculation", "逾期十天多少钱", 4500),
        ("ivr", "lookup", "发票怎么开", 5500),
    ]
    for i, (channel, intent, question, latency) in enumerate(rows):
        log.record(
            rec(i * 60, channel=Channel(channel), intent=Intent(intent), question=question, latency_ms=float(latency),
                session_id="sess" if i < 3 else f"s{i}", turn=i + 1 if i < 3 else 1, clause_ids=[f"M-{i}"])
        )
    log.record(rec(-3600, question="outside the period"))
    log.record(rec(8 * 86400, question="outside the period"))
    fb.add(Feedback(session_id="sess", turn=2, helpful=False, comment="没说清楚，联系我13812345678", time=T0 + 3000))
    fb.add(Feedback(session_id="sess", turn=3, helpful=False, time=T0 + 3000))
    fb.add(Feedback(session_id="sess", turn=3, helpful=True, time=T0 + 3100))  # changed their mind: counts helpful
    fb.add(Feedback(session_id="sess", turn=1, helpful=True, time=T0 + 3200))
    fb.add(Feedback(session_id="ghost", turn=4, helpful=False, time=T0 + 3300))  # no such answer was logged
    return log, fb


def test_report_counts(filled):
    r = build_report(*filled, since=T0, until=T0 + 7 * 86400)
    assert r.total == 20
    assert r.by_intent == {"lookup": 7, "calculation": 2, "clarify": 4, "out_of_scope": 7}
    assert r.by_channel == {"agent": 10, "widget": 5, "ivr": 5}


def test_report_top_questions_grouped_by_normalised_text(filled):
    r = build_report(*filled, since=T0, until=T0 + 7 * 86400, top=2)
    assert [(q.question, q.count) for q in r.top_out_of_scope] == [("宽带怎么办理？", 4), ("ＩＰＴＶ多少钱", 2)]
    assert [(q.question, q.count) for q in r.top_clarify] == [("违约金多少", 3), ("减免多少", 1)]
    everything = build_report(*filled, since=T0, until=T0 + 7 * 86400)
    assert ("手机[手机号]停机了", 1) in [(q.question, q.count) for q in everything.top_out_of_scope]


def test_report_joins_unhelpful_feedback_to_answers(filled):
    r = build_report(*filled, since=T0, until=T0 + 7 * 86400)
    got = [(u.session_id, u.turn, u.question, u.intent, u.clause_ids, u.comment) for u in r.unhelpful]
    assert got == [
        ("sess", 2, "怎么暂停专线", Intent.lookup, ["M-1"], "没说清楚，联系我[手机号]"),
        ("ghost", 4, None, None, [], None),
    ]
    assert r.helpful_count == 2


def test_report_latency_percentiles(filled):
    r = build_report(*filled, since=T0, until=T0 + 7 * 86400)
    # All 20 sorted: 50 60 70 80 90 100 200 … 1000 1500 2500 3500 4500 5500; ranks ceil(.5·20)=10, 19, 20.
    assert (r.latency.count, r.latency.p50, r.latency.p95, r.latency.p99) == (20, 500, 4500, 5500)
    # agent 100…1000: ranks 5, 10, 10. widget 50…90: ranks 3, 5, 5. ivr 1500…5500: ranks 3, 5, 5.
    by = {k: (v.count, v.p50, v.p95, v.p99) for k, v in r.latency_by_channel.items()}
    assert by == {"agent": (10, 500, 1000, 1000), "widget": (5, 70, 90, 90), "ivr": (5, 3500, 5500, 5500)}


def test_empty_report_and_text_rendering(filled):
    empty = build_report(*filled, since=0, until=1)
    assert empty.total == 0 and empty.latency.p50 is None and empty.unhelpful == []
    assert "（无 none）" in format_report(empty, tz=timezone.utc)
    text = format_report(build_report(*filled, since=T0, until=T0 + 7 * 86400), tz=timezone.utc)
    for piece in ["Total answers: 20", "宽带怎么办理？", "×4", "怎么暂停专线", "M-1", "没说清楚，联系我[手机号]",
                  "no audit record", "5500", "2026-02-02 02:40"]:
        assert piece in text, piece
    assert "13812345678" not in text


# -- period ------------------------------------------------------------------------------------------------

CST = timezone(timedelta(hours=8))
NOW = datetime(2026, 3, 10, 15, 30, tzinfo=CST)


def _ts(*args) -> float:
    """Epoch seconds of a datetime in UTC+8."""
    return datetime(*args, tzinfo=CST).timestamp()


@pytest.mark.parametrize(
    "since, until, expected",
    [
        (None, None, (NOW.timestamp() - 7 * 86400, NOW.timestamp())),
        ("2026-03-01", "2026-03-07", (_ts(2026, 3, 1), _ts(2026, 3, 8))),
        ("2026-03-01", "2026-03-01", (_ts(2026, 3, 1), _ts(2026, 3, 2))),  # one whole day
        ("2026-03-01", None, (_ts(2026, 3, 1), NOW.timestamp())),
        (None, "2026-03-07", (_ts(2026, 3, 1), _ts(2026, 3, 8))),
        (" 2026-03-01 ", None, (_ts(2026, 3, 1), NOW.timestamp())),
    ],
)
def test_parse_period(since, until, expected):
    assert parse_period(since, until, NOW) == expected


@pytest.mark.parametrize(
    "since, until, message",
    [
        ("2026-3-1", None, "--since '2026-3-1' is not a date; use YYYY-MM-DD"),
        ("20260301", None, "--since '20260301' is not a date"),
        (None, "2026-02-30", "--until '2026-02-30' is not a date"),
        ("yesterday", None, "is not a date"),
        ("2026-03-08", "2026-03-07", "--since 2026-03-08 is after --until 2026-03-07"),
        ("2026-03-11", None, "--since 2026-03-11 is after --until now"),
    ],
)
def test_parse_period_errors(since, until, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace("+", r"\+")):
        parse_period(since, until, NOW)


def test_feedback_from_a_file_made_before_agents_were_recorded_gains_the_column(tmp_path):
    import sqlite3

    from assistant.audit import Feedback, FeedbackStore

    path = tmp_path / "audit.sqlite3"
    with sqlite3.connect(path) as old:
        old.execute(
            "CREATE TABLE feedback (id INTEGER PRIMARY KEY, time REAL NOT NULL, session_id TEXT NOT NULL,"
            " turn INTEGER NOT NULL, helpful INTEGER NOT NULL, comment TEXT)"
        )
        old.execute("INSERT INTO feedback (time, session_id, turn, helpful) VALUES (1.0, 's1', 1, 1)")
    store = FeedbackStore(path)
    store.add(Feedback(session_id="s2", turn=1, helpful=False, agent="alice", time=2.0))
    assert [(f.session_id, f.agent) for f in store.query(0, 10)] == [("s1", None), ("s2", "alice")]
    FeedbackStore(path).close()  # a second worker opening the migrated file changes nothing


def test_a_comment_at_the_length_limit_is_accepted_although_its_placeholders_are_longer():
    comment = "我叫张三" + "好" * 496  # 500 characters; "[姓名]" is longer than 张三
    assert Feedback(session_id="a", turn=1, helpful=False, comment=comment).comment.startswith("我叫[姓名]好")
