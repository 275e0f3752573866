"""Typed dependencies of the routes: what a route needs, declared in its signature.

    async def ask(body: AskRequest, assistant: AssistantDep, agent: AgentDep) -> Response: ...

Each is ``typing.Annotated[T, Depends(provider)]``; tests override a provider with
``app.dependency_overrides[provider] = …``. Providers are ``async def`` because none of them blocks: FastAPI
runs a plain ``def`` dependency in its thread pool, a thread hop per dependency per request.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Annotated

from fastapi import Depends, Header, Request
from pydantic import BaseModel

from assistant.answer.assistant import Assistant
from assistant.api.agents import Agent, AgentDirectory
from assistant.api.errors import Unauthorized
from assistant.audit import FeedbackStorage
from assistant.settings import Settings


class IvrClient(BaseModel):
    """The phone system calling the IVR API, known by a fingerprint of its API key (never the key itself)."""

    fingerprint: str


async def get_settings(request: Request) -> Settings:
    """The settings the app was created with."""
    return request.app.state.settings


async def get_assistant(request: Request) -> Assistant:
    """The app's Assistant (loaded at start-up)."""
    return request.app.state.assistant


async def get_feedback(request: Request) -> FeedbackStorage:
    """Where agents' ratings of answers are stored."""
    return request.app.state.feedback


async def get_directory(request: Request) -> AgentDirectory:
    """The configured agents, for signing in."""
    return request.app.state.agents


async def current_agent(request: Request) -> Agent | None:
    """The agent signed in on this request (session cookie or trusted SSO header), or None."""
    return getattr(request.state, "agent_identity", None)


async def ivr_client(request: Request, x_api_key: Annotated[str | None, Header()] = None) -> IvrClient:
    """The IVR caller whose X-API-Key is one of Settings.api_keys; Unauthorized otherwise."""
    # Compared as bytes: a key with non-ASCII characters is simply not one of ours (401), never an error.
    given = (x_api_key or "").encode("utf-8", "surrogateescape")
    keys = [k.encode("utf-8") for k in request.app.state.settings.api_keys]
    if not given or not any(hmac.compare_digest(given, k) for k in keys):
        raise Unauthorized("a valid X-API-Key header is required for IVR calls")
    return IvrClient(fingerprint=hashlib.sha256(given).hexdigest()[:16])


SettingsDep = Annotated[Settings, Depends(get_settings)]
AssistantDep = Annotated[Assistant, Depends(get_assistant)]
FeedbackDep = Annotated[FeedbackStorage, Depends(get_feedback)]
DirectoryDep = Annotated[AgentDirectory, Depends(get_directory)]
AgentDep = Annotated[Agent | None, Depends(current_agent)]
IvrKeyDep = Annotated[IvrClient, Depends(ivr_client)]


def require_agent(agent: Agent | None, settings: Settings) -> str | None:
    """The signed-in agent's id; Unauthorized when agents must sign in and nobody has (None when they need not)."""
    if agent is None and settings.agent_sign_in:
        raise Unauthorized("请先登录坐席工作台 (sign in as an agent to use the agent channel)")
    return agent.id if agent else None


__all__ = [
    "AgentDep",
    "AssistantDep",
    "DirectoryDep",
    "FeedbackDep",
    "IvrClient",
    "IvrKeyDep",
    "SettingsDep",
    "current_agent",
    "get_assistant",
    "get_directory",
    "get_feedback",
    "get_settings",
    "ivr_client",
    "require_agent",
]
