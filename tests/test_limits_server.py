"""Request budgets on the real server: who the client is comes from trusted proxies only, and workers and instances
sharing Redis spend one budget."""

import httpx
import pytest

from tests.test_server import _free_port, _kill, _serve

pytestmark = pytest.mark.slow


def _get(port: int, **headers: str) -> int:
    """One request on a new connection (so a multi-worker server may hand it to any worker); its status."""
    return httpx.get(f"http://127.0.0.1:{port}/v1/calculators", headers=headers, timeout=30).status_code


def test_a_loopback_client_varying_forwarded_for_does_not_refill_its_budget(tmp_path, real_assistant):
    # uvicorn's own default believes X-Forwarded-For from 127.0.0.1: each invented address was a fresh budget.
    port = _free_port()
    proc = _serve(port, tmp_path, rate_per_minute_ip="3")
    try:
        codes = [_get(port, **{"X-Forwarded-For": f"198.51.100.{n}"}) for n in range(6)]
    finally:
        _kill(proc)
    assert codes == [200, 200, 200, 429, 429, 429]


def test_forwarded_for_from_a_trusted_proxy_names_the_client(tmp_path, real_assistant):
    port = _free_port()
    proc = _serve(port, tmp_path, rate_per_minute_ip="2", trusted_proxies="127.0.0.1")
    try:
        first = [_get(port, **{"X-Forwarded-For": "198.51.100.1"}) for _ in range(3)]
        # Another client behind the same proxy has its own budget; one the proxy appended to a client-written
        # header is still the proxy's client (the last address the proxy did not add).
        second = [_get(port, **{"X-Forwarded-For": "203.0.113.9, 198.51.100.2"}) for _ in range(3)]
    finally:
        _kill(proc)
    assert first == [200, 200, 429]
    assert second == [200, 200, 429]


def test_two_workers_and_two_instances_sharing_redis_enforce_one_budget(tmp_path, real_assistant, redis_url):
    budget = 8
    ports = [_free_port(), _free_port()]
    shared = {"redis_url": redis_url, "rate_per_minute_ip": str(budget)}
    procs = [_serve(ports[0], tmp_path / "a", workers=2, **shared)]
    try:
        procs.append(_serve(ports[1], tmp_path / "b", workers=1, **shared))
        # Alternating instances, a new connection each time: in memory each of the three processes had its own budget.
        codes = [_get(ports[n % 2]) for n in range(3 * budget)]
    finally:
        for proc in procs:
            _kill(proc)
    assert codes.count(200) == budget
    assert codes[:budget] == [200] * budget
    assert set(codes[budget:]) == {429}


def test_signed_in_agents_and_widget_sessions_behind_one_address_have_their_own_budgets(tmp_path, real_assistant):
    # The real server, the real sign-in and the real widget sessions: one NAT address, budgets of its callers.
    keys = {"alice": "alice-key-0123456789abcdef", "bob": "bob-key-0123456789abcdef"}
    port = _free_port()
    proc = _serve(port, tmp_path, rate_per_minute_ip="5", rate_per_minute_agent="3", rate_per_minute_session="2",
                  agent_keys=",".join(f"{a}:{k}" for a, k in keys.items()))
    base = f"http://127.0.0.1:{port}"
    try:
        with httpx.Client(base_url=base, timeout=60) as alice, httpx.Client(base_url=base, timeout=60) as bob, \
                httpx.Client(base_url=base, timeout=60) as visitor:
            signed_in = [c.post("/v1/agents/sign-in", json={"key": keys[a]}).status_code
                         for a, c in (("alice", alice), ("bob", bob))]  # the address: 2 of 5
            agents = [[c.get("/v1/calculators").status_code for _ in range(4)] for c in (alice, bob)]
            widget = {"question": "开户费多少钱", "channel": "widget"}
            sid = visitor.post("/v1/ask", json=widget).json()["session_id"]  # the address: 3 of 5
            # The session's own budget, and the address's too (4 and 5 of 5): sessions do not multiply it.
            session = [visitor.post("/v1/ask", json={**widget, "session_id": sid}, headers={"X-Session-Id": sid}).status_code
                       for _ in range(3)]
            address = visitor.get("/v1/calculators", headers={"X-Forwarded-For": "198.51.100.7"}).status_code
    finally:
        _kill(proc)
    assert signed_in == [200, 200]
    assert agents == [[200, 200, 200, 429], [200, 200, 200, 429]]
    assert session == [200, 200, 429]
    assert address == 429
