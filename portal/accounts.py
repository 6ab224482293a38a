"""Telegram accounts: the chat side of a person, created on first contact; its language."""

from __future__ import annotations

from portal import languages
from portal.model import Action, ActivityEvent, TelegramAccount
from portal.ports import UnitOfWork


async def ensure_account(
    *,
    uow: UnitOfWork,
    telegram_user_id: int,
    first_name: str,
    username: str | None,
    language_code: str | None = None,
) -> TelegramAccount:
    """The account for this Telegram user, created on first contact."""
    account = await uow.accounts.get(telegram_user_id)
    telegram_language = (language_code or "")[:8] or None
    if account is not None:
        seen = (first_name, username, telegram_language or account.telegram_language)
        if (account.first_name, account.username, account.telegram_language) != seen:
            account.first_name, account.username, account.telegram_language = seen
            await uow.accounts.save(account)
        return account
    account = TelegramAccount(
        telegram_user_id=telegram_user_id,
        first_name=first_name,
        username=username,
        telegram_language=telegram_language,
    )
    await uow.accounts.save(account)
    await uow.activity.record(
        ActivityEvent(action=Action.ACCOUNT_CREATED, telegram_user_id=telegram_user_id)
    )
    return account


async def choose_language(
    *,
    uow: UnitOfWork,
    telegram_user_id: int,
    first_name: str,
    username: str | None,
    language: str,
    language_code: str | None = None,
) -> TelegramAccount:
    """Remember the language the person chose; it outlives restarts and devices."""
    chosen = languages.normalize(language)
    if chosen is None:
        raise languages.UnsupportedLanguage(language)
    account = await ensure_account(
        uow=uow,
        telegram_user_id=telegram_user_id,
        first_name=first_name,
        username=username,
        language_code=language_code,
    )
    if account.language != chosen:
        previous, account.language = account.language, chosen
        await uow.accounts.save(account)
        await uow.activity.record(
            ActivityEvent(
                action=Action.LANGUAGE_CHANGED,
                telegram_user_id=telegram_user_id,
                person_id=account.person_id,
                details={"from": previous, "to": chosen},
            )
        )
    return account
