"""The agents' sign-in: /v1/agents/sign-in, /v1/agents/sign-out and /v1/agents/me (see assistant.api.agents)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from assistant.api.deps import AgentDep, DirectoryDep, SettingsDep
from assistant.api.schemas import AgentOut, ErrorOut, SignInRequest
from assistant.settings import Settings

router = APIRouter(tags=["agents"])


def _method(settings: Settings) -> str:
    """How this deployment signs agents in."""
    return "key" if settings.agent_keys else "sso" if settings.agent_header else "none"


@router.get("/v1/agents/me", response_model=AgentOut)
def me(agent: AgentDep, settings: SettingsDep) -> AgentOut:
    """Who is signed in here, and whether the console needs someone to be."""
    return AgentOut(agent=agent.id if agent else None, sign_in=_method(settings))


@router.post(
    "/v1/agents/sign-in",
    response_model=AgentOut,
    responses={
        401: {"model": ErrorOut, "description": "not an agent's key"},
        404: {"model": ErrorOut, "description": "agent keys are not configured"},
        422: {"model": ErrorOut},
    },
)
def sign_in(body: SignInRequest, request: Request, directory: DirectoryDep, settings: SettingsDep) -> AgentOut:
    """Sign in with an agent key: sets the HttpOnly, SameSite=Strict session cookie that the console then sends."""
    agent = directory.sign_in(body.key)
    request.session.clear()
    request.session.update(directory.cookie_payload(agent))
    return AgentOut(agent=agent.id, sign_in=_method(settings))


@router.post("/v1/agents/sign-out", status_code=204)
def sign_out(request: Request) -> Response:
    """Forget the sign-in on this browser (the cookie is cleared); harmless when nobody is signed in."""
    if "session" in request.scope:
        request.session.clear()
    return Response(status_code=204)
