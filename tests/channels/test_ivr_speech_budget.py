"""Every labelled question, asked on the phone line, is answered in one breath (≤ 45 characters unless the caller
asked for more), and espeak-ng synthesises what is said: the greeting, the hint, ports and a sample of answers."""

from __future__ import annotations

import shutil
import subprocess
import tomllib

import pytest

from assistant.answer.assistant import Assistant
from assistant.answer.sessions import MemorySessionStore
from assistant.bank import DEV, SEALED, load_bank
from assistant.channels.ivr import (
    GREETING_SPEECH,
    KEYPRESS_SPEECH,
    MAX_DETAIL_SPEECH_CHARS,
    MAX_SPEECH_CHARS,
    REPROMPT_SPEECH,
    asks_for_detail,
    clean_transcript,
    render_text,
)
from assistant.channels.ivr_service import IvrReply, handle_turn
from assistant.settings import PROJECT_ROOT
from tests.conftest import TODAY

DATA = PROJECT_ROOT / "tests" / "data"
ESPEAK = shutil.which("espeak-ng")
needs_espeak = pytest.mark.skipif(ESPEAK is None, reason="espeak-ng is not installed (apt-get install espeak-ng)")
# Every this-many-th reply is synthesised: a sample across the files, kinds and styles.
SAMPLE_EVERY = 150


def labelled_calls() -> list[list[str]]:
    """Each labelled question as a call of one turn, and each labelled conversation as one call of its turns."""
    calls = []
    for name in ("eval_questions.toml", "calc_questions.toml"):
        calls += [[row["q"]] for row in tomllib.loads((DATA / name).read_text(encoding="utf-8"))["question"]]
    for part in (DEV, SEALED):
        bank = load_bank(part)
        calls += [[q.q] for q in bank.questions]
        calls += [[t.q for t in c.turn] for c in bank.conversations]
    return calls


@pytest.fixture(scope="module")
def replies(fake_assistant) -> list[tuple[str, IvrReply]]:
    """Every labelled call played on a phone line of its own (the Assistant on the fake index, sessions in memory)."""
    line = Assistant(
        fake_assistant.knowledge, fake_assistant.retriever, fake_assistant.settings,
        sessions=MemorySessionStore(max_sessions=100_000), scope=fake_assistant.scope, today=lambda: TODAY,
    )
    out = []
    for i, call in enumerate(labelled_calls()):
        for said in call:
            out.append((said, handle_turn(line, f"labelled-{i}", said[:500], owner="budget")))
    return out


def test_there_are_thousands_of_labelled_turns(replies):
    assert len(replies) > 2500


def test_every_labelled_answer_is_said_in_one_breath(replies):
    too_long = [
        (len(r.speech), said[:30], r.speech)
        for said, r in replies
        if len(r.speech) > (MAX_DETAIL_SPEECH_CHARS if asks_for_detail(clean_transcript(said)) else MAX_SPEECH_CHARS)
    ]
    assert not too_long, too_long[:10]
    assert MAX_SPEECH_CHARS == 45


def test_only_a_caller_asking_for_more_hears_more(replies):
    longer = [said for said, r in replies if len(r.speech) > MAX_SPEECH_CHARS]
    assert all(asks_for_detail(clean_transcript(s)) for s in longer)


def test_nothing_said_is_an_unread_figure_or_id(replies):
    for said, r in replies:
        assert not any(ch.isascii() and (ch.isdigit() or ch in "<>&") for ch in r.speech), (said, r.speech)


def synthesise(tmp_path, text: str, ssml: bool = False) -> int:
    """Bytes of the WAV espeak-ng writes for text (SSML when asked)."""
    wav = tmp_path / "out.wav"
    args = [ESPEAK, "-v", "cmn", *(["-m"] if ssml else []), "-w", str(wav), text]
    done = subprocess.run(args, capture_output=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return wav.stat().st_size


@needs_espeak
def test_espeak_reads_a_sample_of_the_labelled_answers(replies, tmp_path):
    sample = replies[::SAMPLE_EVERY]
    assert len(sample) >= 15
    for _, r in sample:
        assert synthesise(tmp_path, r.speech) > 1000
        assert synthesise(tmp_path, r.ssml, ssml=True) > 1000


@needs_espeak
@pytest.mark.parametrize("line", [GREETING_SPEECH, REPROMPT_SPEECH, KEYPRESS_SPEECH])
def test_espeak_reads_the_greeting_and_the_hint(line, tmp_path):
    rendered = render_text(line)
    assert "按零" in rendered.speech and "转人工" in rendered.speech
    assert synthesise(tmp_path, rendered.speech) > 1000
    assert synthesise(tmp_path, rendered.ssml, ssml=True) > 1000


def phonemes(text: str, ssml: bool = False) -> str:
    """espeak-ng's phonemes for text, as it would speak it."""
    args = [ESPEAK, "-v", "cmn", "-q", "-x", *(["-m"] if ssml else []), text]
    return subprocess.run(args, capture_output=True, text=True, timeout=60, check=True).stdout


@needs_espeak
def test_espeak_reads_a_port_digit_by_digit(tmp_path):
    rendered = render_text("请检查端口8080")
    assert rendered.speech == "请检查端口八零八零。"
    assert synthesise(tmp_path, rendered.speech) > 1000
    # The SSML marks the port up as characters: espeak-ng reads it digit by digit, not as 八千零八十.
    as_port = phonemes(rendered.ssml, ssml=True)
    as_quantity = phonemes(rendered.ssml.replace('interpret-as="characters"', 'interpret-as="cardinal"'), ssml=True)
    assert as_port != as_quantity
