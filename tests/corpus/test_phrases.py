import pytest
from hypothesis import given
from hypothesis import strategies as st

from assistant.corpus.phrases import PhraseIndex

PHRASES = ["逾期", "逾期违约金", "违约金", "月租", "月租费", "", "断网", "逾期"]


@pytest.mark.parametrize(
    "texts, found",
    [
        (("逾期违约金怎么算",), {"逾期", "逾期违约金", "违约金"}),  # overlapping phrases all count
        (("月租多少", "月租费5100元"), {"月租", "月租费"}),  # any of several texts
        (("专线断了",), set()),  # 断 alone is not 断网
        (("",), set()),
    ],
)
def test_found_is_every_phrase_contained_in_a_text(texts, found):
    assert PhraseIndex(PHRASES).found(*texts) == found


def test_found_agrees_with_testing_every_phrase():
    index = PhraseIndex(PHRASES)
    for text in ["逾期十天违约金多少", "月租费断网", "网断了逾期", "租月期逾"]:
        assert index.found(text) == {p for p in PHRASES if p and p in text}


def test_no_phrases_finds_nothing():
    assert PhraseIndex([]).found("逾期") == set()
    assert PhraseIndex([""]).found("逾期") == set()


@given(
    phrases=st.lists(st.text(alphabet="逾期违约金", min_size=0, max_size=4), max_size=12),
    texts=st.lists(st.text(alphabet="逾期违约金月", max_size=12), min_size=1, max_size=3),
)
def test_found_is_exactly_the_contained_phrases(phrases, texts):
    assert PhraseIndex(phrases).found(*texts) == {p for p in phrases if p and any(p in t for t in texts)}


def test_occurrences_give_every_start():
    assert sorted(PhraseIndex(PHRASES).occurrences("逾期违约金，逾期")) == [(0, "逾期"), (0, "逾期违约金"), (2, "违约金"), (6, "逾期")]
