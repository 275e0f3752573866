"""A bare FastAPI app with one POST /v1/ask-shaped endpoint that answers a constant JSON body.

bench/load.py serves it with uvicorn (one worker) and drives it exactly as it drives the real service, so
the real service's throughput can be read as a share of what FastAPI, uvicorn and the load client alone
allow on this machine. The endpoint mirrors the real one's framework work: the same request validation, a
sync handler (so it runs in the same thread pool) and a response model; it imports nothing of the
assistant, so the process never loads torch or the index.

    uvicorn --app-dir bench bare_app:app --host 127.0.0.1 --port 8001 --workers 1
"""

from __future__ import annotations

from typing import Literal

from fastapi import FastAPI
from pydantic import BaseModel, ConfigDict, Field


class AskRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    question: str = Field(min_length=1, max_length=500)
    session_id: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_-]{1,64}$")
    channel: Literal["agent", "widget", "ivr"] = "agent"


class Citation(BaseModel):
    clause_id: str
    title: str
    quote: str


class Answer(BaseModel):
    session_id: str | None = None
    intent: str
    answer: str
    citations: list[Citation] = []


# Roughly the size of a real lookup answer, so serialisation costs about the same.
ANSWER = Answer(
    intent="lookup",
    answer="根据协议第九条，云专线可申请暂停服务，暂停期间按协议约定计收费用。",
    citations=[Citation(clause_id="M-9", title="第九条", quote="甲方可申请暂停云专线服务，暂停期限不超过三个月。")],
)

app = FastAPI(title="bare benchmark endpoint")


@app.post("/v1/ask", response_model=Answer)
def ask(body: AskRequest) -> Answer:
    return ANSWER
