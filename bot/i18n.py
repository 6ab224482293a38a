"""gettext through aiogram's I18n; the locale is the person's choice, else Telegram's, else lv."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aiogram.types import TelegramObject, User
from aiogram.utils.i18n import I18n, I18nMiddleware

from portal import languages
from portal.ports import UnitOfWork

LOCALES = Path(__file__).resolve().parent.parent / "locales"
DOMAIN = "messages"


def create_i18n(path: Path = LOCALES) -> I18n:
    i18n = I18n(path=path, default_locale=languages.DEFAULT, domain=DOMAIN)
    missing = set(languages.SUPPORTED) - set(i18n.available_locales) - {"en"}
    if missing:
        raise RuntimeError(
            f"gettext catalogues not compiled for {sorted(missing)} under {path}: "
            "reinstall (pip install -e .) or run `pybabel compile -d locales -D messages`"
        )
    return i18n


async def locale_for(uow: UnitOfWork, user: User | None) -> str:
    if user is None:
        return languages.DEFAULT
    account = await uow.accounts.get(user.id)
    return languages.effective_language(
        chosen=account.language if account else None, telegram_language_code=user.language_code
    )


class AccountI18nMiddleware(I18nMiddleware):
    async def get_locale(self, event: TelegramObject, data: dict[str, Any]) -> str:
        return await locale_for(data["uow"], data.get("event_from_user"))
