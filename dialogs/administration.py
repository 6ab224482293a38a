"""«Administrēšana»: a main user runs who may act for their client (MANUAL-EN §12–14).

The list of users → «Pievienot jaunu» → a personal code (checked, shown masked) → «Izveidot
jaunu lietotāju»; a user → «Labot» → «Statuss» → «Saglabāt». Every step asks the portal again
(`portal.administration`), which checks the person is a main user of the chat's client now;
buttons carry only a user id, read through that client.
"""

from __future__ import annotations

from datetime import UTC, datetime
from html import escape

from aiogram import F, Router
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import lazy_gettext as __

from dialogs.callbacks import MenuAction
from dialogs.chat_notifier import OutgoingNotifier
from dialogs.clients import not_logged_in
from dialogs.keyboards import InlineKeyboardBuilder
from dialogs.menu import CLIENTS
from dialogs.outgoing import Outgoing
from dialogs.sections import MenuEntry, Routing, Section, Visibility
from dialogs.shorten import shorten
from portal import administration
from portal.identifiers import mask_personal_code
from portal.model import (
    ClientUser,
    Invalid,
    LastMainUser,
    MembershipStatus,
    NoClientChosen,
    NotFound,
    NotLinked,
    NotMainUser,
    Role,
    UserExists,
    UserLine,
)
from portal.ports import UnitOfWork

ADMIN = "admin"


class AdminAction(CallbackData, prefix="ad"):
    """`list`, `add`, `create`; `user`, `edit`, `pick` and `save` name a user (and a status)."""

    action: str
    user_id: int = 0
    status: str = ""


class AdminFlow(StatesGroup):
    code = State()  # waiting for the new user's personal code
    confirm = State()  # the code was checked; «Izveidot jaunu lietotāju» creates the user


def user_name(user: ClientUser) -> str:
    """Their name once they logged in; until then only the masked code is known."""
    name = f"{user.given_name} {user.family_name}".strip()
    return name or mask_personal_code(user.personal_code)


def role_text(role: str) -> str:
    return _("main user") if role == Role.MAIN else _("additional user")


def status_text(status: str) -> str:
    return _("active") if status == MembershipStatus.ACTIVE else _("blocked")


def user_line(line: UserLine) -> str:
    user = line.user
    mark = "🚫 " if user.status == MembershipStatus.BLOCKED else ""
    parts = [role_text(user.role), status_text(user.status)]
    if line.register_signatory:
        parts.append(_("signatory in the Company Register"))
    if not user.linked:
        parts.append(_("not logged in yet"))
    me = _(" (you)") if line.is_me else ""
    return f"{mark}<b>{escape(user_name(user))}</b>{me} — {', '.join(parts)}"


def _button(
    builder: InlineKeyboardBuilder, text: str, action: str, user_id: int = 0, status: str = ""
) -> None:
    builder.button(
        text=text, callback_data=AdminAction(action=action, user_id=user_id, status=status)
    )


def list_keyboard(lines: list[UserLine]) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for line in lines:
        _button(
            builder,
            shorten(f"{user_name(line.user)} — {role_text(line.user.role)}", 60),
            "user",
            line.user.id,
        )
    _button(builder, _("➕ Add new"), "add")
    builder.button(text=_("⬅️ Main menu"), callback_data=MenuAction(section="main"))
    builder.adjust(1)
    return builder.as_markup()


def refusal(exc: Exception) -> str:
    if isinstance(exc, NoClientChosen):
        return _("First choose the client you act for: /client")
    if isinstance(exc, NotMainUser):
        return _("Only a main user of the client can administer its users.")
    if isinstance(exc, NotFound):
        return _("This user is no longer among the client's users.")
    raise exc


async def show_list(uow: UnitOfWork, outgoing: Outgoing, telegram_user_id: int) -> None:
    admin = await administration.administered(uow=uow, telegram_user_id=telegram_user_id)
    lines = await administration.users(uow=uow, telegram_user_id=telegram_user_id)
    text = "\n".join(
        [
            _("<b>Administration</b> — {client}").format(client=escape(admin.access.name)),
            "",
            *[user_line(line) for line in lines],
            "",
            _("Choose a user to change their status, or add a new one."),
        ]
    )
    outgoing.send(text, keyboard=list_keyboard(lines))


def _back(builder: InlineKeyboardBuilder) -> None:
    _button(builder, _("⬅️ Back"), "list")


async def show_user(
    uow: UnitOfWork, outgoing: Outgoing, telegram_user_id: int, user_id: int
) -> None:
    line = await administration.user(uow=uow, telegram_user_id=telegram_user_id, user_id=user_id)
    user = line.user
    lines = [
        f"<b>{escape(user_name(user))}</b>",
        _("Personal code: {code}").format(code=mask_personal_code(user.personal_code)),
        _("Role: {role}").format(role=role_text(user.role)),
        _("Status: {status}").format(status=status_text(user.status)),
        _("Signatory in the Company Register: {answer}").format(
            answer=_("yes") if line.register_signatory else _("no")
        ),
    ]
    if user.role == Role.MAIN:
        lines += ["", main_user_by_altum()]
    builder = InlineKeyboardBuilder()
    _button(builder, _("✏️ Edit"), "edit", user.id)
    _back(builder)
    builder.adjust(1)
    outgoing.send("\n".join(lines), keyboard=builder.as_markup())


def main_user_by_altum() -> str:
    return _(
        "A main user is made, or their role changed, only by ALTUM: send ALTUM a request "
        "signed with a qualified e-signature (write to ALTUM on mans.altum.lv, «Saziņa»), or "
        "visit an ALTUM client centre."
    )


def edit_keyboard(user_id: int, chosen: str) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for status in (MembershipStatus.ACTIVE, MembershipStatus.BLOCKED):
        mark = "🔘 " if status == chosen else "⚪ "
        _button(builder, mark + status_text(status), "pick", user_id, str(status))
    _button(builder, _("💾 Save"), "save", user_id, chosen)
    _back(builder)
    builder.adjust(2, 1, 1)
    return builder.as_markup()


async def show_edit(
    uow: UnitOfWork, outgoing: Outgoing, telegram_user_id: int, user_id: int, chosen: str
) -> None:
    line = await administration.user(uow=uow, telegram_user_id=telegram_user_id, user_id=user_id)
    if chosen not in {s.value for s in MembershipStatus}:
        chosen = line.user.status
    outgoing.send(
        _("<b>{name}</b>\nStatus: choose it, then press «Save».").format(
            name=escape(user_name(line.user))
        ),
        keyboard=edit_keyboard(user_id, chosen),
    )


def ask_code(outgoing: Outgoing) -> None:
    builder = InlineKeyboardBuilder()
    _button(builder, _("Cancel"), "list")
    outgoing.send(
        "\n\n".join(
            [
                _(
                    "<b>A new user</b>\nSend the personal code of the person who may act for "
                    "the client (for example 120584-12349). They become an additional user "
                    "and get access as soon as they log in here or on mans.altum.lv."
                ),
                main_user_by_altum(),
            ]
        ),
        keyboard=builder.as_markup(),
    )


def router() -> Router:
    router = Router(name="administration")

    @router.callback_query(MenuAction.filter(F.section == ADMIN))
    async def opened(
        query: CallbackQuery, state: FSMContext, uow: UnitOfWork, outgoing: Outgoing
    ) -> None:
        await _on_button(query, state, uow, outgoing, AdminAction(action="list"))

    @router.callback_query(AdminAction.filter())
    async def pressed(
        query: CallbackQuery,
        callback_data: AdminAction,
        state: FSMContext,
        uow: UnitOfWork,
        outgoing: Outgoing,
    ) -> None:
        await _on_button(query, state, uow, outgoing, callback_data)

    @router.message(AdminFlow.code, F.text)
    async def code_typed(
        message: Message, state: FSMContext, uow: UnitOfWork, outgoing: Outgoing
    ) -> None:
        assert message.from_user is not None and message.text is not None
        user_id = message.from_user.id
        outgoing.delete(message.message_id)  # a personal code does not stay in the chat
        try:
            await administration.administered(uow=uow, telegram_user_id=user_id)
            code = administration.checked_code(message.text)
        except Invalid:
            outgoing.send(
                _(
                    "This is not a valid personal code. Send it as 11 digits, for example "
                    "120584-12349, or press «Cancel»."
                )
            )
            return
        except (NotLinked, NoClientChosen, NotMainUser) as exc:
            await state.clear()
            _refuse_in_chat(outgoing, exc)
            return
        await state.set_state(AdminFlow.confirm)
        await state.update_data(code=code)
        builder = InlineKeyboardBuilder()
        _button(builder, _("✅ Create new user"), "create")
        _button(builder, _("Cancel"), "list")
        builder.adjust(1)
        outgoing.send(
            _("Personal code: {code}\nRole: additional user").format(code=mask_personal_code(code)),
            keyboard=builder.as_markup(),
        )

    return router


def _refuse_in_chat(outgoing: Outgoing, exc: Exception) -> None:
    if isinstance(exc, NotLinked):
        not_logged_in(outgoing)
        return
    builder = InlineKeyboardBuilder()
    if isinstance(exc, NoClientChosen):
        builder.button(text=_("🏢 Choose client"), callback_data=MenuAction(section=CLIENTS))
    builder.button(text=_("⬅️ Main menu"), callback_data=MenuAction(section="main"))
    outgoing.send(refusal(exc), keyboard=builder.as_markup())


async def _on_button(
    query: CallbackQuery,
    state: FSMContext,
    uow: UnitOfWork,
    outgoing: Outgoing,
    data: AdminAction,
) -> None:
    user_id = query.from_user.id
    try:
        answer = await _act(query, state, uow, outgoing, data)
    except (NotLinked, NoClientChosen, NotMainUser, NotFound) as exc:
        await state.clear()
        if isinstance(exc, NotLinked):
            outgoing.answer_callback(query.id)
        else:
            outgoing.answer_callback(query.id, refusal(exc), alert=True)
        _refuse_in_chat(outgoing, exc)
        return
    except LastMainUser:
        outgoing.answer_callback(
            query.id,
            _(
                "You are the client's last active main user: you cannot block yourself. "
                "ALTUM makes another main user first."
            ),
            alert=True,
        )
        await show_user(uow, outgoing, user_id, data.user_id)
        return
    outgoing.answer_callback(query.id, answer)


async def _act(
    query: CallbackQuery,
    state: FSMContext,
    uow: UnitOfWork,
    outgoing: Outgoing,
    data: AdminAction,
) -> str | None:
    """Does what the button says; returns the toast for its answer. Unknown actions (a forged
    button) are refused like a stale one."""
    user_id = query.from_user.id
    now = datetime.now(UTC)
    if data.action == "list":
        await state.clear()
        await show_list(uow, outgoing, user_id)
    elif data.action == "add":
        await administration.administered(uow=uow, telegram_user_id=user_id)
        await state.set_state(AdminFlow.code)
        ask_code(outgoing)
    elif data.action == "create":
        code = (await state.get_data()).get("code")
        if await state.get_state() != AdminFlow.confirm.state or not isinstance(code, str):
            await administration.administered(uow=uow, telegram_user_id=user_id)
            await state.clear()
            return _("This button is no longer valid. Start again with «Add new».")
        await state.clear()
        notifier = OutgoingNotifier(uow, outgoing)
        try:
            added = await administration.add_additional_user(
                uow=uow, notifier=notifier, telegram_user_id=user_id, personal_code=code, now=now
            )
        except UserExists:
            outgoing.send(_("This person already has access to the client."))
        else:
            done = (
                _("✅ {code} is now an additional user. They were told in the chat.")
                if added.linked
                else _(
                    "✅ {code} is now an additional user. They get access as soon as they log in."
                )
            )
            outgoing.send(done.format(code=mask_personal_code(added.personal_code)))
        await show_list(uow, outgoing, user_id)
    elif data.action == "user":
        await show_user(uow, outgoing, user_id, data.user_id)
    elif data.action in {"edit", "pick"}:
        await show_edit(uow, outgoing, user_id, data.user_id, data.status)
    elif data.action == "save":
        if data.status not in {s.value for s in MembershipStatus}:
            raise NotFound("status")
        changed = await administration.set_status(
            uow=uow,
            notifier=OutgoingNotifier(uow, outgoing),
            telegram_user_id=user_id,
            user_id=data.user_id,
            status=MembershipStatus(data.status),
            now=now,
        )
        outgoing.send(
            _("Saved: {name} is {status}.").format(
                name=escape(user_name(changed)), status=status_text(changed.status)
            )
        )
        await show_list(uow, outgoing, user_id)
    else:
        return _("This button is no longer valid. Send /start to open the menu again.")
    return None


SECTION = Section(
    key=ADMIN,
    position=66,
    router=lambda _settings: router(),
    menu=MenuEntry(__("👥 Administration"), Visibility.MAIN_USER, half=True),
    help=__("for main users: the client's users, adding an additional user, blocking."),
    routing=Routing.FLOW,  # its personal-code step reads typed text
    map_items=(__("➕ Add new"), __("✏️ Edit"), __("💾 Save")),
)
