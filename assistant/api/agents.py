"""Who the agent at the console is: a key-signed session cookie, or the header of a trusted SSO proxy.

Two ways in, configured in Settings:

* ``agent_keys`` ("alice:KEY1,bob:KEY2"): the console's sign-in form posts a key to ``/v1/agents/sign-in``,
  which puts the agent in Starlette's signed session cookie (HttpOnly, SameSite=Strict). The cookie also holds
  a keyed fingerprint of the agent's key, so changing or removing a key signs that agent out everywhere.
* ``agent_header`` (e.g. X-Forwarded-User): a company SSO proxy names the user; the header is believed only on
  requests whose socket peer is one of ``trusted_proxies``.

:class:`AgentIdentityMiddleware` resolves the agent once per request and leaves it in the request state
(``request.state.agent``: the id, which the rate limits read; ``request.state.agent_identity``: the
:class:`Agent`). With neither configured nobody is ever signed in and the console stays open as before.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
from typing import Literal

from fastapi import FastAPI
from pydantic import BaseModel
from starlette.middleware.sessions import SessionMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from assistant.api.errors import SignInUnavailable, Unauthorized
from assistant.settings import AGENT_ID, Settings

COOKIE = "assistant_agent"


class Agent(BaseModel):
    """A signed-in agent and how they were recognised."""

    id: str
    via: Literal["key", "sso"]


class AgentDirectory:
    """The configured agents: checks a key at sign-in and re-checks the agent a cookie names on every request."""

    def __init__(self, settings: Settings):
        self._keys = {agent: key.get_secret_value().encode("utf-8") for agent, key in settings.agent_keys.items()}
        self.header = settings.agent_header
        self.secret = settings.agent_cookie_secret.get_secret_value() or self._derived_secret()

    @property
    def keys_configured(self) -> bool:
        return bool(self._keys)

    def _derived_secret(self) -> str:
        """A cookie-signing secret from the keys themselves: the same in every worker and instance."""
        material = b"\0".join(a.encode() + b":" + k for a, k in sorted(self._keys.items()))
        return hashlib.sha256(b"assistant agent cookie\0" + material).hexdigest()

    def fingerprint(self, agent: str) -> str:
        """A keyed digest of the agent's current key: the cookie carries it, never the key."""
        return hmac.new(self.secret.encode(), self._keys[agent], hashlib.sha256).hexdigest()[:32]

    def sign_in(self, key: str) -> Agent:
        """The agent whose key this is; Unauthorized for any other key (compared in constant time)."""
        if not self._keys:
            raise SignInUnavailable("agent sign-in with keys is not configured (ASSISTANT_AGENT_KEYS)")
        # Compared as bytes, and against every key: a non-ASCII key is simply wrong, and timing tells nothing.
        given = key.encode("utf-8", "surrogateescape")
        found = [a for a, k in self._keys.items() if hmac.compare_digest(given, k)]
        if not found:
            raise Unauthorized("unknown agent key")
        return Agent(id=found[0], via="key")

    def from_cookie(self, session: dict) -> Agent | None:
        """The agent a signed session cookie names, while their key is still the one they signed in with."""
        agent, fp = session.get("agent"), session.get("key")
        if not isinstance(agent, str) or agent not in self._keys or not isinstance(fp, str):
            return None
        return Agent(id=agent, via="key") if hmac.compare_digest(fp, self.fingerprint(agent)) else None

    def from_header(self, value: str | None) -> Agent | None:
        """The agent an SSO header names (the caller has checked that a trusted proxy sent it)."""
        value = (value or "").strip()
        return Agent(id=value, via="sso") if AGENT_ID.match(value) else None

    def cookie_payload(self, agent: Agent) -> dict[str, str]:
        """What the session cookie holds for a signed-in agent."""
        return {"agent": agent.id, "key": self.fingerprint(agent.id)}


def _header(scope: Scope, name: bytes) -> str | None:
    """The first value of a request header, decoded as latin-1 as ASGI servers do."""
    return next((v.decode("latin-1") for k, v in scope.get("headers", ()) if k.lower() == name), None)


def _within(address: str | None, networks: list[ipaddress.IPv4Network | ipaddress.IPv6Network]) -> bool:
    """Whether an address lies in one of the networks (a name such as "testclient" lies in none)."""
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return False
    return any(ip in net for net in networks)


def peer_of(scope: Scope) -> str | None:
    """The address of the socket's other end, before any forwarded header rewrote the client address."""
    state = scope.get("state") or {}
    if "peer" in state:
        return state["peer"]
    client = scope.get("client")
    return client[0] if client else None


class ForwardedMiddleware:
    """Believes X-Forwarded-For / X-Forwarded-Proto only from ``trusted_proxies``, and remembers the real peer.

    The socket peer is kept in the request state (``peer``) before uvicorn's proxy-header logic rewrites the
    client address, so the SSO header can be checked against the proxy that actually connected. The rewritten
    client address is the one the rate limits charge (assistant.api.guard.budget_for). The server must not
    rewrite the client address itself (``assistant serve`` runs uvicorn with ``proxy_headers=False``).
    """

    def __init__(self, app: ASGIApp, trusted_proxies: list[str]):
        self.app = app
        self.rewrite = ProxyHeadersMiddleware(app, trusted_hosts=trusted_proxies) if trusted_proxies else app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            client = scope.get("client")
            scope.setdefault("state", {})["peer"] = client[0] if client else None
        await self.rewrite(scope, receive, send)


class AgentIdentityMiddleware:
    """Puts the agent signed in on this request, if any, in the request state (see the module's docstring)."""

    def __init__(self, app: ASGIApp, directory: AgentDirectory, trusted_proxies: list[str]):
        self.app = app
        self.directory = directory
        self.header = directory.header.lower().encode("latin-1")
        # "*" (every peer may forward) never vouches for the agent header; Settings refuses agent_header with it.
        self.proxies = [ipaddress.ip_network(p, strict=False) for p in trusted_proxies if p != "*"]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            agent = self._identify(scope)
            if agent is not None:
                state = scope.setdefault("state", {})
                state["agent"] = agent.id
                state["agent_identity"] = agent
        await self.app(scope, receive, send)

    def _identify(self, scope: Scope) -> Agent | None:
        if self.header:
            value = _header(scope, self.header)
            # From anyone but a trusted proxy the header is ignored (not logged: the caller could fill the log).
            if value is not None and _within(peer_of(scope), self.proxies):
                agent = self.directory.from_header(value)
                if agent is not None:
                    return agent
        if self.directory.keys_configured:
            return self.directory.from_cookie(scope.get("session") or {})
        return None


def install_agent_auth(app: FastAPI, settings: Settings) -> AgentDirectory:
    """Add agent identification to `app` (call after mount_web, before install_guard; see create_app).

    Middleware added later runs outside middleware added earlier, so the order of the calls here makes the
    request pass the forwarded-header check, then the session cookie, then the identification: all of them
    outside the rate limits, which read the agent. Returns the directory the sign-in route uses.
    """
    directory = AgentDirectory(settings)
    if settings.agent_sign_in:
        app.add_middleware(AgentIdentityMiddleware, directory=directory, trusted_proxies=settings.trusted_proxies)
    if directory.keys_configured:
        app.add_middleware(
            SessionMiddleware,
            secret_key=directory.secret,
            session_cookie=COOKIE,
            max_age=int(settings.agent_session_hours * 3600),
            same_site="strict",
            https_only=settings.agent_cookie_secure,
        )
    app.add_middleware(ForwardedMiddleware, trusted_proxies=settings.trusted_proxies)
    return directory


__all__ = [
    "COOKIE",
    "Agent",
    "AgentDirectory",
    "AgentIdentityMiddleware",
    "ForwardedMiddleware",
    "install_agent_auth",
    "peer_of",
]
