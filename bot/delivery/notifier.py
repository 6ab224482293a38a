"""The notifier the runtime gives use cases: a notice becomes a chat message in the person's
language (texts in dialogs/notices.py), queued in the outbox of the caller's transaction."""

from __future__ import annotations

from aiogram.utils.i18n import I18n

from dialogs.notices import attached, render
from dialogs.outgoing import Outgoing
from portal import languages
from portal.model import Notice
from portal.ports import UnitOfWork


class ChatNotifier:
    def __init__(self, uow: UnitOfWork, i18n: I18n, outgoing: Outgoing | None = None) -> None:
        self._uow = uow
        self._i18n = i18n
        self.outgoing = Outgoing(chat_id=None) if outgoing is None else outgoing

    async def notify(self, notice: Notice) -> None:
        if notice.telegram_user_id is not None:
            chat = notice.telegram_user_id
            account = await self._uow.accounts.get(chat)
        elif notice.person_id is not None:
            account = await self._uow.accounts.find_by_person(notice.person_id)
            if account is None:
                return  # not logged in with Telegram: they see it when they are
            chat = account.telegram_user_id
        else:
            return
        locale = account.locale if account is not None else languages.DEFAULT
        with self._i18n.context(), self._i18n.use_locale(locale):
            text, keyboard = render(notice)
        self.outgoing.push_to(chat, text, keyboard=keyboard)  # paced: bot/delivery/push.py
        document = attached(notice)
        if document is not None:  # after the text, paced like it
            self.outgoing.push_stored_to(chat, document.sha256, document.name)
