"""Prometheus metrics: HTTP traffic by route template, and answer latency by channel and intent.

Everything lives in the module's own `REGISTRY` (not prometheus_client's global one), so several apps in one
process (the tests build many) share one set of series and nothing else in the process leaks into /metrics.
Counts are per process: with several workers, Prometheus scrapes whichever worker answers.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

from fastapi import FastAPI, Request, Response
from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, InfoMetricFamily, Metric
from prometheus_client.exposition import choose_encoder
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

REGISTRY = CollectorRegistry()

HTTP_REQUESTS = Counter(
    "assistant_http_requests_total",
    "HTTP requests served, by method, route template and status.",
    ["method", "route", "status"],
    registry=REGISTRY,
)
HTTP_SECONDS = Histogram(
    "assistant_http_request_seconds",
    "Time from receiving an HTTP request to finishing its response.",
    ["method", "route"],
    registry=REGISTRY,
)
HTTP_ERRORS = Counter(
    "assistant_http_errors_total",
    "HTTP responses with status 400 or above, by route template and status.",
    ["route", "status"],
    registry=REGISTRY,
)
ANSWER_SECONDS = Histogram(
    "assistant_answer_seconds",
    "Time to produce one answer, by channel and intent.",
    ["channel", "intent"],
    # Answers run retrieval and a model: slower than the default HTTP buckets assume at the top end.
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
    registry=REGISTRY,
)
ANSWERS = Counter(
    "assistant_answers_total",
    "Answers produced, by channel and intent.",
    ["channel", "intent"],
    registry=REGISTRY,
)

UNMATCHED = "unmatched"
# Methods come from the client; anything unusual shares one label so it cannot grow the series count.
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def observe_answer(channel: str, intent: str, seconds: float) -> None:
    """Record one answer's latency and count it under its channel and intent.

    Called by the /v1/ask and /v1/ivr/turn routes. Enum members (Channel, Intent) may be passed as they are:
    their value is used as the label.

    Args:
        channel: "agent", "widget" or "ivr".
        intent: the answer's intent, e.g. "lookup".
        seconds: wall time spent producing the answer.
    """
    labels = (_label(channel), _label(intent))
    ANSWER_SECONDS.labels(*labels).observe(seconds)
    ANSWERS.labels(*labels).inc()


def _label(value: Any) -> str:
    """An enum's value, or the string itself."""
    return str(getattr(value, "value", value))


def route_template(app: Any, scope: Scope, initial: Scope | None = None) -> str:
    """The path template of the route that served `scope` (e.g. /v1/clauses/{clause_id}), or "unmatched".

    `initial` is a copy of the scope from before the app ran, for matching when the app recorded no route.
    """
    route = scope.get("route")
    if route is None:
        # FastAPI records only its own routes, and a 413 or 429 from the guard never reaches the router, so match
        # ourselves: against the scope as it came in, since a Mount rewrites root_path on the way down.
        route = _match(getattr(getattr(app, "router", None), "routes", ()), initial if initial is not None else scope)
    if route is None:
        return UNMATCHED
    return getattr(route, "path_format", None) or getattr(route, "path", None) or UNMATCHED


def _match(routes: Any, scope: Scope) -> Any:
    """The route among `routes` that matches scope fully, else the first partial match, else None."""
    partial = None
    for candidate in _flat(routes):
        match, _ = candidate.matches(scope)
        if match is Match.FULL:
            return candidate
        if match is Match.PARTIAL and partial is None:
            partial = candidate
    return partial


def _flat(routes: Any) -> Iterator[Any]:
    """The routes with each included router replaced by its own routes.

    FastAPI keeps an included router whole (it has no path of its own); the service includes its routers
    without a prefix, so their routes match the request's path as they stand.
    """
    for route in routes:
        inner = getattr(getattr(route, "original_router", None), "routes", None)
        if inner is None:
            yield route
        else:
            yield from _flat(inner)


class MetricsMiddleware:
    """Counts and times every HTTP request under its route template (pure ASGI, so streaming is untouched)."""

    def __init__(self, app: ASGIApp, fastapi_app: FastAPI) -> None:
        self.app = app
        self.fastapi_app = fastapi_app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        status = 500  # what the client sees if the app raises before responding
        initial = dict(scope)
        start = time.perf_counter()

        async def send_recording(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_recording)
        finally:
            elapsed = time.perf_counter() - start
            method = scope.get("method", "GET")
            method = method if method in _METHODS else "other"
            route = route_template(self.fastapi_app, scope, initial)
            HTTP_REQUESTS.labels(method, route, str(status)).inc()
            HTTP_SECONDS.labels(method, route).observe(elapsed)
            if status >= 400:
                HTTP_ERRORS.labels(route, str(status)).inc()


class _WithEncoder:
    """The module's registry plus the serving Assistant's query-encoder figures, read at scrape time.

    The query-vector cache and the batcher count for themselves (they live in the core, which knows nothing of
    Prometheus); their counts become metrics here, for the app that is scraped.
    """

    def __init__(self, app: Any) -> None:
        self.app = app

    def collect(self) -> Iterator[Metric]:
        yield from REGISTRY.collect()
        assistant = getattr(self.app.state, "assistant", None)
        if assistant is None:  # not started yet
            return
        stats = assistant.encoder_stats()
        cache, batches = stats.cache, stats.batches
        yield CounterMetricFamily(
            "assistant_query_cache_hits", "Query vectors found in the query-vector cache.", value=cache.hits
        )
        yield CounterMetricFamily(
            "assistant_query_cache_misses", "Query vectors not in the cache (encoded by the model).", value=cache.misses
        )
        yield GaugeMetricFamily(
            "assistant_query_cache_hit_ratio",
            "Share of query-vector lookups answered from the cache since start-up.",
            value=cache.hit_rate,
        )
        yield GaugeMetricFamily("assistant_query_cache_entries", "Query vectors held in the cache.", value=cache.entries)
        yield GaugeMetricFamily(
            "assistant_query_cache_capacity", "Query vectors the cache holds at most.", value=cache.capacity
        )
        yield CounterMetricFamily(
            "assistant_encoder_batches", "Encoder calls made by the micro-batcher.", value=batches.batches
        )
        yield CounterMetricFamily(
            "assistant_encoder_batched_queries",
            "Queries encoded by the micro-batcher (divided by the batches: the mean batch size).",
            value=batches.queries,
        )
        info = InfoMetricFamily("assistant_encoder", "The runtime of the query encoder.")
        info.add_metric([], {"runtime": stats.runtime})
        yield info


def metrics_endpoint(request: Request) -> Response:
    """The registry in the Prometheus text format (or OpenMetrics when the scraper asks for it)."""
    encoder, content_type = choose_encoder(request.headers.get("accept", ""))
    return Response(encoder(_WithEncoder(request.app)), headers={"Content-Type": content_type})


def install_metrics(app: FastAPI, serve: bool = True) -> None:
    """Count and time every request of `app` and serve the module's registry at GET /metrics.

    The middleware goes outermost among the user middleware present when this is called, so call it last
    (after mount_web and install_guard) to have it see the guard's 413 and 429 answers and CORS preflights.
    Requests are labelled with the route template, never the raw path; paths no route matches share
    "unmatched". /metrics itself is left out of the OpenAPI schema and is not access-controlled: expose it
    only where the scraper can reach it.

    Calling it again on the same app does nothing, so create_app and a test may both call it.

    Args:
        app: the application; its middleware stack must not be built yet.
        serve: whether to serve GET /metrics (Settings.expose_metrics); without it requests are still counted.

    Raises:
        RuntimeError: the application has already started.
    """
    if any(m.cls is MetricsMiddleware for m in app.user_middleware):
        return
    if app.middleware_stack is not None:
        raise RuntimeError("install_metrics must be called before the application starts")
    if serve:
        app.add_api_route("/metrics", metrics_endpoint, methods=["GET"], include_in_schema=False)
    app.add_middleware(MetricsMiddleware, fastapi_app=app)


__all__ = ["REGISTRY", "MetricsMiddleware", "install_metrics", "observe_answer", "route_template"]
