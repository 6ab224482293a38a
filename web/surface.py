"""What the runtime hands the web pages: all they reach beyond the portal's use cases and the
dialogs' texts. The pages import neither storage nor the runtime (import-linter keeps it so);
`bot.surfaces` builds this from the running app."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Protocol, TypeVar

from aiogram.utils.i18n import I18n
from aiohttp import web

from dialogs.outgoing import Outgoing
from portal.application_pdf import Printing
from portal.forms import FormCatalogue
from portal.model import TimeLimits
from portal.ports import IdentityProvider, UnitOfWork
from portal.signing import Counts

T = TypeVar("T")


class Transactions(Protocol):
    """Runs `work` in one transaction with a unit of work and an `Outgoing`; the messages
    queued on it are written to the outbox in that transaction and sent after commit.
    Raises `Unavailable` when the database does not answer."""

    def __call__(self, work: Callable[[UnitOfWork, Outgoing], Awaitable[T]], /) -> Awaitable[T]: ...


class Unavailable(Exception):
    """The database did not answer: nothing was done, and trying later may work."""


@dataclass(frozen=True, kw_only=True, slots=True)
class Surface:
    transaction: Transactions
    i18n: I18n
    identity: IdentityProvider
    public_url: str  # the bot's own address: links, the provider's callback, Origin checks
    mini_app_key: bytes = field(repr=False)  # checks Telegram's initData (portal.miniapp)
    frame_ancestors: str  # who may show the Mini App pages in a frame (web.miniapp)
    limits: TimeLimits  # the login flow's cookie and the texts that name a limit
    registration_review: bool  # a confirmed company registration waits for ALTUM's check
    form_origins: tuple[str, ...] = ()  # where forms may send the browser besides us
    guide: Callable[[str], bytes] | None = None  # the user guide PDF of a language (CPU-bound)
    # The forms (forms/*.yaml): the signature confirmation page shows what is signed.
    forms: FormCatalogue = field(default_factory=lambda: FormCatalogue(()))
    printing: Printing | None = None  # a submission's PDF in chat (portal.application_pdf)
    # REGISTRATION_AT_LEAST_COUNTS: how the register's "with at least N" is read, for who must
    # sign (a signature confirmed here) and the main menu's "to sign" count
    at_least_counts: Counts


SURFACE = web.AppKey("altum_web_surface", Surface)
