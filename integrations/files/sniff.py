"""What a file's bytes say: libmagic's MIME type and our own signatures for the dangerous.

libmagic (python-magic over `libmagic1`) names most types; signatures of our own catch what
must be refused even when libmagic names it otherwise (an executable is `MZ`/ELF/Mach-O, a
script starts `#!`, a web page or SVG is text starting with markup).
"""

from __future__ import annotations

import re
import threading
from pathlib import Path

import magic

from portal.documents import RefusalCode

HEAD = 8192
_lock = threading.Lock()  # a libmagic cookie is not safe to share between threads
_magic: magic.Magic | None = None

EXECUTABLE_TYPES = frozenset(
    {
        "application/x-dosexec",
        "application/vnd.microsoft.portable-executable",
        "application/x-msdownload",
        "application/x-executable",
        "application/x-sharedlib",
        "application/x-pie-executable",
        "application/x-object",
        "application/x-coff",
        "application/x-elf",
        "application/x-mach-binary",
        "application/x-java-applet",
        "application/java-archive",
        "application/vnd.android.package-archive",
        "application/x-msi",
        "application/vnd.ms-msi",
        "application/x-ms-shortcut",
        "application/x-ms-installer",
        "application/vnd.ms-cab-compressed",
    }
)
SCRIPT_TYPES = frozenset(
    {
        "text/x-shellscript",
        "application/x-shellscript",
        "text/x-python",
        "text/x-script.python",
        "text/x-perl",
        "text/x-php",
        "application/x-php",
        "text/x-ruby",
        "text/x-lua",
        "text/x-tcl",
        "text/x-awk",
        "text/javascript",
        "application/javascript",
        "application/x-javascript",
        "text/x-msdos-batch",
        "application/x-bat",
        "application/x-powershell",
        "text/x-vbscript",
    }
)
WEB_TYPES = frozenset({"text/html", "application/xhtml+xml", "image/svg+xml", "image/svg"})
ARCHIVE_TYPES = frozenset(
    {
        "application/x-7z-compressed",
        "application/x-rar",
        "application/vnd.rar",
        "application/x-rar-compressed",
        "application/gzip",
        "application/x-gzip",
        "application/x-bzip2",
        "application/x-xz",
        "application/zstd",
        "application/x-tar",
        "application/x-lzma",
        "application/x-lzip",
        "application/x-compress",
        "application/x-arj",
        "application/x-lha",
        "application/x-iso9660-image",
        "application/x-cpio",
    }
)
EXECUTABLE_MAGIC = (
    b"MZ",  # DOS and Windows (PE)
    b"\x7fELF",
    b"\xfe\xed\xfa\xce",  # Mach-O, both byte orders, 32 and 64 bits
    b"\xfe\xed\xfa\xcf",
    b"\xce\xfa\xed\xfe",
    b"\xcf\xfa\xed\xfe",
    b"\xca\xfe\xba\xbe",  # Mach-O universal binaries and Java classes
    b"dex\n",  # Android
    b"\x00asm",  # WebAssembly
)
_TEXTUAL = frozenset({"application/xml", "application/octet-stream", "application/x-empty"})
# In text, markup a browser or viewer would run or render as a page.
_WEB_MARKERS = re.compile(
    rb"<\s*(!doctype\s+html|html|head|body|script|svg|iframe|object|embed|meta\s|"
    rb"\?xml-stylesheet)|<[a-z]+[^>]*\son[a-z]+\s*=",
    re.IGNORECASE,
)


def mime_type(path: Path) -> str:
    """libmagic's MIME type of the whole file (it reads what it needs itself)."""
    global _magic
    with _lock:
        if _magic is None:
            _magic = magic.Magic(mime=True)
        found = _magic.from_file(str(path))
    # Some libmagic answers carry extra text ("application/x-executable, no program header").
    return re.split(r"[,;\s]", found.strip(), maxsplit=1)[0].lower()


def read_head(path: Path) -> bytes:
    with path.open("rb") as file:
        return file.read(HEAD)


def danger(head: bytes, mime: str) -> RefusalCode | None:
    """Executables, scripts and web content, whatever the name says."""
    if mime in EXECUTABLE_TYPES or head.startswith(EXECUTABLE_MAGIC):
        return RefusalCode.EXECUTABLE
    if mime in SCRIPT_TYPES or head.lstrip(b"\xef\xbb\xbf").startswith(b"#!"):
        return RefusalCode.SCRIPT
    if mime in WEB_TYPES:
        return RefusalCode.WEB_PAGE
    # Text libmagic did not call a page (XML, "plain text" with tags after a preamble).
    textual = mime.startswith("text/") or mime in _TEXTUAL
    if textual and is_text(head) and _WEB_MARKERS.search(_as_ascii(head)):
        return RefusalCode.WEB_PAGE
    return None


def is_text(head: bytes) -> bool:
    """No NUL bytes in the head: text in an 8-bit or UTF-8 encoding (UTF-16 is decoded)."""
    return b"\x00" not in _as_ascii(head)


def _as_ascii(head: bytes) -> bytes:
    # UTF-16 text (a BOM) hides markup from a byte search; drop the zero bytes of its ASCII.
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return head[2:].replace(b"\x00", b"")
    return head
