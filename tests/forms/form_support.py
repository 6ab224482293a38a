"""Forms built in code for the engine's tests: one field of each kind, and small shapes."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from portal.forms.model import (
    AttachmentRef,
    Condition,
    Field,
    FieldType,
    Form,
    FormKind,
    Option,
    Rules,
    Step,
    Text,
)

TODAY = date(2026, 3, 2)
VALID_IBAN = "LV80BANK0000435195001"
VALID_REGISTRATION_NUMBER = "40103999940"
OLD_PERSONAL_CODE = "12058412349"  # DDMMYY-CNNNX with its check digit
NEW_PERSONAL_CODE = "32987612345"  # 32–39…: no check digit


def text(name: str) -> Text:
    return Text(lv=f"{name} (lv)", en=f"{name} (en)")


def options(*ids: str) -> tuple[Option, ...]:
    return tuple(Option(i, Text(lv=f"{i.capitalize()} lv", en=f"{i.capitalize()} en")) for i in ids)


def field(
    field_id: str,
    field_type: FieldType,
    *,
    required: bool = True,
    when: Condition | None = None,
    rules: Rules | None = None,
    **extra: Any,
) -> Field:
    return Field(
        id=field_id,
        type=field_type,
        label=text(field_id),
        required=required,
        when=when,
        rules=rules or Rules(),
        **extra,
    )


def form(*steps: Step, form_id: str = "test_form", version: int = 1) -> Form:
    return Form(
        id=form_id,
        version=version,
        kind=FormKind.APPLICATION,
        title=text("Form"),
        needs_signatures=True,
        steps=steps,
    )


def step(step_id: str, *fields: Field, when: Condition | None = None) -> Step:
    return Step(id=step_id, title=text(step_id), fields=fields, when=when)


def one(f: Field) -> Form:
    return form(step("only", f))


def document(n: int, kind: str = "pdf") -> AttachmentRef:
    return AttachmentRef(
        document_id=f"doc-{n}", sha256=f"{n:064x}", kind=kind, name=f"file-{n}.{kind}"
    )


def context(**extra: object) -> dict[str, object]:
    return {"today": TODAY, "deal.undrawn_balance": Decimal("50000.00"), **extra}
