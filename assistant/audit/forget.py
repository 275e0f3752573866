"""Erase one person's data everywhere: their sessions in the configured store, audit records and feedback."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from assistant.answer.sessions import SessionStore, make_store
from assistant.audit.redaction import phone_subject
from assistant.audit.stores import AuditStore, open_audit_log


class Forgotten(BaseModel):
    """What `assistant forget` removed."""

    sessions_matched: int = Field(description="sessions found for the id or phone number")
    sessions: int = Field(description="live sessions deleted from the session store")
    audit_records: int
    feedback: int
    subjects: int = Field(description="subject digests deleted")


def forget(
    settings: Any,
    session_id: str | None = None,
    phone: str | None = None,
    sessions: SessionStore | None = None,
    audit: AuditStore | None = None,
) -> Forgotten:
    """Delete every session named by ``session_id``, or every session that mentioned the phone number ``phone``,
    from the session store (SQLite or Redis, as configured) and the audit store (SQLite or PostgreSQL, as
    configured: records, feedback, digests).
    ``session_id`` is the id as stored and audited; an IVR call's is ``ivr:<key fingerprint>:<call_id>``
    (:func:`assistant.answer.sessions.call_session_id`).

    A phone number is found through the keyed digests recorded when its sessions were redacted, and, as plain
    digits, in anything stored before redaction covered it. ValueError when ``phone`` is not one phone number or
    neither argument is given.
    """
    if (session_id is None) == (phone is None):
        raise ValueError("give exactly one of a session id or a phone number")
    own_sessions, own_audit = sessions is None, audit is None
    sessions = sessions or make_store(settings)
    audit = audit or open_audit_log(settings)
    try:
        if session_id is not None:
            ids = {session_id}
        else:
            subject = phone_subject(phone or "")
            if subject is None:
                raise ValueError(f"--phone {phone!r} is not a phone number (a mobile or a landline with its area code)")
            ids = audit.sessions_mentioning(subject, literal=subject.value)
            ids |= set(sessions.ids_mentioning(subject.value))
        deleted = sum(sessions.delete(sid) for sid in sorted(ids))
        removed = audit.delete_sessions(sorted(ids))
    finally:
        if own_sessions and hasattr(sessions, "close"):
            sessions.close()
        if own_audit:
            audit.close()
    return Forgotten(
        sessions_matched=len(ids),
        sessions=deleted,
        audit_records=removed.audit_records,
        feedback=removed.feedback,
        subjects=removed.subjects,
    )
