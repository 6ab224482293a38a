"""The canonical answers and their hash: what a signature binds must not move when nothing
that matters moved, and must move when anything that matters did."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import pytest
from form_support import document, field, form, options, step
from hypothesis import given, settings
from hypothesis import strategies as st

from portal.forms.canonical import (
    BadStoredAnswer,
    canonical_bytes,
    content_hash,
    decode_answers,
    encode_answers,
)
from portal.forms.model import AttachmentRef, FieldType, Form, Value

F = FieldType


def shape(version: int = 1) -> Form:
    return form(
        step(
            "s",
            field("amount", F.MONEY),
            field("rate", F.PERCENT),
            field("term", F.INTEGER),
            field("start", F.DATE),
            field("sure", F.YES_NO),
            field("kind", F.CHOICE, options=options("a", "b")),
            field("items", F.MULTI_CHOICE, options=options("x", "y", "z")),
            field("name", F.TEXT),
            field("iban", F.IBAN),
            field("files", F.ATTACHMENT, max_files=3),
            field("note", F.TEXT, required=False),
        ),
        version=version,
    )


ANSWERS: dict[str, Value | None] = {
    "amount": Decimal("1234.50"),
    "rate": Decimal("3.50"),
    "term": 60,
    "start": date(2026, 3, 7),
    "sure": True,
    "kind": "b",
    "items": ("x", "z"),
    "name": "SIA «Ozolkalna Koks»",
    "iban": "LV80BANK0000435195001",
    "files": (document(1), document(2, "edoc")),
    "note": None,
}


def test_the_canonical_document_is_pinned() -> None:
    """A golden value: if this changes, every stored signature stops verifying."""
    text = canonical_bytes(shape(), ANSWERS, about={"client": "40103999940"}).decode()
    assert text == (
        '{"about":{"client":"40103999940"},"answers":{"amount":"1234.50",'
        '"files":["0000000000000000000000000000000000000000000000000000000000000001",'
        '"0000000000000000000000000000000000000000000000000000000000000002"],'
        '"iban":"LV80BANK0000435195001","items":["x","z"],"kind":"b",'
        '"name":"SIA «Ozolkalna Koks»","rate":"3.5","start":"2026-03-07","sure":true,'
        '"term":60},"canonical":1,"form":"test_form","version":1}'
    )
    # `printf '%s' "$text" | sha256sum`, computed outside Python
    assert (
        content_hash(shape(), ANSWERS, about={"client": "40103999940"})
        == "3acdcacaec9c9eb9da3424ba5e6416001aaaef163ae1b306ca788e49d4b79574"
    )


@settings(deadline=None)
@given(st.permutations(list(ANSWERS)))
def test_the_order_of_answers_does_not_matter(order: list[str]) -> None:
    shuffled = {key: ANSWERS[key] for key in order}
    assert content_hash(shape(), shuffled) == content_hash(shape(), ANSWERS)


def test_how_a_decimal_is_written_does_not_matter() -> None:
    spelled = {
        **ANSWERS,
        "amount": Decimal("1.2345E+3"),
        "rate": Decimal("3.5000"),
    }
    assert content_hash(shape(), spelled) == content_hash(shape(), ANSWERS)


def test_the_order_of_choices_and_files_and_the_files_names_do_not_matter() -> None:
    renamed = AttachmentRef(document_id="other-id", sha256=document(1).sha256, kind="pdf", name="x")
    same = {**ANSWERS, "items": ("z", "x"), "files": (document(2, "edoc"), renamed)}
    assert content_hash(shape(), same) == content_hash(shape(), ANSWERS)


@pytest.mark.parametrize(
    "change",
    [
        {"amount": Decimal("1234.51")},
        {"rate": Decimal("3.51")},
        {"start": date(2026, 3, 8)},
        {"sure": False},
        {"items": ("x",)},
        {"name": "SIA «Ozolkalna koks»"},
        {"files": (document(1), document(3))},  # another file's content
        {"note": "now answered"},
    ],
)
def test_any_change_of_content_changes_the_hash(change: dict[str, Value | None]) -> None:
    assert content_hash(shape(), {**ANSWERS, **change}) != content_hash(shape(), ANSWERS)


def test_the_form_version_and_what_it_is_about_are_bound_too() -> None:
    base = content_hash(shape(), ANSWERS, about={"deal": "D-1"})
    assert content_hash(shape(version=2), ANSWERS, about={"deal": "D-1"}) != base
    assert content_hash(shape(), ANSWERS, about={"deal": "D-2"}) != base


def test_the_document_is_plain_sorted_utf8_json() -> None:
    raw = canonical_bytes(shape(), ANSWERS)
    assert json.loads(raw)["answers"]["amount"] == "1234.50"
    assert b" " not in raw.replace("SIA «Ozolkalna Koks»".encode(), b"")
    assert "«".encode() in raw  # not \u escaped


def test_a_draft_survives_storage_exactly() -> None:
    stored = json.loads(json.dumps(encode_answers(shape(), ANSWERS)))
    assert decode_answers(shape(), stored) == ANSWERS
    assert stored["files"][0] == {
        "document_id": "doc-1",
        "sha256": document(1).sha256,
        "kind": "pdf",
        "name": "file-1.pdf",
    }


@settings(deadline=None)
@given(
    st.decimals(min_value=0, max_value=10**12, places=2, allow_nan=False),
    st.dates(),
    st.integers(min_value=-(10**12), max_value=10**12),
)
def test_values_round_trip_through_storage(amount: Decimal, day: date, term: int) -> None:
    answers = {**ANSWERS, "amount": amount, "start": day, "term": term}
    assert decode_answers(shape(), encode_answers(shape(), answers)) == answers


@pytest.mark.parametrize(
    ("key", "stored"),
    [
        ("amount", 1234.5),  # a float: never
        ("amount", "NaN"),
        ("term", "60"),
        ("term", True),
        ("sure", "yes"),
        ("start", "07.03.2026"),
        ("items", ["x", "nope"]),
        ("kind", 1),
        ("files", [{"sha256": "ab"}]),
    ],
)
def test_a_tampered_draft_is_refused_when_read(key: str, stored: object) -> None:
    with pytest.raises(BadStoredAnswer):
        decode_answers(shape(), {key: stored})
