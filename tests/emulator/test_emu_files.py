"""Files both ways: user uploads, getFile, downloads, bot uploads and file_id reuse."""

from __future__ import annotations

import io
import struct
import zlib
from typing import Any

import pytest
from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import BufferedInputFile
from emu_support import BOT_ID

from emulator import EmulatorClient

pytestmark = pytest.mark.asyncio


def png(width: int, height: int) -> bytes:
    """A valid PNG of one colour, made with the standard library."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    rows = b"".join(b"\x00" + b"\x20\x60\xa0" * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


async def download(bot: Bot, file_id: str) -> bytes:
    file = await bot.get_file(file_id)
    assert file.file_path is not None
    buffer = io.BytesIO()
    await bot.download_file(file.file_path, buffer)
    return buffer.getvalue()


async def test_user_document_round_trip(
    emu: EmulatorClient, bot: Bot, user: dict[str, Any]
) -> None:
    data = b"%PDF-1.4 invoice 42"
    sent = await emu.send_document(BOT_ID, user["id"], data, "rēķins.pdf", caption="Mans rēķins")
    (update,) = await bot.get_updates()
    message = update.message
    assert message is not None and message.document is not None
    assert message.document.file_id == sent["file_id"]
    assert message.document.file_name == "rēķins.pdf"
    assert message.document.mime_type == "application/pdf"
    assert message.document.file_size == len(data)
    assert message.caption == "Mans rēķins"
    file = await bot.get_file(message.document.file_id)
    assert file.file_unique_id == message.document.file_unique_id
    assert file.file_path is not None and file.file_size == len(data)
    assert await download(bot, message.document.file_id) == data


async def test_user_photo_has_sizes_sharing_the_bytes(
    emu: EmulatorClient, bot: Bot, user: dict[str, Any]
) -> None:
    image = png(1000, 500)
    await emu.send_photo(BOT_ID, user["id"], image, caption="foto")
    (update,) = await bot.get_updates()
    assert update.message is not None and update.message.photo
    sizes = update.message.photo
    assert len(sizes) >= 2
    assert (sizes[-1].width, sizes[-1].height) == (1000, 500)
    assert sizes[0].width < sizes[-1].width
    assert len({s.file_id for s in sizes}) == len(sizes)
    assert await download(bot, sizes[0].file_id) == image
    assert await download(bot, sizes[-1].file_id) == image


async def test_files_over_20_mb_cannot_be_fetched(
    emu: EmulatorClient, bot: Bot, user: dict[str, Any]
) -> None:
    big = await emu.send_document(BOT_ID, user["id"], b"\0" * (20 * 1024 * 1024 + 1), "big.bin")
    with pytest.raises(TelegramBadRequest, match="Bad Request: file is too big"):
        await bot.get_file(big["file_id"])


async def test_bot_sends_files_and_reuses_file_ids(
    emu: EmulatorClient, bot: Bot, user: dict[str, Any]
) -> None:
    document = await bot.send_document(
        user["id"],
        BufferedInputFile(b"a,b\n1,2\n", filename="report.csv"),
        caption="<b>CSV</b>",
        parse_mode="HTML",
    )
    assert document.document is not None and document.document.file_name == "report.csv"
    assert document.caption == "CSV" and document.caption_entities
    again = await bot.send_document(user["id"], document.document.file_id)
    assert again.document is not None and again.document.file_id == document.document.file_id
    photo = await bot.send_photo(user["id"], BufferedInputFile(png(64, 32), filename="p.png"))
    assert photo.photo and (photo.photo[-1].width, photo.photo[-1].height) == (64, 32)
    assert await download(bot, document.document.file_id) == b"a,b\n1,2\n"
    shown = await emu.messages(BOT_ID, user["id"])
    assert [bool(m["document"]) or bool(m["photo"]) for m in shown] == [True, True, True]
    assert await emu.download(BOT_ID, photo.photo[-1].file_id) == png(64, 32)


async def test_bad_files_are_refused(bot: Bot, user: dict[str, Any]) -> None:
    with pytest.raises(TelegramBadRequest, match="IMAGE_PROCESS_FAILED"):
        await bot.send_photo(user["id"], BufferedInputFile(b"not an image", filename="x.jpg"))
    with pytest.raises(TelegramBadRequest, match="wrong file identifier/HTTP URL specified"):
        await bot.send_document(user["id"], "BQACAgIAAxkBAAI-no-such-file")
    with pytest.raises(TelegramBadRequest, match="wrong file identifier/HTTP URL specified"):
        await bot.get_file("nope")
    doc = await bot.send_document(user["id"], BufferedInputFile(b"x", filename="x.txt"))
    assert doc.document is not None
    with pytest.raises(TelegramBadRequest, match="type of file mismatch"):
        await bot.send_photo(user["id"], doc.document.file_id)
