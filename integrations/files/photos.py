"""Photos into one PDF: the `PhotoBinder` of `portal/ports.py`.

img2pdf puts each picture on an A4 page (landscape pictures on landscape pages), in order.
JPEG data goes in as it is (no re-compression), turned by the EXIF orientation through the
page's /Rotate. Pictures img2pdf cannot take as they are (a mirrored EXIF orientation,
unusual modes) are turned upright and re-encoded by Pillow first. Whatever is decoded (all
but JPEG) is capped in pixels first, so a small file cannot decode into gigabytes.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path

import img2pdf
import pikepdf
from PIL import Image, ImageOps

from portal.documents import DocumentRules, Refusal, RefusalCode

A4 = (img2pdf.mm_to_pt(210), img2pdf.mm_to_pt(297))
_LAYOUT = img2pdf.get_layout_fun(A4, fit=img2pdf.FitMode.into, auto_orient=True)
JPEG_QUALITY = 92


class PhotoPdfBinder:
    async def bind(self, pages: Sequence[Path], *, rules: DocumentRules) -> bytes | Refusal:
        return await asyncio.to_thread(bind_pictures, pages, rules)

    async def page_count(self, path: Path) -> int:
        return await asyncio.to_thread(page_count, path)


def bind_pictures(pages: Sequence[Path], rules: DocumentRules) -> bytes | Refusal:
    if any(_decoded_pixels(path) > rules.max_pixels for path in pages):
        return Refusal(RefusalCode.TOO_MANY_PIXELS, limit=rules.max_pixels)
    originals = [path.read_bytes() for path in pages]
    with contextlib.suppress(Exception):  # img2pdf refuses in several ways (alpha, EXIF, mode)
        return _convert(originals)
    prepared: list[bytes] = []
    for data in originals:
        if _takes_as_is(data):
            prepared.append(data)
            continue
        converted = _upright(data, rules)
        if isinstance(converted, Refusal):
            return converted
        prepared.append(converted)
    return _convert(prepared)


def page_count(path: Path) -> int:
    with pikepdf.open(path) as pdf:
        return len(pdf.pages)


def _decoded_pixels(path: Path) -> int:
    """How many pixels turning this picture into a page decodes: none for JPEG (its data goes
    in as it is), all of them for the rest (img2pdf decodes PNG with transparency itself)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        try:
            with Image.open(path) as picture:
                return 0 if picture.format == "JPEG" else picture.width * picture.height
        except Image.DecompressionBombError:
            return sys.maxsize


def _convert(pictures: list[bytes]) -> bytes:
    pdf: bytes | None = img2pdf.convert(
        pictures, layout_fun=_LAYOUT, rotation=img2pdf.Rotation.auto
    )
    assert pdf is not None  # without an output stream img2pdf returns the bytes
    return pdf


def _takes_as_is(data: bytes) -> bool:
    try:
        _convert([data])
    except Exception:
        return False
    return True


def _upright(data: bytes, rules: DocumentRules) -> bytes | Refusal:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            picture: Image.Image = Image.open(io.BytesIO(data))
        if picture.width * picture.height > rules.max_pixels:
            return Refusal(RefusalCode.TOO_MANY_PIXELS, limit=rules.max_pixels)
        picture = ImageOps.exif_transpose(picture)
        if picture.mode in {"RGBA", "LA", "PA"} or "transparency" in picture.info:
            rgba = picture.convert("RGBA")
            picture = Image.new("RGB", picture.size, "white")
            picture.paste(rgba, mask=rgba)
        elif picture.mode not in {"RGB", "L"}:
            picture = picture.convert("RGB")
    except Image.DecompressionBombError:
        return Refusal(RefusalCode.TOO_MANY_PIXELS, limit=rules.max_pixels)
    except Exception:
        return Refusal(RefusalCode.DAMAGED)
    out = io.BytesIO()
    picture.save(out, "JPEG", quality=JPEG_QUALITY)
    return out.getvalue()
