"""The information section's words through Babel: counts with Latvian plural forms (0, 1, 2,
11, 21), money and dates as people there write them, and every log action in words."""

from __future__ import annotations

import pytest

from bot.i18n import create_i18n
from dialogs.activity_texts import action_text
from dialogs.information import entries_count
from portal.model import KIND_ACTIONS, Action

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


# Actions recorded without a client, so never on a client's log («Informācija»).
NOT_ON_A_CLIENT_LOG = {
    Action.ACCOUNT_CREATED,
    Action.LANGUAGE_CHANGED,
    Action.LOGIN_LINK_ISSUED,
    Action.REGISTRATION_SUBMITTED,
    Action.UPDATE_QUARANTINED,
    Action.UPDATE_RETRIED,
    Action.UPDATE_DROPPED,
    Action.PHONE_CHANGED,  # a person's own contacts
    Action.EMAIL_REQUESTED,
    Action.EMAIL_CONFIRMED,
    Action.NOTIFICATIONS_CHANGED,  # a person's own choices
}


def test_every_action_is_in_a_filter_of_the_log_or_never_on_it() -> None:
    """A new action must be placed: in a kind of the log's filter, or said to be off it."""
    filtered = {action for actions in KIND_ACTIONS.values() for action in actions}
    unplaced = set(Action) - filtered - NOT_ON_A_CLIENT_LOG
    assert not unplaced, f"add these to KIND_ACTIONS or NOT_ON_A_CLIENT_LOG: {unplaced}"


@pytest.mark.parametrize("action", sorted(set(Action) - NOT_ON_A_CLIENT_LOG))
@pytest.mark.parametrize("locale", ["lv", "en"])
def test_each_action_a_client_log_holds_has_words(action: Action, locale: str) -> None:
    with I18N.context(), I18N.use_locale(locale):
        assert action_text(str(action), {}) != str(action)
