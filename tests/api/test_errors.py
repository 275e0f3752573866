"""Every error class the core raises has its HTTP status at the edge."""

from __future__ import annotations

import importlib
import pkgutil

import pytest

import assistant
from assistant.api.errors import EdgeError, status_of
from assistant.errors import AssistantError


def _all_subclasses(cls: type) -> list[type]:
    out = []
    for sub in cls.__subclasses__():
        out += [sub, *_all_subclasses(sub)]
    return out


def _error_classes() -> list[type]:
    for mod in pkgutil.walk_packages(assistant.__path__, "assistant."):
        importlib.import_module(mod.name)
    return sorted(set(_all_subclasses(AssistantError) + _all_subclasses(EdgeError)), key=lambda c: c.__qualname__)


@pytest.mark.parametrize("cls", _error_classes(), ids=lambda c: c.__name__)
def test_each_error_class_has_a_status(cls):
    error = cls.__new__(cls)  # no constructor arguments needed to ask for a status
    status = status_of(error)
    assert status is not None and 400 <= status < 600 and status != 500
    assert cls.code != AssistantError.code and cls.code != EdgeError.code, "each class names its own code"
