"""A `Notifier` for use cases called from a chat handler: the notice becomes a message to its
person's chat in their language (texts in dialogs/notices.py), queued on the handler's
`Outgoing`, so it is written to the outbox in the update's transaction and sent after commit.
(The runtime's `bot.delivery.notifier.ChatNotifier` does the same for the HTTP surfaces.)"""

from __future__ import annotations

from aiogram.utils.i18n import get_i18n

from dialogs.notices import render
from dialogs.outgoing import Outgoing
from portal.model import Notice
from portal.ports import UnitOfWork


class OutgoingNotifier:
    def __init__(self, uow: UnitOfWork, outgoing: Outgoing) -> None:
        self._uow = uow
        self._outgoing = outgoing

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
        i18n = get_i18n()
        locale = account.locale if account is not None else i18n.default_locale
        with i18n.use_locale(locale):
            text, keyboard = render(notice)
        self._outgoing.send_to(chat, text, keyboard=keyboard)
