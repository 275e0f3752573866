"""FastAPI application: thin routes over Assistant, composed here.

The routes live one router per resource in ``assistant.api.routes``, take what they need through the typed
dependencies of ``assistant.api.deps``, and raise; ``assistant.api.errors`` turns errors into statuses.
"""

from __future__ import annotations

from contextlib import asynccontextmanager

import anyio.to_thread
from fastapi import FastAPI

from assistant.answer.assistant import Assistant
from assistant.api.agents import install_agent_auth
from assistant.api.caching import NoStoreMiddleware
from assistant.api.docs import mount_docs
from assistant.api.errors import install_error_handlers
from assistant.api.guard import GuardConfig, install_guard
from assistant.api.metrics import install_metrics
from assistant.api.routes import ROUTERS
from assistant.api.schemas import ErrorOut
from assistant.api.web import mount_web
from assistant.api.widget_sessions import WidgetSessionMiddleware
from assistant.audit import open_feedback_store
from assistant.settings import Settings


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
        app.state.feedback.close()  # reopened on next use, should the app be started again

    app = FastAPI(
        title="云专线协议助手 API",
        version="1.0",
        description="Cited answers and traced calculations over the 云专线产品入网协议 and its annexes.",
        lifespan=lifespan,
        # FastAPI's own pages load Swagger UI and ReDoc from a CDN; mount_docs serves Swagger UI from here.
        docs_url=None,
        redoc_url=None,
        swagger_ui_oauth2_redirect_url=None,
        openapi_url="/openapi.json" if settings.expose_docs else None,
        # The guard answers these on any operation, before the route runs.
        responses={
            413: {"model": ErrorOut, "description": "request body over the size limit"},
            429: {"model": ErrorOut, "description": "too many requests; see Retry-After"},
        },
    )
    app.state.settings = settings
    app.state.assistant = assistant
    app.state.feedback = open_feedback_store(settings)
    install_error_handlers(app)
    for router in ROUTERS:
        app.include_router(router)

    mount_web(app, settings.allowed_origins)
    # Outside CORS and inside the guard's headers; the rate limits (innermost) then know the agent, the widget
    # session the server issued, and the client address as resolved from the trusted proxies only.
    app.add_middleware(WidgetSessionMiddleware, state=app.state)
    app.state.agents = install_agent_auth(app, settings)
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
    if settings.expose_docs:
        mount_docs(app)
    app.add_middleware(NoStoreMiddleware)
    install_metrics(app, serve=settings.expose_metrics)  # last, so it times and counts everything installed before it
    return app
