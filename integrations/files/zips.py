"""ZIP-based files: DOCX, XLSX, EDOC (ASiC-E and the legacy eDoc 1.x), and everything else a
ZIP can be (refused).

Nothing is extracted to disk and no name inside is used as a path. First the central
directory's declared sizes are checked against the limits (entries, total, ratio); then every
entry is read through once with a running byte counter, so a ZIP whose entries lie about their
sizes stops at the limit, and a damaged one (bad CRC, truncated) is refused, as is one with a
program or script inside (by the first bytes of each entry). The few parts the checks need
(`mimetype`, `[Content_Types].xml`, the manifest) are kept, each at most 1 MiB.
"""

from __future__ import annotations

import re
import zipfile
import zlib
from collections.abc import Mapping
from pathlib import Path
from xml.etree import ElementTree

from integrations.files.sniff import EXECUTABLE_MAGIC
from portal.documents import DocumentKind, DocumentRules, Refusal, RefusalCode

CHUNK = 64 * 1024
KEPT_PART_MAX = 1024 * 1024
ASIC_E = b"application/vnd.etsi.asic-e+zip"
DOCX_MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
XLSX_MAIN = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
_TYPES_NS = "{http://schemas.openxmlformats.org/package/2006/content-types}"
_NOT_DANGEROUS = frozenset({RefusalCode.ARCHIVE, RefusalCode.NOT_ALLOWED})
_KEPT = frozenset({"mimetype", "[content_types].xml", "meta-inf/manifest.xml"})
# ASiC-E: XAdES signatures `META-INF/*signatures*.xml`, or CAdES `META-INF/*.p7s`.
_ASIC_SIGNATURE = re.compile(r"meta-inf/[^/]*(signatures[^/]*\.xml|\.p7s)")
# eDoc 1.x (e-Parakstītājs, ~2007-2017): an OPC package, `EDoc/Signature/signature1.xml`.
_LEGACY_SIGNATURE = re.compile(r"edoc/signatures?/(?!_rels/)[^/]+\.xml")


def inspect_zip(path: Path, rules: DocumentRules, *, cad: bool = False) -> DocumentKind | Refusal:
    """`cad`: the file is named .cad, so a ZIP that is no other kind and nothing dangerous is
    CAD (some CAD formats are ZIP packages) instead of a refused archive."""
    try:
        with zipfile.ZipFile(path) as archive:
            found = _inspect(archive, rules)
            if cad and isinstance(found, Refusal) and found.code in _NOT_DANGEROUS:
                return DocumentKind.CAD
            return found
    except (
        zipfile.BadZipFile,
        zlib.error,
        EOFError,
        NotImplementedError,
        RuntimeError,
        ValueError,
        OSError,
    ):
        return Refusal(RefusalCode.DAMAGED)


def _inspect(archive: zipfile.ZipFile, rules: DocumentRules) -> DocumentKind | Refusal:
    entries = archive.infolist()
    limits = _over_limits(entries, rules)
    if limits is not None:
        return limits
    names = [entry.filename.lower() for entry in entries]
    if len(set(names)) != len(names):  # two parts of one name: readers disagree which counts
        return Refusal(RefusalCode.DAMAGED)
    if any(entry.flag_bits & 0x1 for entry in entries):
        return Refusal(RefusalCode.ENCRYPTED)
    parts = _read_all(archive, entries, rules)
    if isinstance(parts, Refusal):
        return parts
    if "mimetype" in parts:
        return _asic(entries, parts)
    if "[content_types].xml" in parts:
        return _opc(set(names), parts["[content_types].xml"])
    if "meta-inf/manifest.mf" in names and any(n.endswith(".class") for n in names):
        return Refusal(RefusalCode.EXECUTABLE)  # a Java archive
    if "androidmanifest.xml" in names or "classes.dex" in names:
        return Refusal(RefusalCode.EXECUTABLE)
    return Refusal(RefusalCode.ARCHIVE)


def _over_limits(entries: list[zipfile.ZipInfo], rules: DocumentRules) -> Refusal | None:
    if len(entries) > rules.zip_max_entries:
        return Refusal(RefusalCode.ARCHIVE_LIMITS, limit=rules.zip_max_entries)
    if sum(entry.file_size for entry in entries) > rules.zip_max_unpacked:
        return Refusal(RefusalCode.ARCHIVE_LIMITS, limit=rules.zip_max_unpacked)
    for entry in entries:
        grows = entry.file_size > rules.zip_max_ratio * max(entry.compress_size, 1)
        if grows and entry.file_size > rules.zip_ratio_floor:
            return Refusal(RefusalCode.ARCHIVE_LIMITS, limit=rules.zip_max_ratio)
    return None


def _read_all(
    archive: zipfile.ZipFile, entries: list[zipfile.ZipInfo], rules: DocumentRules
) -> dict[str, bytes] | Refusal:
    total = 0
    kept: dict[str, bytes] = {}
    for entry in entries:
        if entry.is_dir():
            continue
        name = entry.filename.lower()
        keep = bytearray() if name in _KEPT else None
        produced = 0
        with archive.open(entry) as stream:
            while chunk := stream.read(CHUNK):
                if produced == 0 and (threat := _dangerous_part(chunk)):
                    return Refusal(threat)
                produced += len(chunk)
                total += len(chunk)
                if total > rules.zip_max_unpacked:
                    return Refusal(RefusalCode.ARCHIVE_LIMITS, limit=rules.zip_max_unpacked)
                if produced > entry.file_size:
                    return Refusal(RefusalCode.DAMAGED)
                if keep is not None:
                    if len(keep) + len(chunk) > KEPT_PART_MAX:
                        return Refusal(RefusalCode.DAMAGED)
                    keep += chunk
        if produced != entry.file_size:
            return Refusal(RefusalCode.DAMAGED)
        if keep is not None:
            kept[name] = bytes(keep)
    return kept


def _dangerous_part(head: bytes) -> RefusalCode | None:
    """A program or script packed inside (a part of a DOCX, a file in an EDOC)."""
    if head.startswith(EXECUTABLE_MAGIC):
        return RefusalCode.EXECUTABLE
    if head.lstrip(b"\xef\xbb\xbf").startswith(b"#!"):
        return RefusalCode.SCRIPT
    return None


def _asic(entries: list[zipfile.ZipInfo], parts: Mapping[str, bytes]) -> DocumentKind | Refusal:
    """ASiC-E (ETSI EN 319 162): `mimetype` first and stored, with the ASiC-E type; a
    manifest; at least one signature."""
    mimetype = parts["mimetype"]
    if not mimetype.startswith(b"application/vnd.etsi.asic-e"):
        return Refusal(RefusalCode.NOT_ALLOWED)  # OpenDocument, ASiC-S, EPUB…
    first = min(entries, key=lambda entry: entry.header_offset)
    stored_first = first.filename == "mimetype" and first.compress_type == zipfile.ZIP_STORED
    names = [entry.filename.lower() for entry in entries]
    if mimetype != ASIC_E or not stored_first or "meta-inf/manifest.xml" not in parts:
        return Refusal(RefusalCode.DAMAGED, kind=DocumentKind.EDOC)
    if not any(_ASIC_SIGNATURE.fullmatch(name) for name in names):
        return Refusal(RefusalCode.UNSIGNED_EDOC, kind=DocumentKind.EDOC)
    return DocumentKind.EDOC


def _opc(names: set[str], content_types: bytes) -> DocumentKind | Refusal:
    """An Open Packaging Conventions package: DOCX, XLSX or a legacy eDoc; macro-enabled and
    ActiveX content refused whatever the main part says."""
    if b"<!DOCTYPE" in content_types.upper():  # no DTDs, so no entity expansion
        return Refusal(RefusalCode.DAMAGED)
    try:
        root = ElementTree.fromstring(content_types)  # noqa: S314 - no DTD, size capped
    except ElementTree.ParseError:
        return Refusal(RefusalCode.DAMAGED)
    types = [element.get("ContentType", "") for element in root]
    overrides = {
        element.get("PartName", "").lstrip("/").lower(): element.get("ContentType", "")
        for element in root
        if element.tag == f"{_TYPES_NS}Override"
    }
    active = re.compile(r"macro|vbaproject|activex", re.IGNORECASE)
    if any(active.search(t) for t in types) or any(
        name.endswith("vbaproject.bin") or "/activex/" in name for name in names
    ):
        return Refusal(RefusalCode.MACROS)
    if any(name.startswith("edoc/") for name in names):
        if "_rels/.rels" not in names:
            return Refusal(RefusalCode.DAMAGED, kind=DocumentKind.EDOC)
        if not any(_LEGACY_SIGNATURE.fullmatch(name) for name in names):
            return Refusal(RefusalCode.UNSIGNED_EDOC, kind=DocumentKind.EDOC)
        return DocumentKind.EDOC
    for kind, main_type in ((DocumentKind.DOCX, DOCX_MAIN), (DocumentKind.XLSX, XLSX_MAIN)):
        mains = [part for part, content_type in overrides.items() if content_type == main_type]
        if mains:
            if "_rels/.rels" not in names or not all(part in names for part in mains):
                return Refusal(RefusalCode.DAMAGED, kind=kind)
            return kind
    return Refusal(RefusalCode.NOT_ALLOWED)  # PowerPoint, Visio, templates, XPS…
