"""Who a person is, as an identity provider says, and the rule that only natural persons get in.

Identity providers (Latvija.lv, eParaksts, any OpenID Connect provider, the demo) live in
`integrations/`; each turns its browser callback into a `ProviderIdentity` or raises
`IdentityError`. `natural_person` then decides whether the portal accepts that identity.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from portal.identifiers import InvalidPersonalCode, is_personal_code, normalize_personal_code

log = logging.getLogger(__name__)


class Refusal(StrEnum):
    """Why an identity was not accepted; each has its own message for the person."""

    CANCELLED = "cancelled"  # the person stopped at the provider
    STATE_MISMATCH = "state_mismatch"  # state / wctx / browser session do not match
    NONCE_MISMATCH = "nonce_mismatch"
    INVALID_TOKEN = "invalid_token"  # noqa: S105 - bad signature, malformed, tampered
    # An encrypted token that did not decrypt to a verified assertion; one refusal for every
    # step (key, cipher, padding, XML, signature), so the answer is no padding oracle.
    DECRYPTION_FAILED = "decryption_failed"
    WRONG_ISSUER = "wrong_issuer"
    WRONG_AUDIENCE = "wrong_audience"
    EXPIRED = "expired"  # token or assertion outside its validity window
    REPLAYED = "replayed"  # an assertion seen before
    PROVIDER_UNAVAILABLE = "provider_unavailable"  # down, slow, or answering nonsense
    NOT_NATURAL_PERSON = "not_natural_person"  # company signatory, authorised person, system
    INVALID_PERSONAL_CODE = "invalid_personal_code"  # missing, or fails the rules
    EXPIRED_LINK = "expired_link"  # the one-time link is unknown, used or too old


class IdentityError(Exception):
    def __init__(self, refusal: Refusal, detail: str = "") -> None:
        super().__init__(f"{refusal}: {detail}" if detail else str(refusal))
        self.refusal = refusal
        self.detail = detail  # for logs: never personal data


@dataclass(frozen=True, slots=True)
class ProviderIdentity:
    """What a provider asserted, checked for signature and freshness but not yet accepted.

    `subject` is who acts, in Latvija.lv's NameIdentifier form: `PK:<code>` for a natural
    person, `PK:<code>-UR:<regno>`, `DP:…`, `AU:…` for everyone else. OpenID Connect
    providers build `PK:<code>` from their personal-code claim.

    `personal_codes` are the code claims as sent: the current one first (Latvija.lv: the claim
    with an `OriginalIssuer`), then earlier ones, which may be anything the provider kept.
    `authentication_method` and `assurance_level` say how the person authenticated, as the
    provider names it (Latvija.lv: `AuthenticationMethod`, `citizenQAALevel`); empty if unknown.
    """

    provider: str
    subject: str
    personal_codes: tuple[str, ...]  # the current code first, then earlier ones
    given_name: str
    family_name: str
    authentication_method: str = ""
    assurance_level: str = ""
    assertion_id: str | None = None  # single-use id (assertion, code), for replay protection
    valid_until: datetime | None = None  # the end of its validity, as the provider stated it
    # How far past `valid_until` the provider's verifier still accepts it (its clock skew):
    # the id is remembered at least that long, or a replay in the margin would pass.
    clock_skew: timedelta = timedelta(0)


@dataclass(frozen=True, slots=True)
class NaturalPerson:
    personal_code: str  # 11 digits
    given_name: str
    family_name: str
    previous_codes: tuple[str, ...] = ()

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}".strip()


_NATURAL_SUBJECT = re.compile(r"PK:(\d{6}-?\d{5})")


def natural_person(identity: ProviderIdentity) -> NaturalPerson:
    """Accept `PK:<code>` alone with a valid personal code; refuse everyone else.

    The person is the subject's code, which must equal the current code claim (the first).
    Earlier codes that are valid are kept as history; one that is not a valid personal code
    (the test environment sends `12345678901`) is skipped and logged, never a refusal.
    """
    match = _NATURAL_SUBJECT.fullmatch(identity.subject.strip())
    if match is None:
        if identity.subject.strip().upper().startswith(("PK:", "DP:", "AU:")):
            raise IdentityError(Refusal.NOT_NATURAL_PERSON, identity.subject.split(":", 1)[0])
        raise IdentityError(Refusal.INVALID_PERSONAL_CODE, "subject is not PK:<code>")
    claims = [claim.strip() for claim in identity.personal_codes if claim.strip()]
    try:
        code = normalize_personal_code(match.group(1))
        current = normalize_personal_code(claims[0]) if claims else code
    except InvalidPersonalCode as exc:
        raise IdentityError(Refusal.INVALID_PERSONAL_CODE) from exc
    if current != code:
        raise IdentityError(Refusal.INVALID_PERSONAL_CODE, "subject and current code differ")
    earlier = [normalize_personal_code(c) for c in claims[1:] if is_personal_code(c)]
    if skipped := len(claims[1:]) - len(earlier):
        # Without the code itself: it is personal data even when it is not valid.
        log.warning(
            "identity: skipped earlier personal codes that are not valid",
            extra={"fields": {"provider": identity.provider, "skipped": skipped}},
        )
    given, family = identity.given_name.strip(), identity.family_name.strip()
    if not given and not family:
        raise IdentityError(Refusal.INVALID_TOKEN, "no name")
    return NaturalPerson(
        personal_code=code,
        given_name=_tidy_name(given),
        family_name=_tidy_name(family),
        previous_codes=tuple(c for c in dict.fromkeys(earlier) if c != code),
    )


def _tidy_name(name: str) -> str:
    """Latvija.lv sends surnames in upper case: show them as people write them."""
    return name.title() if name.isupper() else name


@dataclass(frozen=True, slots=True)
class FlowStart:
    """Where to send the browser, and what to remember (server-side) for the callback."""

    redirect_url: str
    flow_state: Mapping[str, str]
