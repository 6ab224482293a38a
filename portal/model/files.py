"""Files: staged, stored as one client holds them, and received as documents."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from portal.documents import KINDS, DocumentKind, UploadWarning


@dataclass(frozen=True, slots=True)
class Staged:
    """A received file not yet in the store: a private temporary file, its size and hash."""

    path: Path
    size: int
    sha256: str


@dataclass(frozen=True, slots=True)
class ClientFile:
    """A stored file as one client holds it: the only handle the store reads by."""

    client_id: int
    sha256: str
    size: int
    kind: DocumentKind
    name: str

    @property
    def media_type(self) -> str:
        return KINDS[self.kind].media_type


@dataclass(frozen=True, slots=True)
class ReceivedDocument:
    file: ClientFile
    warnings: tuple[UploadWarning, ...]


class ForeignFile(PermissionError):
    """A page offered for binding belongs to another client: a bug, never a user's error."""
