"""Which ALTUM clients a person acts for, and which one the chat is acting for now.

Access is checked on every call from the memberships, never from what a button said: a
blocked membership or client disappears at once.
"""

from __future__ import annotations

from portal.model import Action, ActivityEvent, ClientAccess, ClientList, NoAccess, NotLinked
from portal.ports import UnitOfWork


async def person_of(*, uow: UnitOfWork, telegram_user_id: int) -> int:
    account = await uow.accounts.get(telegram_user_id)
    if account is None or account.person_id is None:
        raise NotLinked
    return account.person_id


async def accessible_clients(*, uow: UnitOfWork, telegram_user_id: int) -> list[ClientAccess]:
    person_id = await person_of(uow=uow, telegram_user_id=telegram_user_id)
    return await uow.clients.accessible(person_id)


async def clients_to_choose(*, uow: UnitOfWork, telegram_user_id: int) -> ClientList:
    """/client: the clients the person acts for, and which one the chat acts for now."""
    clients = await accessible_clients(uow=uow, telegram_user_id=telegram_user_id)
    account = await uow.accounts.get(telegram_user_id)
    return ClientList(clients, account.current_client_id if account else None)


async def choose_client(*, uow: UnitOfWork, telegram_user_id: int, client_id: int) -> ClientAccess:
    """Make `client_id` the chat's current client, if the person still acts for it."""
    person_id = await person_of(uow=uow, telegram_user_id=telegram_user_id)
    access = await uow.clients.access(person_id, client_id)
    if access is None:
        raise NoAccess
    account = await uow.accounts.get(telegram_user_id)
    assert account is not None
    if account.current_client_id != client_id:
        previous, account.current_client_id = account.current_client_id, client_id
        await uow.accounts.save(account)
        await uow.activity.record(
            ActivityEvent(
                action=Action.CLIENT_SWITCHED,
                telegram_user_id=telegram_user_id,
                person_id=person_id,
                client_id=client_id,
                details={"from": previous},
            )
        )
    return access


async def current_client(*, uow: UnitOfWork, telegram_user_id: int) -> ClientAccess | None:
    """The client the chat acts for, checked again now; forgotten when access ended."""
    account = await uow.accounts.get(telegram_user_id)
    if account is None or account.person_id is None or account.current_client_id is None:
        return None
    access = await uow.clients.access(account.person_id, account.current_client_id)
    if access is None:
        lost, account.current_client_id = account.current_client_id, None
        await uow.accounts.save(account)
        await uow.activity.record(
            ActivityEvent(
                action=Action.CLIENT_ACCESS_LOST,
                telegram_user_id=telegram_user_id,
                person_id=account.person_id,
                client_id=lost,
            )
        )
    return access


async def acting_for(*, uow: UnitOfWork, telegram_user_id: int) -> tuple[int, ClientAccess]:
    """The person the chat acts as and the client it acts for now (checked again): what every
    use case on the current client's applications, questionnaires… starts from. Raises
    `NotLinked` without a linked person, `NoAccess` without a current client."""
    person_id = await person_of(uow=uow, telegram_user_id=telegram_user_id)
    access = await current_client(uow=uow, telegram_user_id=telegram_user_id)
    if access is None:
        raise NoAccess
    return person_id, access
