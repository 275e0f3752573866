"""Per-channel renderers of the one neutral Answer: customer wording for the widget, speech for the phone line.

The Assistant answers in the agents' wording and knows no channel's wording; what a customer or a caller reads or
hears is made here, at the edge.
"""

from __future__ import annotations

from assistant.channels.widget import render_widget
from assistant.channels.wording import customer_words
from assistant.models import Answer, Channel, Hotline


def render_answer(answer: Answer, channel: Channel, hotlines: list[Hotline]) -> Answer:
    """The Answer as `channel` shows it: unchanged for agents, customer wording for the widget and for a phone
    system asking through /v1/ask (its own turns are rendered as speech by channels.ivr)."""
    match channel:
        case Channel.widget:
            return render_widget(answer, hotlines)
        case Channel.ivr:
            update = {"answer": customer_words(answer.answer)}
            if answer.summary:
                update["summary"] = customer_words(answer.summary)
            return answer.model_copy(update=update)
    return answer


__all__ = ["render_answer"]
