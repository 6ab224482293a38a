"""Registering a new client (the portal's user manual, «Jauna klienta izveide»), step by step;
/cancel leaves at any step.

Legal entity: Reģ.nr. → «Importēt no UR» → contacts → voice password (twice) → terms →
«Reģistrēties» → an e-mail link confirms. The voice password is never kept: only a hash,
and the messages that held it are deleted from the chat.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from html import escape
from typing import Any

from aiogram import F, Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import lazy_gettext as __
from aiogram.utils.i18n import ngettext

from dialogs.callbacks import MenuAction, RegistrationStep
from dialogs.clients import not_logged_in
from dialogs.keyboards import InlineKeyboardBuilder
from dialogs.menu import REGISTER, send_main_menu
from dialogs.outgoing import Outgoing
from dialogs.registration_texts import (
    confirmation_email,
    detail_text,
    refusal_text,
    rule_text,
    summary_text,
    terms_text,
    voice_prompt,
)
from dialogs.sections import (
    CommandEntry,
    DialogSettings,
    MenuEntry,
    Routing,
    Section,
    Sections,
    Visibility,
)
from portal import registration as steps
from portal.linking import linked_person
from portal.model import (
    ClientKind,
    InvalidDetail,
    NotLinked,
    RegistrationDraft,
    RegistrationRefused,
    TimeLimits,
)
from portal.ports import UnitOfWork
from portal.registration import check_company, submit

# The buttons' opaque values and the kind of client each starts.
KINDS = {"legal": ClientKind.LEGAL_ENTITY, "natural": ClientKind.NATURAL_PERSON}


class RegistrationDialog(StatesGroup):
    kind = State()
    number = State()
    company = State()
    address = State()
    email = State()
    phone = State()
    voice = State()
    voice_repeat = State()
    terms = State()
    summary = State()


def _buttons(*items: tuple[str, str]) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for text, action in items:
        builder.button(text=text, callback_data=RegistrationStep(action=action))
    builder.adjust(1)
    return builder.as_markup()


async def _draft(state: FSMContext) -> RegistrationDraft:
    return RegistrationDraft.from_dict((await state.get_data()).get("draft", {}))


async def _save(state: FSMContext, draft: RegistrationDraft, **extra: Any) -> None:
    await state.update_data(draft=draft.to_dict(), **extra)


def router(*, public_url: str, limits: TimeLimits, at_least_counts: str = "others") -> Router:
    router = Router(name="registration")
    in_flow = StateFilter(RegistrationDialog)

    async def begin(user_id: int, state: FSMContext, uow: UnitOfWork, outgoing: Outgoing) -> None:
        if await linked_person(uow=uow, telegram_user_id=user_id) is None:
            not_logged_in(outgoing)
            return
        await state.set_state(RegistrationDialog.kind)
        await state.set_data({"draft": RegistrationDraft().to_dict()})
        outgoing.send(
            _("<b>Register a new client</b>\n\nWho is the new client?"),
            keyboard=_buttons(
                (_("🏢 A legal entity (company)"), "legal"),
                (_("👤 Me, as a natural person"), "natural"),
            ),
        )

    @router.message(Command("register"))
    async def register_command(
        message: Message, state: FSMContext, uow: UnitOfWork, outgoing: Outgoing
    ) -> None:
        assert message.from_user is not None
        await begin(message.from_user.id, state, uow, outgoing)

    @router.callback_query(MenuAction.filter(F.section == REGISTER))
    async def register_button(
        query: CallbackQuery, state: FSMContext, uow: UnitOfWork, outgoing: Outgoing
    ) -> None:
        outgoing.answer_callback(query.id)
        await begin(query.from_user.id, state, uow, outgoing)

    @router.callback_query(RegistrationDialog.kind, RegistrationStep.filter(F.action.in_(KINDS)))
    async def kind_chosen(
        query: CallbackQuery,
        callback_data: RegistrationStep,
        state: FSMContext,
        uow: UnitOfWork,
        outgoing: Outgoing,
    ) -> None:
        outgoing.answer_callback(query.id)
        person = await linked_person(uow=uow, telegram_user_id=query.from_user.id)
        if person is None:
            await state.clear()
            not_logged_in(outgoing)
            return
        kind = KINDS[callback_data.action]
        await _save(state, steps.start_draft(kind, person))
        if kind is ClientKind.LEGAL_ENTITY:
            await state.set_state(RegistrationDialog.number)
            outgoing.send(_("Type the company's registration number (Reģ.nr., 11 digits)."))
        else:
            await state.set_state(RegistrationDialog.address)
            outgoing.send(_("Type your address (street, house, city, postal code)."))

    @router.message(RegistrationDialog.number, F.text)
    async def number_typed(message: Message, state: FSMContext, outgoing: Outgoing) -> None:
        assert message.text is not None
        try:
            draft = steps.with_registration_number(await _draft(state), message.text)
        except InvalidDetail as invalid:
            outgoing.send(detail_text(invalid))
            return
        await _save(state, draft)
        outgoing.send(
            _("Reg. No. {number}. Check it against the Company Register:").format(
                number=draft.registration_number
            ),
            keyboard=_buttons((_("Importēt no UR"), "import")),
        )

    @router.callback_query(RegistrationDialog.number, RegistrationStep.filter(F.action == "import"))
    async def import_pressed(
        query: CallbackQuery,
        state: FSMContext,
        uow: UnitOfWork,
        outgoing: Outgoing,
        sections: Sections,
    ) -> None:
        person = await linked_person(uow=uow, telegram_user_id=query.from_user.id)
        draft = await _draft(state)
        if person is None or draft.registration_number is None:
            outgoing.answer_callback(query.id)
            await state.clear()
            not_logged_in(outgoing)
            return
        try:
            check = await check_company(
                uow=uow,
                person=person,
                registration_number=draft.registration_number,
            )
        except RegistrationRefused as refused:
            outgoing.answer_callback(query.id)
            outgoing.send(refusal_text(refused.reason))
            if refused.reason.another_number_may_help:
                return  # they may type another number
            await state.clear()
            await send_main_menu(outgoing, uow, query.from_user.id, sections)
            return
        outgoing.answer_callback(query.id)
        await _save(state, steps.with_company(draft, check))
        await state.set_state(RegistrationDialog.company)
        lines = [
            _("<b>{name}</b>").format(name=escape(check.name)),
            _("Legal form: {form}").format(form=escape(check.legal_form or "—")),
            _("Address: {address}").format(address=escape(check.address or "—")),
            _("You: {rule}").format(rule=rule_text(check, at_least_counts)),
        ]
        if check.likely:
            lines.append(
                _(
                    "Matched by your name and the first six digits of your personal code; "
                    "ALTUM makes the final check."
                )
            )
        outgoing.send(
            "\n".join(lines),
            keyboard=_buttons((_("Continue"), "company_ok"), (_("Another number"), "renumber")),
        )

    @router.callback_query(
        RegistrationDialog.company, RegistrationStep.filter(F.action == "renumber")
    )
    async def renumber(query: CallbackQuery, state: FSMContext, outgoing: Outgoing) -> None:
        outgoing.answer_callback(query.id)
        await state.set_state(RegistrationDialog.number)
        outgoing.send(_("Type the company's registration number (Reģ.nr., 11 digits)."))

    @router.callback_query(
        RegistrationDialog.company, RegistrationStep.filter(F.action == "company_ok")
    )
    async def company_ok(query: CallbackQuery, state: FSMContext, outgoing: Outgoing) -> None:
        outgoing.answer_callback(query.id)
        await state.set_state(RegistrationDialog.email)
        outgoing.send(
            _("Type the client's contact e-mail address. I will send the confirmation link there.")
        )

    @router.message(RegistrationDialog.address, F.text)
    async def address_typed(message: Message, state: FSMContext, outgoing: Outgoing) -> None:
        assert message.text is not None
        try:
            draft = steps.with_address(await _draft(state), message.text)
        except InvalidDetail as invalid:
            outgoing.send(detail_text(invalid))
            return
        await _save(state, draft)
        await state.set_state(RegistrationDialog.email)
        outgoing.send(
            _("Type the client's contact e-mail address. I will send the confirmation link there.")
        )

    @router.message(RegistrationDialog.email, F.text)
    async def email_typed(message: Message, state: FSMContext, outgoing: Outgoing) -> None:
        assert message.text is not None
        try:
            draft = steps.with_email(await _draft(state), message.text)
        except InvalidDetail as invalid:
            outgoing.send(detail_text(invalid))
            return
        await _save(state, draft)
        await state.set_state(RegistrationDialog.phone)
        outgoing.send(_("Type the contact phone number, e.g. +371 20000000."))

    @router.message(RegistrationDialog.phone, F.text)
    async def phone_typed(message: Message, state: FSMContext, outgoing: Outgoing) -> None:
        assert message.text is not None
        try:
            draft = steps.with_phone(await _draft(state), message.text)
        except InvalidDetail as invalid:
            outgoing.send(detail_text(invalid))
            return
        await _save(state, draft)
        await state.set_state(RegistrationDialog.voice)
        outgoing.send(voice_prompt())

    @router.message(RegistrationDialog.voice, F.text)
    async def voice_typed(
        message: Message, state: FSMContext, uow: UnitOfWork, outgoing: Outgoing
    ) -> None:
        assert message.text is not None and message.from_user is not None
        outgoing.delete(message.message_id)  # the secret does not stay in the chat
        try:
            hashed = await steps.hash_voice_password(
                uow=uow, telegram_user_id=message.from_user.id, password=message.text
            )
        except InvalidDetail as invalid:
            outgoing.send(detail_text(invalid))
            return
        await state.update_data(voice_hash=hashed)
        await state.set_state(RegistrationDialog.voice_repeat)
        outgoing.send(_("Type the voice password once more."))

    @router.message(RegistrationDialog.voice_repeat, F.text)
    async def voice_repeated(message: Message, state: FSMContext, outgoing: Outgoing) -> None:
        assert message.text is not None
        outgoing.delete(message.message_id)
        data = await state.get_data()
        try:
            draft = await steps.with_voice_password(
                await _draft(state), repeated=message.text, hashed=data.get("voice_hash")
            )
        except InvalidDetail as invalid:
            await state.update_data(voice_hash=None)
            await state.set_state(RegistrationDialog.voice)
            outgoing.send(detail_text(invalid))
            return
        await _save(state, draft, voice_hash=None)
        await state.set_state(RegistrationDialog.terms)
        outgoing.send(
            terms_text(),
            keyboard=_buttons((_("I agree"), "agree"), (_("I do not agree"), "disagree")),
        )

    @router.callback_query(RegistrationDialog.terms, RegistrationStep.filter(F.action == "agree"))
    async def agreed(query: CallbackQuery, state: FSMContext, outgoing: Outgoing) -> None:
        outgoing.answer_callback(query.id)
        draft = steps.accept_terms(await _draft(state), now=datetime.now(UTC))
        await _save(state, draft)
        await state.set_state(RegistrationDialog.summary)
        outgoing.send(
            summary_text(draft),
            keyboard=_buttons((_("Reģistrēties"), "submit"), (_("Cancel"), "cancel")),
        )

    @router.callback_query(
        RegistrationDialog.terms, RegistrationStep.filter(F.action == "disagree")
    )
    @router.callback_query(in_flow, RegistrationStep.filter(F.action == "cancel"))
    async def cancelled(
        query: CallbackQuery,
        state: FSMContext,
        uow: UnitOfWork,
        outgoing: Outgoing,
        sections: Sections,
    ) -> None:
        outgoing.answer_callback(query.id)
        await state.clear()
        outgoing.send(_("Registration cancelled. Nothing was saved."))
        await send_main_menu(outgoing, uow, query.from_user.id, sections)

    @router.callback_query(
        RegistrationDialog.summary, RegistrationStep.filter(F.action == "submit")
    )
    async def submitted(
        query: CallbackQuery,
        state: FSMContext,
        uow: UnitOfWork,
        outgoing: Outgoing,
        sections: Sections,
    ) -> None:
        draft = await _draft(state)
        try:
            pending, token = await submit(
                uow=uow,
                telegram_user_id=query.from_user.id,
                draft=draft,
                now=datetime.now(UTC),
                limits=limits,
            )
        except RegistrationRefused as refused:
            outgoing.answer_callback(query.id)
            await state.clear()
            outgoing.send(refusal_text(refused.reason))
            await send_main_menu(outgoing, uow, query.from_user.id, sections)
            return
        except NotLinked:  # logged out elsewhere meanwhile
            outgoing.answer_callback(query.id)
            await state.clear()
            not_logged_in(outgoing)
            return
        outgoing.answer_callback(query.id)
        await state.clear()
        hours = limits.confirmation // timedelta(hours=1)
        subject, text = confirmation_email(
            pending.client.name, f"{public_url}/confirm/{token}", hours=hours
        )
        outgoing.email(
            to=pending.client.email,
            subject=subject,
            text=text,
            secrets=(token,),  # the confirmation link is not kept readable once sent
            expires_at=pending.expires_at,
        )
        outgoing.send(
            ngettext(
                "📧 Pabeidziet reģistrāciju apmeklējot e-pastā nosūtīto saiti!\n\n"
                "I sent a confirmation link to {email}. The client becomes active when you "
                "open it (within {count} hour).",
                "📧 Pabeidziet reģistrāciju apmeklējot e-pastā nosūtīto saiti!\n\n"
                "I sent a confirmation link to {email}. The client becomes active when you "
                "open it (within {count} hours).",
                hours,
            ).format(email=escape(pending.client.email), count=hours)
        )

    @router.message(in_flow, F.text.startswith("/"))
    async def command_in_flow(message: Message, outgoing: Outgoing) -> None:
        outgoing.send(_("You are registering a client. Finish the step, or send /cancel to stop."))

    @router.message(in_flow, F.text)
    async def text_instead_of_button(message: Message, outgoing: Outgoing) -> None:
        outgoing.send(_("Please press one of the buttons above, or send /cancel to stop."))

    @router.message(in_flow, ~F.text)
    async def not_text(message: Message, outgoing: Outgoing) -> None:
        outgoing.send(_("Please answer with text, or send /cancel to stop registering."))

    return router


def _router(settings: DialogSettings) -> Router:
    return router(
        public_url=settings.public_url,
        limits=settings.limits,
        at_least_counts=settings.at_least_counts,
    )


SECTION = Section(
    key=REGISTER,
    position=40,
    router=_router,
    menu=MenuEntry(__("➕ Register a new client"), Visibility.LOGGED_IN),
    help=__("for signatories: Company Register check, voice password, terms, e-mail confirmation."),
    commands=(CommandEntry("register", __("Register a new client")),),
    routing=Routing.FLOW,  # its steps read typed text
)
