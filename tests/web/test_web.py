"""The web front ends over HTTP (no browser): pages, content types, and CORS for allowed and other origins."""

import re

import pytest
from fastapi.testclient import TestClient

from assistant.api.app import create_app
from assistant.settings import Settings

ALLOWED = "https://partner.example.com"
OTHER = "https://evil.example.net"


@pytest.fixture(scope="module")
def client(fake_settings, fake_assistant):
    settings = Settings(allowed_origins=[ALLOWED + "/"], index_dir=fake_settings.index_dir, data_dir=fake_settings.data_dir)
    app = create_app(settings, fake_assistant)  # a trailing slash in the setting must not matter
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


def preflight(client, origin, method="POST"):
    return client.options(
        "/v1/ask",
        headers={
            "Origin": origin, "Access-Control-Request-Method": method,
            # The widget names its server-issued session in X-Session-Id (its request budget).
            "Access-Control-Request-Headers": "content-type, x-session-id",
        },
    )


def test_console_page(client):
    r = client.get("/")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    assert "坐席工作台" in r.text and "/static/console.js" in r.text and "/static/console.css" in r.text
    assert "default-src 'self'" in r.headers["content-security-policy"]


@pytest.mark.parametrize("path, kind", [("/static/console.js", "javascript"), ("/static/console.css", "text/css")])
def test_console_assets(client, path, kind):
    r = client.get(path)
    assert r.status_code == 200 and kind in r.headers["content-type"]


def test_widget_script(client):
    r = client.get("/widget.js")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/javascript")
    assert "attachShadow" in r.text and '"widget"' in r.text


def test_widget_demo_page(client):
    r = client.get("/widget-demo")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    assert '<script src="/widget.js"' in r.text


def test_pages_are_not_in_the_api_schema(client):
    paths = client.get("/openapi.json").json()["paths"]
    assert "/" not in paths and "/widget.js" not in paths and "/v1/ask" in paths


def test_no_external_resources():
    from assistant.api.web import WEB_DIR

    for f in WEB_DIR.iterdir():
        text = f.read_text(encoding="utf-8")
        # Real tags only: the demo page shows the embed tag as escaped text (&lt;script src="https://HOST/…").
        if f.suffix == ".html":
            assert not re.search(r"<(script|link|img|iframe)[^>]*(src|href)=[\"']?(https?:)?//", text), f.name
        assert not re.search(r"(import|from)\s*\(?\s*[\"'](https?:)?//", text), f.name
        assert "@import" not in text and not re.search(r"url\(\s*[\"']?(https?:)?//", text), f.name


def test_server_strings_never_go_through_innerhtml():
    from assistant.api.web import WEB_DIR

    assert "innerHTML" not in (WEB_DIR / "console.js").read_text(encoding="utf-8")
    widget = (WEB_DIR / "widget.js").read_text(encoding="utf-8")
    # Its one use is the launcher's static icon.
    assert widget.count(".innerHTML") == 1 and "launcher.innerHTML = ICON" in widget


def test_preflight_from_allowed_origin(client):
    r = preflight(client, ALLOWED)
    assert r.status_code == 200
    assert r.headers["access-control-allow-origin"] == ALLOWED
    assert "POST" in r.headers["access-control-allow-methods"]
    assert {"content-type", "x-session-id"} <= set(r.headers["access-control-allow-headers"].lower().split(", "))


def test_preflight_from_other_origin_gets_no_allow_origin(client):
    r = preflight(client, OTHER)
    assert "access-control-allow-origin" not in r.headers
    assert r.status_code >= 400


def test_preflight_for_other_methods_is_refused(client):
    r = preflight(client, ALLOWED, method="DELETE")
    assert r.status_code >= 400


def test_simple_request_from_allowed_origin_is_readable(client):
    r = client.get("/v1/clauses/M-10", headers={"Origin": ALLOWED})
    assert r.status_code == 200 and r.headers["access-control-allow-origin"] == ALLOWED


def test_simple_request_from_other_origin_is_not(client):
    r = client.get("/v1/clauses/M-10", headers={"Origin": OTHER})
    assert "access-control-allow-origin" not in r.headers


def test_no_origins_allowed_means_same_origin_only(fake_settings, fake_assistant):
    app = create_app(fake_settings.model_copy(update={"allowed_origins": []}), fake_assistant)
    with TestClient(app) as c:
        assert "access-control-allow-origin" not in preflight(c, ALLOWED).headers
        assert c.get("/").status_code == 200
