"""The user guide's maker, built once for the chat («Palīdzība») and the web page alike."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from aiogram.utils.i18n import I18n

from bot.settings import Settings
from dialogs.guide import guide_pdf
from dialogs.routers import registered_sections
from integrations.pdf import FpdfWriter


def user_guide(i18n: I18n, settings: Settings) -> Callable[[str], bytes]:
    """A language's guide as PDF bytes (CPU-bound: call it in a thread)."""
    return partial(
        guide_pdf,
        i18n,
        registered_sections(),
        FpdfWriter(),
        support_phone=settings.support_phone,
        support_email=settings.support_email,
    )
