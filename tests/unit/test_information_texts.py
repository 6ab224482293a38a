"""The information section's words through Babel: counts with Latvian plural forms (0, 1, 2,
11, 21), money and dates as people there write them, and every log action in words."""

from __future__ import annotations

import pytest

from bot.i18n import create_i18n
from dialogs.activity_texts import action_text
from dialogs.information import entries_count
from portal.model import Action

I18N = create_i18n()


@pytest.mark.parametrize(
    ("count", "latvian", "english"),
    [
        (0, "0 ierakstu", "0 entries"),
        (1, "1 ieraksts", "1 entry"),
        (2, "2 ieraksti", "2 entries"),
        (11, "11 ierakstu", "11 entries"),
        (21, "21 ieraksts", "21 entries"),
        (1234, "1\xa0234 ieraksti", "1,234 entries"),
    ],
)
def test_counts_take_the_plural_form_of_each_language(
    count: int, latvian: str, english: str
) -> None:
    with I18N.context():
        with I18N.use_locale("lv"):
            assert entries_count(count) == latvian
        with I18N.use_locale("en"):
            assert entries_count(count) == english


def test_a_blocking_and_a_restoring_are_named_as_such() -> None:
    with I18N.context(), I18N.use_locale("lv"):
        blocked = {"status": {"from": "active", "to": "blocked"}}
        restored = {"status": {"from": "blocked", "to": "active"}}
        assert action_text("user.changed", blocked) == "bloķēja lietotāju"
        assert action_text("user.changed", restored) == "atjaunoja lietotāju"
        assert action_text("invoice.added", {"deal": "K-1", "invoice": "R-1"}) == "jauns rēķins R-1"


@pytest.mark.parametrize(
    "action",
    [
        Action.USER_ADDED,
        Action.USER_CHANGED,
        Action.DEAL_ADDED,
        Action.INVOICE_UPDATED,
        Action.CONSULTANT_SET,
        Action.LINKED,
        Action.CLIENT_SWITCHED,
    ],
)
def test_each_action_a_client_log_holds_has_words(action: Action) -> None:
    with I18N.context(), I18N.use_locale("en"):
        assert action_text(str(action), {}) != str(action)
