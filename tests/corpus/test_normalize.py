import pytest

from assistant.corpus.normalize import fold, normalize_query


@pytest.mark.parametrize(
    "raw, folded",
    [
        ("５０Ｍ專線", "50m专线"),
        ("雲專線 欠費", "云专线欠费"),
        ("ＡＢＣ　ｄｅｆ", "abc def"),
        ("违约金\u200b怎么算\x07", "违约金怎么算"),
    ],
)
def test_fold(raw, folded):
    assert fold(raw) == folded


@pytest.mark.parametrize(
    "raw, clean",
    [
        ("喂 嗯 那个 就是 专线欠费了怎么办", "专线欠费了怎么办"),
        ("嗯嗯，专线专线能不能停", "专线能不能停"),
        ("请问一下开户费多少", "开户费多少"),
    ],
)
def test_normalize_query_drops_fillers_and_repetitions(raw, clean):
    assert normalize_query(raw) == clean
