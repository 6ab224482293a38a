"""The OpenID Connect identity provider, against a real provider and against a crafted one.

The real one is node-oidc-provider (oidc_support.OidcTestProvider): the full browser round
trip, PKCE, state, replay, consent denied. The crafted one (FakeIdp, aiohttp.web) hands out
whatever ID token a test signs, to show that each check on the token refuses what it should.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import ipaddress
import json
import socket
import ssl
import tempfile
import time
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, parse_qsl, urlsplit

import aiohttp
import jwt
import pytest
from aiohttp import web
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID
from oidc_support import OidcTestProvider, browser_login

import integrations.identity.oidc as oidc_module
from integrations.identity.oidc import OidcEndpoints, OidcProvider
from portal.accounts import ensure_account
from portal.identity import (
    FlowStart,
    IdentityError,
    ProviderIdentity,
    Refusal,
    natural_person,
)
from portal.linking import link_person
from portal.model import TimeLimits
from storage.database import Database
from storage.repositories import SqlUnitOfWork

CALLBACK = "http://127.0.0.1:9/oidc/callback"  # never requested: the tests read the redirect
CODE = "01019012349"  # a valid old-format personal code
SERIAL = "PNOLV-010190-12349"
NEW_CODE = "32345678901"  # a valid new-format personal code
LIMITS = TimeLimits(
    login_link=timedelta(minutes=10), login_flow=timedelta(minutes=10), confirmation=timedelta(1)
)


def query(url: str) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(url).query))


def assert_no_secrets(error: IdentityError, *secrets: str) -> None:
    text = f"{error} {error.detail}"
    for secret in secrets:
        assert secret not in text


# --- against the real provider (node-oidc-provider) ---------------------------------------

ACCOUNTS = {
    "anna": {
        "serial_number": SERIAL,
        "given_name": "Anna",
        "family_name": "Bērziņa",
        "domain": "citizen",
        "personal_code": CODE,
    },
    "janis": {
        "given_name": "Jānis",
        "family_name": "Ozols",
        "personal_code": NEW_CODE,
        "name_identifier": f"PK:{NEW_CODE}",  # Latvija.lv's NameIdentifier, passed on
        "subject_type": "natural",
    },
    "eesti": {"serial_number": "PNOEE-38001085718", "given_name": "Mari", "family_name": "Tamm"},
    # A board member who logged in at Latvija.lv for the company: the broker passes on the
    # NameIdentifier of a company signatory, and her own personal code as a claim.
    "signatory": {
        "given_name": "Anna",
        "family_name": "Bērziņa",
        "personal_code": CODE,
        "name_identifier": f"PK:{CODE}-UR:40103999940",
        "subject_type": "legal_representative",
    },
    # A broker that passes on the code but not who logged in.
    "unsaid": {"given_name": "Anna", "family_name": "Bērziņa", "personal_code": CODE},
}


@pytest.fixture
async def idp() -> AsyncIterator[OidcTestProvider]:
    async with OidcTestProvider(redirect_uris=[CALLBACK], accounts=ACCOUNTS) as provider:
        yield provider


@pytest.fixture
async def browser() -> AsyncIterator[aiohttp.ClientSession]:
    # unsafe=True: the provider sets its cookies from 127.0.0.1, an IP address.
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
        yield session


def relying_party(idp: OidcTestProvider, **options: Any) -> OidcProvider:
    return OidcProvider(
        issuer=idp.issuer, client_id=idp.client_id, client_secret=idp.client_secret, **options
    )


async def round_trip(
    provider: OidcProvider,
    browser: aiohttp.ClientSession,
    account: str,
    *,
    consent: bool = True,
) -> tuple[FlowStart, dict[str, str]]:
    start = await provider.start(callback_url=CALLBACK)
    final = await browser_login(browser, start.redirect_url, account, consent=consent)
    assert final.startswith(CALLBACK + "?")
    return start, query(final)


async def test_eparaksts_happy_path_reads_the_id_token(
    idp: OidcTestProvider, browser: aiohttp.ClientSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    provider = relying_party(idp)

    async def no_userinfo(*args: object, **kwargs: object) -> dict[str, Any]:
        raise AssertionError("the ID token holds the claims: userinfo is not needed")

    monkeypatch.setattr(provider, "_userinfo", no_userinfo)
    try:
        start, params = await round_trip(provider, browser, "anna")
        sent = query(start.redirect_url)
        assert sent["scope"] == "openid urn:lvrtc:fpeil:aa"
        assert sent["code_challenge_method"] == "S256"
        assert sent["state"] == start.flow_state["state"]
        assert sent["nonce"] == start.flow_state["nonce"]
        challenge = hashlib.sha256(start.flow_state["code_verifier"].encode()).digest()
        assert sent["code_challenge"] == base64.urlsafe_b64encode(challenge).rstrip(b"=").decode()

        identity = await provider.finish(
            callback_url=CALLBACK, params=params, flow_state=start.flow_state
        )
    finally:
        await provider.close()
    assert identity.provider == "oidc"
    assert identity.subject == f"PK:{CODE}"
    assert identity.personal_codes == (CODE,)
    assert (identity.given_name, identity.family_name) == ("Anna", "Bērziņa")
    assert identity.assertion_id is not None and identity.assertion_id.startswith("oidc:")
    assert len(identity.assertion_id) == len("oidc:") + 64
    assert identity.valid_until is not None
    assert datetime.now(UTC) < identity.valid_until < datetime.now(UTC) + timedelta(days=1)
    person = natural_person(identity)
    assert person.personal_code == CODE and person.full_name == "Anna Bērziņa"


async def test_generic_preset_reads_the_named_claim(
    idp: OidcTestProvider, browser: aiohttp.ClientSession
) -> None:
    provider = relying_party(idp, preset="generic")
    try:
        start, params = await round_trip(provider, browser, "janis")
        assert query(start.redirect_url)["scope"] == "openid profile"
        identity = await provider.finish(
            callback_url=CALLBACK, params=params, flow_state=start.flow_state
        )
    finally:
        await provider.close()
    assert identity.subject == f"PK:{NEW_CODE}"
    assert identity.personal_codes == (NEW_CODE,)
    assert (identity.given_name, identity.family_name) == ("Jānis", "Ozols")
    assert natural_person(identity).personal_code == NEW_CODE


async def test_generic_preset_with_another_claim_name(
    idp: OidcTestProvider, browser: aiohttp.ClientSession
) -> None:
    provider = relying_party(
        idp,
        preset="generic",
        personal_code_claim="serial_number",
        scope="openid profile",
        subject_claim="subject_type",
        natural_person_types=("natural",),
    )
    try:
        start, params = await round_trip(provider, browser, "janis")
        with pytest.raises(IdentityError) as raised:
            # profile does not release serial_number: no code at all
            await provider.finish(callback_url=CALLBACK, params=params, flow_state=start.flow_state)
    finally:
        await provider.close()
    assert raised.value.refusal is Refusal.INVALID_PERSONAL_CODE


@pytest.mark.parametrize(
    "options",
    [{}, {"subject_claim": "subject_type", "natural_person_types": ("natural",)}],
    ids=["name-identifier", "subject-type"],
)
async def test_generic_preset_refuses_a_company_signatory_the_broker_asserts(
    idp: OidcTestProvider, browser: aiohttp.ClientSession, options: dict[str, Any]
) -> None:
    """The natural-person rule reads what the broker asserted, not a `PK:` we would build
    from the personal-code claim (a company signatory has a personal code too)."""
    provider = relying_party(idp, preset="generic", **options)
    try:
        start, params = await round_trip(provider, browser, "signatory")
        identity = None
        with pytest.raises(IdentityError) as raised:
            identity = await provider.finish(
                callback_url=CALLBACK, params=params, flow_state=start.flow_state
            )
            natural_person(identity)
        # The same broker still lets a natural person in (another browser: a new session).
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as other:
            start, params = await round_trip(provider, other, "janis")
        janis = await provider.finish(
            callback_url=CALLBACK, params=params, flow_state=start.flow_state
        )
    finally:
        await provider.close()
    assert raised.value.refusal is Refusal.NOT_NATURAL_PERSON
    assert_no_secrets(raised.value, CODE, "40103999940", "Anna")
    assert natural_person(janis).personal_code == NEW_CODE


async def test_generic_preset_refuses_a_broker_that_does_not_say_who_logged_in(
    idp: OidcTestProvider, browser: aiohttp.ClientSession
) -> None:
    provider = relying_party(idp, preset="generic")
    try:
        start, params = await round_trip(provider, browser, "unsaid")
        with pytest.raises(IdentityError) as raised:
            await provider.finish(callback_url=CALLBACK, params=params, flow_state=start.flow_state)
    finally:
        await provider.close()
    assert raised.value.refusal is Refusal.INVALID_TOKEN
    assert "name_identifier" in raised.value.detail


async def test_real_provider_foreign_serial_number_is_refused(
    idp: OidcTestProvider, browser: aiohttp.ClientSession
) -> None:
    provider = relying_party(idp)
    try:
        start, params = await round_trip(provider, browser, "eesti")
        with pytest.raises(IdentityError) as raised:
            await provider.finish(callback_url=CALLBACK, params=params, flow_state=start.flow_state)
    finally:
        await provider.close()
    assert raised.value.refusal is Refusal.INVALID_PERSONAL_CODE
    assert_no_secrets(raised.value, "38001085718", "Mari", "Tamm")


async def test_state_mismatch_is_refused_before_the_code_is_spent(
    idp: OidcTestProvider, browser: aiohttp.ClientSession
) -> None:
    provider = relying_party(idp)
    try:
        start, params = await round_trip(provider, browser, "anna")
        for forged in (
            {**params, "state": "x" * 43},
            {k: v for k, v in params.items() if k != "state"},
        ):
            with pytest.raises(IdentityError) as raised:
                await provider.finish(
                    callback_url=CALLBACK, params=forged, flow_state=start.flow_state
                )
            assert raised.value.refusal is Refusal.STATE_MISMATCH
        # Another browser's flow: its state does not match this callback.
        other = await provider.start(callback_url=CALLBACK)
        with pytest.raises(IdentityError) as raised:
            await provider.finish(callback_url=CALLBACK, params=params, flow_state=other.flow_state)
        assert raised.value.refusal is Refusal.STATE_MISMATCH
        # The refusals did not redeem the code: the genuine callback still works.
        identity = await provider.finish(
            callback_url=CALLBACK, params=params, flow_state=start.flow_state
        )
        assert identity.subject == f"PK:{CODE}"
    finally:
        await provider.close()


async def test_replayed_callback_is_refused(
    idp: OidcTestProvider, browser: aiohttp.ClientSession
) -> None:
    provider = relying_party(idp)
    try:
        start, params = await round_trip(provider, browser, "anna")
        first = await provider.finish(
            callback_url=CALLBACK, params=params, flow_state=start.flow_state
        )
        assert first.subject == f"PK:{CODE}"
        with pytest.raises(IdentityError) as raised:
            await provider.finish(callback_url=CALLBACK, params=params, flow_state=start.flow_state)
    finally:
        await provider.close()
    assert raised.value.refusal is Refusal.INVALID_TOKEN
    assert_no_secrets(raised.value, params["code"])


async def test_pkce_verifier_is_checked_by_the_provider(
    idp: OidcTestProvider, browser: aiohttp.ClientSession
) -> None:
    provider = relying_party(idp)
    try:
        start, params = await round_trip(provider, browser, "anna")
        forged = {**start.flow_state, "code_verifier": "A" * 64}
        with pytest.raises(IdentityError) as raised:
            await provider.finish(callback_url=CALLBACK, params=params, flow_state=forged)
    finally:
        await provider.close()
    assert raised.value.refusal is Refusal.INVALID_TOKEN


async def test_wrong_client_secret_is_refused(
    idp: OidcTestProvider, browser: aiohttp.ClientSession
) -> None:
    provider = OidcProvider(issuer=idp.issuer, client_id=idp.client_id, client_secret="wrong")
    try:
        start, params = await round_trip(provider, browser, "anna")
        with pytest.raises(IdentityError) as raised:
            await provider.finish(callback_url=CALLBACK, params=params, flow_state=start.flow_state)
    finally:
        await provider.close()
    assert raised.value.refusal is Refusal.INVALID_TOKEN
    assert_no_secrets(raised.value, "wrong")


async def test_denied_consent_is_cancelled(
    idp: OidcTestProvider, browser: aiohttp.ClientSession
) -> None:
    provider = relying_party(idp)
    try:
        start, params = await round_trip(provider, browser, "anna", consent=False)
        assert params["error"] == "access_denied"
        assert "code" not in params
        with pytest.raises(IdentityError) as raised:
            await provider.finish(callback_url=CALLBACK, params=params, flow_state=start.flow_state)
    finally:
        await provider.close()
    assert raised.value.refusal is Refusal.CANCELLED


async def test_callback_iss_of_another_provider_is_refused(
    idp: OidcTestProvider, browser: aiohttp.ClientSession
) -> None:
    """RFC 9207: the provider names itself in the callback; a mix-up shows there."""
    provider = relying_party(idp)
    try:
        start, params = await round_trip(provider, browser, "anna")
        assert params["iss"] == idp.issuer
        for forged in (
            {**params, "iss": "https://evil.example"},
            {k: v for k, v in params.items() if k != "iss"},
        ):
            with pytest.raises(IdentityError) as raised:
                await provider.finish(
                    callback_url=CALLBACK, params=forged, flow_state=start.flow_state
                )
            assert raised.value.refusal is Refusal.WRONG_ISSUER
    finally:
        await provider.close()


async def test_test_provider_leaves_no_process() -> None:
    async with OidcTestProvider(redirect_uris=[CALLBACK], accounts=ACCOUNTS) as idp:
        port = idp.port
        process = idp._process
        assert process is not None
    assert process.returncode is not None
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", port)) != 0


# --- against a crafted provider -----------------------------------------------------------

CLIENT_ID = "altum-bot"
CLIENT_SECRET = "a-client-secret-long-enough-for-hs256-keys"


def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def public_jwk(key: Any, kid: str, alg: str) -> dict[str, Any]:
    algorithm = jwt.get_algorithm_by_name(alg)
    jwk: dict[str, Any] = json.loads(algorithm.to_jwk(key.public_key()))
    return {**jwk, "kid": kid, "use": "sig", "alg": alg}


class FakeIdp:
    """Discovery, JWKS, token and userinfo endpoints; the ID token is whatever a test signs."""

    def __init__(self, *, tls: ssl.SSLContext | None = None) -> None:
        self.tls = tls
        self.plain_http: set[str] = set()  # endpoints discovery names with http://
        self.key = rsa_key()
        self.kid = "fake-1"
        self.jwks: list[dict[str, Any]] = [public_jwk(self.key, self.kid, "RS256")]
        self.issuer = ""
        self.discovered_issuer: str | None = None
        self.auth_methods = ["client_secret_basic", "client_secret_post"]
        self.id_token = ""
        self.token_status = 200
        self.token_body: str | None = None
        self.userinfo: dict[str, Any] = {}
        self.delay = 0.0
        self.userinfo_delay = 0.0
        self.token_requests: list[tuple[dict[str, str], str | None]] = []
        self.userinfo_requests: list[str | None] = []
        self.jwks_fetches = 0
        self.discovery = True  # False: no discovery document (404), as eParaksts
        self.endpoint_base: str | None = None  # where discovery says the endpoints are
        self._runner: web.AppRunner | None = None
        self._released = asyncio.Event()

    async def __aenter__(self) -> FakeIdp:
        app = web.Application()
        app.router.add_get("/.well-known/openid-configuration", self._discovery)
        app.router.add_get("/jwks", self._jwks)
        app.router.add_post("/token", self._token)
        app.router.add_get("/userinfo", self._userinfo)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0, ssl_context=self.tls)
        await site.start()
        port = self._runner.addresses[0][1]
        self.issuer = f"{'https' if self.tls else 'http'}://127.0.0.1:{port}"
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._runner is not None
        self._released.set()  # slow handlers return at once
        await self._runner.cleanup()
        self._released = asyncio.Event()

    async def _pause(self, delay: float | None = None) -> None:
        delay = self.delay if delay is None else delay
        if delay:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._released.wait(), delay)

    async def _discovery(self, request: web.Request) -> web.Response:
        await self._pause()
        if not self.discovery:
            return web.json_response({"error": "not found"}, status=404)
        base = self.endpoint_base or self.issuer
        paths = {
            "authorization_endpoint": "/authorize",
            "token_endpoint": "/token",
            "jwks_uri": "/jwks",
            "userinfo_endpoint": "/userinfo",
        }
        urls = {
            name: (base.replace("https://", "http://") if name in self.plain_http else base) + path
            for name, path in paths.items()
        }
        return web.json_response(
            {
                "issuer": self.discovered_issuer or self.issuer,
                **urls,
                "token_endpoint_auth_methods_supported": self.auth_methods,
            }
        )

    async def _jwks(self, request: web.Request) -> web.Response:
        self.jwks_fetches += 1
        return web.json_response({"keys": self.jwks})

    async def _token(self, request: web.Request) -> web.Response:
        form = {k: v for k, v in (await request.post()).items() if isinstance(v, str)}
        self.token_requests.append((form, request.headers.get("Authorization")))
        await self._pause()
        if self.token_body is not None:
            return web.Response(status=self.token_status, text=self.token_body)
        if self.token_status != 200:
            return web.json_response({"error": "invalid_grant"}, status=self.token_status)
        return web.json_response(
            {"access_token": "AT-123", "token_type": "Bearer", "id_token": self.id_token}
        )

    async def _userinfo(self, request: web.Request) -> web.Response:
        self.userinfo_requests.append(request.headers.get("Authorization"))
        await self._pause(self.userinfo_delay)
        return web.json_response(self.userinfo)

    def claims(self, start: FlowStart, **changes: Any) -> dict[str, Any]:
        """Valid claims for this flow; a change of None removes the claim."""
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "sub": "subject-1",
            "aud": CLIENT_ID,
            "exp": now + 300,
            "iat": now,
            "nonce": start.flow_state["nonce"],
            "serial_number": SERIAL,
            "given_name": "Anna",
            "family_name": "Bērziņa",
        }
        claims.update(changes)
        return {k: v for k, v in claims.items() if v is not None}

    def sign(
        self, claims: dict[str, Any], *, key: Any = None, alg: str = "RS256", kid: str | None = None
    ) -> str:
        return jwt.encode(
            claims,
            key if key is not None else self.key,
            algorithm=alg,
            headers={"kid": kid or self.kid},
        )


@pytest.fixture
async def fake() -> AsyncIterator[FakeIdp]:
    async with FakeIdp() as idp:
        yield idp


@pytest.fixture
async def client(fake: FakeIdp) -> AsyncIterator[OidcProvider]:
    provider = OidcProvider(issuer=fake.issuer, client_id=CLIENT_ID, client_secret=CLIENT_SECRET)
    yield provider
    await provider.close()


async def finish_with(
    fake: FakeIdp,
    client: OidcProvider,
    make_token: Callable[[FlowStart], str],
) -> ProviderIdentity:
    start = await client.start(callback_url=CALLBACK)
    fake.id_token = make_token(start)
    params = {"code": "the-code", "state": start.flow_state["state"]}
    return await client.finish(callback_url=CALLBACK, params=params, flow_state=start.flow_state)


async def finish_flow(provider: OidcProvider, start: FlowStart) -> ProviderIdentity:
    """The browser came back to the callback with a code and the flow's own state."""
    params = {"code": "c", "state": start.flow_state["state"]}
    return await provider.finish(callback_url=CALLBACK, params=params, flow_state=start.flow_state)


async def refused(
    fake: FakeIdp, client: OidcProvider, make_token: Callable[[FlowStart], str]
) -> IdentityError:
    with pytest.raises(IdentityError) as raised:
        await finish_with(fake, client, make_token)
    assert_no_secrets(raised.value, fake.id_token or "\0", CODE, "Anna", "Bērziņa", "AT-123")
    return raised.value


async def test_crafted_valid_token_is_accepted(fake: FakeIdp, client: OidcProvider) -> None:
    """The baseline for the refusals below: the same provider, a good token."""
    start = await client.start(callback_url=CALLBACK)
    fake.id_token = fake.sign(fake.claims(start))
    params = {"code": "the-code", "state": start.flow_state["state"]}
    identity = await client.finish(
        callback_url=CALLBACK, params=params, flow_state=start.flow_state
    )
    assert identity.subject == f"PK:{CODE}"
    # The replay key is the code (per issuer); kept until exp plus the leeway the check allows.
    code_key = hashlib.sha256(f"{fake.issuer}\nthe-code".encode()).hexdigest()
    assert identity.assertion_id == "oidc:" + code_key
    assert identity.valid_until == datetime.fromtimestamp(fake.claims(start)["exp"], UTC)
    assert identity.clock_skew == timedelta(seconds=60)
    assert fake.userinfo_requests == []  # the ID token had everything
    ((form, authorization),) = fake.token_requests
    assert form == {
        "grant_type": "authorization_code",
        "code": "the-code",
        "redirect_uri": CALLBACK,
        "code_verifier": start.flow_state["code_verifier"],
    }
    assert authorization is not None
    credentials = base64.b64decode(authorization.removeprefix("Basic ")).decode()
    assert credentials == f"{CLIENT_ID}:{CLIENT_SECRET}"
    url = urlsplit(start.redirect_url)
    assert f"{url.scheme}://{url.netloc}{url.path}" == f"{fake.issuer}/authorize"


async def test_client_secret_post_when_basic_is_not_offered(
    fake: FakeIdp, client: OidcProvider
) -> None:
    fake.auth_methods = ["client_secret_post"]
    await finish_with(fake, client, lambda start: fake.sign(fake.claims(start)))
    ((form, authorization),) = fake.token_requests
    assert authorization is None
    assert form["client_id"] == CLIENT_ID and form["client_secret"] == CLIENT_SECRET


async def test_tampered_payload_is_refused(fake: FakeIdp, client: OidcProvider) -> None:
    def tampered(start: FlowStart) -> str:
        header, payload, signature = fake.sign(fake.claims(start)).split(".")
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        claims["serial_number"] = "PNOLV-323456-78901"
        forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
        return f"{header}.{forged}.{signature}"

    assert (await refused(fake, client, tampered)).refusal is Refusal.INVALID_TOKEN


async def test_tampered_signature_is_refused(fake: FakeIdp, client: OidcProvider) -> None:
    def tampered(start: FlowStart) -> str:
        header, payload, signature = fake.sign(fake.claims(start)).split(".")
        flipped = ("A" if signature[10] != "A" else "B").join((signature[:10], signature[11:]))
        return f"{header}.{payload}.{flipped}"

    assert (await refused(fake, client, tampered)).refusal is Refusal.INVALID_TOKEN


@pytest.mark.parametrize("token", ["", "not-a-jwt", "a.b.c", "e30.e30."])
async def test_malformed_token_is_refused(fake: FakeIdp, client: OidcProvider, token: str) -> None:
    assert (await refused(fake, client, lambda start: token)).refusal is Refusal.INVALID_TOKEN


async def test_token_signed_with_another_key_is_refused(
    fake: FakeIdp, client: OidcProvider
) -> None:
    other = rsa_key()  # same kid, same alg, not the provider's key

    def token(start: FlowStart) -> str:
        return fake.sign(fake.claims(start), key=other)

    assert (await refused(fake, client, token)).refusal is Refusal.INVALID_TOKEN


async def test_unknown_kid_refetches_jwks_at_most_once_a_minute(
    fake: FakeIdp, client: OidcProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    await finish_with(fake, client, lambda start: fake.sign(fake.claims(start)))
    assert fake.jwks_fetches == 1
    # A key the provider does not publish: refused, and no refetch within the minute.
    other = rsa_key()
    error = await refused(fake, client, lambda s: fake.sign(fake.claims(s), key=other, kid="x"))
    assert error.refusal is Refusal.INVALID_TOKEN
    assert fake.jwks_fetches == 1
    # A minute later the provider has rotated its key: one refetch finds it.
    monkeypatch.setattr(oidc_module, "_JWKS_REFETCH_INTERVAL", 0.0)
    fake.jwks = [public_jwk(other, "rotated", "RS256")]
    identity = await finish_with(
        fake, client, lambda s: fake.sign(fake.claims(s), key=other, kid="rotated")
    )
    assert identity.subject == f"PK:{CODE}"
    assert fake.jwks_fetches == 2
    # Still unknown after a refetch: refused.
    error = await refused(fake, client, lambda s: fake.sign(fake.claims(s), key=other, kid="y"))
    assert error.refusal is Refusal.INVALID_TOKEN
    assert fake.jwks_fetches == 3


async def test_es256_and_ps256_are_accepted(fake: FakeIdp, client: OidcProvider) -> None:
    ec_key = ec.generate_private_key(ec.SECP256R1())
    fake.jwks += [public_jwk(ec_key, "ec-1", "ES256"), public_jwk(fake.key, "ps-1", "PS256")]
    es = await finish_with(
        fake, client, lambda s: fake.sign(fake.claims(s), key=ec_key, alg="ES256", kid="ec-1")
    )
    ps = await finish_with(
        fake, client, lambda s: fake.sign(fake.claims(s), alg="PS256", kid="ps-1")
    )
    assert es.subject == ps.subject == f"PK:{CODE}"


async def test_alg_none_is_refused(fake: FakeIdp, client: OidcProvider) -> None:
    def unsigned(start: FlowStart) -> str:
        return jwt.encode(fake.claims(start), "", algorithm="none", headers={"kid": fake.kid})

    assert (await refused(fake, client, unsigned)).refusal is Refusal.INVALID_TOKEN


async def test_hs256_with_the_client_secret_is_refused(fake: FakeIdp, client: OidcProvider) -> None:
    def symmetric(start: FlowStart) -> str:
        return fake.sign(fake.claims(start), key=CLIENT_SECRET, alg="HS256")

    assert (await refused(fake, client, symmetric)).refusal is Refusal.INVALID_TOKEN


async def test_hs256_with_the_public_key_is_refused(fake: FakeIdp, client: OidcProvider) -> None:
    """The classic algorithm confusion: the RSA public key used as an HMAC secret."""

    pem = fake.key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )

    def confused(start: FlowStart) -> str:
        header = {"alg": "HS256", "typ": "JWT", "kid": fake.kid}
        segments = [
            base64.urlsafe_b64encode(json.dumps(part).encode()).rstrip(b"=")
            for part in (header, fake.claims(start))
        ]
        import hmac as hmac_module

        signing_input = b".".join(segments)
        mac = hmac_module.new(pem, signing_input, hashlib.sha256).digest()
        return (signing_input + b"." + base64.urlsafe_b64encode(mac).rstrip(b"=")).decode()

    assert (await refused(fake, client, confused)).refusal is Refusal.INVALID_TOKEN


@pytest.mark.parametrize("issuer", ["https://evil.example", "{issuer}/", None])
async def test_wrong_issuer_is_refused(
    fake: FakeIdp, client: OidcProvider, issuer: str | None
) -> None:
    iss = issuer.format(issuer=fake.issuer) if issuer else None
    error = await refused(fake, client, lambda s: fake.sign(fake.claims(s, iss=iss)))
    assert error.refusal is Refusal.WRONG_ISSUER


async def test_discovered_issuer_must_match(fake: FakeIdp, client: OidcProvider) -> None:
    fake.discovered_issuer = fake.issuer + "/"
    with pytest.raises(IdentityError) as raised:
        await client.start(callback_url=CALLBACK)
    assert raised.value.refusal is Refusal.WRONG_ISSUER


async def test_production_refuses_discovered_endpoints_that_are_not_https(fake: FakeIdp) -> None:
    strict = OidcProvider(
        issuer=fake.issuer, client_id=CLIENT_ID, client_secret="s", require_https=True
    )
    lax = OidcProvider(issuer=fake.issuer, client_id=CLIENT_ID, client_secret="s")
    try:
        with pytest.raises(IdentityError) as raised:
            await strict.start(callback_url=CALLBACK)
        assert raised.value.refusal is Refusal.PROVIDER_UNAVAILABLE
        assert "https" in raised.value.detail
        assert (await lax.start(callback_url=CALLBACK)).redirect_url.startswith("http://")
    finally:
        await strict.close()
        await lax.close()


def self_signed_tls() -> tuple[ssl.SSLContext, ssl.SSLContext]:
    """A server context with a certificate for 127.0.0.1, and a client context trusting it."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(hours=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    pem = certificate.public_bytes(serialization.Encoding.PEM)
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    with tempfile.TemporaryDirectory() as folder:
        cert_file, key_file = Path(folder) / "cert.pem", Path(folder) / "key.pem"
        cert_file.write_bytes(pem)
        key_file.write_bytes(key_pem)
        server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        server.load_cert_chain(cert_file, key_file)
    client = ssl.create_default_context(cadata=pem.decode())
    return server, client


@pytest.mark.parametrize("plain", [None, "jwks_uri", "userinfo_endpoint"])
async def test_production_accepts_https_discovery_and_nothing_less(plain: str | None) -> None:
    server_tls, client_tls = self_signed_tls()
    async with FakeIdp(tls=server_tls) as fake:
        assert fake.issuer.startswith("https://")
        if plain is not None:
            fake.plain_http.add(plain)
        provider = OidcProvider(
            issuer=fake.issuer, client_id=CLIENT_ID, client_secret="s", require_https=True
        )
        provider._session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=client_tls))
        try:
            if plain is None:
                start = await provider.start(callback_url=CALLBACK)
                assert start.redirect_url.startswith(f"{fake.issuer}/authorize?")
                return
            with pytest.raises(IdentityError) as raised:
                await provider.start(callback_url=CALLBACK)
        finally:
            await provider.close()
    assert raised.value.refusal is Refusal.PROVIDER_UNAVAILABLE
    assert raised.value.detail == f"{plain} is not https"


async def test_an_authorization_endpoint_off_the_issuers_origin_is_refused(
    fake: FakeIdp, client: OidcProvider
) -> None:
    """The pages' CSP lets forms lead only to the issuer's origin: discovery must agree."""
    fake.endpoint_base = "http://login.example.invalid"
    with pytest.raises(IdentityError) as raised:
        await client.start(callback_url=CALLBACK)
    assert raised.value.refusal is Refusal.PROVIDER_UNAVAILABLE
    assert "origin" in raised.value.detail


@pytest.mark.parametrize(
    "changes",
    [
        {"aud": "another-client"},
        {"aud": ["another-client"]},
        {"aud": None},
        {"aud": [CLIENT_ID, "another-client"]},  # several audiences, no azp
        {"aud": [CLIENT_ID, "another-client"], "azp": "another-client"},
        {"azp": "another-client"},
    ],
)
async def test_wrong_audience_is_refused(
    fake: FakeIdp, client: OidcProvider, changes: dict[str, Any]
) -> None:
    error = await refused(fake, client, lambda s: fake.sign(fake.claims(s, **changes)))
    assert error.refusal is Refusal.WRONG_AUDIENCE


async def test_several_audiences_with_our_azp_are_accepted(
    fake: FakeIdp, client: OidcProvider
) -> None:
    claims = {"aud": ["another-client", CLIENT_ID], "azp": CLIENT_ID}
    identity = await finish_with(fake, client, lambda s: fake.sign(fake.claims(s, **claims)))
    assert identity.subject == f"PK:{CODE}"


@pytest.mark.parametrize(
    "changes",
    [
        {"exp": -120},  # expired two minutes ago: beyond the 60 s skew
        {"nbf": 120},  # not valid for two more minutes
        {"iat": 120},  # issued in the future
    ],
    ids=["exp", "nbf", "iat"],
)
async def test_token_outside_its_validity_is_refused(
    fake: FakeIdp, client: OidcProvider, changes: dict[str, int]
) -> None:
    now = int(time.time())
    absolute = {name: now + offset for name, offset in changes.items()}
    error = await refused(fake, client, lambda s: fake.sign(fake.claims(s, **absolute)))
    assert error.refusal is Refusal.EXPIRED


async def test_clock_skew_is_tolerated(fake: FakeIdp, client: OidcProvider) -> None:
    now = int(time.time())
    skewed = {"exp": now - 30, "iat": now + 30, "nbf": now + 30}
    identity = await finish_with(fake, client, lambda s: fake.sign(fake.claims(s, **skewed)))
    assert identity.subject == f"PK:{CODE}"


@pytest.mark.parametrize("nonce", ["another-nonce", None])
async def test_nonce_mismatch_is_refused(
    fake: FakeIdp, client: OidcProvider, nonce: str | None
) -> None:
    error = await refused(fake, client, lambda s: fake.sign(fake.claims(s, nonce=nonce)))
    assert error.refusal is Refusal.NONCE_MISMATCH


async def test_personal_code_from_userinfo_when_the_id_token_lacks_it(
    fake: FakeIdp, client: OidcProvider
) -> None:
    fake.userinfo = {"sub": "subject-1", "serial_number": SERIAL, "given_name": "Anna"}
    bare = {"serial_number": None, "given_name": None}
    identity = await finish_with(fake, client, lambda s: fake.sign(fake.claims(s, **bare)))
    assert identity.subject == f"PK:{CODE}"
    assert identity.personal_codes == (CODE,)
    assert (identity.given_name, identity.family_name) == ("Anna", "Bērziņa")
    assert fake.userinfo_requests == ["Bearer AT-123"]


async def test_userinfo_of_another_subject_is_refused(fake: FakeIdp, client: OidcProvider) -> None:
    fake.userinfo = {"sub": "someone-else", "serial_number": SERIAL}
    error = await refused(fake, client, lambda s: fake.sign(fake.claims(s, serial_number=None)))
    assert error.refusal is Refusal.INVALID_TOKEN


@pytest.mark.parametrize(
    "sub", [None, "", 1, ["subject-1"]], ids=["absent", "empty", "int", "list"]
)
async def test_userinfo_without_a_subject_is_refused(
    fake: FakeIdp, client: OidcProvider, sub: object
) -> None:
    """Userinfo fills in what the ID token lacks only when it is about the same subject."""
    fake.userinfo = {"serial_number": SERIAL} | ({} if sub is None else {"sub": sub})
    error = await refused(fake, client, lambda s: fake.sign(fake.claims(s, serial_number=None)))
    assert error.refusal is Refusal.INVALID_TOKEN
    assert "sub" in error.detail


async def test_personal_code_missing_everywhere_is_refused(
    fake: FakeIdp, client: OidcProvider
) -> None:
    fake.userinfo = {"sub": "subject-1"}
    error = await refused(fake, client, lambda s: fake.sign(fake.claims(s, serial_number=None)))
    assert error.refusal is Refusal.INVALID_PERSONAL_CODE


@pytest.mark.parametrize("serial", ["PNOEE-38001085718", "IDCLV-010190-12349", "010190-12349"])
async def test_serial_number_not_pnolv_is_refused(
    fake: FakeIdp, client: OidcProvider, serial: str
) -> None:
    error = await refused(fake, client, lambda s: fake.sign(fake.claims(s, serial_number=serial)))
    assert error.refusal is Refusal.INVALID_PERSONAL_CODE
    assert_no_secrets(error, serial)


async def test_callback_errors(fake: FakeIdp, client: OidcProvider) -> None:
    start = await client.start(callback_url=CALLBACK)
    state = start.flow_state["state"]
    cases = [
        ({"error": "access_denied", "state": state}, Refusal.CANCELLED),
        ({"error": "login_required"}, Refusal.CANCELLED),
        ({"code": "c"}, Refusal.STATE_MISMATCH),
        ({"code": "c", "state": ""}, Refusal.STATE_MISMATCH),
        ({"code": "c", "state": state + "x"}, Refusal.STATE_MISMATCH),
        ({"state": state}, Refusal.INVALID_TOKEN),
    ]
    for params, refusal in cases:
        with pytest.raises(IdentityError) as raised:
            await client.finish(callback_url=CALLBACK, params=params, flow_state=start.flow_state)
        assert raised.value.refusal is refusal, params
    with pytest.raises(IdentityError) as raised:
        await client.finish(
            callback_url=CALLBACK, params={"code": "c", "state": ""}, flow_state={"state": ""}
        )
    assert raised.value.refusal is Refusal.STATE_MISMATCH
    assert fake.token_requests == []  # nothing was redeemed


async def test_token_endpoint_invalid_grant_is_invalid_token(
    fake: FakeIdp, client: OidcProvider
) -> None:
    fake.token_status = 400
    error = await refused(fake, client, lambda s: fake.sign(fake.claims(s)))
    assert error.refusal is Refusal.INVALID_TOKEN
    assert "invalid_grant" in error.detail


@pytest.mark.parametrize(
    ("status", "body"),
    [(500, None), (503, "<html>down</html>"), (200, "<html>not json</html>"), (200, "[1, 2]")],
)
async def test_token_endpoint_nonsense_is_provider_unavailable(
    fake: FakeIdp, client: OidcProvider, status: int, body: str | None
) -> None:
    fake.token_status, fake.token_body = status, body
    error = await refused(fake, client, lambda s: fake.sign(fake.claims(s)))
    assert error.refusal is Refusal.PROVIDER_UNAVAILABLE


async def test_no_id_token_is_invalid_token(fake: FakeIdp, client: OidcProvider) -> None:
    fake.token_body = json.dumps({"access_token": "AT-123", "token_type": "Bearer"})
    error = await refused(fake, client, lambda s: "")
    assert error.refusal is Refusal.INVALID_TOKEN


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_provider_down_is_provider_unavailable() -> None:
    provider = OidcProvider(
        issuer=f"http://127.0.0.1:{closed_port()}", client_id=CLIENT_ID, client_secret="s"
    )
    try:
        with pytest.raises(IdentityError) as raised:
            await provider.start(callback_url=CALLBACK)
        assert raised.value.refusal is Refusal.PROVIDER_UNAVAILABLE
        with pytest.raises(IdentityError) as raised:
            await provider.finish(
                callback_url=CALLBACK,
                params={"code": "c", "state": "s"},
                flow_state={"state": "s", "nonce": "n", "code_verifier": "v"},
            )
        assert raised.value.refusal is Refusal.PROVIDER_UNAVAILABLE
    finally:
        await provider.close()


async def test_provider_going_down_after_discovery(fake: FakeIdp) -> None:
    provider = OidcProvider(issuer=fake.issuer, client_id=CLIENT_ID, client_secret="s")
    try:
        start = await provider.start(callback_url=CALLBACK)
        await fake.__aexit__()
        with pytest.raises(IdentityError) as raised:
            await finish_flow(provider, start)
        assert raised.value.refusal is Refusal.PROVIDER_UNAVAILABLE
    finally:
        await provider.close()
        await fake.__aenter__()  # the fixture stops it again


async def test_slow_provider_is_provider_unavailable_within_the_timeout(fake: FakeIdp) -> None:
    provider = OidcProvider(issuer=fake.issuer, client_id=CLIENT_ID, client_secret="s", timeout=0.5)
    try:
        start = await provider.start(callback_url=CALLBACK)  # discovery is quick
        fake.id_token = fake.sign(fake.claims(start))
        fake.delay = 5.0  # token endpoint sleeps longer than the timeout
        began = time.monotonic()
        with pytest.raises(IdentityError) as raised:
            await finish_flow(provider, start)
        assert raised.value.refusal is Refusal.PROVIDER_UNAVAILABLE
        assert time.monotonic() - began < 2.0
    finally:
        await provider.close()


async def test_timeout_bounds_the_whole_call_not_each_request(fake: FakeIdp) -> None:
    provider = OidcProvider(issuer=fake.issuer, client_id=CLIENT_ID, client_secret="s", timeout=1.0)
    try:
        start = await provider.start(callback_url=CALLBACK)
        fake.id_token = fake.sign(fake.claims(start, serial_number=None))
        fake.userinfo = {"sub": "subject-1", "serial_number": SERIAL}
        fake.delay = fake.userinfo_delay = 0.7  # each request in time, both together not
        began = time.monotonic()
        with pytest.raises(IdentityError) as raised:
            await finish_flow(provider, start)
        assert raised.value.refusal is Refusal.PROVIDER_UNAVAILABLE
        assert time.monotonic() - began < 1.3
    finally:
        await provider.close()


async def test_slow_discovery_is_provider_unavailable(fake: FakeIdp) -> None:
    fake.delay = 5.0
    provider = OidcProvider(issuer=fake.issuer, client_id=CLIENT_ID, client_secret="s", timeout=0.5)
    try:
        began = time.monotonic()
        with pytest.raises(IdentityError) as raised:
            await provider.start(callback_url=CALLBACK)
        assert raised.value.refusal is Refusal.PROVIDER_UNAVAILABLE
        assert time.monotonic() - began < 2.0
    finally:
        await provider.close()


async def test_authorization_url_and_flow_state(fake: FakeIdp, client: OidcProvider) -> None:
    first = await client.start(callback_url=CALLBACK)
    second = await client.start(callback_url=CALLBACK)
    assert set(first.flow_state) == {"state", "nonce", "code_verifier"}
    for name in ("state", "nonce", "code_verifier"):
        assert first.flow_state[name] != second.flow_state[name]
        assert len(first.flow_state[name]) >= 43
    sent = parse_qs(urlsplit(first.redirect_url).query)
    assert sent["response_type"] == ["code"]
    assert sent["client_id"] == [CLIENT_ID]
    assert sent["redirect_uri"] == [CALLBACK]
    assert "code_verifier" not in sent


async def test_close_closes_the_session(fake: FakeIdp) -> None:
    provider = OidcProvider(issuer=fake.issuer, client_id=CLIENT_ID, client_secret="s")
    await provider.start(callback_url=CALLBACK)
    session = provider._session
    assert session is not None and not session.closed
    await provider.close()
    assert session.closed
    await provider.close()  # twice is fine


def configured(fake: FakeIdp, **options: Any) -> OidcProvider:
    """A provider with its endpoints configured (no discovery), as for eParaksts."""
    return OidcProvider(
        issuer=fake.issuer,
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        endpoints=OidcEndpoints(
            authorization=f"{fake.issuer}/authorize",
            token=f"{fake.issuer}/token",
            userinfo=f"{fake.issuer}/userinfo",
            jwks_uri=options.pop("jwks_uri", None),
        ),
        **options,
    )


async def test_userinfo_only_reads_the_person_without_an_id_token(fake: FakeIdp) -> None:
    fake.discovery = False
    fake.userinfo = {
        "sub": "ddf12735f35675ecb652e6e1a80e41f1",
        "serial_number": SERIAL,
        "given_name": "Anna",
        "family_name": "Bērziņa",
    }
    provider = configured(fake, userinfo_only=True)
    try:
        start = await provider.start(callback_url=CALLBACK)
        assert start.redirect_url.startswith(f"{fake.issuer}/authorize?")
        params = {"code": "the-code", "state": start.flow_state["state"]}
        identity = await provider.finish(
            callback_url=CALLBACK, params=params, flow_state=start.flow_state
        )
    finally:
        await provider.close()
    assert identity.subject == f"PK:{CODE}"
    assert (identity.given_name, identity.family_name) == ("Anna", "Bērziņa")
    assert fake.userinfo_requests == ["Bearer AT-123"]
    assert identity.assertion_id is not None and "AT-123" not in identity.assertion_id
    ((form, _auth),) = fake.token_requests
    assert form["code_verifier"] == start.flow_state["code_verifier"]  # PKCE still binds it


async def test_without_userinfo_only_a_missing_id_token_is_refused(fake: FakeIdp) -> None:
    fake.discovery = False
    fake.userinfo = {"serial_number": SERIAL, "given_name": "Anna", "family_name": "Bērziņa"}
    provider = configured(fake)
    try:
        start = await provider.start(callback_url=CALLBACK)
        params = {"code": "the-code", "state": start.flow_state["state"]}
        with pytest.raises(IdentityError) as raised:
            await provider.finish(callback_url=CALLBACK, params=params, flow_state=start.flow_state)
    finally:
        await provider.close()
    assert raised.value.refusal is Refusal.INVALID_TOKEN
    assert fake.userinfo_requests == []


@pytest.mark.parametrize("sub", [None, "", 7], ids=["absent", "empty", "int"])
async def test_userinfo_only_needs_a_subject(fake: FakeIdp, sub: object) -> None:
    """Without an ID token there is no `sub` to compare with: userinfo must name one."""
    fake.discovery = False
    fake.userinfo = {"serial_number": SERIAL, "given_name": "Anna", "family_name": "Bērziņa"}
    if sub is not None:
        fake.userinfo["sub"] = sub
    provider = configured(fake, userinfo_only=True)
    try:
        with pytest.raises(IdentityError) as raised:
            await finish_flow(provider, await provider.start(callback_url=CALLBACK))
    finally:
        await provider.close()
    assert raised.value.refusal is Refusal.INVALID_TOKEN
    assert_no_secrets(raised.value, CODE, "Anna", "AT-123")


async def test_userinfo_only_still_checks_state_and_the_code(fake: FakeIdp) -> None:
    fake.discovery = False
    fake.userinfo = {"sub": "subject-1", "given_name": "Anna"}  # no personal code
    provider = configured(fake, userinfo_only=True)
    try:
        start = await provider.start(callback_url=CALLBACK)
        with pytest.raises(IdentityError) as forged:
            await provider.finish(
                callback_url=CALLBACK,
                params={"code": "c", "state": "forged"},
                flow_state=start.flow_state,
            )
        with pytest.raises(IdentityError) as no_code:
            await finish_flow(provider, start)
    finally:
        await provider.close()
    assert forged.value.refusal is Refusal.STATE_MISMATCH
    assert fake.token_requests[-1][0]["code"] == "c"  # only the genuine callback redeemed
    assert len(fake.token_requests) == 1
    assert no_code.value.refusal is Refusal.INVALID_PERSONAL_CODE


async def test_configured_endpoints_verify_id_tokens_by_the_configured_jwks(
    fake: FakeIdp,
) -> None:
    fake.discovery = False
    without_keys = configured(fake)
    with_keys = configured(fake, jwks_uri=f"{fake.issuer}/jwks")
    try:
        error = await refused(fake, without_keys, lambda s: fake.sign(fake.claims(s)))
        assert error.refusal is Refusal.INVALID_TOKEN
        identity = await finish_with(fake, with_keys, lambda s: fake.sign(fake.claims(s)))
        assert identity.subject == f"PK:{CODE}"
    finally:
        await without_keys.close()
        await with_keys.close()


async def test_a_code_redeemed_twice_by_a_lax_provider_links_once(
    fake: FakeIdp, client: OidcProvider, database_url: str
) -> None:
    """The replay key is the code: a provider that redeems it again hands out a fresh ID token
    (another nonce, another flow), which alone would look new."""
    database = Database(database_url)
    try:
        for user, refusal in ((1, None), (2, Refusal.REPLAYED)):
            identity = await finish_with(fake, client, lambda s: fake.sign(fake.claims(s)))
            async with database.transaction() as session:
                uow = SqlUnitOfWork(session)
                await ensure_account(uow=uow, telegram_user_id=user, first_name="A", username=None)
                now = datetime.now(UTC)
                if refusal is None:
                    await link_person(
                        uow=uow, telegram_user_id=user, identity=identity, now=now, limits=LIMITS
                    )
                    continue
                with pytest.raises(IdentityError) as raised:
                    await link_person(
                        uow=uow, telegram_user_id=user, identity=identity, now=now, limits=LIMITS
                    )
                assert raised.value.refusal is refusal
        assert [form["code"] for form, _ in fake.token_requests] == ["the-code", "the-code"]
    finally:
        await database.dispose()
