"""The domain's refusals, as types. Front ends map each to one HTTP status and one chat answer.

A write that lost a race is storage's `Conflict` (storage/uow.py); workflow/errors.py names both.
"""
from __future__ import annotations


class WorkflowError(Exception):
    """Base: `message` is Chinese and shown to people; `code` is stable for programs."""

    code = "error"
    status = 400

    def __init__(self, message: str, **details):
        super().__init__(message)
        self.message = message
        self.details = details


class InvalidInput(WorkflowError):
    code = "invalid_input"
    status = 400


class NotFound(WorkflowError):
    code = "not_found"
    status = 404


class Forbidden(WorkflowError):
    code = "forbidden"
    status = 403


class NotAllowed(WorkflowError):
    """The action is not open now (wrong state, failed guard, wrong actor): 409 with the open ones."""

    code = "not_allowed"
    status = 409

    def __init__(self, message: str, allowed: list[str] | None = None, **details):
        super().__init__(message, **details)
        self.allowed = allowed or []


class Refusal(str):
    """A guard's reason that names the input field it is about (forms mark it, the API reports it)."""

    field: str

    def __new__(cls, text: str, field: str = "") -> "Refusal":
        refusal = super().__new__(cls, text)
        refusal.field = field
        return refusal
