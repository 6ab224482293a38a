"""What a received file is, from its bytes: the `DocumentInspector` of `portal/ports.py`.

Order: dangerous content first (whatever the name), then ZIP-based and OLE files by their
structure, then the kinds libmagic and a signature agree on. The name's extension is used for
one thing only: `.cad` has no single format, so a file named so that is no other allowed kind
and nothing dangerous (no program, script, web page, macros, password, ZIP bomb) is accepted
as CAD, ZIP- and OLE-based ones included. Otherwise a name that disagrees with the content is
renamed when the content is an allowed kind (with a warning) and refused when it is not.
"""

from __future__ import annotations

import asyncio
import re
import warnings
import zipfile
from dataclasses import replace
from pathlib import Path

from PIL import Image

from integrations.files.ole import MAGIC as OLE_MAGIC
from integrations.files.ole import inspect_ole
from integrations.files.sniff import ARCHIVE_TYPES, danger, mime_type, read_head
from integrations.files.zips import inspect_zip
from portal.documents import (
    PICTURES,
    DocumentKind,
    DocumentRules,
    Inspection,
    Refusal,
    RefusalCode,
    extension_of,
    rename_warning,
    safe_name,
)

_PICTURE_SIGNATURES = {
    "image/jpeg": (DocumentKind.JPEG, (b"\xff\xd8\xff",)),
    "image/png": (DocumentKind.PNG, (b"\x89PNG\r\n\x1a\n",)),
    "image/tiff": (DocumentKind.TIFF, (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+")),
}
_DWG = re.compile(rb"AC(\d\.\d\d?|\d{4})")
PDF_HEADER_WINDOW = 1024  # readers accept `%PDF-` within the first kilobyte
PDF_TAIL_WINDOW = 4096  # and look for the last `%%EOF` near the end


class FileInspector:
    async def inspect(
        self, path: Path, *, declared_name: str | None, rules: DocumentRules
    ) -> Inspection | Refusal:
        return await asyncio.to_thread(inspect_file, path, declared_name=declared_name, rules=rules)


def inspect_file(
    path: Path, *, declared_name: str | None, rules: DocumentRules
) -> Inspection | Refusal:
    declared_extension = extension_of(declared_name)
    found = _kind(path, read_head(path), mime_type(path), declared_extension, rules)
    if isinstance(found, Refusal):
        return replace(found, declared_extension=declared_extension)
    width = height = None
    if found in PICTURES:
        size = _picture_size(path)
        if size is None:
            return Refusal(RefusalCode.DAMAGED, kind=found, declared_extension=declared_extension)
        width, height = size
    warning = rename_warning(declared_name, found)
    return Inspection(
        kind=found,
        name=safe_name(declared_name, found, rules),
        warnings=(warning,) if warning else (),
        width=width or None,
        height=height or None,
    )


def _kind(
    path: Path, head: bytes, mime: str, declared_extension: str | None, rules: DocumentRules
) -> DocumentKind | Refusal:
    threat = danger(head, mime)
    if threat is not None:
        return Refusal(threat)
    cad = declared_extension == "cad"
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return inspect_zip(path, rules, cad=cad)
    if head.startswith(OLE_MAGIC):
        return inspect_ole(path, cad=cad)
    if b"%PDF-" in head[:PDF_HEADER_WINDOW]:
        return DocumentKind.PDF if _pdf_complete(path) else _damaged(DocumentKind.PDF)
    if mime in _PICTURE_SIGNATURES:
        kind, signatures = _PICTURE_SIGNATURES[mime]
        if head.startswith(signatures):
            return kind
    if mime == "image/vnd.dwg" and _DWG.match(head):
        return DocumentKind.DWG
    if cad:
        if zipfile.is_zipfile(path):  # a ZIP behind a preamble: checked as any ZIP
            return inspect_zip(path, rules, cad=True)
        return DocumentKind.CAD
    if mime in ARCHIVE_TYPES or mime == "application/zip":
        return Refusal(RefusalCode.ARCHIVE)
    if mime.startswith("image/"):
        return Refusal(RefusalCode.PICTURE_FORMAT)
    return Refusal(RefusalCode.NOT_ALLOWED)


def _pdf_complete(path: Path) -> bool:
    """A PDF cut short (an interrupted download or export) has no `%%EOF` at its end."""
    with path.open("rb") as file:
        file.seek(0, 2)
        file.seek(max(0, file.tell() - PDF_TAIL_WINDOW))
        return b"%%EOF" in file.read()


def _picture_size(path: Path) -> tuple[int, int] | None:
    """Width and height; None when Pillow cannot read the picture. PNG chunks are checked
    (`verify`), a JPEG is decoded at 1/8 scale (cheap, but it reads every byte, so a cut-off
    photo shows). A picture too large to decode is still a valid file: size unknown (0, 0)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(path) as picture:
                size = picture.size
                if picture.format == "JPEG":
                    picture.draft("RGB", (max(1, size[0] // 8), max(1, size[1] // 8)))
                    picture.load()
                else:
                    picture.verify()
    except Image.DecompressionBombError:
        return 0, 0
    except Exception:  # Pillow raises many kinds on broken files
        return None
    return size


def _damaged(kind: DocumentKind) -> Refusal:
    return Refusal(RefusalCode.DAMAGED, kind=kind)
