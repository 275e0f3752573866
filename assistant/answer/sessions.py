"""Conversation state kept between turns, behind one small store interface."""

from __future__ import annotations

import threading
import time
import uuid
from typing import Any, Protocol

from pydantic import BaseModel, Field


class SessionState(BaseModel):
    """What a follow-up needs: the last calculation, a pending clarification, the last clauses."""

    session_id: str
    pending: dict[str, Any] | None = None  # a CalcPlan still missing inputs, as JSON
    last_calc: dict[str, Any] | None = None  # the last completed CalcPlan, as JSON
    last_clauses: list[str] = Field(default_factory=list)
    turns: int = 0
    updated_at: float = Field(default_factory=time.time)


class SessionStore(Protocol):
    def get(self, session_id: str) -> SessionState | None: ...

    def put(self, state: SessionState) -> None: ...


class MemorySessionStore:
    """Sessions in this process's memory, expiring after ttl seconds of inactivity."""

    def __init__(self, ttl: float = 3600.0, max_sessions: int = 10000):
        self.ttl = ttl
        self.max_sessions = max_sessions
        self._data: dict[str, SessionState] = {}
        self._lock = threading.Lock()

    def get(self, session_id: str) -> SessionState | None:
        with self._lock:
            s = self._data.get(session_id)
            if s and time.time() - s.updated_at > self.ttl:
                del self._data[session_id]
                return None
            return s.model_copy(deep=True) if s else None

    def put(self, state: SessionState) -> None:
        state.updated_at = time.time()
        with self._lock:
            self._data[state.session_id] = state.model_copy(deep=True)
            if len(self._data) > self.max_sessions:
                oldest = min(self._data.values(), key=lambda s: s.updated_at)
                del self._data[oldest.session_id]


def new_session_id() -> str:
    return uuid.uuid4().hex
