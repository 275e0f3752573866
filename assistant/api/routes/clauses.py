"""GET /v1/clauses and /v1/clauses/{clause_id}: the contract's clauses."""

from __future__ import annotations

from fastapi import APIRouter

from assistant.api.deps import AssistantDep
from assistant.api.schemas import ClauseOut, ErrorOut

router = APIRouter(tags=["clauses"])


@router.get("/v1/clauses", response_model=list[ClauseOut])
def clauses(assistant: AssistantDep) -> list[ClauseOut]:
    return [ClauseOut.of(c) for c in assistant.corpus.clauses]


@router.get("/v1/clauses/{clause_id}", response_model=ClauseOut, responses={404: {"model": ErrorOut}})
def clause(clause_id: str, assistant: AssistantDep) -> ClauseOut:
    return ClauseOut.of(assistant.clause(clause_id))
