import numpy as np
import pytest

from assistant.retrieval.search import Mode, _ranks
from assistant.retrieval.tokenize import Tokenizer


def test_ranks_are_one_based_best_first():
    assert _ranks(np.array([0.1, 0.9, 0.5])).tolist() == [3, 1, 2]


def test_tokenizer_keeps_domain_words_whole_and_drops_stopwords():
    t = Tokenizer(["暂关", "云专线"])
    words = t.words("云专线产品能不能办理暂关的")
    assert "暂关" in words and "云专线" in words
    assert "的" not in words and "能不能" not in words


@pytest.mark.parametrize("mode", list(Mode))
def test_every_mode_returns_k_distinct_hits(fake_assistant, mode):
    r = fake_assistant.retriever.search("专线能暂停吗", k=5, mode=mode)
    ids = [h.clause_id for h in r.hits]
    assert len(ids) == len(set(ids)) == 5


def test_synonyms_expand_everyday_words_to_contract_terms(fake_assistant):
    r = fake_assistant.retriever.search("专线能不能先停机几个月")
    assert "暂关" in r.expansions


def test_bm25_finds_a_clause_by_its_distinctive_words(fake_assistant):
    r = fake_assistant.retriever.search("80端口 443端口 网站备案", mode=Mode.bm25)
    assert r.hits[0].clause_id == "M-10"


def test_signals_report_domain_terms(fake_assistant):
    inside = fake_assistant.retriever.search("专线欠费违约金").signals
    outside = fake_assistant.retriever.search("今天天气怎么样").signals
    assert inside.domain_terms and not outside.domain_terms
    assert inside.bm25_top > outside.bm25_top
