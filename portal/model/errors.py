"""Refusals of ALTUM's back-office use cases, which the API turns into problem details.
(The chat's refusals live beside the records they are about.)"""

from __future__ import annotations

from typing import TypeVar

T = TypeVar("T")


class Refusal(Exception):
    """What a use case refuses a request with. One that writes many things at once (an API
    batch's deals) answers each with its result or its refusal, having written nothing of a
    refused one."""


class NotFound(Refusal):
    """The thing named does not exist (or no longer)."""

    def __init__(self, what: str) -> None:
        super().__init__(f"{what} not found")
        self.what = what


class Conflict(Refusal):
    """The request does not fit the current state; `code` names the rule, for machines."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail


class Invalid(Refusal):
    """A value passed the API's schema but not the portal's rules (a checksum, a date order)."""

    def __init__(self, field: str, detail: str) -> None:
        super().__init__(f"{field}: {detail}")
        self.field = field
        self.detail = detail


def only_result(outcomes: list[T | Refusal]) -> T:
    """The one outcome of a use case that answers many writes, given one: its result, or its
    refusal raised (as the one-write use case raises it)."""
    [outcome] = outcomes
    if isinstance(outcome, Refusal):
        raise outcome
    return outcome
