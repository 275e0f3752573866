"""Which widget conversation a request continues, known before the rate limits run.

The widget names the session the server issued it in an ``X-Session-Id`` header (besides ``session_id`` in the
body, which the answer reads). :class:`WidgetSessionMiddleware` looks the id up in the session store and, when it
is a live widget conversation, puts it in the request state (``request.state.session``), where the rate limits
find it and charge the session's budget instead of the client address's (assistant.api.guard.budget_for). An id
the server did not issue to the widget (made up, expired, another channel's) is nobody's: the request is charged
to its address, so inventing ids cannot mint budgets.
"""

from __future__ import annotations

import logging
import re

import anyio.to_thread
from starlette.datastructures import Headers, State
from starlette.types import ASGIApp, Receive, Scope, Send

from assistant.answer.sessions import SessionStoreUnavailable
from assistant.api.schemas import SESSION_ID
from assistant.models import Channel

log = logging.getLogger(__name__)

SESSION_HEADER = "X-Session-Id"
_SESSION_ID = re.compile(SESSION_ID)


class WidgetSessionMiddleware:
    """Puts the server-issued widget session a request names, if any, in the request state.

    ``state`` is the application's state, whose ``assistant`` (set at start-up) owns the session store. The
    lookup runs on the event loop when the store is local and in the thread pool when it is networked; a store
    that cannot be read leaves the request charged to its address.
    """

    def __init__(self, app: ASGIApp, state: State):
        self.app = app
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            sid = Headers(scope=scope).get(SESSION_HEADER)
            if sid and _SESSION_ID.match(sid) and await self._issued(sid):
                scope.setdefault("state", {})["session"] = sid
        await self.app(scope, receive, send)

    async def _issued(self, sid: str) -> bool:
        """Whether sid is a live widget conversation the server issued."""
        assistant = getattr(self.state, "assistant", None)
        if assistant is None:
            return False

        def lookup() -> bool:
            return assistant.session(sid, Channel.widget, "") is not None

        try:
            return lookup() if assistant.stores_are_local else await anyio.to_thread.run_sync(lookup)
        except SessionStoreUnavailable as e:
            log.debug("widget session not checked: %s", e)
            return False


__all__ = ["SESSION_HEADER", "WidgetSessionMiddleware"]
