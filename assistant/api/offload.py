"""Where an answer is computed: on the event loop when it is cheap, in the thread pool when it needs the model."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import anyio.to_thread
import numpy as np
from fastapi import Response
from pydantic import BaseModel

from assistant.answer.assistant import Assistant
from assistant.retrieval.search import ModelNeeded, model_free

T = TypeVar("T")

# A question encodes once, a follow-up twice (read with the question before, and alone), a long e-mail three times
# (its asking sentences searched alone and compared with the vague examples as worded); each encode costs a round,
# and the answer one more. Beyond that the answer falls back to the thread pool rather than loop.
MAX_ENCODES = 4


async def run_answer(assistant: Assistant, call: Callable[[], T]) -> T:
    """call() on the event loop when it needs no model encode or once its encode is done, else in the thread pool.

    Most calculations cost a couple of milliseconds of Python and no model: answered inline they skip the
    thread hop and the GIL contention between pool threads (bench/load.py: about a third less server CPU per
    calculation). An answer that needs the model stops at the encode, before anything is stored (see
    Assistant.ask). With batching on, its text is encoded on the batcher's thread together with the other
    requests' queries while the loop serves them, and the answer is asked again with the vector in hand;
    with batching off, it runs again from the start in the pool, where the encode does not hold up the loop.
    With a networked session store (Redis) every answer goes to the pool: a slow network must not stall the
    loop (its encode still joins the batch).
    """
    with assistant.expecting_encode():
        if assistant.stores_are_local:
            vectors: dict[str, np.ndarray] = {}
            for _ in range(MAX_ENCODES if assistant.batches_encodes else 1):
                try:
                    with model_free(vectors):
                        return call()
                except ModelNeeded as need:
                    if not assistant.batches_encodes:
                        break
                    vectors[need.text] = await assistant.encode_query(need.text)
        return await anyio.to_thread.run_sync(call)


def json_response(model: BaseModel, status_code: int = 200) -> Response:
    """The model serialised once, by pydantic.

    Returned as a Response, FastAPI neither validates it against the response model again nor serialises it
    twice; the route's response_model still documents it.
    """
    return Response(model.model_dump_json(), status_code=status_code, media_type="application/json")
