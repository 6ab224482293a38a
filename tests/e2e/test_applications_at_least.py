"""REGISTRATION_AT_LEAST_COUNTS decides who must sign everywhere, not only at registration:
Jānis and Pēteris of SIA "Ozolkalna Koks" may each sign "with at least 1". Read as "others"
(the default), that is two signatures; read as "total", one. Dace, no representative, sends a
disbursement request for signing; Jānis signs (through the Mini App and the provider). The
chat then says who still must sign — the menu's "to sign" count, the signer's reply — and
submitting is refused or allowed accordingly; the summary's button says whether Jānis signs
alone."""

from __future__ import annotations

from typing import Literal

import pytest
from api_support import Api, make_token, serving
from applications_support import client_with_deal, confirm_at_provider, fill_disbursement
from conftest import PersonFactory
from e2e_support import BOT_ID, bot_settings, buttons
from test_applications_signing import last_alert, logged_in, menu_header

from bot.ops.demo import DEMO_DATA
from bot.ops.ur_import import run_import
from bot.settings import RegistrationSettings
from emulator import EmulatorClient, EmulatorServer


@pytest.mark.parametrize("counts", ["others", "total"])
async def test_the_setting_decides_how_many_must_sign_in_the_chat(
    counts: Literal["others", "total"],
    database_url: str,
    emulator: EmulatorServer,
    emu: EmulatorClient,
    person: PersonFactory,
) -> None:
    await run_import(database_url, DEMO_DATA / "register.csv", DEMO_DATA / "officers.csv")
    token = await make_token(database_url)
    settings = bot_settings(
        database_url,
        emulator.base_url,
        registration=RegistrationSettings(at_least_counts=counts),
    )
    total = counts == "total"
    async with serving(settings), Api(settings.public_url, token) as api:
        await client_with_deal(
            api, ("janis", "main"), ("peteris", "additional"), ("dace", "additional")
        )
        janis = await logged_in(person, "Jānis", "janis", "main user")
        peteris = await logged_in(person, "Pēteris", "peteris", "additional user")
        dace = await logged_in(person, "Dace", "dace", "additional user")

        summary = await fill_disbursement(dace)
        await dace.press(summary, "📨 Send for signing")
        assert "Sent for signing" in (await dace.reply())["text"]
        prompts = {someone.user_id: await someone.reply() for someone in (janis, peteris)}
        for someone in (janis, peteris):
            assert (
                "asks you to sign «Disbursement request» (No. 1)"
                in (prompts[someone.user_id]["text"])
            )
            assert "✍️ 1 document to sign" in await menu_header(someone)

        await janis.press(prompts[janis.user_id], "✍️ Sign")
        link = await janis.reply()
        assert (await confirm_at_provider(janis, link, "janis"))[0] == 200
        signed = await janis.reply()
        told = await dace.reply()
        assert "Jānis Kalniņš signed «Disbursement request» (No. 1)" in told["text"]
        if total:  # one signature meets "with at least 1" counting everyone
            assert "Everyone needed has signed" in signed["text"]
            assert "📤 Submit to ALTUM" in buttons(signed)
            assert "to sign" not in await menu_header(peteris)
            await janis.press(signed, "📤 Submit to ALTUM")
            for someone in (janis, peteris, dace):
                assert "was submitted to ALTUM" in (await someone.reply())["text"]
            assert (await api.get("/applications/1")).body["status"] == "submitted"
        else:  # one more is needed: Pēteris still must sign, submitting is refused
            assert "Waiting for the other signatories" in signed["text"]
            assert "📤 Submit to ALTUM" not in buttons(signed)
            assert "✍️ 1 document to sign" in await menu_header(peteris)
            since = await emu.last_seq(BOT_ID)
            await emu.forge_callback(BOT_ID, janis.user_id, 1, "fa:sub:1:-1:")
            assert "signatures the Company Register's rule requires" in await last_alert(emu, since)
            assert (await api.get("/applications/1")).body["status"] == "sent_for_signing"
        assert "to sign" not in await menu_header(janis)

        # Jānis' own draft: whether his signature alone submits it follows the same setting.
        summary = await fill_disbursement(janis)
        expected = "✍️ Sign and submit" if total else "✍️ Sign and send for signing"
        assert expected in buttons(summary)
