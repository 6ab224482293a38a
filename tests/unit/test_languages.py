from __future__ import annotations

import pytest

from portal.languages import effective_language, normalize


@pytest.mark.parametrize(
    ("chosen", "telegram", "expected"),
    [
        ("en", "lv", "en"),  # the person's choice wins
        (None, "en-GB", "en"),  # else Telegram's language
        (None, "de", "lv"),  # else Latvian
        (None, None, "lv"),
        ("ru", "en", "en"),  # a stored code we no longer speak is ignored
    ],
)
def test_effective_language(chosen: str | None, telegram: str | None, expected: str) -> None:
    assert effective_language(chosen=chosen, telegram_language_code=telegram) == expected


def test_normalize() -> None:
    assert normalize("LV") == "lv"
    assert normalize("en_US") == "en"
    assert normalize("") is None
