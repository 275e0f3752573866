"""The embedder encodes at most max_query_tokens tokens of a query, so a long question costs no more than that."""

from __future__ import annotations

import numpy as np
import pytest

from assistant.embedding.convert import convert
from assistant.embedding.model import SentenceTransformerEmbedder
from tests.embedding.test_convert import write_tiny_e5


@pytest.fixture(scope="module")
def tiny_folder(tmp_path_factory):
    """A tiny converted e5 model (pieces ▁a, ▁ab, ",", …; 16 positions)."""
    work = tmp_path_factory.mktemp("tiny-e5")
    write_tiny_e5(work / "tiny.bin")
    return convert(work / "tiny.bin", work / "model")


def test_a_query_is_encoded_only_up_to_its_token_cap(tiny_folder):
    capped = SentenceTransformerEmbedder(tiny_folder, max_query_tokens=3)
    whole = SentenceTransformerEmbedder(tiny_folder)
    short, long = "ab a,ab", "ab a,ab ab a a,"
    # Three tokens (▁ab ▁a ,) are read; whatever follows them changes nothing.
    assert np.array_equal(capped.encode_queries([long]), capped.encode_queries(["ab a,"]))
    assert np.array_equal(capped.encode_queries([short]), capped.encode_queries(["ab a,"]))
    # Without a cap the rest counts (the model reads 16 positions).
    assert not np.allclose(whole.encode_queries([long]), whole.encode_queries(["ab a,"]))
    # A query within the cap is encoded whole, and passages never are cut.
    assert np.array_equal(capped.encode_queries(["ab a"]), whole.encode_queries(["ab a"]))
    assert np.array_equal(capped.encode_passages([long]), whole.encode_passages([long]))


def test_queries_encoded_from_many_threads_at_once_all_succeed(tiny_folder):
    """The tokenizer is shared: its cap and its encode set truncation differently, which must not race
    ("Already borrowed" under concurrent lookups with batching off)."""
    from concurrent.futures import ThreadPoolExecutor

    embedder = SentenceTransformerEmbedder(tiny_folder, max_query_tokens=3)
    texts = ["ab a,ab ab a a,", "ab a", "a,ab", "ab ab ab a"] * 100
    with ThreadPoolExecutor(16) as pool:
        got = list(pool.map(lambda t: embedder.encode_queries([t])[0], texts))
    alone = {t: embedder.encode_queries([t])[0] for t in set(texts)}
    assert all(np.array_equal(v, alone[t]) for t, v in zip(texts, got))
