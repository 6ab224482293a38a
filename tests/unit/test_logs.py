from __future__ import annotations

import logging

import pytest

from bot.logs import RedactingFilter, redact

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
