"""OLE compound files (DOC, XLS, and what else shares the format) by their streams.

libmagic names a compound file from its directory only when it reads the whole file, and
calls macro-carrying and encrypted ones by the same names; olefile reads the directory
(sectors on demand, never the whole file) and the stream names decide.
"""

from __future__ import annotations

from pathlib import Path

import olefile

from portal.documents import DocumentKind, Refusal, RefusalCode

MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# Word keeps VBA in `Macros`, Excel in `_VBA_PROJECT_CUR`; both hold a `VBA` storage.
_MACRO_STORAGES = frozenset({"macros", "_vba_project_cur", "_vba_project", "vba"})
# An OOXML file saved with a password is a compound file with these streams.
_ENCRYPTION_STREAMS = frozenset({"encryptedpackage", "encryptioninfo"})
_MSI_CLSIDS = frozenset(
    {
        "000C1084-0000-0000-C000-000000000046",  # installer package
        "000C1086-0000-0000-C000-000000000046",  # patch
        "000C1082-0000-0000-C000-000000000046",  # transform
    }
)


def inspect_ole(path: Path, *, cad: bool = False) -> DocumentKind | Refusal:
    """`cad`: named .cad, an OLE file that is neither DOC nor XLS nor dangerous is CAD (some
    CAD formats are compound files)."""
    try:
        with olefile.OleFileIO(str(path)) as ole:
            entries = ole.listdir(streams=True, storages=True)
            clsid = (ole.root.clsid or "").upper() if ole.root is not None else ""
    except Exception:  # a malformed directory can raise anything; it is damaged either way
        return Refusal(RefusalCode.DAMAGED)
    top = {entry[0].lower() for entry in entries}
    every = {part.lower() for entry in entries for part in entry}
    if clsid in _MSI_CLSIDS:
        return Refusal(RefusalCode.EXECUTABLE)
    if top & _ENCRYPTION_STREAMS:
        return Refusal(RefusalCode.ENCRYPTED)
    if every & _MACRO_STORAGES:
        return Refusal(RefusalCode.MACROS)
    if "worddocument" in top:
        return DocumentKind.DOC
    if "workbook" in top or "book" in top:
        return DocumentKind.XLS
    if cad:
        return DocumentKind.CAD
    return Refusal(RefusalCode.NOT_ALLOWED)  # PowerPoint, Outlook messages, Visio…
