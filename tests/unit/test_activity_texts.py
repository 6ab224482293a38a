"""The means of authentication and its assurance level in words, for the activity log."""

from __future__ import annotations

import pytest

from bot.i18n import create_i18n
from dialogs.activity_texts import login_means_text


@pytest.mark.parametrize(
    ("details", "latvian", "english"),
    [
        (
            {"authentication_method": "urn:ivis:100001:am-swedbank", "assurance_level": "4"},
            "Autentifikācijas līdzeklis: Swedbank internetbanka, uzticamības līmenis 4 (augsts)",
            "Means of authentication: Swedbank internet bank, assurance level 4 (high)",
        ),
        (
            {"authentication_method": "SEB", "assurance_level": "3"},
            "Autentifikācijas līdzeklis: SEB internetbanka, uzticamības līmenis 3 (būtisks)",
            "Means of authentication: SEB internet bank, assurance level 3 (substantial)",
        ),
        (
            {"authentication_method": "urn:ivis:100001:am-eid"},
            "Autentifikācijas līdzeklis: eID karte",
            "Means of authentication: eID card",
        ),
        (
            {"authentication_method": "urn:ivis:100001:am-eidas"},
            "Autentifikācijas līdzeklis: citas ES valsts eID (eIDAS)",
            "Means of authentication: eID of another EU country (eIDAS)",
        ),
        (
            {"authentication_method": "urn:ivis:100001:am-smart-id", "assurance_level": "2"},
            "Autentifikācijas līdzeklis: Smart-ID, uzticamības līmenis 2 (zems)",
            "Means of authentication: Smart-ID, assurance level 2 (low)",
        ),
        (  # unknown: as it came, never a guess
            {"authentication_method": "urn:ivis:100001:am-idp40-wif", "assurance_level": "9"},
            "Autentifikācijas līdzeklis: urn:ivis:100001:am-idp40-wif, uzticamības līmenis 9",
            "Means of authentication: urn:ivis:100001:am-idp40-wif, assurance level 9",
        ),
        ({"provider": "oidc"}, "", ""),
    ],
)
def test_login_means_in_latvian_and_english(
    details: dict[str, str], latvian: str, english: str
) -> None:
    i18n = create_i18n()
    with i18n.context():
        with i18n.use_locale("lv"):
            assert login_means_text(details) == latvian
        with i18n.use_locale("en"):
            assert login_means_text(details) == english
