from assistant.answer.quote import best_quote, sentences


def test_sentences_keep_punctuation():
    assert sentences("甲。乙；丙") == ["甲。", "乙；", "丙"]


def test_quote_picks_the_sentence_about_the_question(corpus):
    q = best_quote(corpus.get("A1-4.5").text, "逾期15日暂停服务")
    assert "15日" in q and "销毁" not in q


def test_quote_is_part_of_the_clause(corpus):
    for cid in ("M-29", "M-36", "A1-6.4"):
        text = corpus.get(cid).text
        q = best_quote(text, "违约金怎么算")
        assert q and all(part in text for part in q.split("……"))


def test_sentences_apart_in_the_clause_are_separate_quotes(corpus):
    text = corpus.get("M-29").text
    q = best_quote(text, "违约金怎么算")
    parts = q.split("……")
    assert len(parts) == 2 and all(p in text for p in parts) and parts[0] + parts[1] not in text


def test_short_clause_is_quoted_whole(corpus):
    assert best_quote(corpus.get("M-9").text, "能暂停吗") == corpus.get("M-9").text
