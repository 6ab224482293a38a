"""Whether a field or a step is shown: a condition over the answers given before it.

A condition about an answer that is not there (not asked yet, skipped, or itself hidden) does
not hold, whatever it compares; only `answered: false` holds then.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal

from portal.forms.model import AllOf, AnyOf, Compare, Condition, Op, Value


def holds(condition: Condition, answers: Mapping[str, Value]) -> bool:
    """`answers` are the visible, answered values so far (skipped and hidden ones left out)."""
    if isinstance(condition, AllOf):
        return all(holds(c, answers) for c in condition.conditions)
    if isinstance(condition, AnyOf):
        return any(holds(c, answers) for c in condition.conditions)
    return _compare(condition, answers)


def _compare(condition: Compare, answers: Mapping[str, Value]) -> bool:
    given = answers.get(condition.field)
    wanted = condition.value
    if condition.op is Op.ANSWERED:
        return (given is not None) is wanted
    if given is None:
        return False
    match condition.op:
        case Op.EQUALS:
            return _same(given, wanted)
        case Op.NOT_EQUALS:
            return not _same(given, wanted)
        case Op.IN:
            return isinstance(wanted, tuple) and given in wanted
        case Op.CONTAINS:
            return isinstance(given, tuple) and wanted in given
        case Op.GREATER_THAN | Op.LESS_THAN:
            return _ordered(given, wanted, greater=condition.op is Op.GREATER_THAN)
    return False  # pragma: no cover - every operator is handled above


def _same(given: Value, wanted: object) -> bool:
    # True == 1 in Python; a yes/no answer must not equal a number or the other way round.
    if isinstance(given, bool) or isinstance(wanted, bool):
        return isinstance(given, bool) and isinstance(wanted, bool) and given is wanted
    return given == wanted


def _ordered(given: Value, wanted: object, *, greater: bool) -> bool:
    if isinstance(given, bool):
        return False
    if isinstance(given, int | Decimal) and isinstance(wanted, Decimal):
        return given > wanted if greater else given < wanted
    if isinstance(given, date) and isinstance(wanted, date):
        return given > wanted if greater else given < wanted
    return False
