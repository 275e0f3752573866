"""POST /v1/ask: a question in, a cited answer out, in a conversation that belongs to the asker."""

from __future__ import annotations

import time
from functools import partial

from fastapi import APIRouter, Response

from assistant.api.deps import AgentDep, AssistantDep, SettingsDep, require_agent
from assistant.api.metrics import observe_answer
from assistant.api.offload import json_response, run_answer
from assistant.api.schemas import AskRequest, ErrorOut
from assistant.channels import render_answer
from assistant.models import Answer, Channel

router = APIRouter(tags=["ask"])


@router.post(
    "/v1/ask",
    response_model=Answer,
    responses={401: {"model": ErrorOut, "description": "the agent channel needs a signed-in agent"}, 422: {"model": ErrorOut}},
)
async def ask(body: AskRequest, assistant: AssistantDep, settings: SettingsDep, agent: AgentDep) -> Response:
    """Answer a question. Send the `session_id` of an earlier answer to continue that conversation; an id the
    server did not issue to this channel and client starts a new conversation (`session_started`). The answer is
    worded for the channel: agents read the contract's wording, widget customers plain words."""
    agent_id = require_agent(agent, settings) if body.channel is Channel.agent else agent.id if agent else None
    started = time.perf_counter()
    answer = await run_answer(
        assistant, partial(assistant.ask, body.question, session=body.session_id, channel=body.channel, agent=agent_id)
    )
    observe_answer(body.channel, answer.intent, time.perf_counter() - started)
    return json_response(render_answer(answer, body.channel, assistant.hotlines))
