"""Readiness: whether this process can answer right now, checked the way an answer would use its parts."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Protocol

from pydantic import BaseModel

from assistant.corpus.knowledge import Knowledge
from assistant.errors import AssistantError
from assistant.retrieval import index as index_mod

log = logging.getLogger(__name__)


class Probeable(Protocol):
    """A store that can make one cheap write on demand (session stores, the audit log)."""

    def probe(self) -> None: ...


class Check(BaseModel):
    """One readiness check; ``error`` is a short code safe to show a client, the details go to the log."""

    name: str
    ok: bool
    error: str | None = None


class Health(BaseModel):
    """Every check that ran; ready only when all of them passed."""

    checks: list[Check]

    @property
    def ready(self) -> bool:
        return all(c.ok for c in self.checks)

    @property
    def failed(self) -> list[str]:
        return [c.name for c in self.checks if not c.ok]


def _probe(name: str, store: Probeable) -> Check:
    """Ask a store for one write; a refusal is logged with its details and reported by its code only."""
    try:
        store.probe()
    except AssistantError as e:
        log.warning("readiness: %s refuses writes: %s", name, e)
        return Check(name=name, ok=False, error=e.code)
    except Exception:
        log.exception("readiness: %s probe failed unexpectedly", name)
        return Check(name=name, ok=False, error="probe_failed")
    return Check(name=name, ok=True)


def _index(knowledge: Knowledge, model_id: str, index_dir: Path) -> Check:
    """The index on disk is the one this process serves, and every file matches its recorded sha256."""
    reason = index_mod.staleness(knowledge, model_id, index_dir)
    if reason:
        log.warning("readiness: index in %s: %s", index_dir, reason)
        return Check(name="index", ok=False, error="index_unavailable")
    return Check(name="index", ok=True)


def check_health(
    knowledge: Knowledge,
    model_id: str,
    index_dir: Path,
    sessions: Probeable,
    audit: Probeable | None,
) -> Health:
    """Probe the session store and the audit store with a write each, and verify the index files.

    Each check that fails is logged with its details (paths, hosts, the backend's error); the returned
    Health carries only the check names and error codes, so it can be shown to any client.
    """
    checks = [_probe("session_store", sessions)]
    if audit is not None:
        checks.append(_probe("audit_store", audit))
    checks.append(_index(knowledge, model_id, Path(index_dir)))
    return Health(checks=checks)
