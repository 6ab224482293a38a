"""The Latvian catalogue is complete and uses Babel's plural rule (../shared/DOMAIN.md)."""

from __future__ import annotations

import gettext
import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po

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
    assert in_code - in_catalogue == set(), "run scripts/i18n.sh update and translate"


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


def test_latvian_plural_rule_picks_the_right_forms() -> None:
    plural = gettext.c2py(LV_RULE.split("plural=")[1].rstrip(";"))
    forms = {0: 0, 1: 1, 2: 2, 11: 0, 21: 1, 111: 0, 22: 2, 10: 0}
    assert {n: plural(n) for n in forms} == forms
