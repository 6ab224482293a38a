"""Every refusal and warning has a text in Latvian and English that names the rule and says
what to do (dialogs/document_texts.py over the compiled catalogues)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from aiogram.utils.i18n import I18n

from bot.i18n import create_i18n
from dialogs import document_texts as texts
from portal.documents import (
    KIB,
    MIB,
    Advice,
    DocumentKind,
    DocumentRules,
    Refusal,
    RefusalCode,
    UploadWarning,
    WarningCode,
)

RULES = DocumentRules()
REFUSALS = [
    Refusal(RefusalCode.EMPTY, limit=KIB, size=0),
    Refusal(RefusalCode.TOO_SMALL, limit=KIB, size=1023),
    Refusal(RefusalCode.TOO_LARGE, limit=20 * MIB, size=35 * MIB),
    Refusal(RefusalCode.TOO_LARGE, limit=20 * MIB, size=20 * MIB + 1),
    Refusal(RefusalCode.TOO_LARGE, limit=20 * MIB),
    Refusal(RefusalCode.NOT_ALLOWED, declared_extension="pdf"),
    Refusal(RefusalCode.NOT_ALLOWED),
    Refusal(RefusalCode.PICTURE_FORMAT, declared_extension="heic"),
    Refusal(RefusalCode.ARCHIVE, declared_extension="zip"),
    Refusal(RefusalCode.ARCHIVE_LIMITS, limit=200),
    Refusal(RefusalCode.EXECUTABLE, declared_extension="pdf"),
    Refusal(RefusalCode.SCRIPT),
    Refusal(RefusalCode.WEB_PAGE, declared_extension="pdf"),
    Refusal(RefusalCode.MACROS, declared_extension="docx"),
    Refusal(RefusalCode.ENCRYPTED),
    Refusal(RefusalCode.DAMAGED, kind=DocumentKind.PDF),
    Refusal(RefusalCode.DAMAGED),
    Refusal(RefusalCode.UNSIGNED_EDOC, kind=DocumentKind.EDOC),
    Refusal(RefusalCode.TOO_MANY_PIXELS, limit=50_000_000),
    Refusal(RefusalCode.TOO_MANY_PAGES, limit=50),
]
WARNINGS = [
    UploadWarning(WarningCode.RENAMED, declared_extension="docx", kind=DocumentKind.PDF),
    UploadWarning(WarningCode.PHOTO_TOO_SMALL, width=640, height=480, limit=800),
]


@pytest.fixture(scope="module")
def i18n() -> Iterator[I18n]:
    i18n = create_i18n()
    with i18n.context():
        yield i18n


def render(i18n: I18n, locale: str, refusal: Refusal | UploadWarning) -> str:
    with i18n.use_locale(locale):
        if isinstance(refusal, Refusal):
            return texts.refusal_text(refusal, RULES)
        return texts.warning_text(refusal, RULES, name="Līgums.pdf")


def test_every_code_is_covered_here() -> None:
    assert {r.code for r in REFUSALS} == set(RefusalCode)
    assert {w.code for w in WARNINGS} == set(WarningCode)


@pytest.mark.parametrize("item", [*REFUSALS, *WARNINGS], ids=lambda r: f"{r.code.value}")
def test_texts_exist_in_both_languages_with_the_advice(
    i18n: I18n, item: Refusal | UploadWarning
) -> None:
    english, latvian = render(i18n, "en", item), render(i18n, "lv", item)
    assert english != latvian
    for advice in item.advice:
        with i18n.use_locale("lv"):
            assert texts.advice_text(advice, RULES) in latvian
        with i18n.use_locale("en"):
            assert texts.advice_text(advice, RULES) in english
    assert "{" not in latvian and "{" not in english  # every placeholder filled


def test_every_advice_is_translated(i18n: I18n) -> None:
    for advice in Advice:
        with i18n.use_locale("en"):
            english = texts.advice_text(advice, RULES)
        with i18n.use_locale("lv"):
            assert texts.advice_text(advice, RULES) != english


@pytest.mark.parametrize(
    ("refusal", "latvian"),
    [
        (
            Refusal(RefusalCode.TOO_LARGE, limit=20 * MIB, size=int(35.5 * MIB)),
            "Fails ir pārāk liels: 35,5 MB. Dokuments drīkst būt ne lielāks par 20 MB.\n"
            "Sadaliet to daļās, katru ne lielāku par 20 MB, un nosūtiet tās pa vienai vai "
            "samaziniet faila izmēru (mazāka attēlu izšķirtspēja, saspiests PDF).",
        ),
        (
            Refusal(RefusalCode.TOO_LARGE, limit=20 * MIB, size=20 * MIB + 1),
            "Fails ir lielāks par 20 MB, kas ir lielākais atļautais dokumenta izmērs.",
        ),
        (
            Refusal(RefusalCode.TOO_SMALL, limit=KIB, size=1023),
            "Fails ir pārāk mazs: 1023 baiti. Dokumentam jābūt vismaz 1 KB lielam.",
        ),
        (
            Refusal(RefusalCode.NOT_ALLOWED, declared_extension="pdf"),
            "Faila nosaukums beidzas ar .pdf, taču tā saturs nav neviens no ALTUM pieņemtajiem "
            "dokumentu tipiem.",
        ),
    ],
)
def test_latvian_wording(i18n: I18n, refusal: Refusal, latvian: str) -> None:
    assert render(i18n, "lv", refusal).startswith(latvian)


def test_the_allowed_kinds_are_listed_as_the_manual_groups_them(i18n: I18n) -> None:
    with i18n.use_locale("lv"):
        assert texts.allowed_kinds_text() == (
            "Pieņemamie formāti: dokumenti DOCX, DOC, PDF, EDOC; tabulas XLSX, XLS; "
            "attēli JPG, JPEG, PNG, TIF, TIFF; tehniskā dokumentācija CAD, DWG."
        )
        assert texts.allowed_kinds_text() in texts.refusal_text(
            Refusal(RefusalCode.NOT_ALLOWED), RULES
        )


def test_a_rename_names_the_new_file_safely(i18n: I18n) -> None:
    warning = UploadWarning(WarningCode.RENAMED, declared_extension="docx", kind=DocumentKind.PDF)
    with i18n.use_locale("lv"):
        text = texts.warning_text(warning, RULES, name="<b>x</b>.pdf")
    assert text == (
        "Faila nosaukums beidzās ar .docx, taču tas ir PDF fails; tas saglabāts kā "
        "«&lt;b&gt;x&lt;/b&gt;.pdf»."
    )


@pytest.mark.parametrize(
    ("count", "latvian"),
    [(0, "0 lappušu"), (1, "1 lappuse"), (2, "2 lappuses"), (11, "11 lappušu"), (21, "21 lappuse")],
)
def test_page_count_plurals(i18n: I18n, count: int, latvian: str) -> None:
    with i18n.use_locale("lv"):
        assert texts.page_count_text(count) == latvian
    with i18n.use_locale("en"):
        assert texts.page_count_text(count) == f"{count} page" + ("" if count == 1 else "s")


@pytest.mark.parametrize(
    ("size", "latvian", "english"),
    [
        (0, "0 baitu", "0 bytes"),
        (1, "1 baits", "1 byte"),
        (2, "2 baiti", "2 bytes"),
        (11, "11 baitu", "11 bytes"),
        (21, "21 baits", "21 bytes"),
        (1000, "1 KB", "1 KB"),
        (1024, "1 KB", "1 KB"),
        (1536, "1,5 KB", "1.5 KB"),
        (20 * MIB, "20 MB", "20 MB"),
        (int(2.25 * MIB), "2,2 MB", "2.2 MB"),
    ],
)
def test_sizes_in_the_readers_number_format(
    i18n: I18n, size: int, latvian: str, english: str
) -> None:
    with i18n.use_locale("lv"):
        assert texts.size_text(size) == latvian
    with i18n.use_locale("en"):
        assert texts.size_text(size) == english
