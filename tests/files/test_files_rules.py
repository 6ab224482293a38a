"""The document rules as data (portal/documents.py): sizes, names, codes and their advice."""

from __future__ import annotations

import pytest

from portal.documents import (
    ADVICE,
    EXTENSIONS,
    KINDS,
    MIB,
    DocumentKind,
    DocumentRules,
    RefusalCode,
    WarningCode,
    check_size,
    extension_of,
    photo_legibility,
    rename_warning,
    safe_name,
)

RULES = DocumentRules()


def test_the_allowed_extensions_are_the_manuals_list() -> None:
    manual = "DOCX DOC PDF EDOC XLSX XLS JPG JPEG PNG TIF TIFF CAD DWG".lower().split()
    assert sorted(EXTENSIONS) == sorted(manual)
    assert set(KINDS) == set(DocumentKind)


@pytest.mark.parametrize(
    ("size", "code"),
    [
        (0, RefusalCode.EMPTY),
        (1, RefusalCode.TOO_SMALL),
        (1023, RefusalCode.TOO_SMALL),
        (1024, None),
        (20 * MIB, None),
        (20 * MIB + 1, RefusalCode.TOO_LARGE),
        (None, None),  # Telegram did not say: the capped stream decides
    ],
)
def test_size_bounds(size: int | None, code: RefusalCode | None) -> None:
    refusal = check_size(size, RULES)
    assert (refusal.code if refusal else None) == code
    if refusal and code is RefusalCode.TOO_SMALL:
        assert (refusal.limit, refusal.size) == (1024, size)
    if refusal and code is RefusalCode.TOO_LARGE:
        assert (refusal.limit, refusal.size) == (20 * MIB, size)


def test_one_kilobyte_is_a_setting() -> None:
    assert check_size(1000, DocumentRules(min_bytes=1000)) is None
    assert check_size(1000, DocumentRules(min_bytes=1024)) is not None


def test_every_refusal_and_warning_has_advice_where_a_person_can_act() -> None:
    assert set(ADVICE) == set(RefusalCode) | set(WarningCode)
    assert all(ADVICE[code] for code in RefusalCode)
    assert ADVICE[WarningCode.PHOTO_TOO_SMALL][0].value == "send_as_file"
    assert ADVICE[RefusalCode.TOO_LARGE][0].value == "split_file"


@pytest.mark.parametrize(
    ("declared", "kind", "expected"),
    [
        ("Rēķins Nr. 5.pdf", DocumentKind.PDF, "Rēķins Nr. 5.pdf"),
        ("skenēts.JPEG", DocumentKind.JPEG, "skenēts.jpeg"),
        ("foto.jpg", DocumentKind.JPEG, "foto.jpg"),
        ("../../etc/passwd.pdf", DocumentKind.PDF, "passwd.pdf"),
        ("..\\..\\Windows\\System32\\drivers.pdf", DocumentKind.PDF, "drivers.pdf"),
        ("/abs/path/report.docx", DocumentKind.DOCX, "report.docx"),
        # The RTL override shows "invoice\u202eFDP.exe" as "invoiceexe.PDF": it goes, and the
        # content (a PDF) decides the extension.
        ("invoice\u202efdp.exe", DocumentKind.PDF, "invoicefdp.pdf"),
        ("pārskats\u200b\u0000\u0007.xlsx", DocumentKind.XLSX, "pārskats.xlsx"),
        ('a:b*c?d|e<f>g"h.pdf', DocumentKind.PDF, "a_b_c_d_e_f_g_h.pdf"),
        ("CON.pdf", DocumentKind.PDF, "_CON.pdf"),
        ("lpt1.doc", DocumentKind.DOC, "_lpt1.doc"),
        ("  .hidden .pdf", DocumentKind.PDF, "hidden.pdf"),
        ("line\nbreak\u00a0and\u2028space.pdf", DocumentKind.PDF, "linebreak and space.pdf"),
        ("ligums.docx", DocumentKind.PDF, "ligums.pdf"),  # the bytes are a PDF
        ("scan", DocumentKind.JPEG, "scan.jpg"),
        (None, DocumentKind.PDF, "dokuments.pdf"),
        ("", DocumentKind.PDF, "dokuments.pdf"),
        ("../", DocumentKind.PDF, "dokuments.pdf"),
        (".pdf", DocumentKind.PDF, "dokuments.pdf"),
        ("Rēķins Nr. 5 no 2024", DocumentKind.PDF, "Rēķins Nr. 5 no 2024.pdf"),
    ],
)
def test_safe_name(declared: str | None, kind: DocumentKind, expected: str) -> None:
    assert safe_name(declared, kind, RULES) == expected


def test_a_long_name_is_cut_keeping_the_extension() -> None:
    name = safe_name("ā" * 500 + ".pdf", DocumentKind.PDF, RULES)
    assert len(name) == RULES.max_name_length
    assert name.endswith("ā.pdf")


def test_extension_of() -> None:
    assert extension_of("x.TAR.GZ") == "gz"
    assert extension_of("Nr. 5 no 2024") is None
    assert extension_of("dir.pdf/file") is None
    assert extension_of(None) is None


def test_rename_warning_names_what_the_name_claimed_and_what_it_is() -> None:
    warning = rename_warning("ligums.docx", DocumentKind.PDF)
    assert warning is not None
    assert (warning.code, warning.declared_extension, warning.kind) == (
        WarningCode.RENAMED,
        "docx",
        DocumentKind.PDF,
    )
    assert rename_warning("foto.jpeg", DocumentKind.JPEG) is None
    assert rename_warning("scan", DocumentKind.PDF) is None  # completed silently
    assert rename_warning(None, DocumentKind.JPEG) is None


def test_photo_legibility_looks_at_the_shorter_side() -> None:
    assert photo_legibility(1280, 960, RULES) is None
    warning = photo_legibility(1280, 720, RULES)
    assert warning is not None
    assert (warning.code, warning.width, warning.height, warning.limit) == (
        WarningCode.PHOTO_TOO_SMALL,
        1280,
        720,
        800,
    )
    assert photo_legibility(90, 90, DocumentRules(photo_min_side=90)) is None
