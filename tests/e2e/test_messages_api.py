"""ALTUM's side of «Saziņa» over HTTP: a message with a document pushed to every user of the
client with its subject and «Atvērt»; unread counts going up and down; the client's answer
with a document through the event feed (`message.sent`, `document.uploaded`) and fetched
back byte for byte; refusals (no subject, a web page named .pdf, another client's thread)."""

from __future__ import annotations

import base64
import re
from pathlib import Path

from api_support import Api, make_token, serving
from conftest import PersonFactory
from e2e_support import BOT_ID, bot_settings, browser, buttons
from messages_support import acts_for, bold_texts, file_samples, open_client

from emulator import EmulatorClient, EmulatorServer

JANIS_CODE = "030379-15671"


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


async def test_altum_writes_and_reads_the_answer(
    database_url: str,
    emulator: EmulatorServer,
    emu: EmulatorClient,
    person: PersonFactory,
    tmp_path: Path,
) -> None:
    token = await make_token(database_url)
    anna = await person("Anna", language_code="en")
    janis = await person("Jānis", language_code="lv")
    settings = bot_settings(database_url, emulator.base_url, files={"dir": f"{tmp_path}/files"})
    async with serving(settings), Api(settings.public_url, token) as api:
        cid = await open_client(database_url, api)
        async with browser() as http:
            await acts_for(anna, api, http, cid)
        async with browser() as http:
            await acts_for(janis, api, http, cid, demo="janis", code=JANIS_CODE)

        schedule = file_samples.pdf(text="Maksajumu grafiks")
        posted = await api.post(
            f"/clients/{cid}/messages",
            {
                "subject": "Trūkst dokumentu",
                "body": "Lūdzu, atsūtiet parakstītu pavadvēstuli.",
                "attachments": [
                    {
                        "name": "grafiks.pdf",
                        "content_base64": b64(schedule),
                        "doc_type": "contract",
                        "prepared_on": "2026-12-01",
                    }
                ],
            },
        )
        assert posted.status == 201, posted.body
        assert posted.body["status"] == "received" and posted.body["from_altum"] is True
        (attached,) = posted.body["documents"]
        assert attached["kind"] == "pdf" and attached["doc_type"] == "contract"
        thread_id = posted.body["thread_id"]

        pushed = await anna.reply()
        assert "A message from ALTUM" in pushed["text"] and "«Trūkst dokumentu»" in pushed["text"]
        assert "with 1 document" in pushed["text"] and buttons(pushed)[0] == "📖 Open"
        told = await janis.reply()
        assert "Ziņa no ALTUM" in told["text"] and buttons(told)[0] == "📖 Atvērt"

        await anna.say("/messages")
        listing = await anna.reply()
        assert "1 unread message" in listing["text"]
        assert (
            "<b>Trūkst dokumentu</b>" in str(listing.get("entities"))
            or "Trūkst" in (listing["text"])
        )
        assert buttons(listing)[0] == "1. 🔵 Trūkst dokumentu"

        # «Atvērt» on the push: the thread, read now.
        await anna.press(pushed, "📖 Open")
        thread = await anna.reply()
        assert "ALTUM" in thread["text"] and "pavadvēstuli" in thread["text"]
        assert "📎 grafiks.pdf — Contract, 01.12.2026" in thread["text"]
        await anna.say("/messages")
        listing = await anna.reply()
        assert "unread" not in listing["text"] and buttons(listing)[0] == "1. Trūkst dokumentu"
        assert "Trūkst dokumentu" not in bold_texts(listing)
        # Jānis has not read it, but unread is the client's: what one user read is read.

        # Anna answers with a document.
        await anna.press(thread, "↩️ Reply")
        assert "Reply to «Trūkst dokumentu»" in (await anna.reply())["text"]
        await anna.say("Pievienoju pavadvēstuli.")
        await anna.reply()
        letter = file_samples.pdf(text="Pavadvestule")
        await emu.send_document(BOT_ID, anna.user_id, letter, "pavadvēstule.pdf")
        await anna.press(await anna.reply(), "Other document")
        dated = await anna.reply()
        await anna.press(dated, buttons(dated)[0])
        await anna.press(await anna.reply(), "📨 Send")
        assert "Sent to ALTUM" in (await anna.reply())["text"]

        events = (await api.get("/events")).body["events"]
        sent = [e for e in events if e["type"] == "message.sent"]
        uploaded = [e for e in events if e["type"] == "document.uploaded"]
        assert len(sent) == 1 and len(uploaded) == 1
        assert sent[0]["thread_id"] == thread_id and sent[0]["client_id"] == cid
        message = (await api.get(f"/messages/{sent[0]['message_id']}")).body
        assert message["body"] == "Pievienoju pavadvēstuli." and message["from_altum"] is False
        assert message["subject"] == "Trūkst dokumentu"
        assert [d["id"] for d in message["documents"]] == [uploaded[0]["document_id"]]
        document = (await api.get(f"/documents/{uploaded[0]['document_id']}")).body
        assert document["name"] == "pavadvēstule.pdf" and document["doc_type"] == "other"
        assert base64.b64decode(document["content_base64"]) == letter
        assert (await api.get("/documents/999999")).status == 404

        # Into the thread: pushed again; the unread count goes up.
        again = await api.post(
            f"/clients/{cid}/messages", {"thread_id": thread_id, "body": "Paldies, saņemts."}
        )
        assert again.status == 201
        assert "«Trūkst dokumentu»" in (await anna.reply())["text"]
        await janis.reply()
        await anna.say("/messages")
        assert "1 unread message" in (await anna.reply())["text"]
        await janis.say("/messages")  # the count is the client's, in Jānis's Latvian
        latvian = await janis.reply()
        assert "Saziņa ar ALTUM" in latvian["text"] and "1 nelasīta ziņa" in latvian["text"]
        assert "Saņemta" in latvian["text"] and "✉️ Jauna ziņa" in buttons(latvian)

        # A long message: the thread comes in parts within Telegram's limit, in order.
        long_body = " ".join(f"Punkts {n}: nosacījumi & termiņi." for n in range(400))
        assert len(long_body) > 8192
        await api.post(f"/clients/{cid}/messages", {"thread_id": thread_id, "body": long_body})
        pushed_long = await anna.reply()
        await janis.reply()
        await anna.press(pushed_long, "📖 Open")
        parts = [await anna.reply()]
        while not buttons(parts[-1]):
            parts.append(await anna.reply())
        assert len(parts) >= 3 and all(len(p["text"]) <= 4096 for p in parts)
        joined = " ".join(p["text"] for p in parts)
        assert "Punkts 0:" in joined and "Punkts 399: nosacījumi & termiņi." in joined
        assert joined.index("Punkts 0:") < joined.index("Punkts 399:")

        # Refusals.
        no_subject = await api.post(f"/clients/{cid}/messages", {"body": "x"})
        assert no_subject.status == 422
        # JSON may carry U+0000; PostgreSQL's text cannot (it failed the write with a 500).
        nul = await api.post(f"/clients/{cid}/messages", {"subject": "a\u0000b", "body": "x"})
        assert nul.status == 422 and nul.body["errors"][0]["location"] == ["body", "subject"]
        web_page = await api.post(
            f"/clients/{cid}/messages",
            {
                "subject": "x",
                "body": "x",
                "attachments": [
                    {
                        "name": "ligums.pdf",
                        "content_base64": b64(file_samples.html_page()),
                        "doc_type": "contract",
                        "prepared_on": "2026-12-01",
                    }
                ],
            },
        )
        assert web_page.status == 422
        assert re.search("refused", str(web_page.body))
        other = await open_client(database_url, api, "40103888880")
        wrong = await api.post(f"/clients/{other}/messages", {"thread_id": thread_id, "body": "x"})
        assert wrong.status == 404
        reader = await make_token(database_url, "deals:read", name="reader")
        assert (await api.call("GET", f"/messages/{message['id']}", token=reader)).status == 403


async def test_the_archive_of_documents_sent_in_the_old_portal(
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
        reports = []
        for year in (2019, 2020):
            data = file_samples.pdf(text=f"Gada parskats {year}")
            imported = await api.post(
                f"/clients/{cid}/archive-documents",
                {
                    "name": f"gada-parskats-{year}.pdf",
                    "content_base64": b64(data),
                    "doc_type": "annual",
                    "prepared_on": f"{year + 1}-03-31",
                    "sent_on": f"{year + 1}-04-15",
                },
            )
            assert imported.status == 201, imported.body
            assert imported.body["sent_on"] == f"{year + 1}-04-15"
            reports.append(data)
        late = await api.post(
            f"/clients/{cid}/archive-documents",
            {
                "name": "velu.pdf",
                "content_base64": b64(reports[0]),
                "doc_type": "other",
                "prepared_on": "2022-01-20",
                "sent_on": "2022-01-22",
            },
        )
        assert late.status == 422

        await anna.say("/messages")
        await anna.press(await anna.reply(), "🗄 Archive of sent documents")
        archive = await anna.reply()
        text = archive["text"]
        assert text.index("gada-parskats-2020.pdf") < text.index("gada-parskats-2019.pdf")
        assert "Annual report, 31.03.2021, sent 15.04.2021" in text
        await anna.press(archive, "2. 📎 gada-parskats-2019.pdf")
        back = await anna.reply()
        assert await emu.download(BOT_ID, back["document"]["file_id"]) == reports[0]


async def test_a_document_of_megabytes_comes_in_and_a_larger_body_is_refused(
    database_url: str, emulator: EmulatorServer, tmp_path: Path
) -> None:
    """The web server's 1 MiB cap would refuse any document over ~760 KiB in base64; a body
    that carries files may weigh one file at the file limit (here 2 MiB) in base64 + 1 MiB.
    The token is checked before such a body is read."""
    token = await make_token(database_url)
    settings = bot_settings(
        database_url,
        emulator.base_url,
        files={"dir": f"{tmp_path}/files", "max_bytes": 2 * 1024 * 1024},
    )
    big = file_samples.pdf(size=2 * 1024 * 1024 - 4096, text="Gada parskats 2020")

    def archived(data: bytes) -> dict[str, str]:
        return {
            "name": "gada-parskats-2020.pdf",
            "content_base64": b64(data),
            "doc_type": "annual",
            "prepared_on": "2021-03-31",
            "sent_on": "2021-04-15",
        }

    async with serving(settings), Api(settings.public_url, token) as api:
        cid = await open_client(database_url, api)
        imported = await api.post(f"/clients/{cid}/archive-documents", archived(big))
        assert imported.status == 201, imported.body
        assert imported.body["size"] == len(big)
        back = await api.get(f"/documents/{imported.body['id']}")
        assert base64.b64decode(back.body["content_base64"]) == big

        sent = await api.post(
            f"/clients/{cid}/messages",
            {
                "subject": "Gada pārskats",
                "body": "Pielikumā.",
                "attachments": [{k: v for k, v in archived(big).items() if k != "sent_on"}],
            },
        )
        assert sent.status == 201, sent.body
        assert sent.body["documents"][0]["size"] == len(big)

        too_big = archived(file_samples.pdf(size=3 * 1024 * 1024, text="Par lielu"))
        refused = await api.post(f"/clients/{cid}/archive-documents", too_big)
        assert refused.status == 413
        assert refused.content_type.startswith("application/problem+json")

        stranger = await api.call(
            "POST", f"/clients/{cid}/archive-documents", archived(big), token="nobody"
        )
        assert stranger.status == 401
        reader = await make_token(database_url, "documents:read", name="reader")
        no_scope = await api.call(
            "POST", f"/clients/{cid}/archive-documents", archived(big), token=reader
        )
        assert no_scope.status == 403
