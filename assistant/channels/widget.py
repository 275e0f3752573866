"""The website widget's rendering of an Answer: plain customer wording everywhere, clause names in words."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, model_validator

from assistant.channels.wording import clause_names, customer_words, load_data
from assistant.corpus.ids import clause_name
from assistant.models import Answer, Hotline, Intent

WORDING_FILE = Path(__file__).with_name("widget.toml")
# A calculation's answer is cut into parts at these; a part holding an internal note is left out.
_PART = re.compile(r"[^。；]*[。；]?")


class WidgetWording(BaseModel):
    """widget.toml, checked: each template has its placeholders, the internal markers are non-empty."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    out_of_scope: str
    lookup: str
    internal: tuple[str, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _placeholders(self) -> WidgetWording:
        for name, needed in (("out_of_scope", ("{hotlines}",)), ("lookup", ("{name}", "{quote}"))):
            missing = [p for p in needed if p not in getattr(self, name)]
            if missing:
                raise ValueError(f"{name} must contain {missing}")
        if any(not m.strip() for m in self.internal):
            raise ValueError("internal markers must not be blank")
        return self


@lru_cache(maxsize=4)
def load_wording(path: Path = WORDING_FILE) -> WidgetWording:
    """The widget's wording at `path`, validated; ValueError naming the file and the problem."""
    return load_data(path, WidgetWording)


def render_widget(answer: Answer, hotlines: list[Hotline]) -> Answer:
    """The Answer as a website customer reads it.

    您 and 联通 instead of 甲方 and 乙方 in the answer, its summary, the calculation's steps and the options; clause
    ids named in words (M-23 → 主协议第二十三条); a lookup states the best clause's rule without the list of other
    clauses; out of scope names the hotlines; a calculation leaves out the notes written for agents (what the
    contract leaves open). Citations keep the contract's own text: they are quotes.
    """
    wording = load_wording()
    text = answer.answer
    if answer.intent is Intent.lookup and answer.citations:
        best = answer.citations[0]
        text = wording.lookup.format(name=clause_name(best.clause_id), quote=best.quote)
    elif answer.intent is Intent.out_of_scope and not answer.citations:
        # (An out-of-scope answer with citations says what the contract does list instead: it is kept.)
        text = wording.out_of_scope.format(hotlines="，".join(f"{h.name} {h.number}" for h in hotlines))
    elif answer.intent is Intent.calculation:
        text = _without_internal(text, wording.internal)
    update: dict = {"answer": customer_words(text)}
    if answer.summary:
        update["summary"] = customer_words(answer.summary)
    if answer.calculation is not None:
        steps = [customer_words(s) for s in answer.calculation.steps]
        update["calculation"] = answer.calculation.model_copy(update={"steps": steps})
    if answer.options:
        update["options"] = [
            o.model_copy(update={"label": customer_words(o.label), "question": customer_words(o.question)})
            for o in answer.options
        ]
    return answer.model_copy(update=update)


def _without_internal(text: str, markers: tuple[str, ...]) -> str:
    """The text without its parts (sentences, or items between ；) that hold an internal marker."""
    kept = [p for p in _PART.findall(text) if p and not any(m in p for m in markers)]
    out = "".join(kept)
    # A list whose last item was dropped ends with ；: end it as a sentence, and drop a heading left empty.
    out = re.sub(r"；(?=$|[^。；]*：)", "。", out).replace("。。", "。")
    return re.sub(r"(?:条件|说明)：。", "", out)


__all__ = ["WORDING_FILE", "WidgetWording", "clause_names", "load_wording", "render_widget"]
