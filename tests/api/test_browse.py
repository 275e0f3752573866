"""The clause browser's search (through the synonym data) and the widget's suggested questions."""

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from assistant.api.app import create_app
from assistant.corpus.suggestions import load_suggestions


@pytest.fixture(scope="module")
def client(fake_settings, fake_assistant):
    with TestClient(create_app(fake_settings, fake_assistant), raise_server_exceptions=False) as c:
        yield c


def search(client, q):
    r = client.get("/v1/clause-search", params={"q": q})
    assert r.status_code == 200, r.text
    return r.json()


def test_an_everyday_word_finds_the_clauses_through_the_synonym_data(client):
    # Issue 14: the old substring search found none of 121 clauses for 退租.
    body = search(client, "退租")
    ids = [c["id"] for c in body["clauses"]]
    assert body["terms"][:1] == ["退租"] and {"终止", "解除"} <= set(body["terms"])
    assert {"A1-6.4", "A1-13.1", "M-5"} <= set(ids)
    first = body["clauses"][0]
    assert first["name"] and first["topic"] and set(first["terms"]) <= set(body["terms"])
    scores = [c["score"] for c in body["clauses"]]
    assert scores == sorted(scores, reverse=True)


@pytest.mark.parametrize("q, clause", [("A1-4.5", "A1-4.5"), ("m-36", "M-36"), ("第二十三条", "M-23")])
def test_ids_and_names_find_their_clause(client, q, clause):
    assert [c["id"] for c in search(client, q)["clauses"]] == [clause]


def test_words_in_the_text_and_notes_are_found(client, corpus):
    ids = {c["id"] for c in search(client, "备案")["clauses"]}
    assert {c.id for c in corpus.clauses if "备案" in c.text} <= ids


@pytest.mark.parametrize("q", ["", " ", "x" * 101])
def test_bad_queries_get_a_clear_422(client, q):
    r = client.get("/v1/clause-search", params={"q": q})
    assert r.status_code == 422 and r.json()["error"]["message"]


def test_nothing_found_is_an_empty_list(client):
    assert search(client, "不存在的词语zzz")["clauses"] == []


def test_opening_suggestions_are_questions_from_the_clause_notes(client, fake_settings):
    questions = client.get("/v1/suggestions").json()["questions"]
    notes = load_suggestions(Path(fake_settings.corpus_dir)).questions
    assert 1 <= len(questions) <= 3
    assert all(any(q in qs for qs in notes.values()) for q in questions)


def test_suggestions_after_an_answer_are_about_its_clauses_and_not_what_was_asked(client, fake_settings):
    notes = load_suggestions(Path(fake_settings.corpus_dir)).questions
    asked = notes["M-10"][0]
    r = client.get("/v1/suggestions", params=[("after", "M-10"), ("after", "M-16"), ("asked", asked)])
    questions = r.json()["questions"]
    assert questions and asked not in questions
    assert all(q in notes["M-10"] + notes["M-16"] for q in questions)
    assert any(q in notes["M-10"] for q in questions) and any(q in notes["M-16"] for q in questions)


def test_suggestions_refuse_a_malformed_clause_id(client):
    r = client.get("/v1/suggestions", params={"after": "<script>"})
    assert r.status_code == 422


def test_suggestions_data_is_checked_when_loaded(tmp_path):
    corpus = Path(__file__).resolve().parents[2] / "corpus"
    for name in ("contract.txt", "clause_notes.toml"):
        (tmp_path / name).write_bytes((corpus / name).read_bytes())
    (tmp_path / "suggestions.toml").write_text('opening = ["M-999"]\n', encoding="utf-8")
    with pytest.raises(ValueError, match="M-999"):
        load_suggestions(tmp_path)
    (tmp_path / "suggestions.toml").write_text('opening = ["M-1"]\nlimit = 0\n', encoding="utf-8")
    load_suggestions.cache_clear()
    with pytest.raises(ValueError, match="limit"):
        load_suggestions(tmp_path)
