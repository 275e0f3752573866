"""The example-question neighbours (retrieval/examples.py) over the deterministic fake embedder."""

import numpy as np
import pytest

from assistant.retrieval.examples import Example, ExampleIndex
from tests.fakes import FakeEmbedder

EXAMPLES = [
    Example("逾期10天违约金多少", "late_fee"),
    Example("逾期20天违约金是多少钱", "late_fee"),
    Example("中断了30小时赔多少", "outage_credit"),
    Example("云专线能暂停吗", ""),
    Example("云专线可以暂停多久", ""),
    Example("云专线暂停要申请吗", ""),
]


def test_shares_weigh_each_calculator_by_the_similarity_of_its_nearest_examples(tmp_path):
    index = ExampleIndex.build(EXAMPLES, FakeEmbedder(), tmp_path)
    vec = FakeEmbedder().encode_queries(["逾期15天违约金多少"])[0]
    sims = index.vectors @ vec
    nearest = np.argsort(-sims)[:3]
    late = sum(sims[i] for i in nearest if EXAMPLES[i].label == "late_fee") / sum(sims[i] for i in nearest)
    shares = index.shares(vec, k=3)
    assert shares["late_fee"] == pytest.approx(late) and shares["late_fee"] > 0.5
    # The questions that are no calculation hold the rest of the share and are never listed.
    lookup = index.shares(FakeEmbedder().encode_queries(["云专线暂停"])[0], k=3)
    assert "" not in lookup and sum(lookup.values()) < 0.5


def test_a_question_never_votes_for_itself(tmp_path):
    index = ExampleIndex.build(EXAMPLES, FakeEmbedder(), tmp_path)
    vec = FakeEmbedder().encode_queries(["中断了30小时赔多少"])[0]
    assert index.shares(vec, k=1) == {"outage_credit": 1.0}
    assert "outage_credit" not in index.shares(vec, exclude=" 中断了30小时赔多少 ", k=1)


def test_vectors_are_cached_per_model_and_examples(tmp_path):
    embedder = FakeEmbedder()
    ExampleIndex.build(EXAMPLES, embedder, tmp_path)
    calls = embedder.calls
    again = ExampleIndex.build(EXAMPLES, embedder, tmp_path)
    assert embedder.calls == calls and again.vectors.shape == (len(EXAMPLES), FakeEmbedder.dim)
    ExampleIndex.build(EXAMPLES[:-1], embedder, tmp_path)  # other examples: encoded anew
    ExampleIndex.build(EXAMPLES, FakeEmbedder("other-model"), tmp_path)
    assert len(list((tmp_path / "examples").glob("*.npy"))) == 3


def test_a_damaged_cache_file_is_encoded_again(tmp_path):
    ExampleIndex.build(EXAMPLES, FakeEmbedder(), tmp_path)
    (cached,) = (tmp_path / "examples").glob("*.npy")
    cached.write_bytes(b"not a numpy file")
    rebuilt = ExampleIndex.build(EXAMPLES, FakeEmbedder(), tmp_path)
    assert rebuilt.vectors.shape[0] == len(EXAMPLES) and np.load(cached).shape[0] == len(EXAMPLES)


def test_vectors_must_match_the_examples():
    with pytest.raises(ValueError, match="2 examples but 1 vectors"):
        ExampleIndex(EXAMPLES[:2], np.zeros((1, 4), dtype=np.float32))


def test_the_out_of_scope_share_is_that_of_the_nearest_out_of_scope_examples(tmp_path):
    examples = [*EXAMPLES, Example("移动宽带多少钱一个月", "", out_of_scope=True), Example("移动宽带怎么办理", "", out_of_scope=True)]
    index = ExampleIndex.build(examples, FakeEmbedder(), tmp_path)
    vec = FakeEmbedder().encode_queries(["移动宽带一个月多少钱"])[0]
    sims = index.vectors @ vec
    nearest = np.argsort(-sims)[:3]
    expected = sum(sims[i] for i in nearest if examples[i].out_of_scope) / sum(sims[i] for i in nearest)
    assert index.out_of_scope_share(vec, k=3) == pytest.approx(expected) and expected > 0.5
    assert index.out_of_scope_share(FakeEmbedder().encode_queries(["逾期10天违约金多少"])[0], k=2) == 0.0


def test_nearest_gives_both_shares_at_once_and_never_more_neighbours_than_examples(tmp_path):
    index = ExampleIndex.build(EXAMPLES, FakeEmbedder(), tmp_path)
    vec = FakeEmbedder().encode_queries(["逾期15天违约金多少"])[0]
    near = index.nearest(vec, k=3)
    assert near.shares == index.shares(vec, k=3) and near.out_of_scope == index.out_of_scope_share(vec, k=3) == 0.0
    every = index.nearest(vec, k=50)
    assert sum(every.shares.values()) == pytest.approx(3 / 6, abs=0.2) and every.shares.keys() == {"late_fee", "outage_credit"}


def test_an_excluded_question_is_no_neighbour_even_when_every_example_is_asked_for(tmp_path):
    index = ExampleIndex.build(EXAMPLES[:3], FakeEmbedder(), tmp_path)
    vec = FakeEmbedder().encode_queries(["中断了30小时赔多少"])[0]
    assert "outage_credit" not in index.shares(vec, exclude="中断了30小时赔多少", k=10)
    lonely = ExampleIndex.build(EXAMPLES[2:3], FakeEmbedder(), tmp_path)
    assert lonely.nearest(vec, exclude="中断了30小时赔多少").shares == {} and lonely.out_of_scope_share(vec) == 0.0


def test_nearest_in_wording_needs_no_model_and_never_counts_the_question_itself(tmp_path):
    embedder = FakeEmbedder()
    index = ExampleIndex.build(EXAMPLES, embedder, tmp_path)
    calls = embedder.calls
    near = index.nearest_in_wording("逾期12天违约金多少", k=3)
    assert embedder.calls == calls
    assert max(near.shares, key=near.shares.get) == "late_fee" and near.shares["late_fee"] > 0.5
    assert "outage_credit" not in index.nearest_in_wording("中断了30小时赔多少", exclude="中断了30小时赔多少", k=1).shares
    assert ExampleIndex([], np.zeros((0, 4), dtype=np.float32)).nearest_in_wording("逾期12天").shares == {}
    assert index.nearest_in_wording("  ").shares == {}  # no words, no neighbours (and no error)


def test_several_questions_can_be_left_out_of_the_neighbours(tmp_path):
    index = ExampleIndex.build(EXAMPLES, FakeEmbedder(), tmp_path)
    vec = FakeEmbedder().encode_queries(["逾期15天违约金多少"])[0]
    assert "late_fee" in index.shares(vec, k=3)
    assert "late_fee" not in index.shares(vec, exclude=[EXAMPLES[0].text, EXAMPLES[1].text], k=3)


def test_answering_names_the_clauses_of_near_lookups_only(tmp_path):
    rows = [*EXAMPLES, Example("转租给别人会怎么样", "", False, ("M-11",)), Example("云专线暂停要申请吗", "", False, ("M-26",))]
    index = ExampleIndex.build(rows, FakeEmbedder(), tmp_path)
    vec = FakeEmbedder().encode_queries(["转租给别人会怎么样"])[0]
    assert index.answering(vec, floor=0.99) == {"M-11"}
    # Not the lookup itself, and nothing when no lookup is that near.
    assert index.answering(vec, floor=0.99, exclude="转租给别人会怎么样") == set()
    far = FakeEmbedder().encode_queries(["逾期10天违约金多少"])[0]
    assert index.answering(far, floor=0.99) == set()
    assert "M-11" not in index.answering(far, floor=-1.0, k=1)


def test_one_search_serves_every_ask_for_the_same_vector_and_never_another(tmp_path, monkeypatch):
    index = ExampleIndex.build(EXAMPLES, FakeEmbedder(), tmp_path)
    vec, other = FakeEmbedder().encode_queries(["逾期15天违约金多少", "云专线暂停"])
    searches = []
    search = index._flat.search
    monkeypatch.setattr(index, "_flat", type("Counting", (), {"search": lambda self, q, k: searches.append(k) or search(q, k)})())
    first = index.nearest(vec, k=5)
    assert index.nearest(vec, k=2).shares == ExampleIndex.build(EXAMPLES, FakeEmbedder(), tmp_path).nearest(vec, k=2).shares
    assert index.nearest(vec, k=5) == first and len(searches) == 1
    # another vector, or another question left out, is searched again
    index.nearest(other, k=5)
    index.nearest(vec, exclude=EXAMPLES[0].text, k=5)
    assert len(searches) == 3


def test_the_vague_share_and_its_readings_count_only_when_the_nearest_example_is_vague(tmp_path):
    rows = [
        Example("违约金多少", "", False, (), ("late_fee", "sublease_penalty", "A1-6.4")),
        Example("违约金是多少钱", "", False, (), ("late_fee", "A1-6.4")),
        Example("违约金怎么算的", "", False, (), ("sublease_penalty",)),
        Example("转租给别人会怎么样", "", False, ("M-11",)),
    ]
    index = ExampleIndex.build(rows, FakeEmbedder(), tmp_path)
    near = index.nearest(FakeEmbedder().encode_queries(["违约金多少"])[0], k=3)
    assert near.vague == pytest.approx(1.0)
    # the nearest one's readings first, then those the others weigh most
    assert near.readings[:3] == ("late_fee", "sublease_penalty", "A1-6.4")
    lookup = index.nearest(FakeEmbedder().encode_queries(["转租给别人会怎么样"])[0], k=3)
    assert lookup.vague == 0.0 and lookup.readings == ()
