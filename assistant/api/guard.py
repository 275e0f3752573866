"""Edge protection for the API: request body limit, request budgets, security headers.

Pure ASGI middleware (no BaseHTTPMiddleware), so streamed requests and responses pass through untouched.
`install_guard(app, GuardConfig(...))` adds two layers:

* `SecurityHeadersMiddleware`, outermost, so every response the app or its middleware produces carries
  `X-Content-Type-Options`, `Referrer-Policy` and a `Content-Security-Policy` with `frame-ancestors`;
* `LimitMiddleware`, innermost, just outside the router, so its 413 and 429 answers still pass through
  mount_web's CORS middleware (a widget on an allowed origin can read them) and are counted by the metrics.

Budgets are counted by the `limits` library: in this process's memory, or in Redis when `storage_url` is set, so
that every worker of every instance spends from one budget per caller.
"""

from __future__ import annotations

import hashlib
import logging
import math
import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from fastapi import FastAPI
from limits import RateLimitItem, RateLimitItemPerMinute
from limits.aio.storage import RedisStorage
from limits.aio.strategies import MovingWindowRateLimiter as AsyncMovingWindow
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter
from pydantic import BaseModel, Field, field_validator
from starlette.datastructures import Headers, MutableHeaders
from starlette.middleware import Middleware
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("assistant.api.guard")

# Probes, the scraper and the static front end; a browser loading the console fetches several of these at once.
EXEMPT_PATHS = frozenset({"/healthz", "/readyz", "/metrics", "/", "/widget.js", "/widget-demo"})
EXEMPT_PREFIXES = ("/static/",)

# An origin as it may appear in a CSP source list; anything else could smuggle in extra directives.
_ORIGIN = re.compile(r"^https?://[A-Za-z0-9.\-\[\]:]+$")
# Redis URLs as Settings.redis_url takes them, and the async schemes `limits` names them by.
_REDIS_SCHEMES = {"redis://": "async+redis://", "rediss://": "async+rediss://", "unix://": "async+redis+unix://"}
REDIS_TIMEOUT = 1.0  # seconds


class GuardConfig(BaseModel):
    """Limits and header policy for `install_guard`; the lead fills it from Settings."""

    max_body_bytes: int = Field(default=16384, gt=0)
    # Requests per minute for each kind of caller (see `budget_for`).
    rate_per_minute_ip: int = Field(default=120, gt=0)
    rate_per_minute_key: int = Field(default=600, gt=0)
    rate_per_minute_agent: int = Field(default=300, gt=0)
    rate_per_minute_session: int = Field(default=60, gt=0)
    # Where budgets are counted: empty for this process's memory, else a Redis URL shared by every worker.
    storage_url: str = ""
    # Origins allowed to frame our pages (besides 'self'); normally Settings.allowed_origins.
    allowed_origins: list[str] = []
    # Keys that earn the per-key budget (normally Settings.api_keys). An X-API-Key not listed here is charged
    # to the client address instead, so inventing keys cannot mint fresh budgets.
    api_keys: list[str] = []

    @field_validator("allowed_origins")
    @classmethod
    def _origins(cls, v: list[str]) -> list[str]:
        """Normalise to scheme://host[:port] and refuse anything that is not one."""
        out = [o.strip().rstrip("/") for o in v if o and o.strip()]
        bad = [o for o in out if not _ORIGIN.match(o)]
        if bad:
            raise ValueError(f"allowed_origins must be http(s) origins, got {bad}")
        return out

    @field_validator("storage_url")
    @classmethod
    def _storage(cls, v: str) -> str:
        """Empty, or a redis://, rediss:// or unix:// URL."""
        v = v.strip()
        if v and not v.startswith(tuple(_REDIS_SCHEMES)):
            raise ValueError("storage_url must be empty or a redis://, rediss:// or unix:// URL")
        return v

    def per_minute(self) -> dict[str, int]:
        """Each kind of budget and its requests per minute."""
        return {
            "agent": self.rate_per_minute_agent,
            "key": self.rate_per_minute_key,
            "session": self.rate_per_minute_session,
            "address": self.rate_per_minute_ip,
        }


# ---------------------------------------------------------------------------------------------------------------
# Whose budget a request spends


BudgetKind = Literal["agent", "key", "session", "address"]


@dataclass(frozen=True)
class Budget:
    """The caller a request is charged to: its kind and an id unique within that kind."""

    kind: BudgetKind
    id: str


def budget_for(scope: Scope, known_keys: frozenset[str] = frozenset()) -> Budget:
    """Whose budget a request spends: a signed-in agent, else a known API key, else a widget session, else the
    client address.

    Agent and session are read from the request state (`scope["state"]`, Starlette's `request.state`), where
    sign-in and session middleware running outside the guard put them: `agent` and `session` (an object with an
    `id`, or the id itself; in the service, assistant.api.agents.AgentIdentityMiddleware and
    assistant.api.widget_sessions.WidgetSessionMiddleware). Only server-verified identities may be put there; a
    client-chosen one would mint a fresh budget per request. `known_keys` are the `key_id`s of the configured API
    keys. Keys and session ids are bearer secrets, so their budgets are named by hashes (`key_id`). The address is
    `scope["client"]`, which the app's forwarded-header middleware (assistant.api.agents.ForwardedMiddleware)
    replaces by the forwarded client only on requests from Settings.trusted_proxies.
    """
    state = scope.get("state")
    state = state if isinstance(state, Mapping) else {}
    agent = _identity(state.get("agent"))
    if agent:
        return Budget("agent", agent)
    key = Headers(scope=scope).get("x-api-key")
    if key and key_id(key) in known_keys:
        return Budget("key", key_id(key))
    session = _identity(state.get("session"))
    if session:
        return Budget("session", key_id(session))
    return address_budget(scope)


def address_budget(scope: Scope) -> Budget:
    """The budget of the request's client address."""
    client = scope.get("client")
    return Budget("address", client[0] if client else "unknown")


def _identity(value: Any) -> str | None:
    """An id from whatever the state holds: a string, or an object with an `id` (absent or unusable: None)."""
    ident = value if isinstance(value, str) else getattr(value, "id", None)
    if isinstance(ident, (str, int)) and str(ident):
        return str(ident)[:128]
    return None


def key_id(key: str) -> str:
    """A stable budget name for a secret (an API key, a session token) from which the secret cannot be read back."""
    return hashlib.sha256(key.encode("utf-8", "surrogateescape")).hexdigest()


# ---------------------------------------------------------------------------------------------------------------
# Budgets


class _MemoryBudgetStorage(MemoryStorage):
    """limits' in-memory storage, dropping spent entries at most once a second.

    Its own clean-up runs on a timer thread 10 ms after a write, so after any pause of 10 ms the next request
    starts a thread (about a tenth of a millisecond, a tenth of a calculation's answer). The moving window
    counts entries by their time whatever is left in memory, so clearing them once a second only bounds the
    memory held.
    """

    EXPIRY_EVERY_S = 1.0

    def _MemoryStorage__schedule_expiry(self) -> None:
        # The name limits calls (its private, name-mangled one); tests/api/test_guard.py checks it still does.
        if not self.timer.is_alive():
            self.timer = threading.Timer(self.EXPIRY_EVERY_S, self._MemoryStorage__expire_events)
            self.timer.daemon = True
            self.timer.start()


class Budgets:
    """Requests per minute per caller, as a moving window: at most N requests in any 60 seconds.

    Counted in this process's memory, or in Redis (`storage_url`) so that every worker and every instance
    spends from one budget. The Redis client is asynchronous: a network round trip never stalls the event loop.
    """

    def __init__(self, per_minute: Mapping[str, int], storage_url: str = "") -> None:
        self.items: dict[str, RateLimitItem] = {kind: RateLimitItemPerMinute(n) for kind, n in per_minute.items()}
        self.shared = bool(storage_url)
        if storage_url:
            scheme = next(s for s in _REDIS_SCHEMES if storage_url.startswith(s))
            url = _REDIS_SCHEMES[scheme] + storage_url.removeprefix(scheme)
            # Short timeouts, as the session store's: a hung Redis must not hold every request up.
            storage = RedisStorage(
                url, implementation="redispy", key_prefix="assistant-budget", wrap_exceptions=True,
                socket_connect_timeout=REDIS_TIMEOUT, socket_timeout=REDIS_TIMEOUT,
            )
            self._async: AsyncMovingWindow | None = AsyncMovingWindow(storage)
        else:
            self._async = None
            self._local = MovingWindowRateLimiter(_MemoryBudgetStorage())

    async def spend(self, budget: Budget) -> float:
        """Charge one request: 0.0 when allowed, otherwise the seconds until the budget has room again."""
        item = self.items[budget.kind]
        ids = (budget.kind, budget.id)
        if self._async is not None:
            if await self._async.hit(item, *ids):
                return 0.0
            stats = await self._async.get_window_stats(item, *ids)
        else:
            if self._local.hit(item, *ids):
                return 0.0
            stats = self._local.get_window_stats(item, *ids)
        return max(0.0, stats.reset_time - time.time())


# ---------------------------------------------------------------------------------------------------------------
# Middleware


def _error(status: int, code: str, message: str, headers: Mapping[str, str] | None = None) -> JSONResponse:
    """The API's `{"error": {"code", "message"}}` JSON body (same shape as app._error)."""
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status, headers=headers)


class _BodyTooLarge(Exception):
    """Raised into the app from `receive` once the streamed body passes the limit."""


class LimitMiddleware:
    """Refuses oversized bodies (413) and callers over their request budget (429).

    The body limit is checked twice: against Content-Length before the app runs, and by counting the bytes
    of each `http.request` message as the app reads them (chunked uploads have no Content-Length). Once the
    count passes the limit the app's `receive` raises and nothing more is pulled from the client, so at most
    the limit plus one server-sized chunk is ever held. Whatever the app then tries to send is dropped and the
    client gets the 413 instead.

    When the budget store cannot be reached (Redis down) requests are let through and a warning logged at most
    once a minute: the answers that need Redis fail on their own with a clear 503, the rest keep working.
    """

    def __init__(
        self, app: ASGIApp, config: GuardConfig, identify: Callable[[Scope, frozenset[str]], Budget] = budget_for
    ) -> None:
        self.app = app
        self.config = config
        self.identify = identify
        self.budgets = Budgets(config.per_minute(), config.storage_url)
        self._known_keys = frozenset(key_id(k) for k in config.api_keys)
        self._too_large = f"request body must be at most {config.max_body_bytes} bytes"
        self._warned = -math.inf

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        if not _exempt(scope.get("path", "")):
            wait = await self._spend(scope)
            if wait > 0:
                retry = max(1, math.ceil(wait))
                message = f"too many requests; retry after {retry} s"
                await _error(429, "rate_limited", message, {"Retry-After": str(retry)})(scope, receive, send)
                return

        limit = self.config.max_body_bytes
        declared = Headers(scope=scope).get("content-length")
        if declared is not None and declared.strip().isdigit() and int(declared) > limit:
            await _error(413, "payload_too_large", self._too_large)(scope, receive, send)
            return

        received = 0
        overflow = False
        started = False

        async def limited_receive() -> Message:
            nonlocal received, overflow
            if overflow:
                raise _BodyTooLarge
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    overflow = True
                    raise _BodyTooLarge
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if overflow:
                return  # the 413 below replaces whatever the app makes of the aborted read
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, guarded_send)
        except _BodyTooLarge:
            pass
        except Exception:
            # Once the body is refused, errors from the interrupted read are expected noise.
            if not overflow:
                raise
        if overflow and not started:
            await _error(413, "payload_too_large", self._too_large)(scope, receive, send)

    async def _spend(self, scope: Scope) -> float:
        """Charge the request to its caller's budget; 0.0 (let through) when the budget store is unreachable."""
        budget = self.identify(scope, self._known_keys)
        # Anyone can start a widget session, so a session's requests also spend its address's budget: otherwise
        # fresh sessions would multiply what one address may send.
        budgets = [budget, address_budget(scope)] if budget.kind == "session" else [budget]
        try:
            for b in budgets:
                wait = await self.budgets.spend(b)
                if wait:
                    return wait
            return 0.0
        except Exception as e:  # the storage's connection and timeout errors, wrapped by limits or not
            now = time.monotonic()
            if now - self._warned >= 60:
                self._warned = now
                log.warning("request budgets not enforced: the budget store is unreachable (%s)", type(e).__name__)
            return 0.0


def _exempt(path: str) -> bool:
    """Probes, metrics and static front-end files are never rate limited."""
    return path in EXEMPT_PATHS or path.startswith(EXEMPT_PREFIXES)


class SecurityHeadersMiddleware:
    """Adds nosniff, a referrer policy and a CSP with `frame-ancestors` to every response.

    Headers a route already set win: the console pages carry their own CSP (with `frame-ancestors 'none'`),
    Referrer-Policy and X-Frame-Options, and those stay as they are. A CSP without `frame-ancestors` gets
    ours appended. A response without a CSP gets `default-src 'none'` plus ours, except HTML, which gets only
    `frame-ancestors` (we cannot know which sources a page such as /docs needs).
    """

    def __init__(self, app: ASGIApp, allowed_origins: list[str]) -> None:
        self.app = app
        sources = " ".join(["'self'", *allowed_origins])
        self.frame_ancestors = f"frame-ancestors {sources}"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": list(message.get("headers", []))}
                self._add(MutableHeaders(scope=message))
            await send(message)

        await self.app(scope, receive, send_with_headers)

    def _add(self, headers: MutableHeaders) -> None:
        """Add ours to the response headers, or merge frame-ancestors into the route's own CSP."""
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "no-referrer")
        policies = headers.getlist("Content-Security-Policy")
        if not policies:
            html = headers.get("Content-Type", "").split(";")[0].strip().lower() == "text/html"
            headers["Content-Security-Policy"] = self.frame_ancestors if html else f"default-src 'none'; {self.frame_ancestors}"
        elif not any(_has_frame_ancestors(p) for p in policies):
            if len(policies) == 1:
                existing = policies[0].strip().rstrip(";").strip()
                headers["Content-Security-Policy"] = f"{existing}; {self.frame_ancestors}" if existing else self.frame_ancestors
            else:
                # Browsers enforce every policy sent, so one more carrying only frame-ancestors restricts framing.
                headers.append("Content-Security-Policy", self.frame_ancestors)


def _has_frame_ancestors(policy: str) -> bool:
    """Whether a CSP header value already has a frame-ancestors directive."""
    return any(d.strip().lower().split(" ")[0] == "frame-ancestors" for d in policy.split(";"))


# ---------------------------------------------------------------------------------------------------------------
# Installation


def install_guard(
    app: FastAPI, config: GuardConfig, identify: Callable[[Scope, frozenset[str]], Budget] = budget_for
) -> None:
    """Add the body limit, the request budgets and the security headers to `app`.

    Call it before the app serves its first request, after `mount_web` (so the security headers also cover
    the CORS middleware's own preflight answers). The limits go innermost, inside CORS and metrics, so a 413
    or 429 still gets CORS headers and is counted; the security headers go outermost. Any other middleware of
    the app, added before or after, runs outside the limits, so a sign-in or session middleware can put the
    agent or session on the request state before the budget is chosen (see `budget_for`). The app's 500 page for an
    unhandled exception comes from Starlette's ServerErrorMiddleware, outside all user middleware, and so
    carries none of these headers.

    Calling it again on the same app replaces the earlier configuration instead of stacking a second guard,
    so create_app can install it from Settings and a test can still install its own limits.

    Args:
        app: the application; its middleware stack must not be built yet.
        config: limits, where budgets are counted, and the origins allowed to frame our pages.
        identify: whose budget a request spends; `budget_for` unless a caller knows better.

    Raises:
        RuntimeError: the application has already started.
    """
    if app.middleware_stack is not None:
        raise RuntimeError("install_guard must be called before the application starts")
    app.user_middleware[:] = [
        m for m in app.user_middleware if m.cls not in (LimitMiddleware, SecurityHeadersMiddleware)
    ]
    # user_middleware runs first-to-last from the outside in.
    app.user_middleware.insert(0, Middleware(SecurityHeadersMiddleware, allowed_origins=config.allowed_origins))
    app.user_middleware.append(Middleware(LimitMiddleware, config=config, identify=identify))


__all__ = [
    "EXEMPT_PATHS",
    "Budget",
    "Budgets",
    "GuardConfig",
    "LimitMiddleware",
    "SecurityHeadersMiddleware",
    "budget_for",
    "install_guard",
    "key_id",
]
