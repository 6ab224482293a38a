"""All conversations, composed explicitly in one place. Order matters: fallback goes last."""

from __future__ import annotations

from aiogram import F, Router

from dialogs import fallback, help, language, start


def root_router() -> Router:
    root = Router(name="dialogs")
    # The portal is personal: groups and channels get nothing.
    root.message.filter(F.chat.type == "private")
    root.callback_query.filter(F.message.chat.type == "private")
    root.include_routers(
        fallback.cancel_router(),
        start.router(),
        help.router(),
        language.router(),
        fallback.router(),
    )
    return root
