"""The weekly report over the audit file: volumes, what could not be answered, what agents rated unhelpful, latency."""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from datetime import datetime, tzinfo

from pydantic import BaseModel, Field

from assistant.audit.records import AuditRecord, Feedback
from assistant.audit.stores import AuditStore, FeedbackStorage
from assistant.models import Channel, Intent


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


def build_report(log: AuditStore, feedback: FeedbackStorage, since: float, until: float, top: int = 10) -> Report:
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
