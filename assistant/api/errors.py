"""Errors translated to HTTP at the edge: a status for every domain error class, and the API's error body.

The core raises :class:`~assistant.errors.AssistantError` subclasses and knows nothing of HTTP; the few errors
that only exist at the edge (credentials) are :class:`EdgeError` subclasses defined here. :data:`STATUS` gives
each class its status; a subclass takes its nearest listed ancestor's.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from assistant.answer.assistant import QuestionError
from assistant.answer.sessions import SessionStoreUnavailable
from assistant.audit import AuditStoreUnavailable
from assistant.calc.holidays import HolidayDataError
from assistant.errors import (
    AssistantError,
    CalcInputError,
    CalculatorNotFound,
    ClauseNotFound,
    IndexUnavailable,
    InputNeeded,
    ModelUnavailable,
)

log = logging.getLogger("assistant.api")


class EdgeError(Exception):
    """An error of the HTTP edge itself (who is calling), not of the domain."""

    code = "edge_error"


class Unauthorized(EdgeError):
    """A request without valid credentials."""

    code = "unauthorized"


class SignInUnavailable(EdgeError):
    """Agent keys are not configured, so there is nothing to sign in with."""

    code = "sign_in_unavailable"


STATUS: dict[type[Exception], int] = {
    ClauseNotFound: 404,
    CalculatorNotFound: 404,
    CalcInputError: 422,
    InputNeeded: 422,
    QuestionError: 422,
    IndexUnavailable: 503,
    ModelUnavailable: 503,
    SessionStoreUnavailable: 503,
    AuditStoreUnavailable: 503,
    # Raised while loading the schedules at start-up; should one surface in a request, the service is misconfigured.
    HolidayDataError: 503,
    Unauthorized: 401,
    SignInUnavailable: 404,
}


# What a client is told when a backend is down; the error's own message (with paths and hosts) is only logged.
UNAVAILABLE = {
    "index_unavailable": "检索索引暂时不可用，请稍后再试",
    "session_store_unavailable": "会话存储暂时不可用，请稍后再试",
    "audit_store_unavailable": "审计存储暂时不可用，请稍后再试",
    "model_unavailable": "语义模型暂时不可用，请稍后再试",
    "holiday_data_invalid": "节假日数据暂时不可用，请稍后再试",
}
UNAVAILABLE_DEFAULT = "服务暂时不可用，请稍后再试"


def status_of(error: Exception) -> int | None:
    """The HTTP status of an error: its class's, or its nearest listed ancestor's; None when none is listed."""
    return next((STATUS[cls] for cls in type(error).__mro__ if cls in STATUS), None)


def error_response(status: int, code: str, message: str, **extra: Any) -> JSONResponse:
    """The API's error body, ``{"error": {"code", "message", …}}``, with a status."""
    return JSONResponse({"error": {"code": code, "message": message, **extra}}, status_code=status)


def _field_path(loc: tuple) -> str:
    return ".".join(str(p) for p in loc if p not in ("body", "query", "path"))


def install_error_handlers(app: FastAPI) -> None:
    """Translate domain and edge errors, invalid requests and anything unexpected into the API's error body."""

    @app.exception_handler(AssistantError)
    @app.exception_handler(EdgeError)
    async def _known(_: Request, e: Exception):
        status = status_of(e)
        code = getattr(e, "code", "error")
        if status is None:
            # A new error class nobody gave a status: a client error, and a bug to fix (tests list every class).
            log.error("no HTTP status for %s", type(e).__name__)
            status = 400
        if status >= 500:
            # The message names files and hosts: it goes to the log, the client gets a generic one.
            log.warning("%s: %s", code, e)
            return error_response(status, code, UNAVAILABLE.get(code, UNAVAILABLE_DEFAULT))
        extra: dict[str, Any] = {}
        if isinstance(e, (ClauseNotFound, CalculatorNotFound)):
            extra["valid"] = e.valid
        if isinstance(e, CalcInputError):
            extra["field"] = e.field
        return error_response(status, code, str(e), **extra)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, e: RequestValidationError):
        msgs = [f"{_field_path(tuple(err.get('loc', ())))}: {err.get('msg')}" for err in e.errors()]
        return error_response(422, "invalid_request", "; ".join(msgs) or "invalid request")

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, e: StarletteHTTPException):
        if e.status_code == 400:
            # Starlette's only 400 is a body it cannot decode (not UTF-8): an invalid request like any other.
            return error_response(422, "invalid_request", "request body must be UTF-8 encoded JSON")
        return error_response(e.status_code, "http_error", str(e.detail))

    @app.exception_handler(Exception)
    async def _crash(_: Request, e: Exception):
        log.exception("unhandled error")
        return error_response(500, "internal_error", "内部错误，请稍后再试")


__all__ = [
    "STATUS",
    "UNAVAILABLE",
    "UNAVAILABLE_DEFAULT",
    "EdgeError",
    "SignInUnavailable",
    "Unauthorized",
    "error_response",
    "install_error_handlers",
    "status_of",
]
