"""What waits for a person at a client, for the main menu's header."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Waiting:
    signatures: int = 0  # documents waiting for this person's signature
    drafts: int = 0  # this person's unfinished applications and questionnaires
    unread: int = 0  # messages from ALTUM not read yet

    @property
    def anything(self) -> bool:
        return bool(self.signatures or self.drafts or self.unread)
