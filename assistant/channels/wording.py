"""Customer wording shared by the channels that speak to customers (the widget and the phone line)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel

from assistant.corpus.ids import clause_name

M = TypeVar("M", bound=BaseModel)

# The contract's parties as a customer is addressed: the customer is 您, the operator 联通.
_PARTIES = {"甲方": "您", "乙方": "联通"}
_PARTY = re.compile("|".join(_PARTIES))
_CLAUSE_ID = re.compile(r"(?<![A-Za-z0-9])(?:M|A1|A2)-\d+(?:\.\d+)*(?![\d])")


def plain_words(text: str) -> str:
    """Contract wording made readable for customers and callers: 甲方 → 您, 乙方 → 联通."""
    return _PARTY.sub(lambda m: _PARTIES[m.group(0)], text)


def clause_names(text: str) -> str:
    """Clause ids written as a customer reads them: M-23 → 主协议第二十三条 (ids the corpus does not know stay)."""

    def named(m: re.Match) -> str:
        try:
            return clause_name(m.group(0))
        except (KeyError, ValueError):
            return m.group(0)

    return _CLAUSE_ID.sub(named, text)


def customer_words(text: str) -> str:
    """Plain parties and clause names in words."""
    return clause_names(plain_words(text))


def load_data(path: Path, model: type[M]) -> M:
    """A channel's data file (TOML) read into `model` and validated; ValueError naming the file and the problem."""
    try:
        return model.model_validate(tomllib.loads(path.read_text(encoding="utf-8")))
    except (OSError, tomllib.TOMLDecodeError, ValueError) as e:
        raise ValueError(f"{path}: {e}") from e
