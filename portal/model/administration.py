"""A main user administering their client's users in chat (the portal's «Administrēšana»)."""

from __future__ import annotations

from dataclasses import dataclass

from portal.model.clients import ClientAccess, ClientUser


class NoClientChosen(Exception):
    """The chat acts for no client now (none chosen, or access to it ended)."""


class NotMainUser(Exception):
    """Only a main user of the current client may do this."""


class LastMainUser(Exception):
    """The change would leave the client without an active main user."""


@dataclass(frozen=True, slots=True)
class Administered:
    """Who administers which client: checked again on every step."""

    person_id: int
    access: ClientAccess

    @property
    def client_id(self) -> int:
        return self.access.client_id


@dataclass(frozen=True, slots=True)
class UserLine:
    """A user as the main user sees them: signatory as the Company Register shows it."""

    user: ClientUser
    register_signatory: bool
    is_me: bool
