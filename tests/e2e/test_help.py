"""«Palīdzība» through the bot on SQLite and PostgreSQL: the portal map as the menu tree, the
user guide as a PDF in the reader's language (opened and read back), support contacts, and
«Atslēgties», the same as /logout."""

from __future__ import annotations

from pathlib import Path

import pypdfium2 as pdfium
from conftest import PersonFactory
from e2e_support import BOT_ID, bot_settings, browser, buttons, polling_bot
from registration_walk import log_in

from emulator import EmulatorClient, EmulatorServer


def pdf_text(pdf: bytes) -> str:
    document = pdfium.PdfDocument(pdf)
    try:
        return " ".join(" ".join(p.get_textpage().get_text_range().split()) for p in document)
    finally:
        document.close()


async def test_map_guide_support_and_logging_out(
    database_url: str,
    emulator: EmulatorServer,
    emu: EmulatorClient,
    person: PersonFactory,
    tmp_path: Path,
) -> None:
    anna = await person("Anna", language_code="lv")
    emily = await person("Emily", language_code="en")
    settings = bot_settings(
        database_url,
        emulator.base_url,
        support_phone="+371 67774010",
        files={"dir": f"{tmp_path}/files"},
    )
    async with polling_bot(settings), browser() as http:
        await log_in(anna, http, "anna")
        await anna.say("/help")
        shown = await anna.reply()
        assert "Administrēšana — galvenajiem lietotājiem" in shown["text"]
        assert "    └ 🧾 Rēķini" in shown["text"]
        assert buttons(shown) == [
            "📘 Lietotāja rokasgrāmata (PDF)",
            "☎️ Atbalsts",
            "🚪 Atslēgties",
            "⬅️ Galvenā izvēlne",
        ]
        # The guide itself, as a document in the chat, made in the reader's language.
        await anna.press(shown, "📘 Lietotāja rokasgrāmata (PDF)")
        guide = await anna.reply()
        pdf = await emu.download(BOT_ID, guide["document"]["file_id"])
        text = pdf_text(pdf)
        assert "ALTUM klientu asistents: lietotāja rokasgrāmata" in text
        assert "Klienta veiktās darbības" in text and "+371 67774010" in text
        # The same guide as the public page (each made on its own: only their dates may differ),
        # and once made, the same file sent again from the store.
        async with http.get(f"{settings.public_url}/guide/lv.pdf") as answer:
            assert answer.status == 200 and answer.content_type == "application/pdf"
            assert pdf_text(await answer.read()) == text
        await anna.press(shown, "📘 Lietotāja rokasgrāmata (PDF)")
        again = await anna.reply()
        assert await emu.download(BOT_ID, again["document"]["file_id"]) == pdf

        await anna.press(shown, "☎️ Atbalsts")
        support = (await anna.reply())["text"]
        assert "ALTUM klientu atbalsts" in support and "📞 +371 67774010" in support
        await anna.press(shown, "🚪 Atslēgties")
        assert "Jūs esat atslēgušies" in (await anna.reply())["text"]

        await emily.say("/help")
        english = await emily.reply()
        await emily.press(english, "📘 User guide (PDF)")
        document = (await emily.reply())["document"]
        english_pdf = await emu.download(BOT_ID, document["file_id"])
        assert "ALTUM client assistant: user guide" in pdf_text(english_pdf)
        assert document["file_name"] == "ALTUM-user-guide.pdf"
        async with http.get(f"{settings.public_url}/guide/xx.pdf") as answer:
            assert answer.status == 404
