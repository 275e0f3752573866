"""POST /v1/feedback: an agent's rating of one answer."""

from __future__ import annotations

from fastapi import APIRouter

from assistant.api.deps import AgentDep, FeedbackDep
from assistant.api.schemas import ErrorOut, FeedbackOut, FeedbackRequest
from assistant.audit import Feedback

router = APIRouter(tags=["feedback"])


@router.post("/v1/feedback", response_model=FeedbackOut, status_code=201, responses={422: {"model": ErrorOut}})
def feedback(body: FeedbackRequest, store: FeedbackDep, agent: AgentDep) -> FeedbackOut:
    """Rate turn `turn` of a session helpful or not; the signed-in agent, if any, is recorded with it."""
    fb = Feedback(
        session_id=body.session_id, turn=body.turn, helpful=body.helpful, comment=body.comment, agent=agent.id if agent else None
    )
    return FeedbackOut(id=store.add(fb))
