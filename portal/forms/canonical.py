"""Answers as JSON: for the draft in storage, and the canonical document a signature binds.

Storage (`encode_answers` / `decode_answers`) keeps everything of a draft: skipped fields as
null, hidden answers, attachments with their document ids and names. Decoding re-checks each
value's type, so a row edited behind the bot's back cannot smuggle a wrong one.

The canonical document (`canonical_bytes`, `content_hash`) is what signatures bind:

    {"about": {...}, "answers": {...}, "canonical": 1, "form": "<id>", "version": <n>}

UTF-8 JSON, keys sorted, no spaces, non-ASCII as is (RFC 8785's shape for this data: no floats).
Only visible, answered fields; money as a string with two decimals (`"1234.50"`), percent
without trailing zeros (`"3.5"`), dates ISO (`"2026-03-07"`), multi choices as sorted option
ids, attachments as the sorted SHA-256 of their contents (a re-upload of the same file keeps the
hash, a changed file changes it). `about` names what the content is about (client, deal) so a
signature cannot be moved to another one. A different form version is different content.
"""

from __future__ import annotations

import hashlib
import json
import unicodedata
from collections.abc import Mapping
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from portal.forms.engine import visible_answers
from portal.forms.model import Answers, AttachmentRef, Field, FieldType, Form, Value
from portal.forms.numbers import plain

CANONICAL_VERSION = 1
JsonValue = str | int | bool | list[Any] | dict[str, Any] | None


class BadStoredAnswer(ValueError):
    """A stored answer that does not fit its field (a corrupted or tampered draft)."""


def encode_value(field: Field, value: Value) -> JsonValue:
    """A value as JSON for storage (attachments with their ids and names)."""
    if field.type is FieldType.ATTACHMENT:
        return [
            {"document_id": f.document_id, "sha256": f.sha256, "kind": f.kind, "name": f.name}
            for f in _files(value)
        ]
    return _scalar(field, value)


def _scalar(field: Field, value: Value) -> JsonValue:
    match field.type:
        case FieldType.MONEY:
            assert isinstance(value, Decimal)
            return format(value.quantize(Decimal("0.01")), "f")
        case FieldType.PERCENT:
            assert isinstance(value, Decimal)
            return plain(value)
        case FieldType.DATE:
            assert isinstance(value, date)
            return value.isoformat()
        case FieldType.INTEGER:
            assert isinstance(value, int) and not isinstance(value, bool)
            return value
        case FieldType.YES_NO:
            assert isinstance(value, bool)
            return value
        case FieldType.MULTI_CHOICE:
            assert isinstance(value, tuple)
            return sorted(str(v) for v in value)
    assert isinstance(value, str)
    return unicodedata.normalize("NFC", value)


def _files(value: Value) -> tuple[AttachmentRef, ...]:
    assert isinstance(value, tuple)
    return tuple(f for f in value if isinstance(f, AttachmentRef))


def decode_value(field: Field, data: object) -> Value:
    try:
        match field.type:
            case FieldType.MONEY | FieldType.PERCENT if isinstance(data, str):
                number = Decimal(data)
                if number.is_finite():
                    return number
            case FieldType.DATE if isinstance(data, str):
                return date.fromisoformat(data)
            case FieldType.INTEGER if isinstance(data, int) and not isinstance(data, bool):
                return data
            case FieldType.YES_NO if isinstance(data, bool):
                return data
            case FieldType.MULTI_CHOICE if isinstance(data, list):
                if all(isinstance(v, str) and field.option(v) for v in data):
                    return tuple(o.id for o in field.options if o.id in data)
            case FieldType.ATTACHMENT if isinstance(data, list):
                return tuple(
                    AttachmentRef(
                        document_id=str(f["document_id"]),
                        sha256=str(f["sha256"]),
                        kind=str(f["kind"]),
                        name=str(f["name"]),
                    )
                    for f in data
                )
            case _ if isinstance(data, str) and field.type not in _NOT_STRINGS:
                return data
    except (InvalidOperation, ValueError, KeyError, TypeError) as exc:
        raise BadStoredAnswer(field.id) from exc
    raise BadStoredAnswer(field.id)


_NOT_STRINGS = frozenset(
    {
        FieldType.MONEY,
        FieldType.PERCENT,
        FieldType.DATE,
        FieldType.INTEGER,
        FieldType.YES_NO,
        FieldType.MULTI_CHOICE,
        FieldType.ATTACHMENT,
    }
)


def encode_answers(form: Form, answers: Answers) -> dict[str, JsonValue]:
    """The whole draft as JSON (skipped fields as null, hidden answers kept)."""
    return {
        key: None if value is None else encode_value(form.field(key), value)
        for key, value in answers.items()
    }


def decode_answers(form: Form, data: Mapping[str, object]) -> dict[str, Value | None]:
    """Back from storage; raises `BadStoredAnswer` (or `UnknownField`) for what does not fit."""
    return {
        key: None if raw is None else decode_value(form.field(key), raw)
        for key, raw in data.items()
    }


def canonical_document(
    form: Form, answers: Answers, *, about: Mapping[str, str] | None = None
) -> dict[str, JsonValue]:
    content: dict[str, JsonValue] = {}
    for key, value in visible_answers(form, answers).items():
        field = form.field(key)
        if field.type is FieldType.ATTACHMENT:
            content[key] = sorted(f.sha256.lower() for f in _files(value))
        else:
            content[key] = _scalar(field, value)
    return {
        "about": dict(about or {}),
        "answers": content,
        "canonical": CANONICAL_VERSION,
        "form": form.id,
        "version": form.version,
    }


def canonical_bytes(
    form: Form, answers: Answers, *, about: Mapping[str, str] | None = None
) -> bytes:
    document = canonical_document(form, answers, about=about)
    text = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return text.encode("utf-8")


def content_hash(form: Form, answers: Answers, *, about: Mapping[str, str] | None = None) -> str:
    """SHA-256 (hex) of the canonical document: what a signature binds, shown to the signer."""
    return hashlib.sha256(canonical_bytes(form, answers, about=about)).hexdigest()
