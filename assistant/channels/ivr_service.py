"""One IVR turn: a transcript (or DTMF key) in, a short speakable reply and the next call action out."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, ValidationError

from assistant.answer.assistant import Assistant
from assistant.answer.sessions import SessionStore, call_session_id
from assistant.channels.ivr import (
    Action,
    Decision,
    TurnKind,
    asks_for_detail,
    classify_transcript,
    clean_transcript,
    decide,
    render_speech,
)
from assistant.models import Answer, Channel, Intent

# The IVR API's actions; a reprompt or a greeting waits for the caller like a clarification, a goodbye ends the call.
_ACTION = {
    Action.answer: "answer",
    Action.clarify: "clarify",
    Action.reprompt: "clarify",
    Action.greet: "clarify",
    Action.transfer: "transfer",
    Action.goodbye: "end",
}


class IvrReply(BaseModel):
    """What the phone system plays next and does."""

    call_id: str
    intent: str
    action: Literal["answer", "clarify", "transfer", "end"]
    speech: str
    ssml: str
    citations: list[str]


class CallState(BaseModel):
    """What the call policy remembers between turns; the conversation itself is the Assistant's session."""

    turns: int = 0
    failures_in_a_row: int = Field(default=0, description="failed turns in a row; MAX_FAILURES transfers the call")
    awaiting: list[str] | None = Field(default=None, description="the inputs the pending calculation asked for")


class CallStore:
    """Call states kept as records of the session store (so a call survives a restart and is shared by workers)."""

    prefix = "ivr-call:"

    def __init__(self, sessions: SessionStore):
        self.sessions = sessions

    def get(self, key: str) -> CallState:
        """The call's state; a new call's (or an unreadable record's) is a fresh one."""
        raw = self.sessions.get_record(self.prefix + key)
        if raw is None:
            return CallState()
        try:
            return CallState.model_validate_json(raw)
        except ValidationError:
            return CallState()

    def put(self, key: str, state: CallState) -> None:
        """Keep the call's state until its session would expire."""
        self.sessions.put_record(self.prefix + key, state.model_dump_json())


def handle_turn(
    assistant: Assistant, call_id: str, transcript: str, dtmf: str | None = None, *, owner: str = ""
) -> IvrReply:
    """Classify the caller's turn, answer a question through the Assistant, and decide answer/clarify/transfer/end.

    The first turn of a call that says nothing, and any greeting, is greeted back with how to reach a person (press
    0 or say 转人工), as is every reprompt. The call's state (the count of failed turns in a row, what a pending
    calculation asked for) lives beside the conversation in the session store, so a call survives a restart and is
    shared across workers. Calls live in the namespace of `owner`, the fingerprint of the API key that placed them:
    the same `call_id` under another key is another call, and no other channel can name one.
    """
    key = call_session_id(owner, call_id)
    calls = CallStore(assistant.sessions)
    call = calls.get(key)
    choice = _choice(assistant, key, owner, transcript, dtmf)
    kind = TurnKind.question if choice else classify_transcript(transcript or "", dtmf)
    if kind is TurnKind.silence and call.turns == 0:
        # The call's first prompt: what this line is and how to reach a person.
        kind = TurnKind.greeting
    if kind is not TurnKind.question:
        decision = decide(kind, call.failures_in_a_row)
        calls.put(key, _after(call, decision, call.awaiting))
        speech = decision.speech
        assert speech is not None
        return IvrReply(call_id=call_id, intent=kind.value, action=_ACTION[decision.action], speech=speech.speech, ssml=speech.ssml, citations=[])

    question = choice or clean_transcript(transcript)
    answer = assistant.ask(question, session=key, channel=Channel.ivr, owner=owner, issue_id=False)
    awaiting = _awaiting(answer)
    progressed = answer.intent is Intent.clarify and awaiting != call.awaiting
    decision = decide(answer.intent, call.failures_in_a_row, progressed=progressed)
    calls.put(key, _after(call, decision, awaiting))
    speech = decision.speech or render_speech(answer, assistant.settings.hotline, detail=asks_for_detail(question))
    cited = [c.clause_id for c in answer.citations] if decision.action in (Action.answer, Action.clarify) else []
    return IvrReply(
        call_id=call_id,
        intent=answer.intent.value,
        action=_ACTION[decision.action],
        speech=speech.speech,
        ssml=speech.ssml,
        citations=cited,
    )


def _choice(assistant: Assistant, key: str, owner: str, transcript: str, dtmf: str | None) -> str | None:
    """The number of one of the readings just offered, pressed or said; None when no menu waits for one."""
    conversation = assistant.session(key, Channel.ivr, owner)
    if conversation is None or not conversation.options:
        return None
    pressed = (dtmf or "").strip() or clean_transcript(transcript)
    return pressed if pressed.isdigit() and 1 <= int(pressed) <= len(conversation.options) else None


def _awaiting(answer: Answer) -> list[str] | None:
    """The inputs the answer's pending calculation asks for, or None when nothing is pending."""
    return [m.name for m in answer.pending.missing] if answer.pending is not None else None


def _after(call: CallState, decision: Decision, awaiting: list[str] | None) -> CallState:
    """The call's state after this turn."""
    return CallState(turns=call.turns + 1, failures_in_a_row=decision.failures_in_a_row, awaiting=awaiting)
