import math
import tomllib
from pathlib import Path

import numpy as np
import pytest

from assistant.corpus.normalize import normalize_query
from assistant.retrieval.search import Mode, ModelNeeded, _ranks, model_free
from assistant.retrieval.tokenize import Tokenizer

DATA = Path(__file__).resolve().parents[1] / "data"
QUESTION_FILES = ("eval_questions.toml", "calc_questions.toml", "scope_calibration.toml")


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


@pytest.mark.parametrize(
    ("question", "term", "not_term"),
    [
        # a licence asked for a business is the operating licence (M-18, A1-2.4), a business licence (营业执照)
        # the registration documents of joining (M-2)
        ("經營線上遊戲網站需要什麼執照？", "经营许可证", "登记资料"),
        ("办专线要带营业执照吗", "登记资料", "经营许可证"),
    ],
)
def test_a_licence_expands_to_what_it_is_a_licence_for(fake_assistant, question, term, not_term):
    from assistant.corpus.normalize import normalize_query

    expansions = fake_assistant.knowledge.expand(normalize_query(question))
    assert term in expansions and not_term not in expansions


def test_bm25_finds_a_clause_by_its_distinctive_words(fake_assistant):
    r = fake_assistant.retriever.search("80端口 443端口 网站备案", mode=Mode.bm25)
    assert r.hits[0].clause_id == "M-10"


def test_signals_report_domain_terms(fake_assistant):
    inside = fake_assistant.retriever.search("专线欠费违约金").signals
    outside = fake_assistant.retriever.search("今天天气怎么样").signals
    assert inside.domain_terms and not outside.domain_terms
    assert inside.bm25_top > outside.bm25_top


def test_bm25_scores_equal_bm25s_own_scoring(fake_assistant):
    """The dense term table gives the scores bm25s computes itself, on every labelled question."""
    retriever = fake_assistant.retriever
    bm25 = retriever.artefacts.bm25
    questions = [row["q"] for name in QUESTION_FILES for row in tomllib.loads((DATA / name).read_text())["question"]]
    for q in questions + ["", "完全无关的话"]:
        expansions = fake_assistant.knowledge.expand(q)
        ours = retriever.bm25_scores(q, expansions)
        tokens = retriever.tokenizer(q) + [t for e in expansions for t in retriever.tokenizer.term_words(e)]
        known = bm25.get_tokens_ids(tokens)
        theirs = bm25.get_scores_from_ids(known) if known else np.zeros(len(retriever.ids))
        np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-6, err_msg=q)


def test_model_free_stops_only_searches_that_encode(fake_assistant):
    retriever = fake_assistant.retriever
    question = "专线能暂停吗（只在这个测试里问）"
    with model_free():
        assert retriever.search(question, mode=Mode.bm25).hits  # lexical: no model
        with pytest.raises(ModelNeeded) as need:
            retriever.search(question, mode=Mode.hybrid)
    # ModelNeeded names the encoder's input: the normalised question.
    assert need.value.text == normalize_query(question)
    assert retriever.search(question, mode=Mode.hybrid).hits  # the block is over
    # Now its vector is cached, so the same search needs no model any more.
    with model_free():
        assert retriever.search(question, mode=Mode.hybrid).hits


def test_model_free_uses_the_vectors_it_is_given(fake_assistant):
    retriever = fake_assistant.retriever
    question = "专线能暂停吗（另一个只在这里问的问题）"
    text = normalize_query(question)
    vec = fake_assistant.retriever.embedder.encode_queries([text])[0]
    with model_free({text: vec}):
        r = retriever.search(question, mode=Mode.hybrid)
    np.testing.assert_array_equal(r.query_vector, vec)


def test_segmentation_is_remembered_and_each_caller_gets_its_own_list():
    t = Tokenizer(["云专线"])
    words = t.words("云专线欠费了怎么办")
    assert "云专线" in words and "欠费" in words
    words.append("篡改")
    assert t.words("云专线欠费了怎么办") == words[:-1]


def test_a_clause_number_is_one_token_and_matches_no_other_number():
    t = Tokenizer(["云专线"])
    title = t("主协议第四十五条")
    assert "§45条" in title and "十五" not in title and "#十五" not in title
    assert "§15条" in t("第十五条讲的什么")
    assert not set(t("合同里那个十五天是什么意思")) & set(title) - {"#协议", "协议"}


def test_a_paraphrase_row_ranks_a_little_below_the_curated_rows(fake_assistant):
    """Asked in a paraphrase's own words, its clause scores the paraphrase's cosine (1) less the penalty."""
    retriever = fake_assistant.retriever
    note = fake_assistant.knowledge.note("M-5")
    assert note.paraphrases and retriever.settings.paraphrase_penalty > 0
    vec = retriever.embedder.encode_queries([note.paraphrases[0]])[0]
    scores = retriever.dense_scores(vec)
    m5 = retriever.ids.index("M-5")
    assert scores[m5] == pytest.approx(1.0 - retriever.settings.paraphrase_penalty, abs=1e-5)


def test_a_clause_answering_a_near_labelled_lookup_ranks_first(fake_assistant):
    """A labelled lookup whose vector is the question's adds Settings.example_weight to its clause's fused score,
    which lifts the runner-up to first when it trailed by less; a question is never its own example."""
    from assistant.retrieval.examples import Example, ExampleIndex

    retriever = fake_assistant.retriever
    settings = retriever.settings
    question = "专线能暂停吗"
    hits = retriever.search(question, mode=Mode.hybrid).hits
    plain = [h.clause_id for h in hits]
    target = plain[1]
    # Scores are exp(-trail / fusion_temperature): the first scores 1, the runner-up trails it by `trail`.
    assert hits[0].score == 1.0
    trail = -settings.fusion_temperature * math.log(hits[1].score)
    lexical = [h.clause_id for h in retriever.search(question, mode=Mode.bm25).hits]
    vector = retriever.embedder.encode_queries([normalize_query(question)])
    saved = retriever.examples
    try:
        retriever.settings = settings.model_copy(update={"example_weight": trail + 0.1})
        retriever.examples = ExampleIndex([Example("暂停专线可以吗", "", False, (target,))], vector)
        voted = retriever.search(question, mode=Mode.hybrid).hits
        assert [h.clause_id for h in voted][:2] == [target, plain[0]]
        assert -settings.fusion_temperature * math.log(voted[1].score) == pytest.approx(0.1, abs=1e-3)
        # The lexical ranking encodes nothing, so no example votes in it.
        assert [h.clause_id for h in retriever._search(question, 5, Mode.bm25).hits] == lexical
        retriever.examples = ExampleIndex([Example(question, "", False, (target,))], vector)
        assert [h.clause_id for h in retriever.search(question, mode=Mode.hybrid).hits] == plain
    finally:
        retriever.settings = settings
        retriever.examples = saved
