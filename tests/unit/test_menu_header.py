"""The main menu's header: who, for which client, and what waits there (the `waiting` port,
counts with Latvian plural forms on one line), within one phone screen."""

from __future__ import annotations

from datetime import UTC, datetime

from fakes import FakeUnitOfWork

from bot.i18n import create_i18n
from dialogs.menu import main_menu_keyboard, main_menu_text, menu_view
from dialogs.routers import registered_sections
from portal.identity import NaturalPerson
from portal.model import ClientKind, NewClient, Role, TelegramAccount, Waiting

I18N = create_i18n()


async def anna_at_a_client(uow: FakeUnitOfWork) -> tuple[int, int]:
    person_id = await uow.persons.save(
        NaturalPerson(personal_code="12058412349", given_name="Anna", family_name="Bērziņa"),
        person_id=None,
    )
    client_id = await uow.clients.create(
        NewClient(
            kind=ClientKind.LEGAL_ENTITY,
            name='SIA "Ozolkalna Koks"',
            registration_number="40103999940",
            personal_code=None,
            legal_form="SIA",
            address=None,
            email="",
            phone="",
            representation_rule=None,
            representation_with_at_least=None,
            voice_password_hash=None,
            terms_version=None,
            terms_accepted_at=datetime.now(UTC),
        )
    )
    await uow.clients.add_membership(
        person_id=person_id, client_id=client_id, role=Role.MAIN, is_signatory=True
    )
    await uow.accounts.save(
        TelegramAccount(42, "Anna", person_id=person_id, current_client_id=client_id)
    )
    return person_id, client_id


async def test_the_header_says_what_waits_with_latvian_plurals() -> None:
    uow = FakeUnitOfWork()
    person_id, client_id = await anna_at_a_client(uow)
    with I18N.context(), I18N.use_locale("lv"):
        quiet = main_menu_text(await menu_view(uow, 42, counts="others"))
        assert "Ozolkalna" in quiet and "jāparaksta" not in quiet  # nothing waits: no line
        for counts, line in (
            (Waiting(signatures=1), "✍️ 1 dokuments jāparaksta"),
            (Waiting(signatures=2, drafts=11), "✍️ 2 dokumenti jāparaksta · 📝 11 melnrakstu"),
            (Waiting(drafts=21, unread=0), "📝 21 melnraksts"),
            (Waiting(unread=1234), "✉️ 1\xa0234 nelasītas ziņas"),
        ):
            uow.waiting.counts[(person_id, client_id)] = counts
            assert line in main_menu_text(await menu_view(uow, 42, counts="others")).splitlines()


async def test_the_menu_of_a_main_user_stays_within_one_screen() -> None:
    uow = FakeUnitOfWork()
    person_id, client_id = await anna_at_a_client(uow)
    uow.waiting.counts[(person_id, client_id)] = Waiting(signatures=3, drafts=2, unread=5)
    with I18N.context(), I18N.use_locale("lv"):
        view = await menu_view(uow, 42, counts="others")
        text = main_menu_text(view)
        rows = main_menu_keyboard(view, registered_sections()).inline_keyboard
    # A phone shows about 10 buttons and a short text above them without scrolling.
    assert len(text.splitlines()) <= 7 and len(rows) <= 10
