"""Idempotency keys over HTTP. ALTUM's systems retry a POST whose answer they lost; with the
same `Idempotency-Key` the retry is answered as the first was (`Idempotent-Replayed: true`)
and nothing is done twice: one message, its user told once, also when the retries are in
flight at once. The same key with another request is refused (422), as is a malformed key;
another token's keys are its own; a refused request is not remembered; a key older than a
day is free again."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from api_support import Api, make_token, serving
from conftest import PersonFactory
from e2e_support import bot_settings, browser
from messages_support import acts_for, open_client
from sqlalchemy import update

from emulator import EmulatorServer
from storage.backoffice_models import ApiAnswer
from storage.database import Database


def key() -> dict[str, str]:
    return {"Idempotency-Key": str(uuid.uuid4())}


async def test_a_retried_post_is_done_once_and_answered_as_the_first(
    database_url: str, emulator: EmulatorServer, person: PersonFactory, tmp_path: Path
) -> None:
    token = await make_token(database_url)
    other = await make_token(database_url, name="erp")
    anna = await person("Anna", language_code="en")
    settings = bot_settings(database_url, emulator.base_url, files={"dir": f"{tmp_path}/files"})
    async with serving(settings), Api(settings.public_url, token) as api:
        cid = await open_client(database_url, api)
        async with browser() as http:
            await acts_for(anna, api, http, cid)
        messages = f"/clients/{cid}/messages"

        first_key = key()
        message = {"subject": "Trūkst dokumentu", "body": "Lūdzu, atsūtiet pavadvēstuli."}
        first = await api.post(messages, message, headers=first_key)
        assert first.status == 201, first.body
        assert "Idempotent-Replayed" not in first.headers
        again = await api.post(messages, message, headers=first_key)  # its answer was lost
        assert (again.status, again.body) == (201, first.body)
        assert again.headers["Idempotent-Replayed"] == "true"

        # Five retries in flight at once: one message, the others answered with it.
        at_once = key()
        second = {"subject": "Otrs", "body": "Vēl viens jautājums."}
        answers = await asyncio.gather(
            *(api.post(messages, second, headers=at_once) for _ in "12345")
        )
        assert {answer.status for answer in answers} == {201}
        assert len({answer.body["id"] for answer in answers}) == 1
        assert sum("Idempotent-Replayed" in answer.headers for answer in answers) == 4

        # The key with another request: refused, nothing written.
        reused = await api.post(messages, {"subject": "Cits", "body": "x"}, headers=first_key)
        assert reused.status == 422, reused.body
        assert reused.body["errors"][0]["location"] == ["header", "Idempotency-Key"]
        for malformed in ("x" * 256, "with space", ""):
            bad = await api.post(messages, message, headers={"Idempotency-Key": malformed})
            assert bad.status == 422, (malformed, bad.body)

        # Another token's keys are its own: its message is a new one.
        async with Api(settings.public_url, other) as erp:
            theirs = await erp.post(messages, message, headers=first_key)
        assert theirs.status == 201 and theirs.body["id"] != first.body["id"]

        # A refused request is not remembered: decided anew, then the key is free.
        refused_key = key()
        for _ in range(2):
            missing = await api.post(f"/clients/{cid + 999}/messages", message, headers=refused_key)
            assert missing.status == 404 and "Idempotent-Replayed" not in missing.headers
        third = {"subject": "Trešais", "body": "Paldies."}
        assert (await api.post(messages, third, headers=refused_key)).status == 201

        # After a day the key is free again (the housekeeping sweeps it away meanwhile).
        database = Database(database_url)
        try:
            async with database.transaction() as session:
                a_day_ago = datetime.now(UTC) - timedelta(days=1, minutes=1)
                await session.execute(update(ApiAnswer).values(created_at=a_day_ago))
        finally:
            await database.dispose()
        fourth = await api.post(messages, message, headers=first_key)
        assert fourth.status == 201 and fourth.body["id"] not in (
            first.body["id"],
            theirs.body["id"],
        )

        # Anna was told of each message once, in the order they were written.
        subjects = ["Trūkst dokumentu", "Otrs", "Trūkst dokumentu", "Trešais", "Trūkst dokumentu"]
        for subject in subjects:
            told = await anna.reply()
            assert f"«{subject}»" in told["text"], (subject, told["text"])
        await anna.say("/messages")
        assert "5 unread messages" in (await anna.reply())["text"]
