"""A stand-in identity provider for `altum-bot demo`: pick a demo person on a page.

It asserts whatever the page says, so it must never run in production (settings refuse
IDENTITY_PROVIDER=demo there, and `create_identity_provider` refuses it again).
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlencode

from portal.identity import FlowStart, IdentityError, ProviderIdentity, Refusal


@dataclass(frozen=True, slots=True)
class DemoPerson:
    key: str
    subject: str
    given_name: str
    family_name: str
    note: str  # shown on the picking page: what this person can do in the demo


# Officers of the sample Company Register (bot/ops/demo_data/), with codes that pass the
# rules; and two identities the portal refuses, to show that too.
DEMO_PEOPLE = (
    DemoPerson("anna", "PK:120584-12349", "Anna", "Bērziņa", "SIA Ozolkalna Koks, signs alone"),
    DemoPerson("janis", "PK:030379-15671", "Jānis", "Kalniņš", "SIA Ozolkalna Koks, with 1 more"),
    DemoPerson("peteris", "PK:329876-12345", "Pēteris", "Ozols", "SIA Ozolkalna Koks, new code"),
    DemoPerson("ilze", "PK:250690-18905", "Ilze", "Liepa", "SIA Vējrāvas Enerģija, with all"),
    DemoPerson("marta", "PK:190775-13454", "Marta", "Zariņa", "AS Daugavas Dzirnavas, alone"),
    DemoPerson("dace", "PK:110265-16780", "Dace", "Egle", "council member: not a signatory"),
    DemoPerson("emily", "PK:071182-14568", "Emily", "Ozola", "no company in the register"),
    DemoPerson(
        "signatory", "PK:120584-12349-UR:40103999940", "Anna", "Bērziņa", "refused: company login"
    ),
    DemoPerson("authorised", "DP:120584-12349", "Anna", "Bērziņa", "refused: authorised person"),
)
PEOPLE = {person.key: person for person in DEMO_PEOPLE}
AUTHORIZE_PATH = "/demo/authorize"


class DemoProvider:
    name = "demo"

    def __init__(self, *, public_url: str) -> None:
        self._public_url = public_url.rstrip("/")

    async def start(self, *, callback_url: str) -> FlowStart:
        state = secrets.token_urlsafe(32)
        query = urlencode({"state": state, "redirect_uri": callback_url})
        return FlowStart(
            redirect_url=f"{self._public_url}{AUTHORIZE_PATH}?{query}",
            flow_state={"state": state},
        )

    async def finish(
        self, *, callback_url: str, params: Mapping[str, str], flow_state: Mapping[str, str]
    ) -> ProviderIdentity:
        if params.get("error"):
            raise IdentityError(Refusal.CANCELLED)
        expected = flow_state.get("state", "")
        if not expected or not hmac.compare_digest(params.get("state", ""), expected):
            raise IdentityError(Refusal.STATE_MISMATCH)
        person = PEOPLE.get(params.get("person", ""))
        if person is None:
            raise IdentityError(Refusal.INVALID_TOKEN, "unknown demo person")
        code = person.subject.split(":", 1)[1][:12].replace("-", "")
        return ProviderIdentity(
            provider=self.name,
            subject=person.subject,
            personal_codes=(code,),
            given_name=person.given_name,
            family_name=person.family_name,
        )
