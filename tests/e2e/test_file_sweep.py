"""A file uploaded into a draft leaves the disk after «Atcelt»: the draft and its document row
go at once, and the bytes with the next sweep once older than the grace
(`altum-bot files sweep`, which says how many files and bytes, never which). ALTUM's document
in a message, as old, stays: a row names it. A rejected registration's files go the same way,
and the user guide, which only the bot's memory names, is made again after a sweep."""

from __future__ import annotations

import asyncio
import base64
import os
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from api_support import Api, make_token, serving
from applications_support import choose_client, client_with_deal, new_disbursement
from conftest import PersonFactory
from e2e_support import BOT_ID, bot_settings, browser, polling_bot
from messages_support import file_samples
from registration_walk import confirmation_link, log_in, register_company
from smtp_support import SmtpCapture

from bot.ops.demo import DEMO_DATA
from bot.ops.ur_import import run_import
from bot.settings import SmtpSettings
from emulator import EmulatorClient, EmulatorServer

ROOT = Path(__file__).resolve().parents[2]


def stored(files: Path) -> dict[str, Path]:
    return {p.name: p for p in (files / "sha256").rglob("*") if p.is_file()}


async def sweep_cli(database_url: str, files: Path) -> subprocess.CompletedProcess[str]:
    """`altum-bot files sweep`, in a thread: the bot serving in this event loop goes on."""
    return await asyncio.to_thread(_sweep_cli, database_url, files)


def _sweep_cli(database_url: str, files: Path) -> subprocess.CompletedProcess[str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"BOT_TOKEN", "APP_ENV", "WEBHOOK_SECRET", "DEMO_MODE"}
        and not key.startswith("FILES_")
    }
    env |= {"DATABASE_URL": database_url, "FILES_DIR": str(files), "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", "files", "sweep"],
        cwd=files.parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


async def test_a_cancelled_drafts_upload_leaves_files_dir_with_the_sweep(
    database_url: str,
    emulator: EmulatorServer,
    emu: EmulatorClient,
    person: PersonFactory,
    tmp_path: Path,
) -> None:
    await run_import(database_url, DEMO_DATA / "register.csv", DEMO_DATA / "officers.csv")
    token = await make_token(database_url)
    anna = await person("Anna", language_code="en")
    files = tmp_path / "files"
    settings = bot_settings(database_url, emulator.base_url, files={"dir": str(files)})
    upload = file_samples.pdf(text="Rekins 19")
    async with serving(settings), Api(settings.public_url, token) as api, browser() as http:
        cid = await client_with_deal(api, ("anna", "main"))
        await log_in(anna, http, "anna")
        await choose_client(anna, 'SIA "Ozolkalna Koks" — main user')
        letter = file_samples.pdf(text="Grafiks")
        posted = await api.post(
            f"/clients/{cid}/messages",
            {
                "subject": "Grafiks",
                "body": "Pielikumā.",
                "attachments": [
                    {
                        "name": "grafiks.pdf",
                        "content_base64": base64.b64encode(letter).decode(),
                        "doc_type": "contract",
                        "prepared_on": "2026-12-01",
                    }
                ],
            },
        )
        assert posted.status == 201, posted.body
        await anna.reply()

        await new_disbursement(anna)
        tomorrow = datetime.now(UTC).date() + timedelta(days=1)
        for typed in ("12 500", "LV80BANK0000435195001", tomorrow.strftime("%d.%m.%Y")):
            await anna.say(typed)
            await anna.reply()
        await anna.say("Raw timber for the spring season.")
        await anna.reply()
        await anna.press_newest("✔️ Done")
        await anna.reply()
        await emu.send_document(BOT_ID, anna.user_id, upload, "r.pdf")
        assert "📎 Attached: r.pdf" in (await anna.reply())["text"]
        await anna.reply()
        before = stored(files)
        assert len(before) == 2  # the letter and the upload

        # While the draft lives, even two days later, a sweep leaves both files alone.
        for path in before.values():
            os.utime(path, (time.time() - 2 * 86_400,) * 2)
        kept = await sweep_cli(database_url, files)
        assert kept.returncode == 0, kept.stderr
        assert "removed 0 stored file(s), 0 bytes" in kept.stdout
        assert stored(files) == before

        await anna.press_newest("✖️ Cancel")
        assert "cancelled and its draft deleted" in (await anna.reply())["text"]

    swept = await sweep_cli(database_url, files)
    assert swept.returncode == 0, swept.stderr
    assert f"removed 1 stored file(s), {len(upload)} bytes" in swept.stdout
    assert "r.pdf" not in swept.stdout + swept.stderr
    after = stored(files)
    assert len(after) == 1
    (left,) = after.values()
    assert left.read_bytes() == letter  # ALTUM's document: its row names it
    again = await sweep_cli(database_url, files)
    assert "removed 0 stored file(s), 0 bytes" in again.stdout


async def test_the_user_guide_made_before_a_sweep_is_made_again_after_it(
    database_url: str,
    emulator: EmulatorServer,
    emu: EmulatorClient,
    person: PersonFactory,
    tmp_path: Path,
) -> None:
    """The guide's file is named only in the bot's memory once sent: a sweep a day later
    deletes it, and the next «Lietotāja rokasgrāmata» stores it again instead of queueing a
    file that is gone."""
    anna = await person("Anna", language_code="lv")
    files = tmp_path / "files"
    settings = bot_settings(database_url, emulator.base_url, files={"dir": str(files)})
    async with polling_bot(settings), browser() as http:
        await log_in(anna, http, "anna")
        await anna.say("/help")
        shown = await anna.reply()
        await anna.press(shown, "📘 Lietotāja rokasgrāmata (PDF)")
        first = await emu.download(BOT_ID, (await anna.reply())["document"]["file_id"])
        (guide,) = stored(files).values()
        os.utime(guide, (time.time() - 2 * 86_400,) * 2)
        # Once the outbox has marked its sendDocument sent, nothing names the file.
        for _ in range(50):
            swept = await sweep_cli(database_url, files)
            if "removed 0 stored" not in swept.stdout:
                break
            await asyncio.sleep(0.1)
        assert f"removed 1 stored file(s), {len(first)} bytes" in swept.stdout, swept.stderr
        assert stored(files) == {}

        await anna.press(shown, "📘 Lietotāja rokasgrāmata (PDF)")
        again = await anna.reply()
        made_again = await emu.download(BOT_ID, again["document"]["file_id"])
        # Made anew (its creation time differs), stored, and sent from the store.
        assert made_again.startswith(b"%PDF-") and abs(len(made_again) - len(first)) < 100
        assert again["document"]["file_name"] == "ALTUM-lietotaja-rokasgramata.pdf"
        (remade,) = stored(files).values()
        assert remade.read_bytes() == made_again


async def test_a_rejected_registrations_files_leave_files_dir(
    database_url: str, emulator: EmulatorServer, person: PersonFactory, tmp_path: Path
) -> None:
    """`POST /registrations/{id}/reject` deletes the client and all its data; its documents'
    rows go with it (cascade), and the sweep takes their bytes."""
    await run_import(database_url, DEMO_DATA / "register.csv", DEMO_DATA / "officers.csv")
    token = await make_token(database_url)
    anna = await person("Anna", language_code="en")
    async with SmtpCapture() as smtp:
        settings = bot_settings(
            database_url,
            emulator.base_url,
            smtp=SmtpSettings(host="127.0.0.1", port=smtp.port, SMTP_FROM="ALTUM <bot@altum.test>"),
            files={"dir": str(tmp_path / "files")},
        )
        files = settings.files.dir
        async with serving(settings), Api(settings.public_url, token) as api, browser() as http:
            await log_in(anna, http, "anna")
            await register_company(anna, "40103999940", "anna@ozolkalns.lv")
            mails = await smtp.wait_for(1)
            async with http.post(confirmation_link(mails[0])) as page:
                assert page.status == 200, await page.text()
            await anna.replies(2)
            found = await api.get("/clients", registration_number="40103999940")
            client_id = found.body["items"][0]["id"]
            letter = file_samples.pdf(text="Noteikumi")
            posted = await api.post(
                f"/clients/{client_id}/messages",
                {
                    "subject": "Noteikumi",
                    "body": "Pielikumā.",
                    "attachments": [
                        {
                            "name": "noteikumi.pdf",
                            "content_base64": base64.b64encode(letter).decode(),
                            "doc_type": "contract",
                            "prepared_on": "2026-12-01",
                        }
                    ],
                },
            )
            assert posted.status == 201, posted.body
            await anna.reply()
            (blob,) = stored(files).values()
            os.utime(blob, (time.time() - 2 * 86_400,) * 2)
            kept = await sweep_cli(database_url, files)
            assert "removed 0 stored file(s)" in kept.stdout, kept.stderr
            assert blob.exists()

            registration_id = (await api.get("/registrations")).body["items"][0]["id"]
            rejected = await api.post(
                f"/registrations/{registration_id}/reject", {"reason": "other"}
            )
            assert rejected.status == 204
            await anna.reply()
            assert (await api.get(f"/clients/{client_id}")).status == 404

    swept = await sweep_cli(database_url, files)
    assert f"removed 1 stored file(s), {len(letter)} bytes" in swept.stdout, swept.stderr
    assert not blob.exists() and stored(files) == {}
