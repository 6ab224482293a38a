"""«Palīdzība» through the bot on SQLite and PostgreSQL: the portal map as the menu tree, the
user guide as a PDF in the reader's language (opened and read back), support contacts, and
«Atslēgties», the same as /logout."""

from __future__ import annotations

import pypdfium2 as pdfium
from conftest import PersonFactory
from e2e_support import bot_settings, browser, button_url, buttons, polling_bot
from registration_walk import log_in

from emulator import EmulatorServer


def pdf_text(pdf: bytes) -> str:
    document = pdfium.PdfDocument(pdf)
    try:
        return " ".join(" ".join(p.get_textpage().get_text_range().split()) for p in document)
    finally:
        document.close()


async def test_map_guide_support_and_logging_out(
    database_url: str, emulator: EmulatorServer, person: PersonFactory
) -> None:
    anna = await person("Anna", language_code="lv")
    emily = await person("Emily", language_code="en")
    settings = bot_settings(database_url, emulator.base_url, support_phone="+371 67774010")
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
        url = button_url(shown, "📘 Lietotāja rokasgrāmata (PDF)")
        assert url == f"{settings.public_url}/guide/lv.pdf"
        async with http.get(url) as answer:
            assert answer.status == 200 and answer.content_type == "application/pdf"
            text = pdf_text(await answer.read())
        assert "ALTUM klientu palīgs: lietotāja rokasgrāmata" in text
        assert "Klienta veiktās darbības" in text and "+371 67774010" in text

        await anna.press(shown, "☎️ Atbalsts")
        support = (await anna.reply())["text"]
        assert "ALTUM klientu atbalsts" in support and "📞 +371 67774010" in support
        await anna.press(shown, "🚪 Atslēgties")
        assert "Jūs esat atslēgušies" in (await anna.reply())["text"]

        await emily.say("/help")
        english = await emily.reply()
        url = button_url(english, "📘 User guide (PDF)")
        async with http.get(url) as answer:
            assert "ALTUM client assistant: user guide" in pdf_text(await answer.read())
        async with http.get(url.replace("/en.pdf", "/xx.pdf")) as answer:
            assert answer.status == 404
