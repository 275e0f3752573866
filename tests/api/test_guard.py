import asyncio
import json
import socket
import time
from types import SimpleNamespace

import httpx
import pytest
import redis
from fastapi.responses import HTMLResponse
from fastapi.testclient import TestClient
from pydantic import SecretStr

from assistant.api.app import create_app
from assistant.api.guard import (
    Budget,
    Budgets,
    GuardConfig,
    LimitMiddleware,
    SecurityHeadersMiddleware,
    budget_for,
    install_guard,
    key_id,
)
from assistant.api.web import _CONSOLE_CSP

PARTNER = "https://partner.example"
FRAME_ANCESTORS = f"frame-ancestors 'self' {PARTNER}"
API_CSP = f"default-src 'none'; {FRAME_ANCESTORS}"
LIMIT = 16384
ALICE, BOB = "alice-key-0123456789abcdef", "bob-key-0123456789abcdef"
TOO_LARGE = {"error": {"code": "payload_too_large", "message": f"request body must be at most {LIMIT} bytes"}}


class FakeSignIn:
    """Stands in for the sign-in and session middleware: puts the agent or session its headers name on the request
    state, as the real ones do once they have verified the cookie or token."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http":
            headers = dict(scope["headers"])
            state = scope.setdefault("state", {})
            if b"x-test-agent" in headers:
                state["agent"] = SimpleNamespace(id=headers[b"x-test-agent"].decode())
            if b"x-test-session" in headers:
                state["session"] = headers[b"x-test-session"].decode()
        await self.app(scope, receive, send)


@pytest.fixture
def make_app(fake_settings, fake_assistant):
    """A fresh app (so each test starts with full budgets) guarded with the given limits."""

    def make(settings: dict | None = None, **overrides):
        settings = fake_settings.model_copy(update={"api_keys": ["key-a", "key-b"], **(settings or {})})
        app = create_app(settings, fake_assistant)

        @app.get("/test-page", include_in_schema=False)
        def page() -> HTMLResponse:
            return HTMLResponse("<p>hi</p>", headers={"Content-Security-Policy": "default-src 'self'; img-src data:"})

        @app.get("/bare-page", include_in_schema=False)
        def bare_page() -> HTMLResponse:
            return HTMLResponse("<p>hi</p>")

        config = {"allowed_origins": [PARTNER], "api_keys": ["key-a", "key-b"], **overrides}
        install_guard(app, GuardConfig(**config))
        app.add_middleware(FakeSignIn)
        return app

    return make


@pytest.fixture
def client(make_app):
    with TestClient(make_app(), raise_server_exceptions=False) as c:
        yield c


def limited(make_app, **overrides):
    """A client for an app with the given overrides (usually small budgets)."""
    return TestClient(make_app(**overrides), raise_server_exceptions=False)


def ask_body(size: int) -> bytes:
    """A valid /v1/ask body padded with JSON whitespace to exactly `size` bytes."""
    body = json.dumps({"question": "开户费多少钱"}, ensure_ascii=False).encode()
    assert len(body) <= size
    return body + b" " * (size - len(body))


def chunks(data: bytes, size: int = 1000):
    """`data` as a generator, so httpx sends it chunked without Content-Length."""
    for i in range(0, len(data), size):
        yield data[i : i + size]


def assert_security_headers(r, csp=API_CSP):
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["referrer-policy"] == "no-referrer"
    assert r.headers["content-security-policy"] == csp


# --- body limit ---------------------------------------------------------------------------------------------------


def test_body_over_limit_by_content_length_is_413(client):
    r = client.post("/v1/ask", content=ask_body(LIMIT + 1), headers={"content-type": "application/json"})
    assert r.status_code == 413
    assert r.json() == TOO_LARGE
    assert_security_headers(r)


def test_body_exactly_at_limit_is_accepted(client):
    r = client.post("/v1/ask", content=ask_body(LIMIT), headers={"content-type": "application/json"})
    assert r.status_code == 200, r.text


def test_chunked_body_over_limit_is_413(client):
    r = client.post("/v1/ask", content=chunks(ask_body(LIMIT + 1)), headers={"content-type": "application/json"})
    assert "content-length" not in r.request.headers
    assert r.request.headers["transfer-encoding"] == "chunked"
    assert r.status_code == 413
    assert r.json() == TOO_LARGE


def test_chunked_body_at_limit_is_accepted(client):
    r = client.post("/v1/ask", content=chunks(ask_body(LIMIT)), headers={"content-type": "application/json"})
    assert r.status_code == 200, r.text


def test_streamed_body_is_not_read_past_the_limit(make_app):
    # httpx's ASGI transport hands the app one message per chunk, as a server does.
    pulled = 0

    async def oversized():
        nonlocal pulled
        yield b'{"question": "'
        # Four times the limit: bounded, so a broken guard fails the test instead of hanging it.
        for _ in range(4 * LIMIT // 1024):
            pulled += 1
            yield b"x" * 1024

    async def go():
        transport = httpx.ASGITransport(app=make_app())
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
            return await c.post("/v1/ask", content=oversized(), headers={"content-type": "application/json"})

    r = asyncio.run(go())
    assert r.status_code == 413 and r.json() == TOO_LARGE
    # The guard stops reading soon after the limit; the transport may have buffered a little ahead.
    assert pulled < 4 * LIMIT // 1024


def test_body_limit_is_configurable(make_app):
    with limited(make_app, max_body_bytes=100) as c:
        r = c.post("/v1/calculators/x", content=b"{" + b" " * 100 + b"}")
    assert r.status_code == 413
    assert r.json()["error"]["message"] == "request body must be at most 100 bytes"


# --- rate limits --------------------------------------------------------------------------------------------------


def test_client_over_budget_gets_429_with_retry_after(make_app):
    with limited(make_app, rate_per_minute_ip=3) as c:
        assert [c.get("/v1/calculators").status_code for _ in range(3)] == [200, 200, 200]
        r = c.get("/v1/calculators")
        assert r.status_code == 429
        # A moving window of a minute: room again when the oldest of the three requests is a minute old.
        retry = int(r.headers["retry-after"])
        assert 1 <= retry <= 60
        assert r.json() == {"error": {"code": "rate_limited", "message": f"too many requests; retry after {retry} s"}}
        assert_security_headers(r)


def test_a_known_api_key_has_its_own_budget(make_app):
    with limited(make_app, rate_per_minute_ip=2, rate_per_minute_key=4) as c:
        assert [c.get("/v1/calculators").status_code for _ in range(3)] == [200, 200, 429]
        # Same address, but the key's budget is untouched by the address's.
        keyed = [c.get("/v1/calculators", headers={"X-API-Key": "key-a"}).status_code for _ in range(5)]
        assert keyed == [200, 200, 200, 200, 429]
        assert c.get("/v1/calculators", headers={"X-API-Key": "key-b"}).status_code == 200
        # Exhausting a key did not touch anything else.
        assert c.get("/v1/calculators").status_code == 429


def test_key_budget_does_not_drain_the_address_budget(make_app):
    with limited(make_app, rate_per_minute_ip=2, rate_per_minute_key=2) as c:
        for _ in range(3):
            c.get("/v1/calculators", headers={"X-API-Key": "key-a"})
        assert c.get("/v1/calculators").status_code == 200


def test_an_unknown_api_key_is_charged_to_the_address(make_app):
    # Otherwise each invented key would be a fresh budget.
    with limited(make_app, rate_per_minute_ip=2) as c:
        codes = [c.get("/v1/calculators", headers={"X-API-Key": f"made-up-{i}"}).status_code for i in range(3)]
        assert codes == [200, 200, 429]


@pytest.mark.parametrize(
    "path", ["/healthz", "/readyz", "/metrics", "/", "/widget.js", "/widget-demo", "/static/console.css"]
)
def test_exempt_paths_are_never_limited(make_app, path):
    with limited(make_app, rate_per_minute_ip=1) as c:
        assert all(c.get(path).status_code != 429 for _ in range(5))
        # and they do not spend the budget of the API calls
        assert c.get("/v1/calculators").status_code == 200


def test_forwarded_for_never_picks_the_budget_in_the_app(make_app):
    # Without trusted proxies the client is the socket peer (assistant.api.agents.ForwardedMiddleware; on the real
    # server: tests/test_limits_server.py); a header the client writes cannot move it to a fresh budget.
    with limited(make_app, rate_per_minute_ip=1) as c:
        assert c.get("/v1/calculators", headers={"X-Forwarded-For": "203.0.113.1"}).status_code == 200
        assert c.get("/v1/calculators", headers={"X-Forwarded-For": "203.0.113.2"}).status_code == 429
        assert c.get("/v1/calculators", headers={"X-Real-IP": "203.0.113.3"}).status_code == 429


def test_agents_behind_one_address_each_have_their_own_budget(make_app):
    # 200 agents of one call centre behind one NAT address: the address's budget of 2 is not theirs to share.
    with limited(make_app, rate_per_minute_ip=2, rate_per_minute_agent=3) as c:
        for n in range(200):
            agent = {"X-Test-Agent": f"agent-{n}"}
            assert [c.get("/v1/calculators", headers=agent).status_code for _ in range(3)] == [200, 200, 200]
        assert c.get("/v1/calculators", headers={"X-Test-Agent": "agent-7"}).status_code == 429
        # The address budget was never touched.
        assert [c.get("/v1/calculators").status_code for _ in range(3)] == [200, 200, 429]


def test_a_widget_session_spends_its_own_budget_and_its_addresss(make_app):
    # Anyone can start a widget session: fresh sessions must not multiply what one address may send.
    with limited(make_app, rate_per_minute_ip=4, rate_per_minute_session=2) as c:
        for sid in ("s-1", "s-2"):
            codes = [c.get("/v1/calculators", headers={"X-Test-Session": sid}).status_code for _ in range(3)]
            assert codes == [200, 200, 429]
        assert c.get("/v1/calculators", headers={"X-Test-Session": "s-3"}).status_code == 429
        assert c.get("/v1/calculators").status_code == 429


def test_forwarded_for_from_a_trusted_proxy_names_the_client_the_budget_charges(make_app):
    # The app's own forwarded-header handling, the one the SSO header relies on, also names the address charged.
    app = make_app(settings={"trusted_proxies": ["10.9.8.7"]}, rate_per_minute_ip=1)
    with TestClient(app, client=("10.9.8.7", 40000)) as proxy, TestClient(app, client=("198.51.100.4", 40000)) as direct:
        via = [proxy.get("/v1/calculators", headers={"X-Forwarded-For": ip}) for ip in ("203.0.113.1", "203.0.113.2", "203.0.113.1")]
        assert [r.status_code for r in via] == [200, 200, 429]
        # From any other peer the header is the client's own words.
        mine = [direct.get("/v1/calculators", headers={"X-Forwarded-For": ip}) for ip in ("203.0.113.3", "203.0.113.4")]
        assert [r.status_code for r in mine] == [200, 429]


def test_signed_in_agents_behind_one_address_each_have_their_own_budget(make_app):
    # The real sign-in: agent keys, POST /v1/agents/sign-in, the signed session cookie; two browsers, one address.
    keys = {"alice": SecretStr(ALICE), "bob": SecretStr(BOB)}
    app = make_app(settings={"agent_keys": keys}, rate_per_minute_ip=3, rate_per_minute_agent=4)
    ask = {"question": "开户费多少钱", "channel": "agent"}
    with TestClient(app) as alice, TestClient(app) as bob, TestClient(app) as anonymous:
        assert alice.post("/v1/agents/sign-in", json={"key": ALICE}).status_code == 200  # address: 1 of 3
        assert bob.post("/v1/agents/sign-in", json={"key": BOB}).status_code == 200  # address: 2 of 3
        assert [alice.post("/v1/ask", json=ask).status_code for _ in range(5)] == [200] * 4 + [429]
        # Alice's budget is spent, Bob's is whole, and the address still has its last request.
        assert [bob.post("/v1/ask", json=ask).status_code for _ in range(5)] == [200] * 4 + [429]
        assert [anonymous.get("/v1/calculators").status_code for _ in range(2)] == [200, 429]
        # A forged cookie is nobody: charged to the (spent) address.
        anonymous.cookies.set("assistant_agent", "eyJhZ2VudCI6ICJjYXJvbCJ9.forged.sig")
        assert anonymous.get("/v1/calculators").status_code == 429


def test_a_widget_session_the_server_issued_has_its_own_budget(make_app):
    with limited(make_app, rate_per_minute_ip=6, rate_per_minute_session=3) as c:
        widget = {"question": "开户费多少钱", "channel": "widget"}
        sid = c.post("/v1/ask", json=widget).json()["session_id"]  # address: 1 of 6
        own = {"X-Session-Id": sid}
        # The session's budget (and the address's, 2-4 of 6) until the session's is spent.
        codes = [c.post("/v1/ask", json={**widget, "session_id": sid}, headers=own).status_code for _ in range(4)]
        assert codes == [200, 200, 200, 429]
        # A console conversation's id, or one the server never issued, is no widget session: the address pays.
        console = c.post("/v1/ask", json={"question": "开户费多少钱", "channel": "agent"}).json()["session_id"]  # 5 of 6
        assert c.get("/v1/calculators", headers={"X-Session-Id": console}).status_code == 200  # 6 of 6
        assert c.get("/v1/calculators", headers={"X-Session-Id": "made-up-session-0001"}).status_code == 429
        assert c.get("/v1/calculators", headers=own).status_code == 429  # the session's own budget is spent too


def test_an_agent_outranks_a_key_which_outranks_a_session():
    base = {"type": "http", "client": ("192.0.2.7", 4000), "headers": [(b"x-api-key", b"key-a")]}
    known = frozenset({key_id("key-a")})
    agent = SimpleNamespace(id="a-17")
    assert budget_for({**base, "state": {"agent": agent, "session": "s-1"}}, known) == Budget("agent", "a-17")
    assert budget_for({**base, "state": {"session": "s-1"}}, known) == Budget("key", key_id("key-a"))
    assert budget_for({**base, "state": {"session": "s-1"}}) == Budget("session", key_id("s-1"))
    assert budget_for(base, known) == Budget("key", key_id("key-a"))
    assert budget_for(base) == Budget("address", "192.0.2.7")
    assert budget_for({"type": "http", "client": None, "headers": []}) == Budget("address", "unknown")


@pytest.mark.parametrize("odd", [None, "", 0, SimpleNamespace(), SimpleNamespace(id=None), SimpleNamespace(id=""), [1]])
def test_an_absent_or_odd_identity_on_the_state_falls_back_to_the_address(odd):
    scope = {"type": "http", "client": ("192.0.2.7", 4000), "headers": [], "state": {"agent": odd, "session": odd}}
    assert budget_for(scope) == Budget("address", "192.0.2.7")
    assert budget_for({**scope, "state": odd}) == Budget("address", "192.0.2.7")


def test_a_non_ascii_api_key_is_charged_to_the_address(make_app):
    with limited(make_app, rate_per_minute_ip=1) as c:
        key = {"X-API-Key": "ключ-é".encode()}
        assert [c.get("/v1/calculators", headers=key).status_code for _ in range(2)] == [200, 429]


# --- security headers ---------------------------------------------------------------------------------------------


def test_api_json_gets_the_security_headers(client):
    assert_security_headers(client.get("/healthz"))
    assert_security_headers(client.get("/v1/clauses/M-1"))


def test_404_gets_the_security_headers(client):
    r = client.get("/nope")
    assert r.status_code == 404
    assert_security_headers(r)


def test_console_page_keeps_its_own_policy(client, fake_settings):
    # The console's own CSP stays whole; framing is limited to this site and the allowed origins.
    r = client.get("/")
    assert r.status_code == 200
    csp = r.headers["content-security-policy"]
    assert csp.startswith(_CONSOLE_CSP)
    assert csp.count("frame-ancestors") == 1
    assert csp.endswith("frame-ancestors " + " ".join(["'self'", *fake_settings.allowed_origins]))
    assert "x-frame-options" not in r.headers
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["referrer-policy"] == "same-origin"


def test_page_csp_without_frame_ancestors_gets_ours_appended(client):
    r = client.get("/test-page")
    assert r.headers["content-security-policy"] == f"default-src 'self'; img-src data:; {FRAME_ANCESTORS}"
    assert r.headers["referrer-policy"] == "no-referrer"


def test_html_without_a_csp_only_gets_frame_ancestors(client):
    # We cannot know which sources a page without its own policy needs; default-src 'none' could blank it.
    # (/docs used to be such a page; it now carries its own strict policy, see tests/api/test_pages.py.)
    r = client.get("/bare-page")
    assert r.status_code == 200
    assert r.headers["content-security-policy"] == FRAME_ANCESTORS


def test_static_files_get_the_headers(client):
    r = client.get("/static/console.css")
    assert r.status_code == 200
    assert_security_headers(r)


def test_cors_still_works(make_app):
    # http://localhost:8000 is in the settings' default CORS allowlist.
    with limited(make_app, rate_per_minute_ip=1) as c:
        origin = {"Origin": "http://localhost:8000"}
        r = c.get("/v1/calculators", headers=origin)
        assert r.headers["access-control-allow-origin"] == "http://localhost:8000"
        preflight = c.options(
            "/v1/ask",
            headers={
                **origin,
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "content-type",
            },
        )
        assert preflight.status_code == 200
        assert preflight.headers["access-control-allow-origin"] == "http://localhost:8000"
        assert preflight.headers["x-content-type-options"] == "nosniff"
        # The 429 comes from inside CORS, so the widget's page can read it.
        r = c.get("/v1/calculators", headers=origin)
        assert r.status_code == 429
        assert r.headers["access-control-allow-origin"] == "http://localhost:8000"


# --- configuration ------------------------------------------------------------------------------------------------


def test_installing_again_replaces_the_guard(make_app):
    app = make_app(rate_per_minute_ip=1)
    install_guard(app, GuardConfig(rate_per_minute_ip=2))
    classes = [m.cls for m in app.user_middleware]
    assert classes.count(LimitMiddleware) == 1 and classes.count(SecurityHeadersMiddleware) == 1
    with TestClient(app) as c:
        assert [c.get("/v1/calculators").status_code for _ in range(3)] == [200, 200, 429]
        assert c.get("/healthz").headers["content-security-policy"] == "default-src 'none'; frame-ancestors 'self'"


@pytest.mark.parametrize(
    "origin", ["partner.example", "https://a.example; script-src *", "https://a.example 'unsafe-inline'"]
)
def test_origins_that_could_inject_into_the_csp_are_refused(origin):
    with pytest.raises(ValueError):
        GuardConfig(allowed_origins=[origin])


def test_a_storage_url_must_be_redis():
    with pytest.raises(ValueError, match="redis://"):
        GuardConfig(storage_url="memcached://127.0.0.1:11211")


def test_in_memory_budgets_do_not_start_a_thread_per_request():
    budgets = Budgets({"address": 100})
    who = Budget("address", "127.0.0.1")
    storage = budgets._local.storage
    timers = []
    for _ in range(3):
        assert asyncio.run(budgets.spend(who)) == 0.0
        timers.append(storage.timer)
        # limits' own clean-up timer would have run out after 10 ms, and the next request would start another.
        time.sleep(0.05)
    assert timers[1] is timers[2] and timers[2].interval == storage.EXPIRY_EVERY_S


def test_in_memory_budgets_still_count_a_full_window():
    budgets = Budgets({"address": 2})
    who = Budget("address", "127.0.0.1")
    waits = [asyncio.run(budgets.spend(who)) for _ in range(3)]
    assert waits[:2] == [0.0, 0.0] and 0 < waits[2] <= 60


# --- budgets shared through Redis ---------------------------------------------------------------------------------


def test_two_apps_on_one_redis_spend_one_budget(make_app, redis_url):
    redis.Redis.from_url(redis_url).flushdb()
    with limited(make_app, rate_per_minute_ip=5, storage_url=redis_url) as a, \
            limited(make_app, rate_per_minute_ip=5, storage_url=redis_url) as b:
        codes = [(a if n % 2 else b).get("/v1/calculators").status_code for n in range(8)]
        assert codes == [200] * 5 + [429] * 3
        keyed = [(a if n % 2 else b).get("/v1/calculators", headers={"X-API-Key": "key-a"}).status_code for n in range(3)]
        assert keyed == [200, 200, 200]
    # Nothing of the key itself is kept in Redis, only its hash.
    keys = b"".join(redis.Redis.from_url(redis_url).keys("*"))
    assert b"key-a" not in keys and key_id("key-a").encode() in keys


def test_an_unreachable_budget_store_lets_requests_through(make_app, caplog):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = f"redis://127.0.0.1:{s.getsockname()[1]}/0"  # nothing listens once the socket closes
    with limited(make_app, rate_per_minute_ip=1, storage_url=closed) as c:
        assert [c.get("/v1/calculators").status_code for _ in range(3)] == [200, 200, 200]
    warnings = [r for r in caplog.records if "budget store is unreachable" in r.getMessage()]
    assert len(warnings) == 1  # once a minute, not once a request
