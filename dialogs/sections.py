"""What a section of the bot declares about itself, in one place, and the registry of them.

A section (logging in, choosing the client, registering, later applications, messages…)
declares in its own dialog module one `Section`: its place, its menu button and who sees it,
its line on /help's portal map, its commands with their descriptions, and its router, built
from the settings it names. `dialogs.routers.registered_sections()` collects the
declarations into one registry, ordered by place; the main menu, the portal map, every
language's command list and the router composition are derived from it, so nothing else is
kept in step by hand, and a new section touches no file but its own.

Texts are lazy (`lazy_gettext`): they are read in the person's language when shown.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from enum import IntEnum, StrEnum

from aiogram import Router
from babel.support import LazyProxy

from dialogs.uploads import FileDesk
from portal.forms import FormCatalogue
from portal.model import ReminderPolicy, TimeLimits
from portal.ports import PdfWriter
from portal.signing import Counts


@dataclass(frozen=True, slots=True)
class DialogSettings:
    """What the dialogs need from the settings, as one object (the runtime builds it)."""

    public_url: str  # the bot's web address, for login and confirmation links
    limits: TimeLimits
    # REGISTRATION_AT_LEAST_COUNTS: how the register's "with at least N" is read
    at_least_counts: Counts = "others"
    # The forms (forms/*.yaml), loaded once at start-up; none in tests that need none.
    forms: FormCatalogue = field(default_factory=lambda: FormCatalogue(()))
    files: FileDesk | None = None  # documents from the chat (None: the chat takes none)
    # SUPPORT_PHONE, SUPPORT_EMAIL: ALTUM's client support («Palīdzība», the user guide)
    support_phone: str = "+371 67774010"
    support_email: str = "altum@altum.lv"
    signature_minutes: int = 5  # SIGNATURE_CONFIRMATION_MINUTES
    # The user guide of a language as PDF bytes (CPU-bound); None: /help links the web page.
    guide: Callable[[str], bytes] | None = None
    # REMINDER_*: the default quiet hours, for «Atlikt uz rītu» and the preferences screen
    reminders: ReminderPolicy = field(default_factory=lambda: ReminderPolicy(quiet_hours=None))
    pdf: PdfWriter | None = None  # draws a submitted application's PDF for the chat


class Visibility(StrEnum):
    """Who sees a section's menu button."""

    ALWAYS = "always"
    LOGGED_IN = "logged_in"
    LOGGED_OUT = "logged_out"
    MAIN_USER = "main_user"  # a main user of the current client («Administrēšana»)

    def shows(self, *, logged_in: bool, main_user: bool = False) -> bool:
        if self is Visibility.ALWAYS:
            return True
        if self is Visibility.MAIN_USER:
            return main_user
        return (self is Visibility.LOGGED_IN) == logged_in


class Routing(IntEnum):
    """Where a section's router goes; within one kind, in the registry's order."""

    FIRST = 0  # /cancel: before every step's text handler, so that any flow can be left
    PLAIN = 1  # commands and buttons
    # Steps that take typed text: after the plain sections, so that their commands (/help,
    # /language, /logout…) still work in the middle of a flow.
    FLOW = 2


@dataclass(frozen=True, slots=True)
class MenuEntry:
    label: LazyProxy  # the button; also the section's name on the portal map
    visibility: Visibility = Visibility.ALWAYS
    # Shares its row with a half-width neighbour, so the menu stays within one phone screen.
    half: bool = False


@dataclass(frozen=True, slots=True)
class CommandEntry:
    name: str  # without the slash
    description: LazyProxy  # Telegram's command menu and the portal map


@dataclass(frozen=True, slots=True)
class Section:
    key: str  # the menu button's callback value: `MenuAction(section=key)`
    position: int  # its place in the menu, on the map and in the command list: smaller first
    router: Callable[[DialogSettings], Router]  # says which settings the section reads
    menu: MenuEntry | None = None
    help: LazyProxy | None = None  # what it does, for the portal map (with a menu entry)
    commands: tuple[CommandEntry, ...] = ()
    routing: Routing = Routing.PLAIN
    # Its own buttons, in order: the portal map's tree and the user guide list them.
    map_items: tuple[LazyProxy, ...] = ()


class Sections:
    """The registry: sections in the order people see them (menu, map, command list).

    Compared and hashed by identity, so derived keyboards can be cached per registry.
    `at_least_counts` is REGISTRATION_AT_LEAST_COUNTS, for the menu's "to sign" count: the
    runtime's registry is `configured` with the setting (`dialogs.routers.root_router`)."""

    def __init__(self, *sections: Section, at_least_counts: Counts = "others") -> None:
        for what, names in (
            ("section key", [s.key for s in sections]),
            ("position", [str(s.position) for s in sections]),
            ("command", [c.name for s in sections for c in s.commands]),
        ):
            twice = sorted({n for n in names if names.count(n) > 1})
            if twice:
                raise ValueError(f"{what} declared twice: {', '.join(twice)}")
        self._sections = tuple(sorted(sections, key=lambda section: section.position))
        self.at_least_counts: Counts = at_least_counts

    def configured(self, at_least_counts: Counts) -> Sections:
        """The same sections, reading the register's "with at least N" as the setting says."""
        if at_least_counts == self.at_least_counts:
            return self
        return Sections(*self._sections, at_least_counts=at_least_counts)

    def __iter__(self) -> Iterator[Section]:
        return iter(self._sections)

    def menu(self, *, logged_in: bool, main_user: bool = False) -> list[Section]:
        """The sections whose button this person sees, in order."""
        return [
            s
            for s in self._sections
            if s.menu and s.menu.visibility.shows(logged_in=logged_in, main_user=main_user)
        ]

    def commands(self) -> list[CommandEntry]:
        return [command for section in self._sections for command in section.commands]

    def routers(self, settings: DialogSettings) -> list[Router]:
        ordered = sorted(self._sections, key=lambda section: section.routing)  # stable
        return [section.router(settings) for section in ordered]
