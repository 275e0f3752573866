"""Issue 12's privacy test: personal data sent through the API is found nowhere the service keeps data.

Questions carrying a phone number and an ID number, written the ways people and speech recognition write them,
go through /v1/ask, /v1/feedback and /v1/ivr/turn; then every file of the data directory (WAL included) and
every Redis key and value is searched for them. The answers are still computed from the questions as asked.
"""

from __future__ import annotations

import pytest
import redis
from fastapi.testclient import TestClient

from assistant.api.app import create_app

PHONE = "13812345678"
ID_NUMBER = "11010519491231002X"
NAME = "张三"

# Each form a number may take in a question, and so on disk.
NEEDLES = [
    PHONE,
    "138.1234.5678",
    "138-1234-5678",
    "138 1234 5678",
    "一三八一二三四五六七八",
    "幺三八",
    "１３８１２３４５６７８",
    ID_NUMBER[:17],
    "１１０１０５１９４９１２３１００２",
    "一一〇一〇五一九四九一二三一〇〇二",
    NAME,
    "建国路88号",
]

ASK = [
    ("agent", f"我叫{NAME}，手机{PHONE}，身份证{ID_NUMBER}，欠费5100元逾期12天，违约金多少"),
    ("agent", "那逾期20天呢，回电138.1234.5678"),
    ("widget", "我手机１３８１２３４５６７８，50M专线不要云了每个月多少钱"),
    ("widget", "身份证１１０１０５１９４９１２３１００２Ｘ，回电一三八一二三四五六七八，开户费多少钱"),
    ("agent", "138 1234 5678 地址北京市朝阳区建国路88号，提前解约违约金怎么算"),
]


@pytest.fixture(params=["sqlite", "redis"])
def stores(request, tmp_path, fake_settings, assistant_in):
    """Settings with a fresh data directory, and a Redis (flushed) when the param says so; the Assistant on them."""
    update = {"data_dir": tmp_path / "data", "api_keys": ["k"]}
    client = None
    if request.param == "redis":
        url = request.getfixturevalue("redis_url")
        client = redis.Redis.from_url(url)
        client.flushdb()
        update["redis_url"] = url
    settings = fake_settings.model_copy(update=update)
    yield settings, assistant_in(settings), client
    if client is not None:
        client.close()


def _redis_contents(client: redis.Redis) -> list[tuple[bytes, bytes, int]]:
    """Every key with its value (any type, serialised) and its time to live in ms."""
    return [(key, client.dump(key) or b"", client.pttl(key)) for key in client.scan_iter("*")]


def test_personal_data_is_stored_nowhere(stores):
    settings, assistant, redis_client = stores
    with TestClient(create_app(settings, assistant), raise_server_exceptions=False) as c:
        session = None
        answers = []
        for channel, question in ASK:
            r = c.post("/v1/ask", json={"question": question, "channel": channel, "session_id": session})
            assert r.status_code == 200, r.text
            answers.append(r.json())
            session = answers[-1]["session_id"]
        fb = {"session_id": session, "turn": 1, "helpful": False, "comment": f"没说清楚，回电138-1234-5678，身份证{ID_NUMBER}"}
        assert c.post("/v1/feedback", json=fb).status_code == 201
        for transcript in ["我的电话是幺三八 幺二三四 五六七八 逾期十天违约金多少", "身份证号一一〇一〇五一九四九一二三一〇〇二X"]:
            r = c.post("/v1/ivr/turn", json={"call_id": "call-0001", "transcript": transcript}, headers={"X-API-Key": "k"})
            assert r.status_code == 200, r.text

    # The answers were computed from the questions as asked: 5100 × 3‰ × 12 and × 20.
    assert "183.60" in answers[0]["answer"] and "306.00" in answers[1]["answer"]
    assert "5100" in answers[2]["answer"]

    files = [p for p in settings.data_dir.rglob("*") if p.is_file()]
    assert any(p.name == "audit.sqlite3-wal" for p in files) or any(p.name == "audit.sqlite3" for p in files)
    for p in files:
        data = p.read_bytes()
        found = [n for n in NEEDLES if n.encode() in data]
        assert not found, f"{found} found in {p.name}"
    if redis_client is not None:
        contents = _redis_contents(redis_client)
        assert contents, "the sessions should be in Redis"
        for key, value, ttl in contents:
            found = [n for n in NEEDLES if n.encode() in key or n.encode() in value]
            assert not found, f"{found} found in Redis key {key!r}"
            assert ttl > 0, f"Redis key {key!r} never expires"
