"""The document rules through the chat, on real files made here: every allowed type
accepted, the real EDOC samples, renamed programs, a web page named .pdf, macro documents, a
ZIP bomb, 1023 B, exactly 20 MB and one byte more; each refusal says which rule. Telegram
delivers no empty file (the emulator refuses one, as its servers do), so 0 B comes through
ALTUM's API."""

from __future__ import annotations

import os
from pathlib import Path

from api_support import Api, make_token, serving
from conftest import PersonFactory
from e2e_support import BOT_ID, bot_settings, browser
from messages_support import acts_for, file_samples, open_client

from emulator import EmulatorClient, EmulatorServer

MIB = 1024 * 1024
ACCEPTED = "What is it?"


def cases() -> list[tuple[str, bytes, str]]:
    f = file_samples
    edocs = [(path.name, path.read_bytes(), ACCEPTED) for path in f.edoc_samples()]
    return [
        ("iesniegums.docx", f.docx(), ACCEPTED),
        ("iesniegums.doc", f.doc(), ACCEPTED),
        ("iesniegums.pdf", f.pdf(), ACCEPTED),
        *edocs,
        ("tabula.xlsx", f.xlsx(), ACCEPTED),
        ("tabula.xls", f.xls(), ACCEPTED),
        ("foto.jpg", f.picture("jpeg", (900, 1200)), ACCEPTED),
        ("foto.png", f.picture("png", (820, 820)), ACCEPTED),
        ("foto.tif", f.picture("tiff", (820, 820)), ACCEPTED),
        ("plans.dwg", f.dwg(), ACCEPTED),
        ("plans.cad", os.urandom(4096), ACCEPTED),
        ("maksimums.pdf", f.pdf(size=20 * MIB), ACCEPTED),
        ("rekins.pdf", f.pe_executable(), "program"),
        ("foto.jpg", f.elf_executable(), "program"),
        ("ligums.pdf", f.html_page(), "web page"),
        ("makro.docx", f.docm(), "macro"),
        ("makro.xls", f.xls_with_macros(), "macro"),
        ("bumba.docx", f.zip_bomb_ratio(), "unpacks to far more"),
        ("mazs.pdf", f.pdf(size=1023), "too small"),
        ("liels.pdf", f.pdf(size=20 * MIB + 1), "larger than 20 MB"),
    ]


async def test_every_rule_through_the_chat(
    database_url: str,
    emulator: EmulatorServer,
    emu: EmulatorClient,
    person: PersonFactory,
    tmp_path: Path,
) -> None:
    token = await make_token(database_url)
    anna = await person("Anna", language_code="en")
    settings = bot_settings(database_url, emulator.base_url, files={"dir": f"{tmp_path}/files"})
    async with serving(settings), Api(settings.public_url, token) as api, browser() as http:
        cid = await open_client(database_url, api)
        await acts_for(anna, api, http, cid)
        for name, data, expected in cases():
            await emu.send_document(BOT_ID, anna.user_id, data, name)
            answer = await anna.reply(timeout=30)
            assert expected in answer["text"], (name, answer["text"])
            if expected == ACCEPTED:
                assert name.rsplit(".", 1)[0] in answer["text"]
                await anna.say("/cancel")
                await anna.replies(2)
        empty = await api.post(
            f"/clients/{cid}/messages",
            {
                "subject": "Tukšs",
                "body": "x",
                "attachments": [
                    {
                        "name": "tukss.pdf",
                        "content_base64": "",
                        "doc_type": "other",
                        "prepared_on": "2026-12-01",
                    }
                ],
            },
        )
        assert empty.status == 422 and "refused: empty" in str(empty.body)
