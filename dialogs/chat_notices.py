"""The portal's `Notifier` for use cases the chat runs (a signer asked, signatures voided):
the notice in its addressee's language, queued on this update's `Outgoing`, so that it is
written to the outbox in the same transaction. The runtime's `ChatNotifier` does the same for
the HTTP surfaces; the texts are the same (`dialogs.notices.render`)."""

from __future__ import annotations

from aiogram.utils.i18n import get_i18n

from dialogs.notices import attached, render
from dialogs.outgoing import Outgoing
from portal import languages
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
                return  # not in Telegram: they see it in the list when they come
            chat = account.telegram_user_id
        else:
            return
        i18n = get_i18n()
        locale = account.locale if account is not None and account.locale else languages.DEFAULT
        with i18n.use_locale(locale):
            text, keyboard = render(notice)
        self._outgoing.send_to(chat, text, keyboard=keyboard)
        document = attached(notice)
        if document is not None:
            self._outgoing.send_stored_to(chat, document.sha256, document.name)
