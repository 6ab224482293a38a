"""The registry of sections and the root router composed from it.

Every dialog module declares its sections (`dialogs.sections.Section`, at module level);
`registered_sections` collects them, ordered by their declared place, so adding a section
touches no file but its own. The main menu, /help's portal map, the command lists and the
router composition below all derive from that one registry.

Router order: /cancel first (it must leave any flow), then the plain sections, then the
sections whose steps read typed text (`Routing`), each kind in registry order; the fallback
last, as it takes everything.
"""

from __future__ import annotations

import functools
import importlib
import pkgutil
from collections.abc import Awaitable, Callable
from functools import cache
from typing import Any

from aiogram import BaseMiddleware, F, Router
from aiogram.types import TelegramObject

import dialogs
from dialogs import fallback
from dialogs.sections import DialogSettings, Section, Sections


@cache
def registered_sections() -> Sections:
    """Every section the modules of `dialogs` declare, in their declared order."""
    found: dict[int, Section] = {}  # by identity: a module may import another's section
    for module_info in pkgutil.iter_modules(dialogs.__path__):
        module = importlib.import_module(f"{dialogs.__name__}.{module_info.name}")
        for value in vars(module).values():
            if isinstance(value, Section):
                found[id(value)] = value
    return Sections(*found.values())


def root_router(settings: DialogSettings, sections: Sections | None = None) -> Router:
    sections = (sections or registered_sections()).configured(settings.at_least_counts)
    root = Router(name="dialogs")
    # The portal is personal: groups and channels get nothing.
    root.message.filter(F.chat.type == "private")
    root.callback_query.filter(F.message.chat.type == "private")
    # Handlers that show the menu or the map get the registry as `sections`.
    provide = _Provide(sections=sections)
    root.message.outer_middleware(provide)
    root.callback_query.outer_middleware(provide)
    root.include_routers(*sections.routers(settings), fallback.router())
    _inline_sync_filters(root)
    return root


def _inline_sync_filters(router: Router) -> None:
    """aiogram runs a filter that is not a coroutine (a bare `State`, `F.…`) in a thread:
    a thread hop per check, and an update not yet matched checks one in every flow it
    passes. Ours only compare what the update carries, so they run inline."""
    for observer in router.observers.values():
        handlers = [*observer.handlers, getattr(observer, "_handler", None)]
        for handler in handlers:
            for check in (handler.filters or []) if handler is not None else []:
                if not check.awaitable:
                    check.callback = _awaitable(check.callback)
                    check.awaitable = True
    for sub_router in router.sub_routers:
        _inline_sync_filters(sub_router)


def _awaitable(check: Callable[..., Any]) -> Callable[..., Awaitable[Any]]:
    @functools.wraps(check)  # `inspect.unwrap` gives the filter back (the matrix reads it)
    async def inline(*args: Any, **kwargs: Any) -> Any:
        return check(*args, **kwargs)

    return inline


class _Provide(BaseMiddleware):
    def __init__(self, **values: Any) -> None:
        self._values = values

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        data.update(self._values)
        return await handler(event, data)
