import asyncio
import json

import httpx
import pytest
from fastapi.responses import HTMLResponse
from fastapi.testclient import TestClient

from assistant.api.app import create_app
from assistant.api.guard import (
    GuardConfig,
    LimitMiddleware,
    RateLimiter,
    SecurityHeadersMiddleware,
    client_address,
    install_guard,
)
from assistant.api.web import _CONSOLE_CSP

PARTNER = "https://partner.example"
FRAME_ANCESTORS = f"frame-ancestors 'self' {PARTNER}"
API_CSP = f"default-src 'none'; {FRAME_ANCESTORS}"
LIMIT = 16384
TOO_LARGE = {"error": {"code": "payload_too_large", "message": f"request body must be at most {LIMIT} bytes"}}


class Clock:
    """A monotonic clock the tests move by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def make_app(fake_settings, fake_assistant, clock):
    """A fresh app (so each test starts with full budgets) guarded with the given limits."""

    def make(**overrides):
        settings = fake_settings.model_copy(update={"api_keys": ["key-a", "key-b"]})
        app = create_app(settings, fake_assistant)

        @app.get("/test-page", include_in_schema=False)
        def page() -> HTMLResponse:
            return HTMLResponse("<p>hi</p>", headers={"Content-Security-Policy": "default-src 'self'; img-src data:"})

        @app.get("/bare-page", include_in_schema=False)
        def bare_page() -> HTMLResponse:
            return HTMLResponse("<p>hi</p>")

        config = {"allowed_origins": [PARTNER], "api_keys": ["key-a", "key-b"], **overrides}
        install_guard(app, GuardConfig(**config), clock=clock)
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


def test_client_over_budget_gets_429_then_recovers(make_app, clock):
    with limited(make_app, rate_per_minute_ip=3) as c:
        assert [c.get("/v1/calculators").status_code for _ in range(3)] == [200, 200, 200]
        r = c.get("/v1/calculators")
        assert r.status_code == 429
        # 3 a minute refill one token every 20 s.
        assert r.headers["retry-after"] == "20"
        assert r.json() == {"error": {"code": "rate_limited", "message": "too many requests; retry after 20 s"}}
        assert_security_headers(r)

        clock.now += 19.5
        r = c.get("/v1/calculators")
        assert r.status_code == 429 and r.headers["retry-after"] == "1"
        clock.now += 0.5
        assert c.get("/v1/calculators").status_code == 200
        assert c.get("/v1/calculators").status_code == 429


def test_retry_after_is_never_below_one_second(make_app, clock):
    with limited(make_app, rate_per_minute_ip=1) as c:
        assert c.get("/v1/calculators").status_code == 200
        clock.now += 59.99
        r = c.get("/v1/calculators")
        assert r.status_code == 429 and r.headers["retry-after"] == "1"


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


def test_forwarded_for_is_used_only_when_trusted(make_app):
    with limited(make_app, rate_per_minute_ip=1, trust_forwarded=True) as c:
        assert c.get("/v1/calculators", headers={"X-Forwarded-For": "203.0.113.1, 10.0.0.1"}).status_code == 200
        assert c.get("/v1/calculators", headers={"X-Forwarded-For": "203.0.113.1"}).status_code == 429
        assert c.get("/v1/calculators", headers={"X-Forwarded-For": "203.0.113.2, 203.0.113.1"}).status_code == 200
    with limited(make_app, rate_per_minute_ip=1) as c:
        assert c.get("/v1/calculators", headers={"X-Forwarded-For": "203.0.113.1"}).status_code == 200
        assert c.get("/v1/calculators", headers={"X-Forwarded-For": "203.0.113.2"}).status_code == 429


def test_client_address():
    scope = {"client": ("10.0.0.9", 5000), "headers": [(b"x-forwarded-for", b" 198.51.100.7 , 10.0.0.1")]}
    assert client_address(scope, trust_forwarded=False) == "10.0.0.9"
    assert client_address(scope, trust_forwarded=True) == "198.51.100.7"
    assert client_address({"client": None, "headers": []}, trust_forwarded=True) == "unknown"


def test_idle_buckets_are_evicted(clock):
    limiter = RateLimiter(60, clock)
    for i in range(1000):
        limiter.take(f"10.0.{i // 256}.{i % 256}")
    assert len(limiter) == 1000
    # A bucket idle for a minute is full again, so forgetting it loses nothing.
    clock.now += 60
    limiter.take("10.9.9.9")
    assert len(limiter) == 1


def test_bucket_count_is_capped(clock):
    limiter = RateLimiter(60, clock, max_buckets=100)
    for i in range(1000):
        limiter.take(str(i))
    assert len(limiter) == 100


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


def test_installing_again_replaces_the_guard(make_app, clock):
    app = make_app(rate_per_minute_ip=1)
    install_guard(app, GuardConfig(rate_per_minute_ip=2), clock=clock)
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
