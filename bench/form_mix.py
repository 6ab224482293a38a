"""The chat bench's form mix (`bot_bench.py --mix forms`): people linked to an ALTUM client
with an active deal, each walking real forms in the chat.

Seeding goes through the portal's use cases on the bench's databases before the bots start,
as ALTUM's back office and a finished login would leave them: a client per person (a company
of their own), its active deal, the person granted access as the main user, the chat linked to
the person (`link_person`, what the identity provider's callback calls) and the client chosen
(`choose_client`, what /client does). Linking through the login page is another bench's
business; 300 people through it would measure the identity provider, not the chat.

The walk, one step a message, each waiting for all the bot's replies to it:

  /start -> «Mani darījumi» -> «📑 Aktīvie darījumi» -> the deal -> «Jauns darījuma pieteikums»
  -> «Naudas līdzekļu izsniegšana»: amount, IBAN, date, purpose (typed), «Gatavs»,
  «Saglabāt melnrakstu»;
  /start -> «Pieteikumi» -> «Jauns pieteikums» -> «Mikroaizdevums»: amount, months, purpose
  (a button), description (typed), «Gatavs», «Atcelt» (the draft is deleted);
  /start -> «Pieteikumi» -> «Pieteikumu saraksts» -> the saved draft (it reopens at the
  question where it stopped) -> «Atcelt» (deleted: nobody's drafts pile up);
  /help, free text.

Before measuring, bot_bench.py spreads the users over the walk (user i walks i steps).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from bot.delivery.notifier import ChatNotifier
from bot.i18n import create_i18n
from portal import client_users, deals
from portal.accounts import ensure_account
from portal.clients import choose_client
from portal.identity import ProviderIdentity
from portal.linking import link_person
from portal.model import ClientKind, DealData, DealStatus, NewClient, Role, TimeLimits
from storage.database import Database
from storage.repositories import SqlUnitOfWork

FIRST_USER_ID = 700_000_001  # the bench's people: Telegram ids from here on
DEAL_NUMBER = "K-2025-17"
DEAL_BUTTON = f"{DEAL_NUMBER} · Apgrozāmo līdzekļu aizdevums"
ACTOR = "api:bench"
LIMITS = TimeLimits(
    login_link=timedelta(minutes=10),
    login_flow=timedelta(minutes=10),
    confirmation=timedelta(hours=24),
)


def planned_date() -> str:
    """A date the disbursement form accepts (from today, within a year): a week from now."""
    return (date.today() + timedelta(days=7)).strftime("%d.%m.%Y")


def form_mix() -> list[tuple[str, str, int]]:
    """(kind, text or button, replies to wait for); pressed buttons are on the newest
    message with a keyboard."""
    return [
        # A deal's disbursement request, saved as a draft.
        ("text", "/start", 2),
        ("press", "💼 Mani darījumi", 1),
        ("press", "📑 Aktīvie darījumi", 1),
        ("press", DEAL_BUTTON, 1),
        ("press", "➕ Jauns darījuma pieteikums", 1),
        ("press", "Naudas līdzekļu izsniegšana", 1),
        ("text", "12 500", 1),
        ("text", "LV80BANK0000435195001", 1),
        ("text", planned_date(), 1),
        ("text", "Kokmateriāli pavasara sezonai.", 1),
        ("press", "✔️ Gatavs", 1),
        ("press", "💾 Saglabāt melnrakstu", 1),
        # A micro-loan application, cancelled.
        ("text", "/start", 2),
        ("press", "📝 Pieteikumi", 1),
        ("press", "➕ Jauns pieteikums", 1),
        ("press", "Mikroaizdevums", 1),
        ("text", "25 000", 1),
        ("text", "36", 1),
        ("press", "Investīcijas", 1),
        ("text", "Jauna kokapstrādes iekārta un tās uzstādīšana ražotnē.", 1),
        ("press", "✔️ Gatavs", 1),
        ("press", "✖️ Atcelt", 1),
        # The saved draft from the list, resumed where it stopped, and cancelled (deleted).
        ("text", "/start", 2),
        ("press", "📝 Pieteikumi", 1),
        ("press", "📋 Pieteikumu saraksts", 1),
        ("press", "Nr. …", 1),
        ("press", "✖️ Atcelt", 1),
        # The old steps.
        ("text", "/help", 1),
        ("text", "Labdien, kā iesniegt pieteikumu?", 1),
    ]


def echo_mix(mix: list[tuple[str, str, int]]) -> list[tuple[str, str, int]]:
    """The echo bot's mirror of a mix, step for step: the same texts, its one button for
    every press; one reply each (it answers every update once)."""
    return [(kind, text if kind == "text" else "Help", 1) for kind, text, _ in mix]


def personal_code(user_id: int) -> str:
    """A new-format personal code (32…, no check digit) of the bench's person."""
    return f"32{user_id - FIRST_USER_ID:09d}"


async def seed(database_url: str, user_ids: list[int]) -> None:
    """Each person linked to their own client with an active deal, the client chosen."""
    database = Database(database_url)
    now = datetime.now(UTC)
    i18n = create_i18n()
    try:
        async with database.transaction() as session:
            uow = SqlUnitOfWork(session)
            notifier = ChatNotifier(uow, i18n)
            for user_id in user_ids:
                code = personal_code(user_id)
                client_id = await uow.clients.create(
                    NewClient(
                        kind=ClientKind.LEGAL_ENTITY,
                        name=f'SIA "Bench {user_id - FIRST_USER_ID}"',
                        registration_number=None,
                        personal_code=None,
                        legal_form="SIA",
                        address=None,
                        email="birojs@example.lv",
                        phone="+37120000000",
                        representation_rule="individually",
                        representation_with_at_least=None,
                        voice_password_hash="-",
                        terms_version="-",
                        terms_accepted_at=now,
                    )
                )
                await deals.put_deal(
                    uow=uow,
                    notifier=notifier,
                    client_id=client_id,
                    number=DEAL_NUMBER,
                    data=DealData(
                        product="Apgrozāmo līdzekļu aizdevums",
                        amount=Decimal("125000"),
                        currency="EUR",
                        balance=Decimal("80000.50"),
                        start_date=now.date() - timedelta(days=200),
                        end_date=now.date() + timedelta(days=1600),
                        status=DealStatus.ACTIVE,
                    ),
                    actor=ACTOR,
                    now=now,
                )
                await client_users.grant_access(
                    uow=uow,
                    notifier=notifier,
                    client_id=client_id,
                    personal_code=code,
                    role=Role.MAIN,
                    is_signatory=True,
                    actor=ACTOR,
                    now=now,
                )
                await ensure_account(
                    uow=uow,
                    telegram_user_id=user_id,
                    first_name=f"User{user_id - FIRST_USER_ID}",
                    username=None,
                    language_code="lv",
                )
                await link_person(
                    uow=uow,
                    telegram_user_id=user_id,
                    identity=ProviderIdentity(
                        provider="latvija",
                        subject=f"PK:{code}",
                        personal_codes=(code,),
                        given_name="Bench",
                        family_name=f"LIETOTĀJS {user_id - FIRST_USER_ID}",
                    ),
                    now=now,
                    limits=LIMITS,
                )
                await choose_client(uow=uow, telegram_user_id=user_id, client_id=client_id)
            assert not notifier.outgoing.queued, "nobody was linked before: nobody is told"
    finally:
        await database.dispose()
