"""The shared vocabulary passed between modules. Imports nothing of ours."""

from __future__ import annotations

from enum import Enum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class Intent(str, Enum):
    lookup = "lookup"
    calculation = "calculation"
    clarify = "clarify"
    out_of_scope = "out_of_scope"


class Channel(str, Enum):
    agent = "agent"
    widget = "widget"
    ivr = "ivr"

    @property
    def owned_by_agent(self) -> bool:
        """Whether a conversation on this channel belongs to the signed-in agent asking (the console's)."""
        return self is Channel.agent


class Clause(BaseModel):
    """One citable unit of the contract (`M-23`, `A1-4.5`, `A2-8`)."""

    model_config = ConfigDict(frozen=True)

    id: str
    part: str = Field(description="M, A1 or A2")
    number: str = Field(description="the clause's own number: '23', '4.5', '8'")
    name: str = Field(description="the clause named in words: 主协议第二十三条, 附件一第4.5条")
    heading_path: list[str]
    text: str = Field(description="clean text: PDF line breaks and page breaks joined")
    start: int = Field(description="offset of the clause's first character in the source file")
    end: int = Field(description="offset one past the clause's last character in the source file")

    @property
    def title(self) -> str:
        return " › ".join(self.heading_path)


class Hit(BaseModel):
    """One retrieved clause with the evidence behind its rank."""

    clause_id: str
    score: float
    bm25_rank: int | None = None
    dense_rank: int | None = None
    bm25_score: float = 0.0
    dense_score: float = 0.0


class Citation(BaseModel):
    clause_id: str
    title: str
    text: str
    quote: str
    score: float


class CalcResult(BaseModel):
    """A calculator's output: typed inputs, result, the formula with numbers filled in, and its clauses."""

    name: str
    inputs: dict[str, Any]
    result: Any
    unit: str
    steps: list[str]
    clause_ids: list[str]


class Option(BaseModel):
    """One reading of an ambiguous question, offered back: choosing it asks `question`."""

    label: str = Field(description="a short name of the reading, at most 8 characters")
    question: str = Field(description="a question the assistant answers as it stands")
    clause_ids: list[str] = Field(default_factory=list)


class MissingInput(BaseModel):
    """One input a pending calculation still needs."""

    name: str
    title: str = Field(description="the input named in words: 逾期天数")
    example: str | None = Field(default=None, description="a reply that would give it: 逾期十天")


class PendingCalculation(BaseModel):
    """A calculation waiting for the person's reply: which one, and the inputs it still needs in asking order."""

    name: str
    title: str
    missing: list[MissingInput] = Field(default_factory=list)


class Answer(BaseModel):
    """What every channel renders: one neutral answer, worded for agents; channels/ words it for the others."""

    session_id: str | None = Field(default=None, description="the conversation's id, issued by the server")
    intent: Intent
    answer: str
    citations: list[Citation] = Field(default_factory=list, max_length=5)
    calculation: CalcResult | None = None
    summary: str | None = Field(
        default=None, description="the asked fact in one sentence of at most 40 characters, taken from what is cited"
    )
    options: list[Option] = Field(
        default_factory=list, max_length=5, description="readings of an ambiguous question to choose from, most likely first"
    )
    session_started: bool = Field(
        default=False, description="this answer began a new conversation: send its session_id with the next question"
    )
    session_notice: str | None = Field(
        default=None,
        description="set when the session_id sent is not a conversation of this client (unknown, expired, another "
        "channel's): the question was answered in a new conversation",
    )
    turn: int | None = Field(
        default=None, description="this answer's turn in its conversation (1 for the first): send it with feedback"
    )
    pending: PendingCalculation | None = Field(
        default=None, description="the calculation waiting for the reply to this clarifying question, if any"
    )


class Hotline(BaseModel):
    """A number a customer may call, named in words."""

    name: str
    number: str


class ClauseTopic(BaseModel):
    """A clause as a front end lists it: its id, its name in words and what it is about."""

    id: str
    name: str = Field(description="the clause named in words: 主协议第二十三条")
    topic: str = Field(description="what the clause is about, in a few words (empty when the corpus notes none)")


class Handoff(BaseModel):
    """Where a customer reaches a person (both optional)."""

    url: str | None = None
    number: str | None = None


class Meta(BaseModel):
    """What front ends need to know about the service instead of copying it: hotlines, the question length
    limit, the clauses by name and topic, the hand-off to a person."""

    hotlines: list[Hotline]
    max_question_chars: int
    clauses: list[ClauseTopic]
    handoff: Handoff
