"""The user guide as a PDF, made from the section registry in the reader's language: the same
labels and descriptions as the menu and the portal map, so it cannot fall behind them."""

from __future__ import annotations

from html import unescape

from aiogram.utils.i18n import I18n, get_i18n
from aiogram.utils.i18n import gettext as _

from dialogs.sections import Sections
from portal.guide import user_guide
from portal.model import GuideSection, PrintedDocument
from portal.ports import PdfWriter


def guide_document(
    sections: Sections, *, support_phone: str, support_email: str
) -> PrintedDocument:
    """In the current locale."""
    listed = []
    for section in sections:
        if section.menu is None:
            continue
        listed.append(
            GuideSection(
                title=_plain(str(section.menu.label)),
                what=_plain(str(section.help or "")),
                items=tuple(_plain(str(item)) for item in section.map_items),
                commands=tuple(f"/{c.name} — {c.description}" for c in section.commands),
            )
        )
    others = [
        f"/{command.name} — {command.description}"
        for section in sections
        if section.menu is None
        for command in section.commands
    ]
    return user_guide(
        language=get_i18n().current_locale,
        title=_("ALTUM client assistant: user guide"),
        intro=_(
            "This Telegram chat brings mans.altum.lv, ALTUM's client portal, to your phone. "
            "Open the main menu with /start; each section below is a button there. Log in "
            "with Latvija.lv or eParaksts, then choose the client you act for."
        ),
        sections=listed,
        other_commands_title=_("More commands"),
        other_commands=others,
        support_title=_("Support"),
        support=(
            (_("Phone"), support_phone),
            (_("E-mail"), support_email),
            ("Web", "www.altum.lv"),
        ),
        footer=_("ALTUM client assistant · the guide follows the bot's current menu"),
    )


def _plain(text: str) -> str:
    """Menu texts may carry HTML entities for Telegram; a PDF shows them as written."""
    return unescape(text)


def guide_pdf(
    i18n: I18n,
    sections: Sections,
    writer: PdfWriter,
    locale: str,
    *,
    support_phone: str,
    support_email: str,
) -> bytes:
    """The guide in `locale` as PDF bytes (CPU-bound: call it in a thread)."""
    with i18n.context(), i18n.use_locale(locale):
        document = guide_document(
            sections, support_phone=support_phone, support_email=support_email
        )
    return writer.render(document)
