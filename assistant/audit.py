"""The audit trail: one redacted record per answer, agents' feedback on answers, and the weekly report over both.

Everything personal a customer may type (mobile and landline numbers, resident ID numbers, e-mail addresses,
bank card numbers) is replaced by a typed placeholder by :func:`redact` before it is stored. Records and
feedback live in one SQLite file (``data_dir / "audit.sqlite3"``) shared by every worker on the host; the
connection handling is :class:`SqliteConnections`, written so the session store can use it too.
"""

from __future__ import annotations

import logging
import math
import re
import sqlite3
import time
import unicodedata
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta, tzinfo
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, ValidationError, field_validator
from pydantic_core import to_jsonable_python

from assistant.errors import AssistantError
from assistant.models import Channel, Intent
from assistant.storage import SqliteConnections

log = logging.getLogger(__name__)

DEFAULT_PERIOD_DAYS = 7


class AuditStoreUnavailable(AssistantError, RuntimeError):
    """The audit database cannot be read or written right now (locked past the timeout, unreadable file)."""

    code = "audit_store_unavailable"


# -- redaction ---------------------------------------------------------------------------------------------

PLACEHOLDERS = {
    "email": "[邮箱]",
    "id_number": "[身份证号]",
    "mobile": "[手机号]",
    "bank_card": "[银行卡号]",
    "landline": "[电话]",
}

# Every pattern runs on NFKC-folded text, so only ASCII digits and separators need matching.
# (?<![0-9]) / (?![0-9]): a match never takes a slice out of a longer number (an amount, a contract number).
_PATTERNS: dict[str, re.Pattern[str]] = {
    "email": re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"),
    "id_number": re.compile(
        r"(?<![0-9])[1-9][0-9]{5}[ -]?(?:18|19|20)[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])"
        r"[ -]?[0-9]{3}[0-9Xx](?![0-9])"
    ),
    "mobile": re.compile(r"(?<![0-9])(?:\(?(?:\+|00)?86\)?[ -]?)?1[3-9][0-9](?:[ -]?[0-9]){8}(?![0-9])"),
    # Either one run of digits, or the 4-4-4-… grouping printed on cards (one kind of separator throughout).
    "bank_card": re.compile(
        r"(?<![0-9])(?:[1-9][0-9]{12,18}|[1-9][0-9]{3}([ -])[0-9]{4}(?:\1[0-9]{4}){1,2}(?:\1[0-9]{1,4})?"
        r"|[1-9][0-9]{3}([ -])[0-9]{6}\2[0-9]{5})(?![0-9])"
    ),
    # Area code (0 + 2-3 digits, optionally in brackets) then a local number, which never starts with 0 or 1.
    "landline": re.compile(r"(?<![0-9])(?:\(0[0-9]{2,3}\)|0[0-9]{2,3})[ -]?[2-9][0-9]{2,3}[ -]?[0-9]{4}(?![0-9])"),
}
# Order breaks ties between equally long matches: an 18-digit ID with a valid checksum beats a Luhn-valid
# card, and 86 + a mobile number beats a 13-digit card.
_PRIORITY = {kind: i for i, kind in enumerate(_PATTERNS)}

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def _digits(s: str) -> str:
    """s without its separators."""
    return re.sub(r"[^0-9Xx]", "", s)


def id_checksum_ok(number: str) -> bool:
    """True when an 18-character PRC resident ID has a real birth date and a correct GB 11643 check character."""
    n = _digits(number).upper()
    if len(n) != 18 or not n[:17].isdigit():
        return False
    try:
        date(int(n[6:10]), int(n[10:12]), int(n[12:14]))
    except ValueError:
        return False
    return _ID_CHECK[sum(int(d) * w for d, w in zip(n[:17], _ID_WEIGHTS)) % 11] == n[17]


def luhn_ok(number: str) -> bool:
    """True when the digits of number pass the Luhn check used by bank cards."""
    n = _digits(number)
    if not n.isdigit():
        return False
    total = 0
    for i, d in enumerate(reversed(n)):
        v = int(d) * (2 if i % 2 else 1)
        total += v - 9 if v > 9 else v
    return total % 10 == 0


def _any(match: str) -> bool:
    """Accept a match that needs no check beyond its pattern."""
    return True


_VALID = {
    "id_number": id_checksum_ok,
    "bank_card": lambda s: 13 <= len(_digits(s)) <= 19 and luhn_ok(s),
}


def _fold(text: str) -> tuple[str, list[int]]:
    """NFKC-fold text character by character; returns it with, per folded character, its original index."""
    parts: list[str] = []
    owner: list[int] = []
    for i, ch in enumerate(text):
        f = ch if ch.isascii() else unicodedata.normalize("NFKC", ch)
        parts.append(f)
        owner.extend([i] * len(f))
    return "".join(parts), owner


def redact(text: str) -> str:
    """text with personal data replaced by typed placeholders (``[手机号]``, ``[身份证号]``, ``[邮箱]``, …).

    Detection runs on the NFKC-folded text, so full-width digits are caught, while everything that is not
    replaced keeps its original characters. ID numbers must pass their checksum and card numbers the Luhn
    check; hotlines (10010, 4000111000), amounts, dates and bandwidths match no pattern and stay.
    Idempotent: placeholders contain nothing that matches.
    """
    if not text:
        return text
    folded, owner = _fold(text)
    found = [
        (m.start(), m.end(), kind)
        for kind, pattern in _PATTERNS.items()
        for m in pattern.finditer(folded)
        if _VALID.get(kind, _any)(m.group())
    ]
    # Longest first, so a card number is not cut into a "mobile number" and its remainder.
    found.sort(key=lambda f: (f[0] - f[1], _PRIORITY[f[2]], f[0]))
    taken: list[tuple[int, int, str]] = []
    for start, end, kind in found:
        if all(end <= s or start >= e for s, e, _ in taken):
            taken.append((start, end, kind))
    out: list[str] = []
    pos = 0
    for start, end, kind in sorted(taken):
        a, b = owner[start], owner[end - 1] + 1
        out.append(text[pos:a])
        out.append(PLACEHOLDERS[kind])
        pos = b
    out.append(text[pos:])
    return "".join(out)


def _redact_values(value: Any) -> Any:
    """value with every string inside it (dict values, list items) redacted."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {k: _redact_values(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_redact_values(v) for v in value]
    return value


# -- SQLite ------------------------------------------------------------------------------------------------


@contextmanager
def _errors(path: Path, action: str) -> Iterator[None]:
    """Re-raise sqlite3 errors as AuditStoreUnavailable naming the file and the action."""
    try:
        yield
    except sqlite3.Error as e:
        raise AuditStoreUnavailable(f"audit store {path} could not {action}: {e}") from e


def default_path(settings: Any) -> Path:
    """Where the audit log and feedback live: settings.data_dir / "audit.sqlite3"."""
    return Path(settings.data_dir) / "audit.sqlite3"


# -- audit records -----------------------------------------------------------------------------------------


class AuditRecord(BaseModel):
    """What the service answered to one question, kept without the customer's personal data.

    ``question`` and the string values of ``calc_inputs`` are redacted when the record is built, so an
    unredacted record cannot exist; ``calc_inputs`` is stored in its JSON form (dates as ``YYYY-MM-DD``).
    ``turn`` is the session's turn number (1 for the first answer), which feedback refers to.
    """

    time: float = Field(default_factory=time.time, description="epoch seconds when the answer was given")
    channel: Channel
    agent: str | None = Field(default=None, description="the signed-in agent who asked, if any")
    session_id: str
    turn: int = Field(ge=1)
    question: str
    intent: Intent
    clause_ids: list[str] = Field(default_factory=list)
    calculator: str | None = None
    calc_inputs: dict[str, Any] | None = None
    corpus_sha256: str
    model_id: str
    latency_ms: float = Field(ge=0)

    @field_validator("question")
    @classmethod
    def _redact_question(cls, v: str) -> str:
        return redact(v)

    @field_validator("calc_inputs")
    @classmethod
    def _redact_inputs(cls, v: dict[str, Any] | None) -> dict[str, Any] | None:
        return None if v is None else _redact_values(to_jsonable_python(v))


_AUDIT_SCHEMA = """
CREATE TABLE IF NOT EXISTS audit (
    id INTEGER PRIMARY KEY,
    time REAL NOT NULL,
    session_id TEXT NOT NULL,
    turn INTEGER NOT NULL,
    record TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_time ON audit(time);
CREATE INDEX IF NOT EXISTS audit_session_turn ON audit(session_id, turn, time);
"""


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


class AuditLog:
    """Audit records in one SQLite file, shared by every thread and worker process on the host.

    ``record`` commits before it returns. ``query(since, until)`` returns the records with
    ``since <= time < until``, oldest first. SQLite failures raise :class:`AuditStoreUnavailable`.
    """

    def __init__(self, path: Path, busy_timeout: float = 5.0):
        self.path = Path(path)
        with _errors(self.path, "open"):
            self._db = SqliteConnections(self.path, busy_timeout, _AUDIT_SCHEMA)

    def record(self, rec: AuditRecord) -> None:
        """Store one record; it is committed when this returns."""
        with _errors(self.path, "write"):
            self._db.get().execute(
                "INSERT INTO audit (time, session_id, turn, record) VALUES (?, ?, ?, ?)",
                (rec.time, rec.session_id, rec.turn, rec.model_dump_json()),
            )

    def query(self, since: float, until: float) -> list[AuditRecord]:
        """Records with since <= time < until, oldest first."""
        with _errors(self.path, "read"):
            rows = self._db.get().execute(
                "SELECT record FROM audit WHERE time >= ? AND time < ? ORDER BY time, id", (since, until)
            ).fetchall()
        return _load_records(rows, self.path)

    def find(self, session_id: str, turn: int, at: float | None = None) -> AuditRecord | None:
        """The record of one turn of one session, the newest at or before `at` when given.

        A client may reuse an expired session's id, so the same (session, turn) can occur more than once.
        """
        with _errors(self.path, "read"):
            rows = self._db.get().execute(
                "SELECT record FROM audit WHERE session_id = ? AND turn = ? AND time <= ? ORDER BY time DESC, id DESC"
                " LIMIT 1",
                (session_id, turn, math.inf if at is None else at),
            ).fetchall()
        found = _load_records(rows, self.path)
        return found[0] if found else None

    def probe(self) -> None:
        """One write to the file through a fresh connection; AuditStoreUnavailable when it is refused."""
        with _errors(self.path, "write"):
            self._db.probe()

    def close(self) -> None:
        """Close this process's connections."""
        self._db.close()


# -- feedback ----------------------------------------------------------------------------------------------


class Feedback(BaseModel):
    """An agent's or customer's verdict on one answer: turn ``turn`` of session ``session_id``.

    ``comment`` (at most 500 characters) is redacted when the object is built; a blank one becomes None.
    """

    session_id: str = Field(pattern=r"^[A-Za-z0-9_-]{1,64}$")
    turn: int = Field(ge=1, description="which answer of the session is rated, 1 for the first")
    helpful: bool
    comment: str | None = Field(default=None, max_length=500)
    time: float = Field(default_factory=time.time)
    agent: str | None = Field(default=None, description="the signed-in agent who gave it, if any")

    @field_validator("comment")
    @classmethod
    def _redact_comment(cls, v: str | None) -> str | None:
        v = (v or "").strip()
        return redact(v) if v else None


_FEEDBACK_SCHEMA = """
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
"""


def _add_column(conn: sqlite3.Connection, table: str, column: str, decl: str) -> None:
    """Add a column a file made by an older version lacks (several workers may race to do it)."""
    if column in {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}:
        return
    try:
        conn.execute(f"ALTER TABLE {table} ADD COLUMN {column} {decl}")
    except sqlite3.OperationalError as e:
        if "duplicate column" not in str(e):
            raise


class FeedbackStore:
    """Feedback in its own table of the audit SQLite file (pass the same path as the :class:`AuditLog`).

    ``add`` commits before it returns the new row's id; ``query(since, until)`` returns feedback with
    ``since <= time < until``, oldest first. SQLite failures raise :class:`AuditStoreUnavailable`.
    """

    def __init__(self, path: Path, busy_timeout: float = 5.0):
        self.path = Path(path)
        with _errors(self.path, "open"):
            self._db = SqliteConnections(self.path, busy_timeout, _FEEDBACK_SCHEMA)
            _add_column(self._db.get(), "feedback", "agent", "TEXT")

    def add(self, fb: Feedback) -> int:
        """Store one piece of feedback; returns its id."""
        with _errors(self.path, "write"):
            cur = self._db.get().execute(
                "INSERT INTO feedback (time, session_id, turn, helpful, comment, agent) VALUES (?, ?, ?, ?, ?, ?)",
                (fb.time, fb.session_id, fb.turn, int(fb.helpful), fb.comment, fb.agent),
            )
        return int(cur.lastrowid)

    def query(self, since: float, until: float) -> list[Feedback]:
        """Feedback with since <= time < until, oldest first."""
        with _errors(self.path, "read"):
            rows = self._db.get().execute(
                "SELECT time, session_id, turn, helpful, comment, agent FROM feedback WHERE time >= ? AND time < ?"
                " ORDER BY time, id",
                (since, until),
            ).fetchall()
        return [
            Feedback(time=t, session_id=s, turn=n, helpful=bool(h), comment=c, agent=a) for t, s, n, h, c, a in rows
        ]

    def close(self) -> None:
        """Close this process's connections."""
        self._db.close()


# -- report ------------------------------------------------------------------------------------------------


class QuestionCount(BaseModel):
    """One question (redacted, as first asked) and how often it or its normalised form was asked."""

    question: str
    count: int


class Latency(BaseModel):
    """Nearest-rank percentiles of latency in milliseconds over ``count`` answers (None when there are none)."""

    count: int
    p50: float | None = None
    p95: float | None = None
    p99: float | None = None


class UnhelpfulAnswer(BaseModel):
    """An answer rated unhelpful, joined to its audit record; question/intent are None when none was found."""

    time: float = Field(description="when the feedback was given")
    session_id: str
    turn: int
    question: str | None
    intent: Intent | None
    clause_ids: list[str]
    comment: str | None


class Report(BaseModel):
    """What the service did over ``since <= time < until``: volumes, what it could not answer, what agents
    rated unhelpful, and how long answers took. Counts list every intent and channel, zeros included."""

    since: float
    until: float
    total: int
    by_intent: dict[str, int]
    by_channel: dict[str, int]
    top_out_of_scope: list[QuestionCount]
    top_clarify: list[QuestionCount]
    helpful_count: int = Field(description="answers rated helpful (the latest rating of each answer counts)")
    unhelpful: list[UnhelpfulAnswer]
    latency: Latency
    latency_by_channel: dict[str, Latency]


_TRAILING = re.compile(r"[\s?？。.!！~～…,，、]+$")


def normalize_question(text: str) -> str:
    """The key questions are grouped by: NFKC, lower case, no whitespace, no trailing punctuation."""
    # Whitespace goes entirely: in Chinese text it is noise ("宽带 怎么办理"), and the key is never shown.
    folded = "".join(unicodedata.normalize("NFKC", text).lower().split())
    return _TRAILING.sub("", folded)


def percentile(values: list[float], p: float) -> float | None:
    """The nearest-rank p-th percentile (an observed value: the ceil(p/100·n)-th smallest), None if empty."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(1, math.ceil(p / 100 * len(ordered))) - 1]


def _latency(values: list[float]) -> Latency:
    """p50/p95/p99 of values."""
    return Latency(count=len(values), p50=percentile(values, 50), p95=percentile(values, 95), p99=percentile(values, 99))


def _top_questions(records: list[AuditRecord], intent: Intent, top: int) -> list[QuestionCount]:
    """The `top` most frequent questions of one intent, grouped by normalised text, ties in first-asked order."""
    counts: Counter[str] = Counter()
    shown: dict[str, str] = {}
    for r in records:
        if r.intent is intent:
            key = normalize_question(r.question)
            counts[key] += 1
            shown.setdefault(key, r.question)
    # Counter.most_common keeps insertion order among equal counts, i.e. the order first asked.
    return [QuestionCount(question=shown[k], count=n) for k, n in counts.most_common(top)]


def build_report(log: AuditLog, feedback: FeedbackStore, since: float, until: float, top: int = 10) -> Report:
    """Summarise the audit records and feedback with since <= time < until.

    Feedback is joined to the audit record of the turn it rates (same session id and turn, the newest at or
    before the feedback); when a turn was rated more than once, only the latest rating counts.
    """
    records = log.query(since, until)
    latest: dict[tuple[str, int, float | None], tuple[Feedback, AuditRecord | None]] = {}
    for fb in feedback.query(since, until):
        rec = log.find(fb.session_id, fb.turn, at=fb.time)
        latest[(fb.session_id, fb.turn, rec.time if rec else None)] = (fb, rec)
    unhelpful = [
        UnhelpfulAnswer(
            time=fb.time,
            session_id=fb.session_id,
            turn=fb.turn,
            question=rec.question if rec else None,
            intent=rec.intent if rec else None,
            clause_ids=rec.clause_ids if rec else [],
            comment=fb.comment,
        )
        for fb, rec in latest.values()
        if not fb.helpful
    ]
    intents = Counter(r.intent.value for r in records)
    channels = Counter(r.channel.value for r in records)
    return Report(
        since=since,
        until=until,
        total=len(records),
        by_intent={i.value: intents[i.value] for i in Intent},
        by_channel={c.value: channels[c.value] for c in Channel},
        top_out_of_scope=_top_questions(records, Intent.out_of_scope, top),
        top_clarify=_top_questions(records, Intent.clarify, top),
        helpful_count=sum(1 for fb, _ in latest.values() if fb.helpful),
        unhelpful=sorted(unhelpful, key=lambda u: u.time),
        latency=_latency([r.latency_ms for r in records]),
        latency_by_channel={c.value: _latency([r.latency_ms for r in records if r.channel is c]) for c in Channel},
    )


_INTENT_NAMES = {"lookup": "条款查询", "calculation": "计算", "clarify": "需补充信息", "out_of_scope": "超出范围"}
_CHANNEL_NAMES = {"agent": "坐席", "widget": "网页", "ivr": "语音"}


def _width(s: str) -> int:
    """Columns s takes in a terminal: CJK and other wide characters count two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in s)


def _pad(s: str, width: int) -> str:
    """s padded with spaces to `width` terminal columns."""
    return s + " " * max(0, width - _width(s))


def _when(ts: float, tz: tzinfo | None) -> str:
    """ts as YYYY-MM-DD HH:MM in tz (local time when None)."""
    return datetime.fromtimestamp(ts, tz).strftime("%Y-%m-%d %H:%M")


def _ms(v: float | None) -> str:
    """A latency for the table; '-' when there is none."""
    return "-" if v is None else f"{v:.0f}"


def format_report(report: Report, tz: tzinfo | None = None) -> str:
    """The report as plain text for a terminal, labels in Chinese and English, times in tz (default local)."""
    lines = [
        f"审计报告 Audit report  {_when(report.since, tz)} — {_when(report.until, tz)}",
        f"答复总数 Total answers: {report.total}",
        "",
        "按意图 By intent",
    ]
    lines += [f"  {_pad(f'{_INTENT_NAMES.get(k, k)} {k}', 26)}{n:>7}" for k, n in report.by_intent.items()]
    lines += ["", "按渠道 By channel"]
    lines += [f"  {_pad(f'{_CHANNEL_NAMES.get(k, k)} {k}', 26)}{n:>7}" for k, n in report.by_channel.items()]
    lines += ["", "响应时间 Latency (ms)", f"  {_pad('', 26)}{'n':>7}{'p50':>8}{'p95':>8}{'p99':>8}"]
    rows = [("全部 all", report.latency)]
    rows += [(f"{_CHANNEL_NAMES.get(k, k)} {k}", v) for k, v in report.latency_by_channel.items()]
    for label, lat in rows:
        lines.append(f"  {_pad(label, 26)}{lat.count:>7}{_ms(lat.p50):>8}{_ms(lat.p95):>8}{_ms(lat.p99):>8}")
    for title, items in (
        ("超出范围的高频问题 Most-asked out-of-scope questions", report.top_out_of_scope),
        ("需补充信息的高频问题 Most-asked clarify questions", report.top_clarify),
    ):
        lines += ["", title]
        lines += [f"  {i:>2}. ×{q.count:<4} {q.question}" for i, q in enumerate(items, 1)] or ["  （无 none）"]
    lines += ["", f"反馈 Feedback: 有帮助 helpful {report.helpful_count} · 没帮助 unhelpful {len(report.unhelpful)}"]
    if report.unhelpful:
        lines.append("没帮助的答复 Answers rated unhelpful")
    for u in report.unhelpful:
        intent = f"{_INTENT_NAMES.get(u.intent.value, u.intent.value)} {u.intent.value}" if u.intent else "?"
        lines.append(f"  - {_when(u.time, tz)}  会话 session {u.session_id} 第 {u.turn} 轮 turn  [{intent}]")
        lines.append(f"    问 Q: {u.question if u.question is not None else '（无审计记录 no audit record）'}")
        if u.clause_ids:
            lines.append(f"    条款 Clauses: {', '.join(u.clause_ids)}")
        if u.comment:
            lines.append(f"    备注 Comment: {u.comment}")
    return "\n".join(lines) + "\n"


_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _parse_day(value: str, flag: str) -> date:
    """A YYYY-MM-DD date, or ValueError naming the flag."""
    try:
        if _DATE.fullmatch(value.strip()):
            return date.fromisoformat(value.strip())
    except ValueError:
        pass
    raise ValueError(f"--{flag} {value!r} is not a date; use YYYY-MM-DD, e.g. 2026-03-01")


def _midnight(d: date, tz: tzinfo | None) -> datetime:
    """The start of day d in tz (naive, i.e. local time, when tz is None)."""
    return datetime.combine(d, datetime.min.time(), tzinfo=tz)


def parse_period(since: str | None, until: str | None, now: datetime) -> tuple[float, float]:
    """The report period ``[since, until)`` in epoch seconds from ``--since`` / ``--until`` dates.

    Both days are included: since starts at its midnight, until ends at the following midnight, in ``now``'s
    time zone (local time when ``now`` is naive). Without --until the period ends at ``now``; without --since it
    starts 7 days before its end. Raises ValueError on a malformed date or when since is after until.
    """
    tz = now.tzinfo
    end = _midnight(_parse_day(until, "until") + timedelta(days=1), tz) if until else now
    start = _midnight(_parse_day(since, "since"), tz) if since else end - timedelta(days=DEFAULT_PERIOD_DAYS)
    if start >= end:
        shown_end = until or f"now ({now:%Y-%m-%d %H:%M})"
        raise ValueError(f"--since {since} is after --until {shown_end}; the period would be empty")
    return start.timestamp(), end.timestamp()
