"""The phone (IVR) channel's policy: what a caller's turn is, what an Answer sounds like, what the call does next.

Speech itself (spans, spoken numbers, SSML) is channels/speech.py; the lines said and the words listened for
are data (ivr_phrases.toml), checked when loaded. Everything here is pure; the turn's I/O is ivr_service.py.
"""

from __future__ import annotations

import re
from enum import Enum
from functools import lru_cache
from pathlib import Path

import cn2an
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from assistant.channels.speech import (
    MAX_SPEECH_CHARS,
    SSML_ELEMENTS,
    SSML_NS,
    Phrase,
    Span,
    SpanKind,
    Speech,
    drop_asides,
    fit,
    phrases,
    plain_number,
    render_text,
    speak_span,
    speech_of,
    spoken_clause_name,
    spoken_digits,
    spoken_length,
    spoken_number,
    spoken_section,
    spoken_year,
    ssml_span,
    text_span,
    tokenize,
)
from assistant.channels.wording import load_data, plain_words
from assistant.corpus.normalize import fold, normalize_query
from assistant.models import Answer, Intent

PHRASES_FILE = Path(__file__).with_name("ivr_phrases.toml")
# What a caller who asked for more ("详细说说") may hear at once.
MAX_DETAIL_SPEECH_CHARS = 90
# Kept for callers of the older name: every answer is now spoken in one breath of MAX_SPEECH_CHARS.
MAX_SUMMARY_SPEECH_CHARS = MAX_SPEECH_CHARS
MAX_SPOKEN_OPTIONS = 3
# Failed turns in a row (silence, a stray key, a clarify that does not progress, out of scope) before a human
# takes over.
MAX_FAILURES = 3
TRANSFER_DTMF = "0"


# -- the phrase book ------------------------------------------------------------------------------------------


class SpeechLines(BaseModel):
    """The lines the phone line says (ivr_phrases.toml [speech])."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    greeting: str = Field(min_length=1)
    hint: str = Field(min_length=1)
    reprompt: str = Field(min_length=1)
    keypress: str = Field(min_length=1)
    transfer: str = Field(min_length=1)
    handoff: str = Field(min_length=1)
    goodbye: str = Field(min_length=1)
    out_of_scope: str = Field(min_length=1)
    options: str = Field(min_length=1)
    ask_inputs: str = Field(min_length=1)


class HeardWords(BaseModel):
    """The words the phone line listens for (ivr_phrases.toml [hear]), as folded transcripts write them."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    transfer: tuple[str, ...] = Field(min_length=1)
    goodbye_final: tuple[str, ...] = Field(min_length=1)
    goodbye_polite: tuple[str, ...] = Field(min_length=1)
    greeting: tuple[str, ...] = Field(min_length=1)
    detail: tuple[str, ...] = Field(min_length=1)

    @field_validator("*")
    @classmethod
    def _words(cls, v: tuple[str, ...], info) -> tuple[str, ...]:
        bad = [w for w in v if not w or _NON_WORD.search(w) or fold(w) != w]
        if bad:
            raise ValueError(f"[hear] {info.field_name}: {bad} must be folded words (simplified, lower case, no punctuation)")
        twice = sorted({w for w in v if v.count(w) > 1})
        if twice:
            raise ValueError(f"[hear] {info.field_name}: {twice} listed twice")
        return v


class Phrasebook(BaseModel):
    """ivr_phrases.toml: every line speakable in one breath, every placeholder where the code fills it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    speech: SpeechLines
    hear: HeardWords
    spoken: dict[str, str] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _speakable(self) -> Phrasebook:
        s = self.speech
        for name, placeholder in (("out_of_scope", "{hotline}"), ("options", "{choices}"), ("ask_inputs", "{wanted}")):
            if placeholder not in getattr(s, name):
                raise ValueError(f"[speech] {name} must contain {placeholder}")
        samples = {
            "greeting + hint": s.greeting + s.hint,
            "reprompt + hint": s.reprompt + s.hint,
            "keypress + hint": s.keypress + s.hint,
            "transfer": s.transfer,
            "handoff": s.handoff,
            "goodbye": s.goodbye,
            "out_of_scope": s.out_of_scope.format(hotline="4000111000"),
        }
        for name, line in samples.items():
            spoken = render_text(line, limit=10_000).speech
            if len(spoken) > MAX_SPEECH_CHARS:
                raise ValueError(f"[speech] {name} takes {len(spoken)} characters spoken, more than {MAX_SPEECH_CHARS}")
        for written, meant in self.spoken.items():
            if not written or not meant or fold(written) != written or written == meant:
                raise ValueError(f"[spoken] {written!r} = {meant!r}: both must be folded text, and differ")
        return self


@lru_cache(maxsize=4)
def load_phrasebook(path: Path = PHRASES_FILE) -> Phrasebook:
    """The phrase book at `path`, validated; ValueError naming the file and the problem."""
    return load_data(path, Phrasebook)


def _book() -> Phrasebook:
    """The phrase book shipped with the code."""
    return load_phrasebook()


_NON_WORD = re.compile(r"\W+")
SPEECH = load_phrasebook().speech
GREETING_SPEECH = SPEECH.greeting + SPEECH.hint
REPROMPT_SPEECH = SPEECH.reprompt + SPEECH.hint
KEYPRESS_SPEECH = SPEECH.keypress + SPEECH.hint
TRANSFER_SPEECH = SPEECH.transfer
HANDOFF_SPEECH = SPEECH.handoff
GOODBYE_SPEECH = SPEECH.goodbye


# -- what the caller said ---------------------------------------------------------------------------------------

_TRANSCRIPT_EDGES = " ，,。.！!？?、；;：:…~～"
# A request that is only "人工"/"客服", politely wrapped: 我要人工, 客服吧. Not 人工费 or 客服电话是多少.
_BARE_TRANSFER = re.compile(r"^(?:我|请|帮我|给我)*(?:要|想|需要)?(?:转|找|接|转接)?(?:人工|客服)+(?:吧|啊|呀|呢|谢谢)*$")
# Digits said one by one (四四三, 幺零零幺零, 二〇二六): three or more, or two with a zero or 幺 among them. Runs
# with 十/百/千 are cardinals and are left to the parsers, as are two plain digits (三五天 is "three to five").
_SAID_DIGITS = "零〇幺一二三四五六七八九"
_DIGIT_RUN = re.compile(
    rf"(?<![{_SAID_DIGITS}十百千万两点])(?:[{_SAID_DIGITS}]{{3,}}|[{_SAID_DIGITS}]*[零〇幺][{_SAID_DIGITS}]*)(?![{_SAID_DIGITS}十百千万两])"
)
_DIGIT_VALUE = {ch: str(i % 10) for i, ch in enumerate("零一二三四五六七八九")} | {"〇": "0", "幺": "1"}
# A cardinal before 兆 is a bandwidth: 五十兆 → 50m, as the contract writes it.
_SAID_BANDWIDTH = re.compile(r"([零一二两三四五六七八九十百千万]+)兆")


def spoken_forms(transcript: str) -> str:
    """A transcript with the forms a caller says written as the contract writes them: 五G → 5g, 四四三端口 →
    443端口, 幺零零幺零 → 10010, 五十兆 → 50m (folded, as every question is)."""
    text = fold(transcript)
    for written, meant in sorted(_book().spoken.items(), key=lambda kv: -len(kv[0])):
        text = text.replace(written, meant)
    text = _DIGIT_RUN.sub(_digit_figures, text)
    return _SAID_BANDWIDTH.sub(_bandwidth_figure, text)


def _digit_figures(m: re.Match) -> str:
    """四四三 → 443, 幺 → 1; a lone 零 (零元) stays a word."""
    said = m.group(0)
    return "".join(_DIGIT_VALUE[c] for c in said) if len(said) > 1 or said == "幺" else said


def _bandwidth_figure(m: re.Match) -> str:
    """五十兆 → 50m; a numeral cn2an cannot read is left as said."""
    try:
        return f"{int(cn2an.cn2an(m.group(1), 'smart'))}m"
    except (ValueError, KeyError):
        return m.group(0)


def clean_transcript(transcript: str) -> str:
    """An ASR transcript ready to ask: spoken forms written out, normalised as every query is (fillers,
    repetitions), edge punctuation off."""
    return normalize_query(spoken_forms(transcript or "")).strip(_TRANSCRIPT_EDGES)


class TurnKind(str, Enum):
    silence = "silence"
    greeting = "greeting"
    keypress = "keypress"
    transfer_request = "transfer_request"
    goodbye = "goodbye"
    question = "question"


def classify_transcript(transcript: str, dtmf: str | None = None) -> TurnKind:
    """What the caller did this turn.

    DTMF `0`, or asking for 人工/客服, is a transfer request; a greeting (你好, 喂你好) is greeted back; another key
    (or a lone number said) is a keypress, answered with how to ask; nothing but fillers (喂, 嗯, 那个) or
    nothing at all is silence, to be reprompted; 没有了, 再见, 谢谢不用了 is a goodbye; anything else is a
    question. A key chosen from a menu of readings is handled before this (see ivr_service).
    """
    heard = _book().hear
    if (dtmf or "").strip() == TRANSFER_DTMF:
        return TurnKind.transfer_request
    words = _NON_WORD.sub("", clean_transcript(transcript))
    if not words:
        said = _NON_WORD.sub("", fold(transcript or ""))
        if any(g in said for g in heard.greeting):
            return TurnKind.greeting
        return TurnKind.keypress if (dtmf or "").strip() else TurnKind.silence
    if any(p in words for p in heard.transfer) or _BARE_TRANSFER.match(words):
        return TurnKind.transfer_request
    if _goodbye().match(words) and any(p in words for p in heard.goodbye_final):
        return TurnKind.goodbye
    if words in heard.greeting:
        return TurnKind.greeting
    if words.isdigit() and len(words) <= 2:
        return TurnKind.keypress
    return TurnKind.question


@lru_cache(maxsize=1)
def _goodbye() -> re.Pattern[str]:
    """A turn made only of goodbye and polite words."""
    heard = _book().hear
    words = sorted(map(re.escape, heard.goodbye_final + heard.goodbye_polite), key=len, reverse=True)
    return re.compile("^(?:" + "|".join(words) + ")+$")


def asks_for_detail(question: str) -> bool:
    """Whether the caller asked for more than one breath (详细说说, 原文是什么)."""
    return any(w in question for w in _book().hear.detail)


# -- an Answer as speech ----------------------------------------------------------------------------------------


def _first_sentence(spans: list[Span], limit: int) -> list[list[Span]]:
    """The first sentence of the spans, trimmed at commas to `limit`."""
    return fit(phrases(drop_asides(spans)), limit, max_sentences=1)


def _length(sentences: list[list[Span]]) -> int:
    """How many characters the sentences take once spoken."""
    return sum(spoken_length(s) for s in sentences)


def _within(limit: int, *choices: list[list[Span]]) -> list[list[Span]]:
    """The first of the choices that fits in `limit` spoken characters; else the last, cut at its last pause
    (、 or a space) that fits, so that no answer runs past one breath."""
    for sentences in choices:
        if _length(sentences) <= limit:
            return sentences
    words = "".join(speak_span(s) for sentence in choices[-1] for s in sentence)
    cut = max(words.rfind(mark, 0, limit) for mark in "、：")
    return [[text_span((words[:cut] if cut > limit // 2 else words[: limit - 1]).rstrip("，、：") + "。")]]


def _utterance(answer: Answer, hotline: str, limit: int) -> list[list[Span]]:
    """What to say for an answer, as sentences of spans."""
    lines = _book().speech
    spans = tokenize(plain_words(answer.answer))
    if answer.options:
        # At most three readings, each with its key: the caller presses it or says the reading.
        keyed = "，".join(f"{o.label}请按{i}" for i, o in enumerate(answer.options[:MAX_SPOKEN_OPTIONS], 1))
        return fit(phrases(tokenize(lines.options.format(choices=keyed))), limit, max_sentences=1)
    if answer.pending is not None and answer.pending.missing:
        # The inputs by name, then one example reply when it fits in the breath.
        wanted = "、".join(m.title for m in answer.pending.missing)
        examples = "，".join(m.example for m in answer.pending.missing if m.example)
        asked = lines.ask_inputs.format(wanted=wanted)
        with_example = fit(phrases(drop_asides(tokenize(asked + f"比如：{examples}。"))), limit) if examples else []
        return _within(limit, *[c for c in (with_example, fit(phrases(tokenize(asked)), limit)) if c])
    if answer.summary and answer.intent in (Intent.calculation, Intent.lookup) and limit <= MAX_SPEECH_CHARS:
        # The answer first: the asked fact, short enough to hear in one breath.
        return _within(limit, _first_sentence(tokenize(plain_words(answer.summary)), limit))
    if answer.intent is Intent.calculation:
        return _within(limit, _first_sentence(spans, limit))
    if answer.intent is Intent.lookup and answer.citations:
        best = answer.citations[0]
        lead = [Span(kind=SpanKind.clause, source=best.clause_id, value=best.clause_id), text_span("规定：")]
        quote = tokenize(plain_words(best.quote))
        sentences = 1 if limit <= MAX_SPEECH_CHARS else 3
        # The clause named, then its rule; when both do not fit in one breath, the rule alone.
        named = fit(phrases(drop_asides(lead + quote)), limit, max_sentences=sentences)
        return _within(limit, named, fit(phrases(drop_asides(quote)), limit, max_sentences=sentences))
    if answer.intent is Intent.out_of_scope:
        # On the phone the caller needs the number to call, not the full list the widget shows.
        return fit(phrases(tokenize(lines.out_of_scope.format(hotline=hotline))), limit, max_sentences=2)
    return _within(limit, fit(phrases(drop_asides(spans)), limit, max_sentences=2))


def render_speech(answer: Answer, hotline: str = "10010", *, detail: bool = False) -> Speech:
    """Render an Answer for the phone line.

    A calculation or lookup speaks its summary (the asked fact), or without one its result sentence or the
    best clause's name and the start of its quote; a clarify asks for the inputs still missing by name, with an
    example reply when it fits; readings to choose from are offered with their keys; out of scope names
    `hotline`. `speech` is plain customer Chinese of at most MAX_SPEECH_CHARS characters (MAX_DETAIL_SPEECH_CHARS
    when the caller asked for more, `detail`), with every figure, date, phone number, port and clause id in
    words; `ssml` is the same utterance as SSML 1.1 with `<say-as>` around figures and a pause between sentences.
    """
    return speech_of(_utterance(answer, hotline, MAX_DETAIL_SPEECH_CHARS if detail else MAX_SPEECH_CHARS))


# -- turns of a call --------------------------------------------------------------------------------------------


class Action(str, Enum):
    answer = "answer"
    clarify = "clarify"
    reprompt = "reprompt"
    greet = "greet"
    transfer = "transfer"
    goodbye = "goodbye"


class Decision(BaseModel):
    """What the call does next.

    `speech` is the canned line to play, or None when the answer itself is to be spoken (render_speech).
    `failures_in_a_row` is the count to carry into the next turn.
    """

    action: Action
    speech: Speech | None = None
    failures_in_a_row: int


def decide(answer_intent: Intent | TurnKind, failures_in_a_row: int, *, progressed: bool = False) -> Decision:
    """The next step of the call from this turn's outcome.

    `answer_intent` is the Answer's intent when the caller asked a question, else the non-question TurnKind
    (silence, greeting, keypress, transfer_request, goodbye). `failures_in_a_row` counts the failed turns before
    this one. Lookups and calculations are answered; a clarify is asked; out of scope is handed to a person; a
    greeting is greeted back with how to reach a person; silence and a stray key are reprompted, saying the same.
    Silence, a stray key, out of scope and a clarify that did not progress (`progressed=False`: the same question
    asked again) are failures, and the MAX_FAILURES-th in a row transfers the call.
    """
    match answer_intent:
        case TurnKind.question:
            raise ValueError("a question is decided by its Answer's intent: ask it first")
        case TurnKind.transfer_request:
            return Decision(action=Action.transfer, speech=render_text(TRANSFER_SPEECH), failures_in_a_row=0)
        case TurnKind.goodbye:
            return Decision(action=Action.goodbye, speech=render_text(GOODBYE_SPEECH), failures_in_a_row=0)
        case TurnKind.greeting:
            return Decision(action=Action.greet, speech=render_text(GREETING_SPEECH), failures_in_a_row=failures_in_a_row)
        case Intent.lookup | Intent.calculation:
            return Decision(action=Action.answer, failures_in_a_row=0)
        case Intent.out_of_scope:
            handoff = render_text(HANDOFF_SPEECH)
            return Decision(action=Action.transfer, speech=handoff, failures_in_a_row=failures_in_a_row + 1)
    failures = 0 if answer_intent is Intent.clarify and progressed else failures_in_a_row + 1
    if failures >= MAX_FAILURES:
        return Decision(action=Action.transfer, speech=render_text(TRANSFER_SPEECH), failures_in_a_row=failures)
    if answer_intent is Intent.clarify:
        return Decision(action=Action.clarify, failures_in_a_row=failures)
    line = KEYPRESS_SPEECH if answer_intent is TurnKind.keypress else REPROMPT_SPEECH
    return Decision(action=Action.reprompt, speech=render_text(line), failures_in_a_row=failures)


__all__ = [
    "GOODBYE_SPEECH",
    "GREETING_SPEECH",
    "HANDOFF_SPEECH",
    "KEYPRESS_SPEECH",
    "MAX_DETAIL_SPEECH_CHARS",
    "MAX_FAILURES",
    "MAX_SUMMARY_SPEECH_CHARS",
    "MAX_SPEECH_CHARS",
    "PHRASES_FILE",
    "REPROMPT_SPEECH",
    "SSML_ELEMENTS",
    "SSML_NS",
    "TRANSFER_DTMF",
    "TRANSFER_SPEECH",
    "Action",
    "Decision",
    "Phrase",
    "Phrasebook",
    "Span",
    "SpanKind",
    "Speech",
    "TurnKind",
    "asks_for_detail",
    "classify_transcript",
    "clean_transcript",
    "decide",
    "drop_asides",
    "fit",
    "load_phrasebook",
    "phrases",
    "plain_number",
    "render_speech",
    "render_text",
    "speak_span",
    "spoken_clause_name",
    "spoken_digits",
    "spoken_forms",
    "spoken_length",
    "spoken_number",
    "spoken_section",
    "spoken_year",
    "ssml_span",
    "text_span",
    "tokenize",
]
