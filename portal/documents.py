"""Document rules as data (the portal's user manual, «Dokumentu noformēšanas prasības»).

What may be sent (kinds), how big, which refusal or warning each broken rule gives and what to
do about it. Codes carry parameters, never prose: `dialogs/document_texts.py` words them in the
user's language. The bytes decide what a file is (`integrations/files`); the name a person gave
is only a stem to keep, cleaned by `safe_name`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

KIB = 1024
MIB = 1024 * KIB


class DocumentKind(StrEnum):
    DOCX = "docx"
    DOC = "doc"
    PDF = "pdf"
    EDOC = "edoc"
    XLSX = "xlsx"
    XLS = "xls"
    JPEG = "jpeg"
    PNG = "png"
    TIFF = "tiff"
    CAD = "cad"
    DWG = "dwg"


class KindGroup(StrEnum):
    """The manual's grouping: documents, tables, pictures, technical documentation."""

    DOCUMENT = "document"
    TABLE = "table"
    PICTURE = "picture"
    TECHNICAL = "technical"


@dataclass(frozen=True, slots=True)
class KindInfo:
    extensions: tuple[str, ...]  # the first is the one given to a renamed file
    media_type: str
    group: KindGroup


KINDS: Mapping[DocumentKind, KindInfo] = {
    DocumentKind.DOCX: KindInfo(
        ("docx",),
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        KindGroup.DOCUMENT,
    ),
    DocumentKind.DOC: KindInfo(("doc",), "application/msword", KindGroup.DOCUMENT),
    DocumentKind.PDF: KindInfo(("pdf",), "application/pdf", KindGroup.DOCUMENT),
    DocumentKind.EDOC: KindInfo(("edoc",), "application/vnd.etsi.asic-e+zip", KindGroup.DOCUMENT),
    DocumentKind.XLSX: KindInfo(
        ("xlsx",),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        KindGroup.TABLE,
    ),
    DocumentKind.XLS: KindInfo(("xls",), "application/vnd.ms-excel", KindGroup.TABLE),
    DocumentKind.JPEG: KindInfo(("jpg", "jpeg"), "image/jpeg", KindGroup.PICTURE),
    DocumentKind.PNG: KindInfo(("png",), "image/png", KindGroup.PICTURE),
    DocumentKind.TIFF: KindInfo(("tif", "tiff"), "image/tiff", KindGroup.PICTURE),
    DocumentKind.CAD: KindInfo(("cad",), "application/octet-stream", KindGroup.TECHNICAL),
    DocumentKind.DWG: KindInfo(("dwg",), "image/vnd.dwg", KindGroup.TECHNICAL),
}
EXTENSIONS: Mapping[str, DocumentKind] = {
    extension: kind for kind, info in KINDS.items() for extension in info.extensions
}
PICTURES = frozenset({DocumentKind.JPEG, DocumentKind.PNG, DocumentKind.TIFF})


@dataclass(frozen=True, slots=True)
class DocumentRules:
    """The limits; `min_bytes`, `max_bytes` and `photo_min_side` are settings (FILES_…)."""

    # The manual's "1 KB" is unconfirmed as 1000 or 1024 bytes: one setting, 1024 by default.
    min_bytes: int = KIB
    # "20 MB" as Telegram counts its download limit for bots: 20 MiB.
    max_bytes: int = 20 * MIB
    # A picture whose shorter side has fewer pixels is hard to read as a page (~100 dpi on A4).
    photo_min_side: int = 800
    # Pictures decoded to build a PDF (PNG with transparency, mirrored EXIF) stop here.
    max_pixels: int = 50_000_000
    max_pages: int = 50
    # ZIP-based files (DOCX, XLSX, EDOC): entries, what they unpack to, and how much each may
    # grow (entries unpacking to less than `zip_ratio_floor` may grow more; XML does).
    zip_max_entries: int = 5000
    zip_max_unpacked: int = 256 * MIB
    zip_max_ratio: int = 200
    zip_ratio_floor: int = MIB
    max_name_length: int = 120
    fallback_stem: str = "dokuments"


class RefusalCode(StrEnum):
    EMPTY = "empty"
    TOO_SMALL = "too_small"  # limit = min_bytes, size
    TOO_LARGE = "too_large"  # limit = max_bytes, size when known
    NOT_ALLOWED = "not_allowed"  # a kind not on the list; declared_extension when named as one
    PICTURE_FORMAT = "picture_format"  # a picture, but HEIC, WebP, GIF, BMP…
    ARCHIVE = "archive"  # a plain ZIP, RAR, 7z…: documents one by one
    ARCHIVE_LIMITS = "archive_limits"  # unpacks to too much or too many parts (a ZIP bomb)
    EXECUTABLE = "executable"
    SCRIPT = "script"
    WEB_PAGE = "web_page"  # HTML, SVG, XML with scripts
    MACROS = "macros"  # VBA projects, macro-enabled content types, ActiveX controls
    ENCRYPTED = "encrypted"  # password-protected Office files or ZIP entries
    DAMAGED = "damaged"  # kind when recognised
    UNSIGNED_EDOC = "unsigned_edoc"
    TOO_MANY_PIXELS = "too_many_pixels"  # limit = max_pixels
    TOO_MANY_PAGES = "too_many_pages"  # limit = max_pages


class WarningCode(StrEnum):
    RENAMED = "renamed"  # declared_extension → kind: the name now says what the file is
    PHOTO_TOO_SMALL = "photo_too_small"  # width, height, limit = photo_min_side


class Advice(StrEnum):
    """What to do: the second half of every refusal and warning text."""

    SEND_AS_FILE = "send_as_file"  # a photo as a file keeps its full resolution
    PHOTOGRAPH_CLOSER = "photograph_closer"
    SPLIT_FILE = "split_file"  # parts under the limit, or smaller pictures inside
    CHECK_FILE = "check_file"  # the document itself, not a shortcut or an empty file
    SAVE_AS_ALLOWED = "save_as_allowed"  # export to PDF, DOCX or XLSX
    SEND_AS_PHOTO = "send_as_photo"  # Telegram turns a photo into a JPEG
    SAVE_AS_JPEG = "save_as_jpeg"
    SEND_SEPARATELY = "send_separately"  # unpack, each document its own file
    SAVE_WITHOUT_MACROS = "save_without_macros"  # as .docx / .xlsx
    REMOVE_PASSWORD = "remove_password"  # noqa: S105 - an advice code, not a secret
    EXPORT_AGAIN = "export_again"
    SIGN_EDOC = "sign_edoc"  # sign with eParaksts, then send the .edoc
    FEWER_PAGES = "fewer_pages"


ADVICE: Mapping[RefusalCode | WarningCode, tuple[Advice, ...]] = {
    RefusalCode.EMPTY: (Advice.CHECK_FILE,),
    RefusalCode.TOO_SMALL: (Advice.CHECK_FILE,),
    RefusalCode.TOO_LARGE: (Advice.SPLIT_FILE,),
    RefusalCode.NOT_ALLOWED: (Advice.SAVE_AS_ALLOWED,),
    RefusalCode.PICTURE_FORMAT: (Advice.SEND_AS_PHOTO, Advice.SAVE_AS_JPEG),
    RefusalCode.ARCHIVE: (Advice.SEND_SEPARATELY,),
    RefusalCode.ARCHIVE_LIMITS: (Advice.SAVE_AS_ALLOWED,),
    RefusalCode.EXECUTABLE: (Advice.SAVE_AS_ALLOWED,),
    RefusalCode.SCRIPT: (Advice.SAVE_AS_ALLOWED,),
    RefusalCode.WEB_PAGE: (Advice.SAVE_AS_ALLOWED,),
    RefusalCode.MACROS: (Advice.SAVE_WITHOUT_MACROS,),
    RefusalCode.ENCRYPTED: (Advice.REMOVE_PASSWORD,),
    RefusalCode.DAMAGED: (Advice.EXPORT_AGAIN,),
    RefusalCode.UNSIGNED_EDOC: (Advice.SIGN_EDOC,),
    RefusalCode.TOO_MANY_PIXELS: (Advice.SPLIT_FILE,),
    RefusalCode.TOO_MANY_PAGES: (Advice.FEWER_PAGES,),
    WarningCode.RENAMED: (),
    WarningCode.PHOTO_TOO_SMALL: (Advice.SEND_AS_FILE, Advice.PHOTOGRAPH_CLOSER),
}


@dataclass(frozen=True, slots=True)
class Refusal:
    """A rule the file broke, with what the text needs to say which and by how much."""

    code: RefusalCode
    limit: int | None = None
    size: int | None = None
    declared_extension: str | None = None
    kind: DocumentKind | None = None

    @property
    def advice(self) -> tuple[Advice, ...]:
        return ADVICE[self.code]


@dataclass(frozen=True, slots=True)
class UploadWarning:
    """Accepted, but the person should know (the name changed, the photo is small)."""

    code: WarningCode
    declared_extension: str | None = None
    kind: DocumentKind | None = None
    width: int | None = None
    height: int | None = None
    limit: int | None = None

    @property
    def advice(self) -> tuple[Advice, ...]:
        return ADVICE[self.code]


@dataclass(frozen=True, slots=True)
class Inspection:
    """What the bytes are: the kind, the cleaned name with the kind's extension, warnings."""

    kind: DocumentKind
    name: str
    warnings: tuple[UploadWarning, ...] = ()
    width: int | None = None  # pictures
    height: int | None = None


def check_size(size: int | None, rules: DocumentRules) -> Refusal | None:
    """The size rules; `None` (Telegram did not say) passes, the capped stream decides."""
    if size is None:
        return None
    if size <= 0:
        return Refusal(RefusalCode.EMPTY, limit=rules.min_bytes, size=0)
    if size < rules.min_bytes:
        return Refusal(RefusalCode.TOO_SMALL, limit=rules.min_bytes, size=size)
    if size > rules.max_bytes:
        return Refusal(RefusalCode.TOO_LARGE, limit=rules.max_bytes, size=size)
    return None


def photo_legibility(width: int, height: int, rules: DocumentRules) -> UploadWarning | None:
    """Warns when the shorter side is below `photo_min_side` pixels. Works on Telegram's
    declared photo sizes too, before anything is downloaded."""
    if min(width, height) >= rules.photo_min_side:
        return None
    return UploadWarning(
        WarningCode.PHOTO_TOO_SMALL, width=width, height=height, limit=rules.photo_min_side
    )


# --- names ---------------------------------------------------------------------------------

_EXTENSION = re.compile(r"\.([A-Za-z0-9]{1,8})$")
# Windows refuses these as names whatever the extension; a consultant may save the file there.
_RESERVED_STEMS = frozenset(
    {"con", "prn", "aux", "nul"} | {f"com{n}" for n in range(10)} | {f"lpt{n}" for n in range(10)}
)
_FORBIDDEN_CHARACTERS = re.compile(r'[<>:"/\\|?*]')


def extension_of(name: str | None) -> str | None:
    """The last extension in lower case, or None when the name has none worth the word."""
    if not name:
        return None
    match = _EXTENSION.search(_last_path_part(name).strip())
    return match.group(1).lower() if match else None


def safe_name(declared: str | None, kind: DocumentKind, rules: DocumentRules) -> str:
    """The person's name for the file, cleaned, ending in an extension of the kind the bytes
    are. Path parts, control and format characters (RTL overrides, zero-width), characters
    Windows forbids, reserved device names and excess length go; the stem is kept."""
    extensions = KINDS[kind].extensions
    declared_extension = extension_of(declared)
    extension = declared_extension if declared_extension in extensions else extensions[0]
    text = unicodedata.normalize("NFC", _last_path_part(declared or ""))
    text = "".join(_clean_character(c) for c in text)
    text = _FORBIDDEN_CHARACTERS.sub("_", text)
    stem = _EXTENSION.sub("", text) if declared_extension else text
    stem = " ".join(stem.split()).strip(" .")
    if stem.split(".")[0].lower() in _RESERVED_STEMS:
        stem = "_" + stem
    room = max(1, rules.max_name_length - len(extension) - 1)
    stem = stem[:room].rstrip(" .") or rules.fallback_stem
    return f"{stem}.{extension}"


def rename_warning(declared: str | None, kind: DocumentKind) -> UploadWarning | None:
    """A warning when the name claimed another type: the file gets the right extension. A
    name without one (or no name, as with photos) is completed silently."""
    declared_extension = extension_of(declared)
    if declared_extension is None or declared_extension in KINDS[kind].extensions:
        return None
    return UploadWarning(WarningCode.RENAMED, declared_extension=declared_extension, kind=kind)


def _last_path_part(name: str) -> str:
    return re.split(r"[/\\]", name)[-1]


def _clean_character(character: str) -> str:
    category = unicodedata.category(character)
    if category.startswith("Z"):  # no-break, line and paragraph separators: a plain space
        return " "
    if category.startswith("C"):  # controls, RTL/LTR overrides, zero-width, unassigned
        return ""
    return character
