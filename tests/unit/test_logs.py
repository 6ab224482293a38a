from __future__ import annotations

import json
import logging

import pytest

from bot.logs import RedactingFilter, configure, fields, redact, redact_fields

TOKEN = "7012345678:AAH0realLookingTokenWith35CharactersXYZ"


def test_tokens_file_urls_and_personal_codes_are_redacted() -> None:
    line = (
        f"GET https://api.telegram.org/bot{TOKEN}/getMe and "
        f"https://api.telegram.org/file/bot{TOKEN}/photos/file_1.jpg for 120389-12345 / 32123456789"
    )
    cleaned = redact(line)
    assert TOKEN not in cleaned
    assert "photos/file_1.jpg" not in cleaned
    assert "120389-12345" not in cleaned and "32123456789" not in cleaned
    assert "<token>" in cleaned and "<personal-code>" in cleaned


def test_the_filter_redacts_arguments_and_tracebacks(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("test.redaction")
    logger.addFilter(RedactingFilter())
    try:
        with caplog.at_level(logging.INFO, logger="test.redaction"):
            logger.info("calling %s", f"/bot{TOKEN}/sendMessage")
            try:
                raise RuntimeError(f"failed for {TOKEN}")
            except RuntimeError:
                logger.exception("boom")
    finally:
        logger.filters.clear()
    assert TOKEN not in caplog.text
    assert "failed for <token>" in caplog.text


SECRET_LINK = "/link/Xy7_kP2qW9xL4mN7vB3tY8zR1sD5fG6hJ0aQ3wE4rT"


def logged_with(json_lines: bool, capsys: pytest.CaptureFixture[str]) -> str:
    """One warning through the handler `configure` installs, with personal data and secrets
    in its structured fields; what reached stderr."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    try:
        configure(level="INFO", json_lines=json_lines)
        logging.getLogger("test.fields").warning(
            "outbox: e-mail refused",
            extra=fields(
                id=7,
                error="recipient refused: 550 5.1.1 <Anna.Berzina@ozolkalns.lv>: unknown",
                url=f"https://bot.example.lv{SECRET_LINK}?code=abc123&state=s3cr3t",
                person={"code": 12058412349, "also": ["120584-12349", "x"]},
                authorization="Bearer AT-123",
                bot=f"api.telegram.org/bot{TOKEN}/getMe",
            ),
        )
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
    return capsys.readouterr().err


@pytest.mark.parametrize("json_lines", [False, True], ids=["key-value", "json"])
def test_structured_fields_are_redacted_in_either_format(
    json_lines: bool, capsys: pytest.CaptureFixture[str]
) -> None:
    output = logged_with(json_lines, capsys)
    for secret in (
        "Anna.Berzina",
        "ozolkalns.lv",
        "12058412349",
        "120584-12349",
        SECRET_LINK.rsplit("/", 1)[1],
        "abc123",
        "s3cr3t",
        "AT-123",
        TOKEN.split(":")[1],
    ):
        assert secret not in output, secret
    assert "outbox: e-mail refused" in output and "550 5.1.1 <<e-mail>>" in output
    if json_lines:
        entry = json.loads(output)
        assert entry["id"] == 7  # numbers stay numbers
        assert entry["person"] == {"code": "<personal-code>", "also": ["<personal-code>", "x"]}
        assert entry["authorization"] == "<redacted>"
        assert (
            entry["url"] == "https://bot.example.lv/link/<token>?code=<redacted>&state=<redacted>"
        )


def test_the_outboxs_message_ids_and_ordinary_words_survive() -> None:
    kept = "mail accepted <outbox-12@altum.lv> for update 123456 in test_the_filter_redacts"
    assert redact(kept) == kept
    assert redact_fields({"count": 3, "provider": "oidc", "seconds": 0.5}) == {
        "count": 3,
        "provider": "oidc",
        "seconds": 0.5,
    }
