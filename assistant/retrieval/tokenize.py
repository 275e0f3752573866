"""Jieba tokenisation for BM25, taught the contract's own terms."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from functools import lru_cache

import jieba

from assistant.corpus.ids import numeral_value

# Function words that carry no meaning for matching a clause.
_STOPWORDS = frozenset(
    "的 了 吗 呢 吧 啊 呀 嘛 么 是 在 和 与 及 或 就 都 也 还 又 有 没 不 要 会 能 可以 可 我 你 您 他 她 它 我们 你们 "
    "他们 咱们 这 那 这个 那个 哪 哪个 什么 怎么 怎么办 怎样 如何 多少 几 个 一下 请问 想 问 请 吗 呢 么 "
    "把 被 给 对 让 从 到 跟 向 于 以 之 其 该 此 等 上 下 里 中 后 前 时 吧 啦 哦 嗯 喂 呃 额 咋 咋办 为啥 为什么 是不是 "
    "有没有 能不能 可不可以 会不会 要不要 一个 这样 那样 如果 的话 现在 已经 然后 就是 还是 但是 所以 因为 甲方 乙方".split()
)
_TOKEN_OK = re.compile(r"[\w\u4e00-\u9fff]")
_CJK_RUN = re.compile(r"[\u4e00-\u9fff]{2,}")


class Tokenizer:
    """Search-mode jieba with a domain dictionary, stopwords removed, plus CJK character bigrams."""

    def __init__(self, domain_words: Iterable[str] = ()):
        jieba.setLogLevel(logging.WARNING)
        self._jieba = jieba.Tokenizer()
        for w in sorted(set(domain_words)):
            if len(w) >= 2 and " " not in w:
                self._jieba.add_word(w, freq=20000)
        # Synonym expansions come from a fixed vocabulary, so their words are worth keeping; a question is
        # segmented again when it is asked again (FAQ, IVR) and when a lookup resumes after its encode.
        self.term_words = lru_cache(maxsize=4096)(self._term_words)
        self._segmented = lru_cache(maxsize=4096)(self._segment)
        # The word boundaries of a text (precise mode, ascending offsets), asked only when a lexicon word is found in it.
        self.cuts = lru_cache(maxsize=1024)(self._cuts)

    def _term_words(self, term: str) -> tuple[str, ...]:
        """The words of one dictionary term (see term_words)."""
        return tuple(self.words(term))

    def words(self, text: str) -> list[str]:
        """Jieba search-mode words without stopwords or punctuation."""
        return list(self._segmented(text))

    def _cuts(self, text: str) -> tuple[int, ...]:
        offsets = [0]
        for tok in self._jieba.lcut(text):
            offsets.append(offsets[-1] + len(tok))
        return tuple(offsets)

    def _segment(self, text: str) -> tuple[str, ...]:
        return tuple(
            t
            for t in (tok.strip() for tok in self._jieba.lcut_for_search(text))
            if t and t not in _STOPWORDS and _TOKEN_OK.search(t)
        )

    def __call__(self, text: str, words: list[str] | None = None) -> list[str]:
        # A clause number ("第四十五条") is one token: read as words and bigrams its numeral would match any number
        # a question says ("十五天" is not 第四十五条).
        ordinals = [_ordinal(m) for m in _ORDINAL.finditer(text)]
        if ordinals:
            text = _ORDINAL.sub(" ", text)
            words = None
        # Bigrams catch words jieba segments differently in a question and in a clause.
        grams = [run[i : i + 2] for run in _CJK_RUN.findall(text) for i in range(len(run) - 1)]
        return (self.words(text) if words is None else words) + ["#" + g for g in grams if not set(g) <= _STOP_CHARS] + ordinals


_ORDINAL = re.compile(r"第\s*([零〇一二两三四五六七八九十百\d]+)\s*([条款项章])")


def _ordinal(m: re.Match[str]) -> str:
    """"第四十五条" → "§45条"; a numeral cn2an cannot read stays as written."""
    number = m.group(1)
    if not number.isdigit():
        number = numeral_value(number) or number
    return f"§{number}{m.group(2)}"


_STOP_CHARS = frozenset("的了吗呢吧啊是在和与及或就都也还有没不要会能可我你您他这那哪什么怎多少几个一下请问想")
