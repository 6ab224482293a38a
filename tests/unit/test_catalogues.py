"""The Latvian catalogue is complete, uses Babel's plural rule for Latvian (three forms: for
0 and 10–20 and what ends in 0 or 11–19; for what ends in 1 but not 11; for the rest), and the
bot's own I18n (`bot.i18n.create_i18n`) serves it, plural forms and all."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from bot.i18n import create_i18n

ROOT = Path(__file__).resolve().parents[2]
LV_PO = ROOT / "locales" / "lv" / "LC_MESSAGES" / "messages.po"
LV_RULE = (
    "nplurals=3; plural=(n % 10 == 0 || n % 100 >= 11 && n % 100 <= 19 ? 0 : "
    "n % 10 == 1 && n % 100 != 11 ? 1 : 2);"
)


def test_every_message_in_the_code_is_in_the_template(tmp_path: Path) -> None:
    fresh = tmp_path / "fresh.pot"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "extract",
            "-F",
            "babel.cfg",
            "-k",
            "_",
            "-k",
            "__",
            "-k",
            "lazy_gettext",
            "--no-location",
            "-o",
            str(fresh),
            ".",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    with fresh.open("rb") as f:
        in_code = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(f) if m.id}
    with LV_PO.open("rb") as f:
        catalogue = read_po(f, locale="lv")
    in_catalogue = {m.id if isinstance(m.id, str) else m.id[0] for m in catalogue if m.id}
    assert in_code - in_catalogue == set(), "run scripts/i18n update and translate"


def test_latvian_catalogue_is_complete_and_not_fuzzy() -> None:
    with LV_PO.open("rb") as f:
        catalogue = read_po(f, locale="lv")
    problems = [
        m.id
        for m in catalogue
        if m.id and (m.fuzzy or not all(m.string if isinstance(m.string, tuple) else [m.string]))
    ]
    assert problems == []
    assert catalogue.plural_forms.replace(" ", "") == LV_RULE.replace(" ", "")


ONE, MANY = "Please write at least {count} character.", "Please write at least {count} characters."


@pytest.mark.parametrize(
    ("n", "latvian"),
    [
        (0, "Lūdzu, uzrakstiet vismaz 0 rakstzīmju."),
        (1, "Lūdzu, uzrakstiet vismaz 1 rakstzīmi."),
        (2, "Lūdzu, uzrakstiet vismaz 2 rakstzīmes."),
        (10, "Lūdzu, uzrakstiet vismaz 10 rakstzīmju."),
        (11, "Lūdzu, uzrakstiet vismaz 11 rakstzīmju."),
        (21, "Lūdzu, uzrakstiet vismaz 21 rakstzīmi."),
        (22, "Lūdzu, uzrakstiet vismaz 22 rakstzīmes."),
        (111, "Lūdzu, uzrakstiet vismaz 111 rakstzīmju."),
    ],
)
def test_the_bots_i18n_picks_the_latvian_plural_forms(n: int, latvian: str) -> None:
    i18n = create_i18n()  # the compiled catalogues the bot runs with
    assert i18n.gettext(ONE, MANY, n, locale="lv").format(count=n) == latvian
    english = i18n.gettext(ONE, MANY, n, locale="en").format(count=n)
    assert english == (ONE if n == 1 else MANY).format(count=n)


def test_the_bots_i18n_speaks_latvian_unless_told_otherwise() -> None:
    i18n = create_i18n()
    with i18n.context():
        assert (
            i18n.gettext("Please choose one of the buttons.") == "Lūdzu, izvēlieties kādu no pogām."
        )
        with i18n.use_locale("en"):
            assert i18n.gettext("Please choose one of the buttons.") == (
                "Please choose one of the buttons."
            )
