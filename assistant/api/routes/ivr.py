"""POST /v1/ivr/turn: one turn of a phone call, for the phone system holding an API key."""

from __future__ import annotations

import time
from functools import partial

from fastapi import APIRouter, Response

from assistant.api.deps import AssistantDep, IvrKeyDep
from assistant.api.metrics import observe_answer
from assistant.api.offload import json_response, run_answer
from assistant.api.schemas import ErrorOut, IvrRequest
from assistant.channels.ivr_service import IvrReply, handle_turn
from assistant.models import Channel

router = APIRouter(tags=["ivr"])


@router.post("/v1/ivr/turn", response_model=IvrReply, responses={401: {"model": ErrorOut}, 422: {"model": ErrorOut}})
async def ivr_turn(body: IvrRequest, assistant: AssistantDep, client: IvrKeyDep) -> Response:
    """One caller turn; calls live under the API key that placed them (another key's `call_id` is another call)."""
    started = time.perf_counter()
    turn = partial(handle_turn, assistant, body.call_id, body.transcript, body.dtmf, owner=client.fingerprint)
    reply = await run_answer(assistant, turn)
    observe_answer(Channel.ivr, reply.intent, time.perf_counter() - started)
    return json_response(reply)
