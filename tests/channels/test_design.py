"""The design holds over the source: the Assistant answers once, neutrally; wording per channel lives in channels/."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from assistant.models import Channel
from assistant.settings import PROJECT_ROOT

ANSWER_DIR = PROJECT_ROOT / "assistant" / "answer"
ANSWER_MODULES = sorted(ANSWER_DIR.glob("*.py"))
CHANNEL_VALUES = {c.value for c in Channel}


def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), str(path))


def _imports(tree: ast.Module) -> list[str]:
    """Every module a file imports, absolute or relative, at any depth (inside functions too)."""
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            names.append(("." * node.level) + (node.module or ""))
            names += [f"{node.module}.{a.name}" for a in node.names if node.module]
    return names


def _names_a_channel(node: ast.AST) -> str | None:
    """`Channel.widget`, or a string that is a channel's value, anywhere inside node."""
    for sub in ast.walk(node):
        if isinstance(sub, ast.Attribute) and isinstance(sub.value, ast.Name) and sub.value.id == "Channel":
            return f"Channel.{sub.attr}"
        if isinstance(sub, ast.Constant) and sub.value in CHANNEL_VALUES:
            return repr(sub.value)
    return None


def _branch_tests(tree: ast.Module) -> list[ast.AST]:
    """What decides a branch: if/elif/while/ternary tests, match subjects and patterns, comprehension filters."""
    tests: list[ast.AST] = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.If, ast.IfExp, ast.While)):
            tests.append(node.test)
        elif isinstance(node, ast.Match):
            tests.append(node.subject)
            tests += [case.pattern for case in node.cases]
        elif isinstance(node, ast.comprehension):
            tests += node.ifs
        elif isinstance(node, ast.BoolOp):
            tests.append(node)
    return tests


def test_there_are_answer_modules_to_check():
    assert {p.name for p in ANSWER_MODULES} >= {"assistant.py", "quote.py", "summary.py", "sessions.py"}


@pytest.mark.parametrize("path", ANSWER_MODULES, ids=lambda p: p.name)
def test_answer_imports_nothing_from_channels(path):
    bad = [m for m in _imports(_tree(path)) if "channels" in m.split(".")]
    assert not bad, f"{path.name} imports {bad}: channel wording belongs in assistant/channels"


@pytest.mark.parametrize("path", ANSWER_MODULES, ids=lambda p: p.name)
def test_no_answer_module_branches_on_a_channel(path):
    found = [
        (test.lineno, named)
        for test in _branch_tests(_tree(path))
        if (named := _names_a_channel(test)) and hasattr(test, "lineno")
    ]
    assert not found, f"{path.name} branches on a channel at {found}: render per channel in assistant/channels"


def test_the_checks_catch_what_they_look_for():
    """The AST checks themselves: a branch on Channel.widget and an import of channels are found."""
    tree = ast.parse(
        "from assistant.channels.ivr import render_speech\n"
        "def f(channel):\n"
        "    if channel is Channel.widget:\n"
        "        return 1\n"
        "    return 2 if channel == 'ivr' else 3\n"
    )
    assert "assistant.channels.ivr" in _imports(tree)
    assert [_names_a_channel(t) for t in _branch_tests(tree)] == ["Channel.widget", "'ivr'"]


def test_the_assistant_words_an_answer_the_same_for_every_channel(fake_assistant):
    """One neutral Answer: the channel decides whose conversation it is, never the wording."""
    question = "80端口和443端口默认关闭吗，备案后才能开？"
    answers = {c: fake_assistant.ask(question, channel=c, owner="o") for c in Channel}
    texts = {a.answer for a in answers.values()}
    assert len(texts) == 1 and "根据主协议第十条" in texts.pop()
