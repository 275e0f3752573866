"""FastAPI application: thin routes over Assistant."""

from __future__ import annotations

import logging
import secrets
import time
import unicodedata
from collections.abc import Callable
from contextlib import asynccontextmanager
from functools import partial
from typing import Annotated, Any, TypeVar

import anyio.to_thread
from fastapi import FastAPI, Header, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from assistant import calc
from assistant.answer.assistant import MAX_QUESTION, Assistant
from assistant.answer.sessions import SessionStoreUnavailable
from assistant.api.guard import GuardConfig, install_guard
from assistant.api.metrics import install_metrics, observe_answer
from assistant.api.web import mount_web
from assistant.audit import AuditStoreUnavailable, Feedback, FeedbackStore, default_path
from assistant.channels.ivr_service import IvrReply, handle_turn
from assistant.errors import AssistantError, CalcInputError, CalculatorNotFound, ClauseNotFound, IndexUnavailable
from assistant.models import Answer, CalcResult, Channel, Clause
from assistant.retrieval.search import ModelNeeded, model_free
from assistant.settings import Settings

log = logging.getLogger("assistant.api")

STATUS = {
    ClauseNotFound: 404,
    CalculatorNotFound: 404,
    CalcInputError: 422,
    IndexUnavailable: 503,
    SessionStoreUnavailable: 503,
    AuditStoreUnavailable: 503,
}


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
    session_id: str | None = Field(default=None, pattern=SESSION_ID)
    channel: Channel = Channel.agent


class IvrRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    call_id: str = Field(pattern=SESSION_ID)
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


class ErrorBody(BaseModel):
    code: str
    message: str


class ErrorOut(BaseModel):
    error: ErrorBody


class Unauthorized(Exception):
    """A request without valid credentials; an HTTP-edge concern, so it lives here."""


def _error(status: int, code: str, message: str, **extra: Any) -> JSONResponse:
    body: dict[str, Any] = {"code": code, "message": message, **extra}
    return JSONResponse({"error": body}, status_code=status)


def _json(model: BaseModel, status_code: int = 200) -> Response:
    """The model serialised once, by pydantic.

    Returned as a Response, FastAPI neither validates it against the response model again nor serialises it
    twice; the route's response_model still documents it.
    """
    return Response(model.model_dump_json(), status_code=status_code, media_type="application/json")


T = TypeVar("T")


async def _answer(assistant: Assistant, call: Callable[[], T]) -> T:
    """call() on the event loop when it needs no model encode, otherwise in the thread pool.

    Most calculations cost a couple of milliseconds of Python and no model: answered inline they skip the
    thread hop and the GIL contention between pool threads (bench/load.py: about a third less server CPU per
    calculation). An answer that needs the model stops at the encode, before anything is stored (see
    Assistant.ask), and runs again from the start in the pool, where the encode does not hold up the loop.
    With a networked session store (Redis) every answer goes to the pool: a slow network must not stall the loop.
    """
    if assistant.stores_are_local:
        try:
            with model_free():
                return call()
        except ModelNeeded:
            pass
    return await anyio.to_thread.run_sync(call)


def _field_path(loc: tuple) -> str:
    return ".".join(str(p) for p in loc if p not in ("body", "query", "path"))


def create_app(settings: Settings | None = None, assistant: Assistant | None = None) -> FastAPI:
    """The service; loads the Assistant at start-up unless one is given (tests pass one built on a fake embedder)."""
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        if getattr(app.state, "assistant", None) is None:
            # A worker only loads: `assistant serve` has made the index ready before starting workers.
            app.state.assistant = Assistant.from_settings(settings, rebuild=False)
        # Sync routes run in anyio's thread pool; its size is per event loop, so it is set here.
        anyio.to_thread.current_default_thread_limiter().total_tokens = settings.worker_threads
        yield

    app = FastAPI(
        title="云专线协议助手 API",
        version="1.0",
        description="Cited answers and traced calculations over the 云专线产品入网协议 and its annexes.",
        lifespan=lifespan,
        # The guard answers these on any operation, before the route runs.
        responses={
            413: {"model": ErrorOut, "description": "request body over the size limit"},
            429: {"model": ErrorOut, "description": "too many requests; see Retry-After"},
        },
    )
    app.state.assistant = assistant
    app.state.feedback = FeedbackStore(default_path(settings))
    errors = {422: {"model": ErrorOut}}

    @app.exception_handler(AssistantError)
    async def _domain(_: Request, e: AssistantError):
        status = next((s for t, s in STATUS.items() if isinstance(e, t)), 400)
        extra: dict[str, Any] = {}
        if isinstance(e, (ClauseNotFound, CalculatorNotFound)):
            extra["valid"] = e.valid
        if isinstance(e, CalcInputError):
            extra["field"] = e.field
        return _error(status, e.code, str(e), **extra)

    @app.exception_handler(Unauthorized)
    async def _unauthorized(_: Request, e: Unauthorized):
        return _error(401, "unauthorized", str(e))

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, e: RequestValidationError):
        msgs = [f"{_field_path(tuple(err.get('loc', ())))}: {err.get('msg')}" for err in e.errors()]
        return _error(422, "invalid_request", "; ".join(msgs) or "invalid request")

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, e: StarletteHTTPException):
        if e.status_code == 400:
            # Starlette's only 400 is a body it cannot decode (not UTF-8): an invalid request like any other.
            return _error(422, "invalid_request", "request body must be UTF-8 encoded JSON")
        return _error(e.status_code, "http_error", str(e.detail))

    @app.exception_handler(Exception)
    async def _crash(_: Request, e: Exception):
        log.exception("unhandled error")
        return _error(500, "internal_error", "内部错误，请稍后再试")

    def _assistant(request: Request) -> Assistant:
        return request.app.state.assistant

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        """Alive: the process answers."""
        return {"status": "ok"}

    @app.get("/readyz", responses={503: {"model": ErrorOut}})
    def readyz(request: Request):
        """Ready: the model and the index are loaded."""
        a = getattr(request.app.state, "assistant", None)
        if a is None:
            return _error(503, "not_ready", "model and index are still loading")
        m = a.retriever.artefacts.manifest
        return {"status": "ready", "model_id": m.model_id, "corpus_sha256": m.corpus_sha256, "clauses": m.clauses}

    @app.post("/v1/ask", response_model=Answer, responses=errors)
    async def ask(body: AskRequest, request: Request) -> Response:
        started = time.perf_counter()
        a = _assistant(request)
        answer = await _answer(a, partial(a.ask, body.question, session=body.session_id, channel=body.channel))
        observe_answer(body.channel, answer.intent, time.perf_counter() - started)
        return _json(answer)

    @app.post("/v1/feedback", response_model=FeedbackOut, status_code=201, responses=errors)
    def feedback(body: FeedbackRequest, request: Request) -> FeedbackOut:
        store = request.app.state.feedback
        fid = store.add(Feedback(session_id=body.session_id, turn=body.turn, helpful=body.helpful, comment=body.comment))
        return FeedbackOut(id=fid)

    @app.post("/v1/ivr/turn", response_model=IvrReply, responses={401: {"model": ErrorOut}, **errors})
    async def ivr_turn(body: IvrRequest, request: Request, x_api_key: str | None = Header(default=None)) -> Response:
        # Compared as bytes: a key with non-ASCII characters is simply not one of ours (401), never an error.
        given = (x_api_key or "").encode("utf-8", "surrogateescape")
        if not given or not any(secrets.compare_digest(given, k.encode("utf-8")) for k in settings.api_keys):
            raise Unauthorized("a valid X-API-Key header is required for IVR calls")
        started = time.perf_counter()
        a = _assistant(request)
        reply = await _answer(a, partial(handle_turn, a, body.call_id, body.transcript, body.dtmf))
        observe_answer(Channel.ivr, reply.intent, time.perf_counter() - started)
        return _json(reply)

    @app.get("/v1/clauses", response_model=list[ClauseOut])
    def clauses(request: Request) -> list[ClauseOut]:
        return [ClauseOut.of(c) for c in _assistant(request).corpus.clauses]

    @app.get("/v1/clauses/{clause_id}", response_model=ClauseOut, responses={404: {"model": ErrorOut}})
    def clause(clause_id: str, request: Request) -> ClauseOut:
        return ClauseOut.of(_assistant(request).clause(clause_id))

    @app.get("/v1/calculators")
    def calculators() -> list[dict[str, Any]]:
        return calc.catalogue()

    @app.post("/v1/calculators/{name}", response_model=CalcResult, responses={404: {"model": ErrorOut}, **errors})
    def run_calculator(name: str, inputs: dict[str, Any]) -> CalcResult:
        return calc.run(name, inputs)

    mount_web(app, settings.allowed_origins)
    install_guard(
        app,
        GuardConfig(
            max_body_bytes=settings.max_body_bytes,
            rate_per_minute_ip=settings.rate_per_minute_ip,
            rate_per_minute_key=settings.rate_per_minute_key,
            rate_per_minute_agent=settings.rate_per_minute_agent,
            rate_per_minute_session=settings.rate_per_minute_session,
            storage_url=settings.redis_url,
            allowed_origins=settings.allowed_origins,
            api_keys=settings.api_keys,
        ),
    )
    install_metrics(app)  # last, so it times and counts everything installed before it
    return app
