"""Photos into one PDF (portal.uploads.bind_photos over integrations/files/photos.py): pages
in order, upright by EXIF, JPEG data unchanged; the legibility warning; the limits."""

from __future__ import annotations

import io
from pathlib import Path

import file_samples as samples
import pypdfium2
import pytest
from PIL import Image

from integrations.files import BytesSource, ContentStore, FileInspector, PhotoPdfBinder
from portal.documents import DocumentKind, DocumentRules, Refusal, RefusalCode, WarningCode
from portal.model import ClientFile, ForeignFile, ReceivedDocument
from portal.uploads import bind_photos, receive_document

RULES = DocumentRules(photo_min_side=800)
CLIENT = 5
RED, GREEN, YELLOW = (255, 0, 0), (0, 255, 0), (255, 255, 0)


@pytest.fixture
def store(tmp_path: Path) -> ContentStore:
    return ContentStore(tmp_path / "files")


async def receive(store: ContentStore, data: bytes, name: str | None = None) -> ReceivedDocument:
    received = await receive_document(
        client_id=CLIENT,
        source=BytesSource(data),
        declared_name=name,
        declared_size=len(data),
        rules=RULES,
        store=store,
        inspector=FileInspector(),
    )
    assert isinstance(received, ReceivedDocument), received
    return received


async def bind(
    store: ContentStore, pages: list[ClientFile], rules: DocumentRules = RULES
) -> ReceivedDocument | Refusal:
    return await bind_photos(
        client_id=CLIENT,
        pages=pages,
        name="Pavadzīme",
        rules=rules,
        store=store,
        inspector=FileInspector(),
        binder=PhotoPdfBinder(),
    )


def top_colours(pdf: bytes) -> list[tuple[tuple[int, int, int], bool]]:
    """Each page rendered: the colour a little below the top centre, and whether it is portrait."""
    document = pypdfium2.PdfDocument(pdf)
    result = []
    for page in document:
        picture = page.render(scale=0.5).to_pil().convert("RGB")
        width, height = picture.size
        # The photo fills the page's width; its top edge sits below a margin: sample 30% of
        # the way into the photo's top fifth.
        photo_height = width * 1200 / 900
        y = int((height - photo_height) / 2 + photo_height * 0.06)
        pixel = picture.getpixel((width // 2, y))
        result.append((_nearest(pixel), height > width))
    return result


def _nearest(pixel: tuple[int, ...]) -> tuple[int, int, int]:
    palette = [RED, GREEN, YELLOW, (0, 0, 255), (255, 255, 255)]
    return min(palette, key=lambda c: sum((a - b) ** 2 for a, b in zip(c, pixel[:3], strict=True)))


async def test_three_photos_become_one_three_page_pdf_in_order_and_upright(
    store: ContentStore,
) -> None:
    photos = [
        samples.page_photo(RED, stored_turned=True),  # lying on its side, EXIF 6 stands it up
        samples.page_photo(GREEN, stored_turned=False),
        samples.page_photo(YELLOW, stored_turned=True),
    ]
    pages = [(await receive(store, photo)).file for photo in photos]
    assert [p.kind for p in pages] == [DocumentKind.JPEG] * 3

    bound = await bind(store, pages)
    assert isinstance(bound, ReceivedDocument)
    file = bound.file
    assert (file.client_id, file.kind, file.name) == (CLIENT, DocumentKind.PDF, "Pavadzīme.pdf")
    assert await PhotoPdfBinder().page_count(store.path(file)) == 3
    pdf = b"".join([chunk async for chunk in store.chunks(file)])
    assert top_colours(pdf) == [(RED, True), (GREEN, True), (YELLOW, True)]
    # The JPEG data went in unchanged (no second compression).
    for photo in photos:
        scan = photo[photo.index(b"\xff\xda") :]  # from the start of scan to the end
        assert scan[:-2] in pdf


async def test_transparent_and_mirrored_pictures_are_stood_up_and_bound(
    store: ContentStore,
) -> None:
    page = Image.new("RGBA", (900, 1200), (0, 0, 255, 255))
    page.paste((255, 0, 0, 128), (0, 0, 900, 240))
    png = io.BytesIO()
    page.save(png, "PNG")
    # EXIF 5 (transposed) is a mirror image img2pdf refuses: Pillow stands it up first.
    mirrored = Image.new("RGB", (900, 1200), (0, 0, 255))
    mirrored.paste(GREEN, (0, 0, 900, 240))
    mirrored = mirrored.transpose(Image.Transpose.TRANSPOSE)
    exif = Image.Exif()
    exif[0x0112] = 5
    jpeg = io.BytesIO()
    mirrored.save(jpeg, "JPEG", exif=exif.tobytes())
    pages = [(await receive(store, data)).file for data in (png.getvalue(), jpeg.getvalue())]
    bound = await bind(store, pages)
    assert isinstance(bound, ReceivedDocument)
    pdf = store.path(bound.file).read_bytes()
    colours = top_colours(pdf)
    assert [portrait for _, portrait in colours] == [True, True]
    assert colours[1][0] == GREEN
    assert colours[0][0] != (0, 0, 255)  # the half-transparent red on white, not the blue


async def test_a_small_photo_is_accepted_with_a_warning(store: ContentStore) -> None:
    received = await receive(store, samples.picture("JPEG", (640, 480)))
    assert [(w.code, w.width, w.height, w.limit) for w in received.warnings] == [
        (WarningCode.PHOTO_TOO_SMALL, 640, 480, 800)
    ]
    assert [a.value for a in received.warnings[0].advice] == ["send_as_file", "photograph_closer"]
    big_enough = await receive(store, samples.page_photo(RED, stored_turned=False))
    assert big_enough.warnings == ()


async def test_pages_of_another_client_are_never_bound(store: ContentStore) -> None:
    page = (await receive(store, samples.page_photo(RED, stored_turned=False))).file
    stranger = ClientFile(CLIENT + 1, page.sha256, page.size, page.kind, page.name)
    with pytest.raises(ForeignFile):
        await bind(store, [page, stranger])


async def test_limits_on_pages_size_and_pixels(store: ContentStore) -> None:
    page = (await receive(store, samples.page_photo(RED, stored_turned=False))).file
    refused = await bind(store, [page] * 3, DocumentRules(max_pages=2))
    assert isinstance(refused, Refusal)
    assert (refused.code, refused.limit) == (RefusalCode.TOO_MANY_PAGES, 2)
    refused = await bind(store, [page] * 3, DocumentRules(max_bytes=page.size * 2))
    assert isinstance(refused, Refusal) and refused.code is RefusalCode.TOO_LARGE
    # A transparent PNG must be decoded to go into a PDF: a pixel cap stops that.
    big = io.BytesIO()
    Image.new("RGBA", (3000, 3000), (0, 0, 0, 0)).save(big, "PNG")
    transparent = (await receive(store, big.getvalue() + b"\x00" * 1024)).file
    refused = await bind(store, [transparent], DocumentRules(max_pixels=4_000_000))
    assert isinstance(refused, Refusal)
    assert (refused.code, refused.limit) == (RefusalCode.TOO_MANY_PIXELS, 4_000_000)


async def test_only_pictures_are_bound(store: ContentStore) -> None:
    pdf = (await receive(store, samples.pdf(), "a.pdf")).file
    with pytest.raises(ValueError, match="pictures"):
        await bind(store, [pdf])
