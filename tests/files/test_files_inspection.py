"""Inspection on the bytes (integrations/files): every allowed kind made for real, the real
EDOC samples, and what must be refused whatever its name."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import file_samples as samples
import pytest
from ole_writer import compound_file

from integrations.files import inspect_file
from integrations.files.sniff import mime_type
from portal.documents import DocumentKind, DocumentRules, Inspection, Refusal, RefusalCode

RULES = DocumentRules()


def inspect(
    tmp_path: Path, data: bytes, name: str | None, rules: DocumentRules = RULES
) -> Inspection | Refusal:
    path = tmp_path / "received.part"
    path.write_bytes(data)
    return inspect_file(path, declared_name=name, rules=rules)


ALLOWED: list[tuple[str, Callable[[], bytes], str, DocumentKind]] = [
    ("docx", samples.docx, "Iesniegums.docx", DocumentKind.DOCX),
    (
        "docx, parts in LibreOffice's order",
        lambda: samples.docx(content_types_first=False),
        "a.docx",
        DocumentKind.DOCX,
    ),
    ("xlsx", samples.xlsx, "Naudas plūsma.xlsx", DocumentKind.XLSX),
    ("doc (OLE)", samples.doc, "Vēstule.doc", DocumentKind.DOC),
    ("xls (xlwt)", samples.xls, "Bilance.xls", DocumentKind.XLS),
    ("pdf", samples.pdf, "Rēķins.pdf", DocumentKind.PDF),
    ("jpg", lambda: samples.picture("JPEG"), "foto.jpg", DocumentKind.JPEG),
    ("jpeg", lambda: samples.picture("JPEG"), "foto.jpeg", DocumentKind.JPEG),
    (
        "jpg with data after the picture (a motion photo)",
        lambda: samples.page_photo((255, 0, 0), stored_turned=False) + b"ftypmp42" + bytes(4000),
        "PXL_1.MP.jpg",
        DocumentKind.JPEG,
    ),
    ("png", lambda: samples.picture("PNG"), "ekrāns.png", DocumentKind.PNG),
    ("tif", lambda: samples.picture("TIFF"), "skenējums.tif", DocumentKind.TIFF),
    ("tiff", lambda: samples.picture("TIFF"), "skenējums.tiff", DocumentKind.TIFF),
    ("dwg", samples.dwg, "rasējums.dwg", DocumentKind.DWG),
    (
        "cad (text, named .cad)",
        lambda: b"  0\nSECTION\n  2\nHEADER\n" * 80,
        "plāns.cad",
        DocumentKind.CAD,
    ),
    (
        "cad (binary, named .cad)",
        lambda: b"\x00CADX" + bytes(range(256)) * 8,
        "plāns.cad",
        DocumentKind.CAD,
    ),
    ("edoc (ASiC-E, made)", samples.asic_e, "Līgums.edoc", DocumentKind.EDOC),
    (
        "edoc (ASiC-E, CAdES .p7s)",
        lambda: samples.asic_e(signature="META-INF/signature.p7s"),
        "x.edoc",
        DocumentKind.EDOC,
    ),
    ("edoc (eDoc 1.x, made)", samples.legacy_edoc, "Vecs.edoc", DocumentKind.EDOC),
]


@pytest.mark.parametrize(("label", "make", "name", "kind"), ALLOWED, ids=[a[0] for a in ALLOWED])
def test_every_allowed_kind_is_accepted(
    tmp_path: Path, label: str, make: Callable[[], bytes], name: str, kind: DocumentKind
) -> None:
    found = inspect(tmp_path, make(), name)
    assert isinstance(found, Inspection), found
    assert found.kind is kind
    assert found.name == name  # a name that tells the truth is kept as it is
    assert found.warnings == ()


def test_pictures_report_their_size(tmp_path: Path) -> None:
    found = inspect(tmp_path, samples.picture("PNG", (300, 200)), "a.png")
    assert isinstance(found, Inspection)
    assert (found.width, found.height) == (300, 200)


@pytest.mark.parametrize("sample", samples.edoc_samples(), ids=lambda p: p.name)
def test_the_real_edoc_samples_are_accepted(sample: Path) -> None:
    # libmagic alone calls them plain ZIP: the structure check recognises them.
    assert mime_type(sample) == "application/zip"
    found = inspect_file(sample, declared_name=sample.name, rules=RULES)
    assert isinstance(found, Inspection)
    assert (found.kind, found.name) == (DocumentKind.EDOC, sample.name)


@pytest.mark.parametrize("sample", samples.edoc_samples(), ids=lambda p: p.name)
def test_a_real_edoc_named_pdf_is_renamed_not_trusted(tmp_path: Path, sample: Path) -> None:
    found = inspect(tmp_path, sample.read_bytes(), "Līgums.pdf")
    assert isinstance(found, Inspection)
    assert (found.kind, found.name) == (DocumentKind.EDOC, "Līgums.edoc")
    assert [(w.code.value, w.declared_extension) for w in found.warnings] == [("renamed", "pdf")]


REFUSED: list[tuple[str, Callable[[], bytes], str, RefusalCode]] = [
    ("PE executable named .pdf", samples.pe_executable, "rekins.pdf", RefusalCode.EXECUTABLE),
    ("PE executable named .docx", samples.pe_executable, "ligums.docx", RefusalCode.EXECUTABLE),
    ("ELF executable named .jpg", samples.elf_executable, "foto.jpg", RefusalCode.EXECUTABLE),
    ("ELF executable named .cad", samples.elf_executable, "plans.cad", RefusalCode.EXECUTABLE),
    ("Windows installer named .doc", samples.msi, "vestule.doc", RefusalCode.EXECUTABLE),
    ("Java archive named .docx", samples.jar, "a.docx", RefusalCode.EXECUTABLE),
    ("shell script named .docx", samples.shell_script, "a.docx", RefusalCode.SCRIPT),
    ("shell script named .cad", samples.shell_script, "a.cad", RefusalCode.SCRIPT),
    ("HTML named .pdf", samples.html_page, "rekins.pdf", RefusalCode.WEB_PAGE),
    ("HTML after text named .cad", samples.html_after_text, "plans.cad", RefusalCode.WEB_PAGE),
    ("SVG named .png", samples.svg_picture, "zimejums.png", RefusalCode.WEB_PAGE),
    ("SVG named .svg", samples.svg_picture, "zimejums.svg", RefusalCode.WEB_PAGE),
    ("DOCM named .docx", samples.docm, "a.docx", RefusalCode.MACROS),
    ("XLSM named .xlsx", samples.xlsm, "a.xlsx", RefusalCode.MACROS),
    (
        "DOCX content type with a VBA project",
        samples.docx_with_hidden_vba_project,
        "a.docx",
        RefusalCode.MACROS,
    ),
    ("DOCX with an ActiveX control", samples.docx_with_activex, "a.docx", RefusalCode.MACROS),
    ("DOC with Word macros", samples.doc_with_macros, "a.doc", RefusalCode.MACROS),
    ("XLS with a VBA project", samples.xls_with_macros, "a.xls", RefusalCode.MACROS),
    ("password-protected Office file", samples.encrypted_office, "a.docx", RefusalCode.ENCRYPTED),
    (
        "ZIP entry marked encrypted",
        lambda: samples.with_encrypted_flag(samples.docx(), "word/document.xml"),
        "a.docx",
        RefusalCode.ENCRYPTED,
    ),
    ("plain ZIP named .pdf", samples.plain_zip, "rekins.pdf", RefusalCode.ARCHIVE),
    (
        "ZIP with a program inside",
        lambda: samples.zip_bytes([("a.pdf", samples.pe_executable())]),
        "a.zip",
        RefusalCode.EXECUTABLE,
    ),
    (
        "ZIP with a program inside named .cad",
        lambda: samples.zip_bytes([("a.pdf", samples.pe_executable())]),
        "a.cad",
        RefusalCode.EXECUTABLE,
    ),
    (
        "DOCX with a program as a part",
        lambda: samples.docx(extra_parts=[("word/media/image1.png", samples.pe_executable())]),
        "a.docx",
        RefusalCode.EXECUTABLE,
    ),
    (
        "EDOC with a script inside",
        lambda: samples.asic_e(extra=[("run.pdf", samples.shell_script())]),
        "a.edoc",
        RefusalCode.SCRIPT,
    ),
    ("ZIP bomb named .cad", samples.zip_bomb_ratio, "a.cad", RefusalCode.ARCHIVE_LIMITS),
    ("Windows installer named .cad", samples.msi, "a.cad", RefusalCode.EXECUTABLE),
    (
        "password-protected Office file named .cad",
        samples.encrypted_office,
        "a.cad",
        RefusalCode.ENCRYPTED,
    ),
    ("ZIP bomb: ratio", samples.zip_bomb_ratio, "a.docx", RefusalCode.ARCHIVE_LIMITS),
    ("ZIP bomb: entries", samples.zip_bomb_entries, "a.docx", RefusalCode.ARCHIVE_LIMITS),
    (
        "ZIP whose part lies about its size",
        lambda: samples.with_lying_size(samples.docx(), "word/document.xml"),
        "a.docx",
        RefusalCode.DAMAGED,
    ),
    ("PowerPoint named .docx", samples.pptx, "a.docx", RefusalCode.NOT_ALLOWED),
    ("OpenDocument text", samples.opendocument_text, "a.odt", RefusalCode.NOT_ALLOWED),
    ("plain text named .pdf", lambda: b"Sveiki!\n" * 200, "a.pdf", RefusalCode.NOT_ALLOWED),
    ("GIF named .jpg", lambda: samples.picture("GIF"), "a.jpg", RefusalCode.PICTURE_FORMAT),
    ("WebP", lambda: samples.picture("WEBP"), "a.webp", RefusalCode.PICTURE_FORMAT),
    ("PDF cut short", lambda: samples.pdf(size=5000)[:-100], "a.pdf", RefusalCode.DAMAGED),
    (
        "JPEG photo cut in half",
        lambda: (photo := samples.page_photo((255, 0, 0), stored_turned=False))[: len(photo) // 2],
        "a.jpg",
        RefusalCode.DAMAGED,
    ),
    (
        "JPEG header only",
        lambda: samples.picture("JPEG")[:200] + bytes(2000),
        "a.jpg",
        RefusalCode.DAMAGED,
    ),
    (
        "EDOC without a signature",
        lambda: samples.asic_e(signature=None),
        "a.edoc",
        RefusalCode.UNSIGNED_EDOC,
    ),
    (
        "EDOC with a deflated mimetype",
        lambda: samples.asic_e(mimetype_stored=False),
        "a.edoc",
        RefusalCode.DAMAGED,
    ),
    (
        "EDOC with mimetype last",
        lambda: samples.asic_e(mimetype_first=False),
        "a.edoc",
        RefusalCode.DAMAGED,
    ),
    (
        "EDOC with a wrong mimetype",
        lambda: samples.asic_e(mimetype=samples.ASIC_E + b"\n"),
        "a.edoc",
        RefusalCode.DAMAGED,
    ),
    (
        "EDOC without a manifest",
        lambda: samples.asic_e(manifest=False),
        "a.edoc",
        RefusalCode.DAMAGED,
    ),
    (
        "eDoc 1.x without a signature",
        lambda: samples.legacy_edoc(signed=False),
        "a.edoc",
        RefusalCode.UNSIGNED_EDOC,
    ),
]


@pytest.mark.parametrize(("label", "make", "name", "code"), REFUSED, ids=[r[0] for r in REFUSED])
def test_refused_whatever_the_name(
    tmp_path: Path, label: str, make: Callable[[], bytes], name: str, code: RefusalCode
) -> None:
    found = inspect(tmp_path, make(), name)
    assert isinstance(found, Refusal), found
    assert found.code is code
    assert found.declared_extension == name.rsplit(".", 1)[1]


@pytest.mark.parametrize(
    ("make", "declared", "kind", "kept_as"),
    [
        (samples.pdf, "ligums.docx", DocumentKind.PDF, "ligums.pdf"),
        (samples.docx, "ligums.doc", DocumentKind.DOCX, "ligums.docx"),
        (samples.xls, "tabula.xlsx", DocumentKind.XLS, "tabula.xls"),
        (lambda: samples.picture("PNG"), "foto.jpg", DocumentKind.PNG, "foto.png"),
        (samples.pdf, "rasejums.cad", DocumentKind.PDF, "rasejums.pdf"),
        (samples.pdf, "rekins.exe", DocumentKind.PDF, "rekins.pdf"),
        (samples.pdf, "invoice\u202efdp.exe", DocumentKind.PDF, "invoicefdp.pdf"),
        (samples.pdf, "../../../etc/cron.d/job.pdf", DocumentKind.PDF, "job.pdf"),
    ],
)
def test_allowed_content_under_a_wrong_name_is_renamed(
    tmp_path: Path, make: Callable[[], bytes], declared: str, kind: DocumentKind, kept_as: str
) -> None:
    found = inspect(tmp_path, make(), declared)
    assert isinstance(found, Inspection)
    assert (found.kind, found.name) == (kind, kept_as)
    if declared.endswith(".pdf"):
        assert found.warnings == ()
    else:
        assert [w.code.value for w in found.warnings] == ["renamed"]


@pytest.mark.parametrize(
    "make",
    [
        samples.plain_zip,
        samples.pptx,
        lambda: compound_file({"Contents": bytes(2048), "RootEntry2": bytes(64)}),
    ],
    ids=["zip of PDFs", "OPC package", "OLE compound file"],
)
def test_zip_and_ole_packages_named_cad_are_cad(tmp_path: Path, make: Callable[[], bytes]) -> None:
    """Some CAD formats are ZIP or OLE packages: named .cad and harmless, they are CAD."""
    found = inspect(tmp_path, make(), "rasejums.cad")
    assert isinstance(found, Inspection), found
    assert (found.kind, found.name) == (DocumentKind.CAD, "rasejums.cad")


def test_unrecognised_content_is_cad_only_when_named_cad(tmp_path: Path) -> None:
    data = b"\x00CADX" + bytes(range(256)) * 8
    assert isinstance(inspect(tmp_path, data, "plans.cad"), Inspection)
    refused = inspect(tmp_path, data, "plans.dwg")
    assert isinstance(refused, Refusal)
    assert (refused.code, refused.declared_extension) == (RefusalCode.NOT_ALLOWED, "dwg")


def test_zip_limits_are_rules(tmp_path: Path) -> None:
    """Declared totals and ratio come from the rules; an ordinary XLSX passes them."""
    data = samples.xlsx()
    assert isinstance(inspect(tmp_path, data, "a.xlsx"), Inspection)
    tight = DocumentRules(zip_max_unpacked=4000)
    refused = inspect(tmp_path, data, "a.xlsx", tight)
    assert isinstance(refused, Refusal)
    assert (refused.code, refused.limit) == (RefusalCode.ARCHIVE_LIMITS, 4000)
    few = DocumentRules(zip_max_entries=3)
    refused = inspect(tmp_path, data, "a.xlsx", few)
    assert isinstance(refused, Refusal)
    assert (refused.code, refused.limit) == (RefusalCode.ARCHIVE_LIMITS, 3)
