"""A used assertion is remembered as long as the verifier would still accept it: its validity
end plus the clock skew the verifier allows, never less. On SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from saml_support import make_signing_pair, make_wresult

from integrations.identity.latvija import LatvijaProvider
from portal.accounts import ensure_account
from portal.identity import IdentityError, ProviderIdentity, Refusal
from portal.linking import link_person, replay_horizon
from portal.model import TimeLimits
from storage.database import Database
from storage.repositories import SqlUnitOfWork

REALM = "urn:federation:altum-bot"
STS = "https://epaktv.vraa.gov.lv/IVIS.LVP.STS/Default.aspx"
CALLBACK = "https://bot.example.lv/auth/callback"
WCTX = "the-wctx-from-start"
SKEW = timedelta(minutes=2)  # LatvijaProvider's default
LIMITS = TimeLimits(
    login_link=timedelta(minutes=10), login_flow=timedelta(minutes=10), confirmation=timedelta(1)
)
FLOW_TTL = LIMITS.login_flow


async def link(database: Database, identity: ProviderIdentity, *, user: int, now: datetime) -> None:
    async with database.transaction() as session:
        uow = SqlUnitOfWork(session)
        await ensure_account(uow=uow, telegram_user_id=user, first_name="Anna", username=None)
        await link_person(uow=uow, telegram_user_id=user, identity=identity, now=now, limits=LIMITS)


async def test_an_assertion_replayed_within_the_verifiers_clock_skew_is_refused(
    database_url: str,
) -> None:
    """NotOnOrAfter = T: the verifier still takes the assertion until T + skew, so a replay
    at T + 1 minute must find it remembered (before, it was forgotten at T)."""
    key_pem, cert_pem = make_signing_pair()
    issued = datetime.now(UTC).replace(microsecond=0)
    until = issued + FLOW_TTL + timedelta(minutes=20)  # longer than a flow lives
    token = make_wresult(
        key_pem=key_pem,
        cert_pem=cert_pem,
        realm=REALM,
        not_before=issued - timedelta(minutes=1),
        not_on_or_after=until,
    )
    form = {"wa": "wsignin1.0", "wctx": WCTX, "wresult": token}

    def provider(at: datetime) -> LatvijaProvider:
        return LatvijaProvider(
            sts_url=STS, realm=REALM, certificate_pem=cert_pem, clock_skew=SKEW, clock=lambda: at
        )

    async def identity_at(at: datetime) -> ProviderIdentity:
        return await provider(at).finish(
            callback_url=CALLBACK, params=form, flow_state={"wctx": WCTX}
        )

    database = Database(database_url)
    try:
        await link(database, await identity_at(issued), user=1, now=issued)
        late = until + timedelta(minutes=1)  # past NotOnOrAfter, within the skew
        replayed = await identity_at(late)  # the verifier accepts it ...
        with pytest.raises(IdentityError) as raised:  # ... and the replay cache refuses it
            await link(database, replayed, user=2, now=late)
        assert raised.value.refusal is Refusal.REPLAYED
        # Past the skew the verifier itself refuses it: nothing needs remembering any more.
        with pytest.raises(IdentityError) as expired:
            await identity_at(until + SKEW)
        assert expired.value.refusal is Refusal.EXPIRED
    finally:
        await database.dispose()


def test_the_horizon_is_the_validity_end_plus_the_skew_and_never_less() -> None:
    now = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)

    def identity(valid_until: datetime | None, skew: timedelta) -> ProviderIdentity:
        return ProviderIdentity(
            provider="oidc",
            subject="PK:12058412349",
            personal_codes=(),
            given_name="Anna",
            family_name="Bērziņa",
            assertion_id="oidc:x",
            valid_until=valid_until,
            clock_skew=skew,
        )

    long_lived = now + timedelta(hours=1)
    assert replay_horizon(identity(long_lived, SKEW), now=now, limits=LIMITS) == long_lived + SKEW
    # A short validity (or none stated, as an OAuth code's) is kept as long as a flow lives.
    short = identity(now + timedelta(seconds=30), timedelta(seconds=60))
    assert replay_horizon(short, now=now, limits=LIMITS) == now + FLOW_TTL + timedelta(seconds=60)
    assert replay_horizon(identity(None, SKEW), now=now, limits=LIMITS) == now + FLOW_TTL + SKEW
