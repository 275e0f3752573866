"""Every HTML route carries a strict CSP, /docs uses only this service's files, answers are never cached,
and /docs and /metrics can be turned off."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from assistant.api.app import create_app

STRICT = "script-src 'self'"


@pytest.fixture(scope="module")
def client(fake_settings, fake_assistant):
    with TestClient(create_app(fake_settings, fake_assistant), raise_server_exceptions=False) as c:
        yield c


def _strict(r) -> None:
    csp = r.headers["content-security-policy"]
    assert "default-src 'self'" in csp and STRICT in csp and "object-src 'none'" in csp
    assert "unsafe-inline" not in csp.split("style-src")[0]  # no inline scripts anywhere
    assert "frame-ancestors" in csp


@pytest.mark.parametrize("path", ["/", "/widget-demo", "/static/index.html", "/static/widget-demo.html", "/docs"])
def test_every_html_route_carries_the_strict_csp(client, path):
    r = client.get(path)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    _strict(r)


def test_the_console_under_static_has_the_same_headers_as_at_the_root(client):
    # The reproduction: /static/index.html served the console without its CSP.
    root, static = client.get("/"), client.get("/static/index.html")
    for name in ("content-security-policy", "referrer-policy", "x-content-type-options"):
        assert static.headers[name] == root.headers[name]
    demo, static_demo = client.get("/widget-demo"), client.get("/static/widget-demo.html")
    assert static_demo.headers["content-security-policy"] == demo.headers["content-security-policy"]


def test_docs_load_nothing_from_another_origin(client):
    # The reproduction: /docs loaded Swagger UI from a CDN, without SRI.
    page = client.get("/docs").text
    urls = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert urls and not [u for u in urls if "//" in u or u.startswith("/") and not u.startswith("/docs")]
    assert "<script>" not in page.replace(" ", "")  # no inline script: the CSP would block it
    for url in urls:
        r = client.get("/" + url)
        assert r.status_code == 200, url
    assert "SwaggerUIBundle" in client.get("/docs/swagger-ui-bundle.js").text
    assert client.get("/docs/swagger-ui.css").headers["content-type"].startswith("text/css")
    assert client.get("/openapi.json").json()["openapi"].startswith("3.1")


def test_only_the_pages_own_files_are_served_from_the_package(client):
    # The package's demo page (which points at the petstore) and the rest of its folder stay out of reach.
    assert client.get("/docs/index.html").status_code == 404
    assert client.get("/docs/swagger-initializer.js").status_code == 404


def test_redoc_and_the_cdn_pages_are_gone(client):
    assert client.get("/redoc").status_code == 404
    assert client.get("/docs/oauth2-redirect").status_code == 404


@pytest.mark.parametrize(
    "method, path, body",
    [
        ("post", "/v1/ask", {"question": "开户费多少钱"}),
        ("post", "/v1/calculators/late_fee", {"owed": 1000, "days_late": 10}),
        ("post", "/v1/feedback", {"session_id": "s1", "turn": 1, "helpful": True}),
        ("get", "/v1/clauses/M-1", None),
        ("post", "/v1/ask", {"question": ""}),  # an error is an answer too
        ("get", "/readyz", None),
    ],
)
def test_answers_are_not_stored_by_any_cache(client, method, path, body):
    r = client.request(method.upper(), path, json=body)
    assert r.headers["content-type"].startswith("application/json")
    assert r.headers["cache-control"] == "no-store"


def test_pages_and_static_files_keep_their_own_caching(client):
    assert client.get("/").headers["cache-control"] == "no-cache"
    assert client.get("/widget.js").headers["cache-control"] == "public, max-age=300"


def test_docs_and_metrics_are_served_by_default(client):
    assert client.get("/docs").status_code == 200
    assert client.get("/openapi.json").status_code == 200
    assert client.get("/metrics").status_code == 200


def test_docs_and_metrics_can_be_turned_off(fake_settings, fake_assistant):
    settings = fake_settings.model_copy(update={"expose_docs": False, "expose_metrics": False})
    app = create_app(settings, fake_assistant)
    with TestClient(app, raise_server_exceptions=False) as c:
        for path in ("/docs", "/docs/swagger-ui-bundle.js", "/openapi.json", "/metrics"):
            assert c.get(path).status_code == 404, path
        assert c.post("/v1/ask", json={"question": "开户费多少钱"}).status_code == 200
    # The schema is still there for code that asks the app for it (the schemathesis tests).
    assert "/v1/ask" in app.openapi()["paths"]


def test_the_flags_are_read_from_the_environment(monkeypatch):
    from assistant.settings import Settings

    monkeypatch.setenv("ASSISTANT_EXPOSE_DOCS", "false")
    monkeypatch.setenv("ASSISTANT_EXPOSE_METRICS", "0")
    s = Settings()
    assert (s.expose_docs, s.expose_metrics) == (False, False)
    monkeypatch.delenv("ASSISTANT_EXPOSE_DOCS")
    monkeypatch.delenv("ASSISTANT_EXPOSE_METRICS")
    assert (Settings().expose_docs, Settings().expose_metrics) == (True, True)
