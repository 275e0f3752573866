"""One IVR turn: a transcript (or DTMF key) in, a short speakable reply and the next call action out."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

from assistant.answer.assistant import Assistant
from assistant.answer.sessions import SessionState, call_session_id
from assistant.channels.ivr import Action, TurnKind, classify_transcript, clean_transcript, decide, render_speech
from assistant.models import Channel, Intent

# The IVR API's actions; a reprompt is a clarification, a goodbye ends the call.
_ACTION = {Action.answer: "answer", Action.clarify: "clarify", Action.reprompt: "clarify", Action.transfer: "transfer", Action.goodbye: "end"}


class IvrReply(BaseModel):
    """What the phone system plays next and does."""

    call_id: str
    intent: str
    action: Literal["answer", "clarify", "transfer", "end"]
    speech: str
    ssml: str
    citations: list[str]


def handle_turn(
    assistant: Assistant, call_id: str, transcript: str, dtmf: str | None = None, *, owner: str = ""
) -> IvrReply:
    """Classify the caller's turn, answer a question through the Assistant, and decide answer/clarify/transfer/end.

    The call's state (the conversation and the count of failed turns in a row) lives in the session store, so a
    call survives a restart and is shared across workers. Calls live in the namespace of `owner`, the
    fingerprint of the API key that placed them: the same `call_id` under another key is another call, and no
    other channel can name one.
    """
    key = call_session_id(owner, call_id)
    before = assistant.session(key, Channel.ivr, owner)
    if dtmf and before is not None and before.options and dtmf.strip() in "12345" and dtmf.strip():
        # A key pressed for one of the readings just offered: that digit is the caller's choice.
        transcript, dtmf = dtmf.strip(), None
    kind = classify_transcript(transcript or "", dtmf)
    failures = before.ivr_failures if before else 0
    if kind is not TurnKind.question:
        decision = decide(kind, failures)
        _save_failures(assistant, key, owner, decision.failures_in_a_row)
        speech = decision.speech
        assert speech is not None
        return IvrReply(call_id=call_id, intent=kind.value, action=_ACTION[decision.action], speech=speech.speech, ssml=speech.ssml, citations=[])

    answer = assistant.ask(clean_transcript(transcript), session=key, channel=Channel.ivr, owner=owner, issue_id=False)
    after = assistant.session(key, Channel.ivr, owner)
    progressed = answer.intent is Intent.clarify and _missing(before) != _missing(after)
    decision = decide(answer.intent, failures, progressed=progressed)
    _save_failures(assistant, key, owner, decision.failures_in_a_row)
    speech = decision.speech or render_speech(answer, assistant.settings.hotline)
    cited = [c.clause_id for c in answer.citations] if decision.action in (Action.answer, Action.clarify) else []
    return IvrReply(
        call_id=call_id,
        intent=answer.intent.value,
        action=_ACTION[decision.action],
        speech=speech.speech,
        ssml=speech.ssml,
        citations=cited,
    )


def _missing(state: SessionState | None) -> list[str] | None:
    """The inputs a pending calculation still lacks, or None when nothing is pending."""
    return list(state.pending.get("missing", [])) if state and state.pending else None


def _save_failures(assistant: Assistant, key: str, owner: str, failures: int) -> None:
    """Store the count of failed turns in a row on the call's state (starting the call's state if need be)."""
    state = assistant.session(key, Channel.ivr, owner) or SessionState(session_id=key, channel=Channel.ivr, owner=owner)
    state.ivr_failures = failures
    assistant.sessions.put(state)
