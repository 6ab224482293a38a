"""The document rules through the chat, on real files made here: every allowed type
accepted, the real EDOC samples, renamed programs, a web page named .pdf, macro documents, a
ZIP bomb, 1023 B, exactly 20 MB and one byte more; each refusal says which rule. 0 B: through
ALTUM's API, and through the chat although Telegram's apps send no empty file (the emulator
sends one only when asked, `allow_empty`) — as a quick upload and while writing a message,
refused in the person's language, nothing stored, the dialog where it was."""

from __future__ import annotations

import random
import time
from pathlib import Path

from api_support import Api, make_token, serving
from conftest import PersonFactory
from e2e_support import BOT_ID, Person, bot_settings, browser
from messages_support import acts_for, file_samples, open_client

from dialogs.message_common import Msg
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
        # Bytes nothing recognises, the same every run: os.urandom's were a DOS .COM
        # program to libmagic about once in 120 (a leading 0xB8, 0x8C, 0xE9 or 0xEB).
        ("plans.cad", random.Random("plans.cad").randbytes(4096), ACCEPTED),
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


EMPTY_LV = "Fails ir tukšs (0 baitu)."  # the Latvian of «The file is empty (0 bytes).»


async def _press(
    emu: EmulatorClient, someone: Person, message: dict[str, object], data: str
) -> None:
    """A button by its callback data (the labels are Latvian here)."""
    await emu.press(BOT_ID, someone.user_id, int(str(message["message_id"])), data=data)


def _stored(root: Path) -> list[Path]:
    return [path for path in root.rglob("*") if path.is_file()] if root.exists() else []


async def test_an_empty_file_through_the_chat(
    database_url: str,
    emulator: EmulatorServer,
    emu: EmulatorClient,
    person: PersonFactory,
    tmp_path: Path,
) -> None:
    token = await make_token(database_url)
    anna = await person("Anna", language_code="lv")
    files = tmp_path / "files"
    settings = bot_settings(database_url, emulator.base_url, files={"dir": str(files)})
    async with serving(settings), Api(settings.public_url, token) as api, browser() as http:
        cid = await open_client(database_url, api)
        await acts_for(anna, api, http, cid)

        # As a quick upload: refused in Latvian, nothing stored, no «Kas tas ir?».
        sent = await emu.send_document(BOT_ID, anna.user_id, b"", "tukss.pdf", allow_empty=True)
        (mine,) = [
            m
            for m in await emu.messages(BOT_ID, anna.user_id)
            if m["message_id"] == sent["message_id"]
        ]
        assert mine["document"]["file_size"] == 0  # what the bot is told, too
        refused = await anna.reply(timeout=30)
        assert refused["text"].startswith(EMPTY_LV), refused["text"]
        assert _stored(files) == []
        # The same file with no size given (the bot learns it is empty only by downloading).
        user = {"id": anna.user_id, "is_bot": False, "first_name": "Anna", "language_code": "lv"}
        document = {"file_id": sent["file_id"], "file_unique_id": "tukss-bez-izmera"}
        await emu.inject_update(
            BOT_ID,
            {
                "message": {
                    "message_id": 900,
                    "date": int(time.time()),
                    "chat": {"id": anna.user_id, "type": "private", "first_name": "Anna"},
                    "from": user,
                    "document": {**document, "file_name": "bez-izmera.pdf"},
                }
            },
        )
        refused = await anna.reply(timeout=30)
        assert refused["text"].startswith(EMPTY_LV), refused["text"]
        assert _stored(files) == []

        # While writing a message: refused, the text kept, still writing; sent without it.
        await anna.say("/messages")
        await _press(emu, anna, await anna.reply(), Msg(action="new").pack())
        await anna.reply()  # the subject
        await anna.say("Tukšs fails")
        await anna.reply()  # the text
        await anna.say("Pirmā daļa.")
        await anna.reply()  # the message so far
        await emu.send_document(BOT_ID, anna.user_id, b"", "tukss.docx", allow_empty=True)
        refused = await anna.reply(timeout=30)
        assert refused["text"].startswith(EMPTY_LV), refused["text"]
        assert _stored(files) == []
        await anna.say("Otrā daļa.")
        compose = await anna.reply()
        assert "Pirmā daļa." in compose["text"] and "Otrā daļa." in compose["text"]
        assert "📎" not in compose["text"]
        await _press(emu, anna, compose, Msg(action="send").pack())
        await anna.reply()  # sent
        events = (await api.get("/events")).body["events"]
        (message,) = [e for e in events if e["type"] == "message.sent"]
        assert [e for e in events if e["type"] == "document.uploaded"] == []
        body = (await api.get(f"/messages/{message['message_id']}")).body
        assert body["subject"] == "Tukšs fails" and body["documents"] == []

        # Nothing was lost on the way: a real file afterwards is «Kas tas ir?» as always.
        await emu.send_document(BOT_ID, anna.user_id, file_samples.pdf(), "izzina.pdf")
        assert "Kas tas ir?" in (await anna.reply(timeout=30))["text"]
