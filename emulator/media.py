"""Files: image sniffing, PhotoSize arrays and Document objects."""

from __future__ import annotations

import mimetypes
import struct

from .models import JSON, StoredFile
from .state import BotWorld

_PHOTO_SIDES = (90, 320, 800, 1280)  # Telegram's usual s/m/x/y thumbnails


def image_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) of a PNG, JPEG, GIF, WEBP or BMP; None when it isn't an image."""
    if data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) >= 24:
        width, height = struct.unpack(">II", data[16:24])
        return int(width), int(height)
    if data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        width, height = struct.unpack("<HH", data[6:10])
        return int(width), int(height)
    if data[:2] == b"BM" and len(data) >= 26:
        width, height = struct.unpack("<ii", data[18:26])
        return abs(int(width)), abs(int(height))
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return _webp_size(data)
    if data[:2] == b"\xff\xd8":
        return _jpeg_size(data)
    return None


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    index = 2
    while index + 9 < len(data):
        if data[index] != 0xFF:
            index += 1
            continue
        marker = data[index + 1]
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
            index += 2
            continue
        (length,) = struct.unpack(">H", data[index + 2 : index + 4])
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            height, width = struct.unpack(">HH", data[index + 5 : index + 9])
            return int(width), int(height)
        index += 2 + length
    return (1, 1) if len(data) > 2 else None  # a JPEG we can't measure is still a JPEG


def _webp_size(data: bytes) -> tuple[int, int] | None:
    chunk = data[12:16]
    if chunk == b"VP8X" and len(data) >= 30:
        width = 1 + int.from_bytes(data[24:27], "little")
        height = 1 + int.from_bytes(data[27:30], "little")
        return width, height
    if chunk == b"VP8 " and len(data) >= 30:
        width, height = struct.unpack("<HH", data[26:30])
        return int(width) & 0x3FFF, int(height) & 0x3FFF
    if chunk == b"VP8L" and len(data) >= 25:
        bits = int.from_bytes(data[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    return (1, 1)


def photo_sizes(world: BotWorld, stored: StoredFile, size: tuple[int, int]) -> list[JSON]:
    """A PhotoSize array, smallest first; every size serves the same bytes."""
    width, height = size
    longest = max(width, height, 1)
    sides = [*[s for s in _PHOTO_SIDES if s < longest][:3], min(longest, 2560)]
    result: list[JSON] = []
    for index, side in enumerate(sides):
        scale = side / longest
        entry = stored if index == len(sides) - 1 else world.alias_file(stored)
        result.append(
            {
                "file_id": entry.file_id,
                "file_unique_id": entry.file_unique_id,
                "file_size": stored.size,
                "width": max(1, round(width * scale)),
                "height": max(1, round(height * scale)),
            }
        )
    return result


def document_api(stored: StoredFile) -> JSON:
    data: JSON = {
        "file_id": stored.file_id,
        "file_unique_id": stored.file_unique_id,
        "file_size": stored.size,
    }
    if stored.file_name:
        data["file_name"] = stored.file_name
    if stored.mime_type:
        data["mime_type"] = stored.mime_type
    return data


def guess_mime(file_name: str | None, given: str | None) -> str:
    if given and given != "application/octet-stream":
        return given
    guessed = mimetypes.guess_type(file_name or "")[0]
    return guessed or given or "application/octet-stream"
