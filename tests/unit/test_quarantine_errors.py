"""What the quarantine keeps of an error and of an update: enough to act on, no personal data."""

from __future__ import annotations

import pytest
from aiogram.types import Update
from pydantic import ValidationError
from sqlalchemy import Column, Integer, MetaData, Table, create_engine, insert
from sqlalchemy.exc import IntegrityError

from bot.engine.group_commit import HandlerFailed
from bot.engine.quarantine import describe_error
from bot.engine.raw_updates import RAW_LIMIT, addressee_of, kind_of, sender_of, serialized


def test_a_validation_error_keeps_where_and_what_but_not_the_input() -> None:
    raw = {"update_id": 1, "message": {"poll": {"question": "Anna Bērziņa 010101-12345"}}}
    with pytest.raises(ValidationError) as caught:
        Update.model_validate(raw)
    error_type, message = describe_error(caught.value)
    assert error_type == "pydantic_core._pydantic_core.ValidationError"
    assert "message.message_id: Field required" in message
    assert "Bērziņa" not in message and "010101" not in message


def test_a_handlers_error_is_described_by_its_cause_where_it_was_raised() -> None:
    def handler() -> None:
        raise RuntimeError("code 010101-12345 \x00\nand a second line")

    try:
        try:
            handler()
        except RuntimeError as exc:
            raise HandlerFailed("RuntimeError") from exc
    except HandlerFailed as failed:
        error_type, message = describe_error(failed)
    assert error_type == "RuntimeError"
    assert message == "code <personal-code>"  # one line, printable
    with pytest.raises(TypeError) as caught:
        kind_of(None)  # type: ignore[arg-type]
    _, message = describe_error(caught.value)
    assert "(at bot/engine/raw_updates.py:" in message and message.endswith("in kind_of)")


def test_sql_parameters_stay_out() -> None:
    engine = create_engine("sqlite://")
    table = Table("t", MetaData(), Column("id", Integer, primary_key=True))
    table.metadata.create_all(engine)
    with engine.begin() as connection, pytest.raises(IntegrityError) as caught:
        connection.execute(insert(table), [{"id": 123456789}, {"id": 123456789}])
    error_type, message = describe_error(caught.value)
    assert error_type == "sqlalchemy.exc.IntegrityError"
    assert "123456789" not in message and message.startswith("IntegrityError")


def test_an_updates_json_is_read_without_trusting_its_shape() -> None:
    query = {
        "update_id": 5,
        "callback_query": {
            "id": "q1",
            "from": {"id": 7, "language_code": "en"},
            "message": {"chat": {"id": 8}},
        },
    }
    assert kind_of(query) == "callback_query" and sender_of(query) == 7
    who = addressee_of(query)
    assert (who.user_id, who.chat_id, who.language_code, who.callback_query_id) == (
        7,
        8,
        "en",
        "q1",
    )
    for odd in ({"update_id": 1}, {"message": None}, {"message": {"from": {"id": 2**64}}}):
        assert sender_of(odd) is None and addressee_of(odd).chat_id is None
    assert addressee_of({"message": {"chat": {"id": True}}}).chat_id is None


def test_the_kept_json_is_ascii_and_cut_at_the_limit() -> None:
    text, cut = serialized({"update_id": 1, "text": "ā\ud800"})
    assert text.isascii() and not cut
    text, cut = serialized({"update_id": 1, "text": "x" * RAW_LIMIT})
    assert len(text) == RAW_LIMIT and cut
