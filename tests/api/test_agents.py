"""The console is for signed-in agents: key sign-in with a session cookie, or an SSO proxy's header."""

from __future__ import annotations

import time

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from starlette.middleware import Middleware

from assistant.api.app import create_app
from assistant.audit import AuditLog, FeedbackStore, default_path

ALICE, BOB = "alice-key-0123456789abcdef", "bob-key-0123456789abcdef"
PROXY = "10.9.8.7"


def agents_settings(settings, **update):
    keys = {"alice": SecretStr(ALICE), "bob": SecretStr(BOB)}
    return settings.model_copy(update={"agent_keys": keys, **update})


@pytest.fixture
def client(fake_settings, fake_assistant):
    with TestClient(create_app(agents_settings(fake_settings), fake_assistant), raise_server_exceptions=False) as c:
        yield c


def sign_in(client, key=ALICE):
    return client.post("/v1/agents/sign-in", json={"key": key})


def test_sign_in_sets_an_httponly_samesite_strict_signed_cookie(client):
    r = sign_in(client)
    assert r.status_code == 200 and r.json() == {"agent": "alice", "sign_in": "key"}
    cookie = r.headers["set-cookie"]
    flags = {part.strip().lower() for part in cookie.split(";")}
    assert cookie.startswith("assistant_agent=") and "httponly" in flags and "samesite=strict" in flags
    assert ALICE not in cookie  # only a keyed fingerprint of the key travels
    assert client.get("/v1/agents/me").json() == {"agent": "alice", "sign_in": "key"}


@pytest.mark.parametrize("key", ["wrong-key-0123456789abcdef", "ключ-агента-0123456789", ALICE[:-1]])
def test_a_wrong_key_is_401(client, key):
    r = sign_in(client, key)
    assert r.status_code == 401 and r.json()["error"]["code"] == "unauthorized"
    assert "set-cookie" not in r.headers
    assert client.get("/v1/agents/me").json()["agent"] is None


def test_the_agent_channel_needs_a_signed_in_agent_and_the_widget_stays_public(client):
    r = client.post("/v1/ask", json={"question": "开户费多少钱", "channel": "agent"})
    assert r.status_code == 401 and r.json()["error"]["code"] == "unauthorized"
    assert client.post("/v1/ask", json={"question": "开户费多少钱"}).status_code == 401  # agent is the default
    assert client.post("/v1/ask", json={"question": "开户费多少钱", "channel": "widget"}).status_code == 200
    sign_in(client)
    assert client.post("/v1/ask", json={"question": "开户费多少钱", "channel": "agent"}).status_code == 200


def test_a_forged_or_tampered_cookie_signs_nobody_in(client):
    good = sign_in(client).cookies["assistant_agent"]
    client.cookies.clear()
    for value in (good[:-2] + "xx", "eyJhZ2VudCI6ICJhbGljZSJ9.forged.sig", "null"):
        client.cookies.set("assistant_agent", value)
        assert client.get("/v1/agents/me").json()["agent"] is None
        assert client.post("/v1/ask", json={"question": "开户费多少钱"}).status_code == 401


def test_sign_out_clears_the_cookie(client):
    sign_in(client)
    r = client.post("/v1/agents/sign-out")
    assert r.status_code == 204 and "assistant_agent=null" in r.headers["set-cookie"]
    assert client.get("/v1/agents/me").json()["agent"] is None


def test_changing_an_agents_key_signs_them_out(fake_settings, fake_assistant):
    app = create_app(agents_settings(fake_settings, agent_cookie_secret=SecretStr("fixed-secret")), fake_assistant)
    with TestClient(app) as c:
        cookie = sign_in(c).cookies["assistant_agent"]
    rotated = fake_settings.model_copy(
        update={"agent_keys": {"alice": SecretStr("alice-new-key-0123456789"), "bob": SecretStr(BOB)},
                "agent_cookie_secret": SecretStr("fixed-secret")}
    )
    with TestClient(create_app(rotated, fake_assistant)) as c:
        c.cookies.set("assistant_agent", cookie)
        assert c.get("/v1/agents/me").json()["agent"] is None


def test_a_cookie_signed_in_one_worker_is_good_in_another(fake_settings, fake_assistant):
    """Without a configured secret the cookie key comes from the agent keys, the same in every worker."""
    with TestClient(create_app(agents_settings(fake_settings), fake_assistant)) as one:
        cookie = sign_in(one).cookies["assistant_agent"]
    with TestClient(create_app(agents_settings(fake_settings), fake_assistant)) as other:
        other.cookies.set("assistant_agent", cookie)
        assert other.get("/v1/agents/me").json()["agent"] == "alice"


def test_audit_records_and_feedback_carry_the_agent(client, fake_settings):
    t0 = time.time()
    sign_in(client, BOB)
    sid = client.post("/v1/ask", json={"question": "开户费多少钱", "channel": "agent"}).json()["session_id"]
    assert client.post("/v1/feedback", json={"session_id": sid, "turn": 1, "helpful": True}).status_code == 201
    records = [r for r in AuditLog(default_path(fake_settings)).query(t0, time.time() + 1) if r.session_id == sid]
    feedback = [f for f in FeedbackStore(default_path(fake_settings)).query(t0, time.time() + 1) if f.session_id == sid]
    assert [r.agent for r in records] == ["bob"] and [f.agent for f in feedback] == ["bob"]


def test_one_agents_conversation_is_unknown_to_another(client):
    sign_in(client, ALICE)
    a = client.post("/v1/ask", json={"question": "欠费5000元逾期10天违约金多少"}).json()
    sign_in(client, BOB)
    b = client.post("/v1/ask", json={"question": "那逾期20天呢", "session_id": a["session_id"]}).json()
    assert b["session_started"] is True and b["session_id"] != a["session_id"]


def test_without_agent_keys_the_console_stays_open(fake_settings, fake_assistant):
    with TestClient(create_app(fake_settings, fake_assistant)) as c:
        assert c.get("/v1/agents/me").json() == {"agent": None, "sign_in": "none"}
        assert c.post("/v1/ask", json={"question": "开户费多少钱", "channel": "agent"}).status_code == 200
        r = sign_in(c)
        assert r.status_code == 404 and r.json()["error"]["code"] == "sign_in_unavailable"


# ---------- the SSO proxy's header ----------


def sso_app(fake_settings, fake_assistant, probe=None):
    settings = fake_settings.model_copy(update={"agent_header": "X-Forwarded-User", "trusted_proxies": [f"{PROXY}/32"]})
    app = create_app(settings, fake_assistant)
    if probe is not None:
        app.user_middleware.append(Middleware(probe))  # innermost, where the rate limits run
    return app


def test_the_sso_header_is_believed_from_a_trusted_proxy_only(fake_settings, fake_assistant):
    app = sso_app(fake_settings, fake_assistant)
    with TestClient(app, client=(PROXY, 40000)) as via_proxy:
        me = via_proxy.get("/v1/agents/me", headers={"X-Forwarded-User": "carol"}).json()
        assert me == {"agent": "carol", "sign_in": "sso"}
        assert via_proxy.post("/v1/ask", json={"question": "开户费多少钱"}, headers={"X-Forwarded-User": "carol"}).status_code == 200
        # A value that is no agent id is nobody.
        assert via_proxy.get("/v1/agents/me", headers={"X-Forwarded-User": "carol; drop"}).json()["agent"] is None
    with TestClient(app, client=("10.9.8.8", 40000)) as direct:
        assert direct.get("/v1/agents/me", headers={"X-Forwarded-User": "carol"}).json()["agent"] is None
        r = direct.post("/v1/ask", json={"question": "开户费多少钱"}, headers={"X-Forwarded-User": "carol"})
        assert r.status_code == 401


def test_a_forwarded_for_header_cannot_make_a_client_look_like_the_proxy(fake_settings, fake_assistant):
    app = sso_app(fake_settings, fake_assistant)
    with TestClient(app, client=("127.0.0.1", 40000)) as local:
        r = local.get("/v1/agents/me", headers={"X-Forwarded-User": "carol", "X-Forwarded-For": PROXY})
        assert r.json()["agent"] is None


def test_the_rate_limits_see_the_agent_and_the_real_client_address(fake_settings, fake_assistant):
    seen: list[tuple] = []

    class Probe:
        def __init__(self, app):
            self.app = app

        async def __call__(self, scope, receive, send):
            if scope["type"] == "http":
                seen.append((scope.get("state", {}).get("agent"), scope["client"][0]))
            await self.app(scope, receive, send)

    app = sso_app(fake_settings, fake_assistant, probe=Probe)
    with TestClient(app, client=(PROXY, 40000)) as via_proxy:
        via_proxy.get("/v1/calculators", headers={"X-Forwarded-User": "carol", "X-Forwarded-For": "203.0.113.9"})
    with TestClient(app, client=("198.51.100.4", 40000)) as direct:
        direct.get("/v1/calculators", headers={"X-Forwarded-User": "carol", "X-Forwarded-For": "203.0.113.9"})
    assert seen == [("carol", "203.0.113.9"), (None, "198.51.100.4")]
