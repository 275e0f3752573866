"""`Cache-Control: no-store` on every JSON response that does not set its own caching policy.

Answers quote a customer's amounts and dates back to them; neither a shared proxy nor the browser's cache may
keep them. Pages and static files set their own Cache-Control and are left alone.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class NoStoreMiddleware:
    """Adds `Cache-Control: no-store` to JSON responses without a Cache-Control header."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_no_store(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                headers = MutableHeaders(scope=message)
                if "cache-control" not in headers and headers.get("content-type", "").startswith("application/json"):
                    headers["Cache-Control"] = "no-store"
            await send(message)

        await self.app(scope, receive, send_no_store)
