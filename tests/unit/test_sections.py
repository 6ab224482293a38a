"""The section registry: the main menu, /help's portal map, every language's command list and
the router composition are derived from `dialogs.routers.SECTIONS`, so each contains every
registered section, and a new section shows up everywhere by being registered alone."""

from __future__ import annotations

import sys
from datetime import timedelta
from pathlib import Path

import pytest
from aiogram import Router
from aiogram.utils.i18n import lazy_gettext as __

import dialogs
from bot.i18n import create_i18n
from dialogs.callbacks import MenuAction
from dialogs.commands import bot_commands
from dialogs.help import portal_map
from dialogs.menu import MenuView, main_menu_keyboard
from dialogs.routers import registered_sections, root_router
from dialogs.sections import (
    CommandEntry,
    DialogSettings,
    MenuEntry,
    Routing,
    Section,
    Sections,
    Visibility,
)
from portal.model import ClientAccess, ClientKind, Role, TimeLimits

SETTINGS = DialogSettings(
    public_url="https://bot.example.lv",
    limits=TimeLimits(
        login_link=timedelta(minutes=10),
        login_flow=timedelta(minutes=10),
        confirmation=timedelta(hours=24),
    ),
)
I18N = create_i18n()
SECTIONS = registered_sections()


def menu_keys(sections: Sections, *, logged_in: bool) -> list[str]:
    view = MenuView(person_name="Anna Bērziņa" if logged_in else None)
    markup = main_menu_keyboard(view, sections)
    return [
        MenuAction.unpack(button.callback_data or "").section
        for row in markup.inline_keyboard
        for button in row
    ]


def router_names(sections: Sections) -> list[str]:
    return [router.name for router in root_router(SETTINGS, sections).sub_routers]


@pytest.mark.parametrize("locale", ["lv", "en"])
def test_the_menu_shows_every_section_with_a_button_to_whom_it_is_for(locale: str) -> None:
    with I18N.context(), I18N.use_locale(locale):
        for logged_in in (False, True):
            wanted = [
                s.key for s in SECTIONS if s.menu and s.menu.visibility.shows(logged_in=logged_in)
            ]
            assert menu_keys(SECTIONS, logged_in=logged_in) == wanted
        assert menu_keys(SECTIONS, logged_in=False) == ["login", "help", "language"]
        assert menu_keys(SECTIONS, logged_in=True) == [
            "clients",
            "register",
            "apps",
            "deals",
            "messages",
            "info",
            "qs",
            "profile",
            "help",
            "language",
            "logout",
        ]


def test_a_main_user_sees_administration_and_nobody_else_does() -> None:
    def keys(role: Role) -> list[str]:
        access = ClientAccess(1, "SIA X", ClientKind.LEGAL_ENTITY, role, is_signatory=False)
        markup = main_menu_keyboard(MenuView(person_name="Anna", client=access), SECTIONS)
        return [
            MenuAction.unpack(b.callback_data or "").section
            for r in markup.inline_keyboard
            for b in r
        ]

    with I18N.context(), I18N.use_locale("lv"):
        assert "admin" in keys(Role.MAIN)
        assert "admin" not in keys(Role.ADDITIONAL)
        assert "admin" not in menu_keys(SECTIONS, logged_in=True)


@pytest.mark.parametrize("locale", ["lv", "en"])
def test_the_portal_map_names_every_section_and_every_command(locale: str) -> None:
    with I18N.context(), I18N.use_locale(locale):
        text = portal_map(SECTIONS)
        for section in SECTIONS:
            if section.menu is not None:
                assert str(section.menu.label) in text
                assert section.help is not None and str(section.help) in text
            for command in section.commands:
                assert f"/{command.name}" in text


def test_every_language_lists_every_command_in_its_own_words() -> None:
    names = [command.name for section in SECTIONS for command in section.commands]
    assert names == [
        "start",
        "login",
        "client",
        "register",
        "messages",
        "help",
        "language",
        "notifications",
        "cancel",
        "logout",
    ]
    latvian, english = bot_commands(I18N, "lv"), bot_commands(I18N, "en")
    assert [c.command for c in latvian] == names == [c.command for c in english]
    assert all(lv.description != en.description for lv, en in zip(latvian, english, strict=True))
    assert english[1].description == "Log in with Latvija.lv or eParaksts"


def test_the_routers_are_composed_from_the_registry_in_routing_order() -> None:
    assert router_names(SECTIONS) == [
        "cancel",  # first: /cancel leaves any flow
        "start",
        "login",
        "clients",
        "deals",
        "information",
        "questionnaires",
        "help",
        "language",
        "notifications",
        "logout",
        "registration",  # a flow: the other sections' commands work inside it
        "application_forms",  # «Pieteikumi» with the form dialog: a flow too
        "messages",
        "quick_upload",
        "administration",
        "profile",
        "fallback",  # last: it takes everything
    ]


def test_a_new_section_shows_up_everywhere_by_being_registered() -> None:
    """What adding a section costs here: its declaration, and a place in the registry."""

    def applications_router(settings: DialogSettings) -> Router:
        assert settings.public_url == SETTINGS.public_url  # it gets the one settings object
        return Router(name="applications")

    applications = Section(
        key="applications",
        position=45,  # after «Register a new client»
        router=applications_router,
        menu=MenuEntry(__("Applications"), Visibility.LOGGED_IN),
        help=__("applications for ALTUM's programmes."),
        commands=(CommandEntry("applications", __("Applications")),),
        routing=Routing.FLOW,
    )
    extended = Sections(*SECTIONS, applications)
    with I18N.context(), I18N.use_locale("en"):
        assert menu_keys(extended, logged_in=True)[2] == "applications"
        assert "applications" not in menu_keys(extended, logged_in=False)
        assert "<b>Applications</b> — applications for ALTUM's programmes. /applications" in (
            portal_map(extended)
        )
        assert bot_commands(I18N, "en", extended)[4].command == "applications"
    names = router_names(extended)
    assert names.index("registration") < names.index("applications") < names.index("fallback")
    assert names[-1] == "fallback"


NEW_MODULE = """
from aiogram import Router
from aiogram.utils.i18n import lazy_gettext as __

from dialogs.sections import CommandEntry, MenuEntry, Routing, Section, Visibility

SECTION = Section(
    key="surveys",
    position=58,
    router=lambda settings: Router(name="surveys"),
    menu=MenuEntry(__("Surveys"), Visibility.LOGGED_IN),
    help=__("ALTUM's surveys."),
    commands=(CommandEntry("surveys", __("Surveys")),),
    routing=Routing.FLOW,
)
"""


def test_a_dialog_module_that_declares_a_section_is_all_it_takes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A new module in the dialogs package, and nothing else changed: registered."""
    (tmp_path / "zz_surveys.py").write_text(NEW_MODULE)
    monkeypatch.setattr(dialogs, "__path__", [*dialogs.__path__, str(tmp_path)])
    registered_sections.cache_clear()
    try:
        sections = registered_sections()
        assert [s.key for s in sections][3:9] == [
            "register",
            "apps",
            "deals",
            "messages",
            "quick_upload",
            "surveys",
        ]
        assert "surveys" in router_names(sections)
        assert [c.command for c in bot_commands(I18N, "en", sections)][5] == "surveys"
        with I18N.context(), I18N.use_locale("en"):
            assert "<b>Surveys</b> — ALTUM's surveys. /surveys" in portal_map(sections)
    finally:
        monkeypatch.undo()
        registered_sections.cache_clear()
        sys.modules.pop("dialogs.zz_surveys", None)
    assert "surveys" not in [s.key for s in registered_sections()]


def test_a_key_or_a_command_declared_twice_is_refused() -> None:
    login = next(s for s in SECTIONS if s.key == "login")
    with pytest.raises(ValueError, match="section key declared twice: login"):
        Sections(*SECTIONS, login)
    with pytest.raises(ValueError, match="position declared twice: 10"):
        Sections(*SECTIONS, Section(key="other", position=10, router=lambda _s: Router()))
    with pytest.raises(ValueError, match="command declared twice: help"):
        Sections(
            *SECTIONS,
            Section(
                key="other",
                position=1,
                router=lambda _s: Router(),
                commands=(CommandEntry("help", __("Help")),),
            ),
        )


def test_no_composed_filter_runs_in_a_thread() -> None:
    """aiogram runs a filter that is not a coroutine through `asyncio.to_thread`; the composed
    routers run ours inline (a thread hop per flow passed made the chat bench miss)."""

    def walk(router: Router) -> list[Router]:
        return [router, *(r for sub in router.sub_routers for r in walk(sub))]

    sync = [
        f"{router.name}.{handler.callback.__name__}"
        for router in walk(root_router(SETTINGS))
        for observer in router.observers.values()
        for handler in [*observer.handlers, observer._handler]
        for check in handler.filters or []
        if not check.awaitable
    ]
    assert sync == []
