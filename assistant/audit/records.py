"""What the audit file keeps: one record per answer and agents' feedback, both redacted when built."""

from __future__ import annotations

import time
from typing import Any, ClassVar

from pydantic import BaseModel, Field, PrivateAttr, field_validator, model_validator
from pydantic_core import to_jsonable_python

from assistant.audit.redaction import Subject, scan_values
from assistant.errors import AssistantError
from assistant.models import Channel, Intent


class AuditStoreUnavailable(AssistantError, RuntimeError):
    """The audit database cannot be read or written right now (locked past the timeout, unreadable file)."""

    code = "audit_store_unavailable"


class _Redacted(BaseModel):
    """A model whose text fields (``scanned_fields``) are redacted when it is built from values, so an unredacted
    one cannot exist; the identifiers they held stay in memory only.

    ``subjects`` lists what was found before redaction (a phone number, an ID number), so a store can record a
    keyed digest of each; it is never serialised. A model parsed from JSON (read back from a store) was redacted
    when it was written and is taken as it is.
    """

    scanned_fields: ClassVar[tuple[str, ...]] = ()
    _subjects: tuple[Subject, ...] = PrivateAttr(default=())

    @model_validator(mode="wrap")
    @classmethod
    def _redact(cls, data: Any, handler: Any) -> Any:
        # Validated first, so limits (a comment's 500 characters) apply to what was sent, not to the placeholders.
        obj = handler(data)
        found: list[Subject] = []
        if isinstance(data, dict):
            for f in cls.scanned_fields:
                value = getattr(obj, f)
                if value is not None:
                    # The JSON form, so dates and amounts inside are the strings that get stored.
                    obj.__dict__[f], subjects = scan_values(to_jsonable_python(value))
                    found.extend(subjects)
        obj._subjects = tuple(dict.fromkeys(found))
        return obj

    @property
    def subjects(self) -> tuple[Subject, ...]:
        """The identifiers the unredacted text held (empty for an object read back from a store)."""
        return self._subjects

    def __eq__(self, other: object) -> bool:
        # What was found is transient evidence, not part of the value: a record equals its stored copy.
        return type(self) is type(other) and self.__dict__ == other.__dict__


class AuditRecord(_Redacted):
    """What the service answered to one question, kept without the customer's personal data.

    ``question`` and the string values of ``calc_inputs`` are redacted when the record is built, so an
    unredacted record cannot exist; ``calc_inputs`` is stored in its JSON form (dates as ``YYYY-MM-DD``).
    ``turn`` is the session's turn number (1 for the first answer), which feedback refers to.
    """

    scanned_fields = ("question", "calc_inputs")

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


class Feedback(_Redacted):
    """An agent's or customer's verdict on one answer: turn ``turn`` of session ``session_id``.

    ``comment`` (at most 500 characters) is redacted when the object is built; a blank one becomes None.
    """

    scanned_fields = ("comment",)

    session_id: str = Field(pattern=r"^[A-Za-z0-9_-]{1,64}$")
    turn: int = Field(ge=1, description="which answer of the session is rated, 1 for the first")
    helpful: bool
    comment: str | None = Field(default=None, max_length=500)
    time: float = Field(default_factory=time.time)
    agent: str | None = Field(default=None, description="the signed-in agent who gave it, if any")

    @field_validator("comment")
    @classmethod
    def _blank_is_none(cls, v: str | None) -> str | None:
        return (v or "").strip() or None
