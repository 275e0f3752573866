"""The HTTP API's own request and response bodies (the shared vocabulary, Answer and the rest, is in models.py)."""

from __future__ import annotations

import unicodedata
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from assistant.answer.assistant import MAX_QUESTION
from assistant.models import Channel, Clause

SESSION_ID = r"^[A-Za-z0-9_-]{1,64}$"


def clean_text(v: object) -> object:
    """NFKC-fold, drop control characters and trim, before the length checks run."""
    if isinstance(v, str):
        v = unicodedata.normalize("NFKC", v)
        v = "".join(ch for ch in v if ch in "\n\t" or unicodedata.category(ch) not in ("Cc", "Cf", "Cs", "Co"))
        return v.strip()
    return v


class AskRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    question: Annotated[str, BeforeValidator(clean_text)] = Field(min_length=1, max_length=MAX_QUESTION)
    session_id: str | None = Field(
        default=None,
        pattern=SESSION_ID,
        description="the session_id of an earlier answer, to continue that conversation; any other id starts a new one",
    )
    channel: Channel = Channel.agent


class IvrRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    call_id: str = Field(pattern=SESSION_ID, description="the phone system's id of the call, unique per API key")
    transcript: Annotated[str, BeforeValidator(clean_text)] = Field(default="", max_length=MAX_QUESTION)
    dtmf: str | None = Field(default=None, pattern=r"^[0-9*#]{1,8}$")


class FeedbackRequest(BaseModel):
    """A helpful / not-helpful mark on one turn of a session (the time is the server's, never the client's)."""

    model_config = ConfigDict(extra="forbid")

    session_id: str = Field(pattern=SESSION_ID)
    turn: int = Field(ge=1, le=100000)
    helpful: bool
    comment: Annotated[str | None, BeforeValidator(clean_text)] = Field(default=None, max_length=500)


class FeedbackOut(BaseModel):
    id: int
    status: str = "stored"


class ClauseOut(BaseModel):
    id: str
    name: str
    title: str
    heading_path: list[str]
    text: str
    start: int
    end: int

    @classmethod
    def of(cls, c: Clause) -> ClauseOut:
        return cls(id=c.id, name=c.name, title=c.title, heading_path=c.heading_path, text=c.text, start=c.start, end=c.end)


class SignInRequest(BaseModel):
    """An agent's key, as configured in ASSISTANT_AGENT_KEYS."""

    model_config = ConfigDict(extra="forbid")

    key: str = Field(min_length=1, max_length=256)


class AgentOut(BaseModel):
    """Who is signed in on this browser, and how the console signs agents in."""

    agent: str | None = Field(description="the signed-in agent's id, or null")
    sign_in: Literal["none", "key", "sso"] = Field(
        description="none: the console is open to all (no agents configured); key: sign in with an agent key; "
        "sso: the company's single sign-on proxy names the agent"
    )


class ErrorBody(BaseModel):
    code: str
    message: str


class ErrorOut(BaseModel):
    error: ErrorBody


__all__ = [
    "SESSION_ID",
    "AgentOut",
    "AskRequest",
    "ClauseOut",
    "ErrorBody",
    "ErrorOut",
    "FeedbackOut",
    "FeedbackRequest",
    "IvrRequest",
    "SignInRequest",
    "clean_text",
]
