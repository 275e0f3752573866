"""Domain errors raised in the core; the HTTP edge maps them to status codes."""

from __future__ import annotations

from collections.abc import Iterable


class AssistantError(Exception):
    """Base of every error the core raises on purpose."""

    code = "assistant_error"


class ClauseNotFound(AssistantError, LookupError):
    code = "clause_not_found"

    def __init__(self, clause_id: str, valid: Iterable[str]):
        self.clause_id = clause_id
        self.valid = list(valid)
        super().__init__(f"no clause {clause_id!r}; valid ids: {', '.join(self.valid)}")


class CalculatorNotFound(AssistantError, LookupError):
    code = "calculator_not_found"

    def __init__(self, name: str, valid: Iterable[str]):
        self.name = name
        self.valid = list(valid)
        super().__init__(f"no calculator {name!r}; valid calculators: {', '.join(self.valid)}")


class CalcInputError(AssistantError, ValueError):
    """An input a calculator cannot accept; names the field and says why in Chinese."""

    code = "invalid_input"

    def __init__(self, field: str, message: str):
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}")


class InputNeeded(CalcInputError):
    """A deferred input (see calc.registry.DEFERRED) that these particular inputs do need after all."""

    code = "input_needed"


class IndexUnavailable(AssistantError, RuntimeError):
    """The built index is missing or was built from another corpus or model."""

    code = "index_unavailable"


class ModelUnavailable(AssistantError, RuntimeError):
    code = "model_unavailable"
