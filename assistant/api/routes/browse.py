"""GET /v1/clause-search and GET /v1/suggestions: the console's clause browser and the widget's suggested questions."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, BeforeValidator, Field

from assistant.api.deps import AssistantDep
from assistant.api.schemas import ErrorOut, clean_text
from assistant.corpus.suggestions import load_suggestions
from assistant.retrieval.browse import search_clauses

router = APIRouter(tags=["clauses"])

ClauseId = Annotated[str, Field(pattern=r"^[A-Za-z0-9.-]{1,16}$")]
Asked = Annotated[str, Field(max_length=500)]


class ClauseMatchOut(BaseModel):
    id: str
    name: str = Field(description="the clause named in words: 主协议第二十三条")
    topic: str = Field(description="what the clause is about, from the corpus notes")
    score: float = Field(description="BM25 score of the clause for the query and its synonym terms")
    terms: list[str] = Field(description="which of the searched terms the clause holds")


class ClauseSearchOut(BaseModel):
    query: str = Field(description="the query as searched (folded: half-width, simplified, lower case)")
    terms: list[str] = Field(description="the query, then the contract's terms the synonym data gives for its words")
    clauses: list[ClauseMatchOut] = Field(description="every clause holding one of the terms, best first")


class SuggestionsOut(BaseModel):
    questions: list[str] = Field(description="questions to offer the customer, taken from the clause notes")


@router.get("/v1/clause-search", response_model=ClauseSearchOut, responses={422: {"model": ErrorOut}})
def clause_search(
    assistant: AssistantDep,
    q: Annotated[str, BeforeValidator(clean_text), Query(min_length=1, max_length=100, description="what to look for")],
) -> ClauseSearchOut:
    """Search the clauses by id, name, title, text and notes, through the synonym data: 退租 finds the clauses on
    terminating (终止, 解除)."""
    found = search_clauses(assistant.retriever, q)
    knowledge = assistant.knowledge
    return ClauseSearchOut(
        query=found.query,
        terms=list(found.terms),
        clauses=[
            ClauseMatchOut(
                id=m.clause_id,
                name=assistant.clause(m.clause_id).name,
                topic=knowledge.note(m.clause_id).topic,
                score=m.score,
                terms=list(m.terms),
            )
            for m in found.matches
        ],
    )


@router.get("/v1/suggestions", response_model=SuggestionsOut, responses={422: {"model": ErrorOut}})
def suggestions(
    assistant: AssistantDep,
    after: Annotated[list[ClauseId] | None, Query(max_length=5, description="ids of the cited clauses")] = None,
    asked: Annotated[list[Asked] | None, Query(max_length=20, description="questions not to offer again")] = None,
) -> SuggestionsOut:
    """Questions to offer: the opening ones when `after` is empty, else ones about the clauses just cited."""
    data = load_suggestions(Path(assistant.settings.corpus_dir))
    return SuggestionsOut(questions=data.after(after, asked or []) if after else data.opening())
