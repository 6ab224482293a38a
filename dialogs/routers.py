"""All conversations, composed explicitly in one place. Order matters: fallback goes last."""

from __future__ import annotations

from aiogram import F, Router

from dialogs import clients, fallback, help, language, login, registration, start
from portal.model import TimeLimits


def root_router(*, public_url: str, limits: TimeLimits, at_least_counts: str = "others") -> Router:
    root = Router(name="dialogs")
    # The portal is personal: groups and channels get nothing.
    root.message.filter(F.chat.type == "private")
    root.callback_query.filter(F.message.chat.type == "private")
    root.include_routers(
        fallback.cancel_router(),
        start.router(),
        help.router(),
        language.router(),
        login.router(public_url=public_url, limits=limits),
        clients.router(),
        registration.router(
            public_url=public_url,
            limits=limits,
            at_least_counts=at_least_counts,
        ),
        fallback.router(),
    )
    return root
