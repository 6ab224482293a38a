"""Received files: inspection on the bytes, the content-addressed store, photos into a PDF.

`FileInspector`, `ContentStore` and `PhotoPdfBinder` implement the ports of
`portal/uploads.py`; see docs/architecture.md «Upload pipeline».
"""

from integrations.files.inspection import FileInspector, inspect_file
from integrations.files.photos import PhotoPdfBinder, bind_pictures, page_count
from integrations.files.sources import BytesSource, FileSource, IteratorSource
from integrations.files.store import ContentStore, StoreCorrupted

__all__ = [
    "BytesSource",
    "ContentStore",
    "FileInspector",
    "FileSource",
    "IteratorSource",
    "PhotoPdfBinder",
    "StoreCorrupted",
    "bind_pictures",
    "inspect_file",
    "page_count",
]
