"""Probes: alive, and ready to answer."""

from __future__ import annotations

from fastapi import APIRouter, Request

from assistant.api.errors import error_response
from assistant.api.schemas import ErrorOut

router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz() -> dict[str, str]:
    """Alive: the process answers."""
    return {"status": "ok"}


@router.get("/readyz", responses={503: {"model": ErrorOut}})
def readyz(request: Request):
    """Ready: model and index loaded, both stores accept a write, the index files match their checksums."""
    a = getattr(request.app.state, "assistant", None)
    if a is None:
        return error_response(503, "not_ready", "model and index are still loading")
    health = a.health()
    checks = [c.model_dump() for c in health.checks]
    if not health.ready:
        return error_response(503, "not_ready", f"not ready: {', '.join(health.failed)} failed", checks=checks)
    m = a.retriever.artefacts.manifest
    return {
        "status": "ready", "model_id": m.model_id, "corpus_sha256": m.corpus_sha256, "clauses": m.clauses,
        "checks": checks,
    }
