"""GET /v1/meta: what the console and the widget show without copying it (hotlines, limits, clause names)."""

from __future__ import annotations

from fastapi import APIRouter

from assistant.api.deps import AssistantDep
from assistant.models import Meta

router = APIRouter(tags=["meta"])


@router.get("/v1/meta", response_model=Meta)
def meta(assistant: AssistantDep) -> Meta:
    """The hotlines, the longest question accepted, every clause's name and topic, and the hand-off to a person."""
    return assistant.meta()
