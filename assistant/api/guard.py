"""Edge protection for the API: request body limit, per-client and per-key rate limits, security headers.

Pure ASGI middleware (no BaseHTTPMiddleware), so streamed requests and responses pass through untouched.
`install_guard(app, GuardConfig(...))` adds two layers:

* `SecurityHeadersMiddleware`, outermost, so every response the app or its middleware produces carries
  `X-Content-Type-Options`, `Referrer-Policy` and a `Content-Security-Policy` with `frame-ancestors`;
* `LimitMiddleware`, innermost, just outside the router, so its 413 and 429 answers still pass through
  mount_web's CORS middleware (a widget on an allowed origin can read them) and are counted by the metrics.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import time
from collections import OrderedDict
from collections.abc import Callable

from fastapi import FastAPI
from pydantic import BaseModel, Field, field_validator
from starlette.middleware import Middleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Probes, the scraper and the static front end; a browser loading the console fetches several of these at once.
EXEMPT_PATHS = frozenset({"/healthz", "/readyz", "/metrics", "/", "/widget.js", "/widget-demo"})
EXEMPT_PREFIXES = ("/static/",)

# An origin as it may appear in a CSP source list; anything else could smuggle in extra directives.
_ORIGIN = re.compile(r"^https?://[A-Za-z0-9.\-\[\]:]+$")


class GuardConfig(BaseModel):
    """Limits and header policy for `install_guard`; the lead fills it from Settings."""

    max_body_bytes: int = Field(default=16384, gt=0)
    rate_per_minute_ip: int = Field(default=120, gt=0)
    rate_per_minute_key: int = Field(default=600, gt=0)
    # Only behind a proxy that overwrites X-Forwarded-For: otherwise any client can pick its own address.
    trust_forwarded: bool = False
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


# ---------------------------------------------------------------------------------------------------------------
# Rate limiting


class RateLimiter:
    """Token buckets keyed by client, in memory.

    Each bucket holds up to `per_minute` tokens and refills continuously at `per_minute / 60` per second, so a
    client may burst a whole minute's budget and then continues at the steady rate.

    State is per process: with N workers (`assistant serve --workers N`) a client can get up to N times the
    budget, and a restart forgets it. Memory stays bounded: a bucket idle long enough to have refilled is
    dropped (forgetting it changes nothing), and past `max_buckets` the least recently used one goes.
    """

    def __init__(self, per_minute: int, clock: Callable[[], float], max_buckets: int = 100_000) -> None:
        self.capacity = float(per_minute)
        self.rate = per_minute / 60.0
        self.clock = clock
        self.max_buckets = max_buckets
        # key -> (tokens, last update); ordered oldest access first, so eviction looks only at the front.
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._buckets)

    def take(self, key: str) -> float:
        """Spend one token for `key`: 0.0 when allowed, otherwise the seconds until a token is available."""
        now = self.clock()
        self._evict(now)
        tokens, last = self._buckets.pop(key, (self.capacity, now))
        tokens = min(self.capacity, tokens + (now - last) * self.rate)
        if tokens >= 1.0:
            self._buckets[key] = (tokens - 1.0, now)
            return 0.0
        self._buckets[key] = (tokens, now)
        return (1.0 - tokens) / self.rate

    def _evict(self, now: float) -> None:
        """Drop buckets that have refilled completely, then the oldest ones beyond the cap."""
        full_after = self.capacity / self.rate
        while self._buckets:
            key, (_, last) = next(iter(self._buckets.items()))
            if now - last < full_after and len(self._buckets) < self.max_buckets:
                break
            del self._buckets[key]


def client_address(scope: Scope, trust_forwarded: bool) -> str:
    """The caller's address: the first X-Forwarded-For hop when trusted, else the socket peer."""
    if trust_forwarded:
        forwarded = _header(scope, b"x-forwarded-for")
        if forwarded:
            # Capped: the header is the client's to fill, and each distinct value holds a bucket.
            first = forwarded.split(",")[0].strip()[:64]
            if first:
                return first
    client = scope.get("client")
    return client[0] if client else "unknown"


def _header(scope: Scope, name: bytes) -> str | None:
    """The first value of a request header, decoded as latin-1 like the ASGI servers do."""
    for k, v in scope.get("headers", ()):
        if k.lower() == name:
            return v.decode("latin-1")
    return None


def _key_id(key: str) -> str:
    """A stable bucket name for an API key that does not keep the key itself in memory."""
    return hashlib.sha256(key.encode("utf-8", "surrogateescape")).hexdigest()


# ---------------------------------------------------------------------------------------------------------------
# Middleware


async def _send_error(
    send: Send, status: int, code: str, message: str, headers: tuple[tuple[bytes, bytes], ...] = ()
) -> None:
    """Send the API's `{"error": {"code", "message"}}` JSON body (same shape as app._error)."""
    error = {"error": {"code": code, "message": message}}
    body = json.dumps(error, ensure_ascii=False, separators=(",", ":")).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class _BodyTooLarge(Exception):
    """Raised into the app from `receive` once the streamed body passes the limit."""


class LimitMiddleware:
    """Refuses oversized bodies (413) and callers over their request budget (429).

    The body limit is checked twice: against Content-Length before the app runs, and by counting the bytes
    of each `http.request` message as the app reads them (chunked uploads have no Content-Length). Once the
    count passes the limit the app's `receive` raises and nothing more is pulled from the client, so at most
    the limit plus one server-sized chunk is ever held. Whatever the app then tries to send is dropped and the
    client gets the 413 instead.
    """

    def __init__(self, app: ASGIApp, config: GuardConfig, clock: Callable[[], float] = time.monotonic) -> None:
        self.app = app
        self.config = config
        self.ip_limiter = RateLimiter(config.rate_per_minute_ip, clock)
        self.key_limiter = RateLimiter(config.rate_per_minute_key, clock)
        self._known_keys = frozenset(_key_id(k) for k in config.api_keys)
        limit = config.max_body_bytes
        self._too_large = f"request body must be at most {limit} bytes"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        if not _exempt(scope.get("path", "")):
            wait = self._take(scope)
            if wait > 0:
                retry = max(1, math.ceil(wait))
                await _send_error(
                    send,
                    429,
                    "rate_limited",
                    f"too many requests; retry after {retry} s",
                    ((b"retry-after", str(retry).encode()),),
                )
                return

        limit = self.config.max_body_bytes
        declared = _header(scope, b"content-length")
        if declared is not None and declared.strip().isdigit() and int(declared) > limit:
            await _send_error(send, 413, "payload_too_large", self._too_large)
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
            await _send_error(send, 413, "payload_too_large", self._too_large)

    def _take(self, scope: Scope) -> float:
        """Charge the request to its API key's budget when the key is known, else to its client address."""
        key = _header(scope, b"x-api-key")
        if key:
            kid = _key_id(key)
            if kid in self._known_keys:
                return self.key_limiter.take(kid)
        return self.ip_limiter.take(client_address(scope, self.config.trust_forwarded))


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
                message = {**message, "headers": self._headers(list(message.get("headers", [])))}
            await send(message)

        await self.app(scope, receive, send_with_headers)

    def _headers(self, headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
        """The response headers with ours added or merged in."""
        names = {k.lower() for k, _ in headers}
        if b"x-content-type-options" not in names:
            headers.append((b"x-content-type-options", b"nosniff"))
        if b"referrer-policy" not in names:
            headers.append((b"referrer-policy", b"no-referrer"))
        csp_at = [i for i, (k, _) in enumerate(headers) if k.lower() == b"content-security-policy"]
        if not csp_at:
            content_type = next((v for k, v in headers if k.lower() == b"content-type"), b"")
            html = content_type.split(b";")[0].strip().lower() == b"text/html"
            policy = self.frame_ancestors if html else f"default-src 'none'; {self.frame_ancestors}"
            headers.append((b"content-security-policy", policy.encode("latin-1")))
        elif not any(_has_frame_ancestors(headers[i][1]) for i in csp_at):
            i = csp_at[0]
            existing = headers[i][1].decode("latin-1").strip().rstrip(";").strip()
            merged = f"{existing}; {self.frame_ancestors}" if existing else self.frame_ancestors
            headers[i] = (headers[i][0], merged.encode("latin-1"))
        return headers


def _has_frame_ancestors(policy: bytes) -> bool:
    """Whether a CSP header value already has a frame-ancestors directive."""
    return any(d.strip().lower().split(b" ")[0] == b"frame-ancestors" for d in policy.split(b";"))


# ---------------------------------------------------------------------------------------------------------------
# Installation


def install_guard(app: FastAPI, config: GuardConfig, clock: Callable[[], float] = time.monotonic) -> None:
    """Add the body limit, the rate limits and the security headers to `app`.

    Call it before the app serves its first request, after `mount_web` (so the security headers also cover
    the CORS middleware's own preflight answers). The limits go innermost, inside CORS and metrics, so a 413
    or 429 still gets CORS headers and is counted; the security headers go outermost. The app's 500 page for
    an unhandled exception comes from Starlette's ServerErrorMiddleware, outside all user middleware, and so
    carries none of these headers.

    Calling it again on the same app replaces the earlier configuration instead of stacking a second guard,
    so create_app can install it from Settings and a test can still install its own limits and clock.

    Args:
        app: the application; its middleware stack must not be built yet.
        config: limits and the origins allowed to frame our pages.
        clock: monotonic seconds, for the rate limiter's refill; tests pass a fake one.

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
    app.user_middleware.append(Middleware(LimitMiddleware, config=config, clock=clock))


__all__ = [
    "EXEMPT_PATHS",
    "GuardConfig",
    "LimitMiddleware",
    "RateLimiter",
    "SecurityHeadersMiddleware",
    "client_address",
    "install_guard",
]
