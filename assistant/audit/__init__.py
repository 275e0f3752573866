"""The audit trail: one redacted record per answer, agents' feedback on answers, and the weekly report over both.

Everything personal a customer may type (phone, ID and card numbers, e-mail addresses, names, addresses) is
replaced by a typed placeholder (:mod:`.redaction`) before it is stored. Records and feedback (:mod:`.records`)
live in one SQLite file, ``data_dir / "audit.sqlite3"``, shared by every worker on the host (:mod:`.stores`),
or in PostgreSQL shared by every instance when ``ASSISTANT_DATABASE_URL`` is set (:mod:`.postgres`), and are
kept for the configured retention. :mod:`.report` summarises a period (:mod:`.period` reads it from the
command line); :mod:`.forget` erases one person's data from every store.
"""

from assistant.audit.period import DEFAULT_PERIOD_DAYS, parse_period
from assistant.audit.records import AuditRecord, AuditStoreUnavailable, Feedback
from assistant.audit.redaction import Redaction, Subject, id_checksum_ok, luhn_ok, redact, redact_values, scan
from assistant.audit.report import (
    Latency,
    QuestionCount,
    Report,
    UnhelpfulAnswer,
    build_report,
    format_report,
    normalize_question,
    percentile,
)
from assistant.audit.stores import (
    AuditLog,
    AuditStore,
    FeedbackStorage,
    FeedbackStore,
    Removed,
    default_path,
    open_audit_log,
    open_feedback_store,
)

__all__ = [
    "DEFAULT_PERIOD_DAYS",
    "AuditLog",
    "AuditRecord",
    "AuditStore",
    "AuditStoreUnavailable",
    "Feedback",
    "FeedbackStorage",
    "FeedbackStore",
    "Latency",
    "QuestionCount",
    "Redaction",
    "Removed",
    "Report",
    "Subject",
    "UnhelpfulAnswer",
    "build_report",
    "default_path",
    "format_report",
    "id_checksum_ok",
    "luhn_ok",
    "normalize_question",
    "open_audit_log",
    "open_feedback_store",
    "parse_period",
    "percentile",
    "redact",
    "redact_values",
    "scan",
]
