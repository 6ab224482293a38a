"""OpenID Connect: the authorization code flow with PKCE, for eParaksts or any OIDC provider.

`start` discovers the provider, makes a fresh `state`, `nonce` and PKCE verifier (kept by the
caller, server-side, as `flow_state`) and returns the authorization URL. `finish` checks the
callback's `state`, redeems the code at the token endpoint, verifies the ID token (signature
against the provider's JWKS, issuer, audience, validity window, nonce) and reads the person's
personal code and names from the ID token or, when it lacks them, from the userinfo endpoint.

Presets:

* `eparaksts` (LVRTC): the personal code is `serial_number` = `PNOLV-DDMMYY-NNNNN`; a serial
  number of another country (`PNOEE-…`) is not a Latvian person. Default scope
  `openid urn:lvrtc:fpeil:aa`.
* `generic` (e.g. a SATOSA or Keycloak broker in front of Latvija.lv): the personal code is
  the claim named `personal_code_claim`. Default scope `openid profile`. Who acts is what the
  broker asserts in the claim `subject_claim`: by default Latvija.lv's own NameIdentifier
  (`PK:<code>`, `PK:<code>-UR:<regno>`, `DP:…`, `AU:…`), passed on as the subject for the
  portal's natural-person rule; or, with `natural_person_types`, a subject type of which only
  those values are natural persons. A broker that asserts neither is refused: a `PK:` built
  here from a personal-code claim would say nothing about who logged in (a company
  signatory has a personal code too).

Providers without discovery (eParaksts documents its endpoints but not a discovery
document) take `endpoints` instead. eParaksts is "OIDC-like": its token answer may carry no ID
token; with `userinfo_only` the person is then read from the userinfo endpoint, called over
the back channel with the access token that the code, the PKCE verifier and the client secret
were just exchanged for (no nonce to check without an ID token: state and PKCE bind the flow).

A userinfo answer must name its subject: `sub` equal to the ID token's, or, without an ID
token, present at all (there is nothing to compare it with). The replay key is the
authorization code (per issuer): it is what travels through the browser, and a provider that
redeemed it twice would hand out a fresh, different token each time.

With `require_https` (production) every discovered endpoint must be https; the authorization
endpoint must be on the issuer's origin either way, since the pages' Content-Security-Policy
lets forms send the browser only there.

Every failure is an `IdentityError`; its `detail` goes to logs and never holds tokens, codes,
names or personal codes.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import re
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

import aiohttp
import jwt

from portal.identity import FlowStart, IdentityError, ProviderIdentity, Refusal

__all__ = ["OidcEndpoints", "OidcProvider"]

Preset = Literal["eparaksts", "generic"]

_DEFAULT_SCOPES: dict[str, str] = {
    "eparaksts": "openid urn:lvrtc:fpeil:aa",
    "generic": "openid profile",
}
# Asymmetric only: never `none`, never HS* (which would make the client secret a signing key).
_KEY_TYPES: dict[str, tuple[str, str | None]] = {
    "RS256": ("RSA", None),
    "PS256": ("RSA", None),
    "ES256": ("EC", "P-256"),
}
_DISCOVERY_TTL = 3600.0  # seconds; a failed discovery is not cached
_JWKS_REFETCH_INTERVAL = 60.0  # seconds between refetches for an unknown `kid`
_MAX_BODY = 1 << 20
_SAFE_CODE = re.compile(r"[A-Za-z0-9_.\-]{1,64}")
_LATVIAN_SERIAL_PREFIX = "PNOLV-"


@dataclass(frozen=True, slots=True)
class _Metadata:
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str | None
    userinfo_endpoint: str | None
    auth_methods: tuple[str, ...]
    iss_parameter_supported: bool


@dataclass(frozen=True, slots=True)
class OidcEndpoints:
    """Configured endpoints, for providers without a discovery document."""

    authorization: str
    token: str
    userinfo: str | None = None
    jwks_uri: str | None = None  # needed only when the provider issues ID tokens


def _safe(value: object) -> str:
    """A provider's error code, fit for a log line (anything else becomes `?`)."""
    return value if isinstance(value, str) and _SAFE_CODE.fullmatch(value) else "?"


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _same(expected: str | None, actual: str | None) -> bool:
    if not expected or not actual:
        return False
    return hmac.compare_digest(expected.encode(), actual.encode())


def _text(value: object) -> str:
    return value.strip() if isinstance(value, str) else ""


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def _check_subject(userinfo: Mapping[str, Any], *, expected: str | None) -> None:
    """A userinfo answer names its subject (OIDC Core 5.3.2: `sub` is always returned), and
    it is the ID token's (`expected`); without an ID token there is nothing to compare."""
    sub = userinfo.get("sub")
    if not isinstance(sub, str) or not sub:
        raise IdentityError(Refusal.INVALID_TOKEN, "userinfo lacks sub")
    if expected is not None and not _same(expected, sub):
        raise IdentityError(Refusal.INVALID_TOKEN, "userinfo sub differs from the id_token's")


class OidcProvider:
    """An `IdentityProvider` for OpenID Connect providers (`name = "oidc"`)."""

    name = "oidc"

    def __init__(
        self,
        *,
        issuer: str,
        client_id: str,
        client_secret: str,
        preset: Preset = "eparaksts",
        personal_code_claim: str = "personal_code",
        scope: str = "",
        timeout: float = 10.0,
        clock_skew: timedelta = timedelta(seconds=60),
        endpoints: OidcEndpoints | None = None,
        userinfo_only: bool = False,
        subject_claim: str = "name_identifier",
        natural_person_types: tuple[str, ...] = (),
        require_https: bool = False,
    ) -> None:
        if preset not in _DEFAULT_SCOPES:
            raise ValueError(f"unknown OIDC preset {preset!r}")
        if not issuer or not client_id:
            raise ValueError("issuer and client_id are required")
        self._issuer = issuer
        self._client_id = client_id
        self._client_secret = client_secret
        self._preset: Preset = preset
        self._personal_code_claim = personal_code_claim
        scopes = (scope or _DEFAULT_SCOPES[preset]).split()
        if "openid" not in scopes:
            scopes.insert(0, "openid")
        self._scope = " ".join(dict.fromkeys(scopes))
        self._timeout = timeout
        self._clock_skew = clock_skew
        self._leeway = clock_skew.total_seconds()
        self._subject_claim = subject_claim
        self._natural_person_types = frozenset(natural_person_types)
        self._require_https = require_https
        self._session: aiohttp.ClientSession | None = None
        self._metadata: _Metadata | None = None
        self._metadata_at = 0.0
        self._jwks: list[dict[str, Any]] | None = None
        self._jwks_at = 0.0
        self._lock = asyncio.Lock()
        self._userinfo_only = userinfo_only
        if endpoints is not None:
            if userinfo_only and not endpoints.userinfo:
                raise ValueError("userinfo_only needs a userinfo endpoint")
            self._metadata = _Metadata(
                authorization_endpoint=endpoints.authorization,
                token_endpoint=endpoints.token,
                jwks_uri=endpoints.jwks_uri,
                userinfo_endpoint=endpoints.userinfo,
                auth_methods=("client_secret_basic",),
                iss_parameter_supported=False,
            )
            self._metadata_at = float("inf")  # configured: never rediscovered

    @property
    def require_https(self) -> bool:
        """Whether discovered endpoints must be https (production)."""
        return self._require_https

    # --- the IdentityProvider port --------------------------------------------------------

    async def start(self, *, callback_url: str) -> FlowStart:
        state = secrets.token_urlsafe(32)
        nonce = secrets.token_urlsafe(32)
        code_verifier = secrets.token_urlsafe(64)
        challenge = _b64url(hashlib.sha256(code_verifier.encode("ascii")).digest())
        async with self._bounded():
            metadata = await self._discover()
        query = {
            "response_type": "code",
            "client_id": self._client_id,
            "redirect_uri": callback_url,
            "scope": self._scope,
            "state": state,
            "nonce": nonce,
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        }
        parts = urlsplit(metadata.authorization_endpoint)
        existing = [(k, v) for k, v in parse_qsl(parts.query) if k not in query]
        url = urlunsplit(parts._replace(query=urlencode([*existing, *query.items()])))
        return FlowStart(
            redirect_url=url,
            flow_state={"state": state, "nonce": nonce, "code_verifier": code_verifier},
        )

    async def finish(
        self, *, callback_url: str, params: Mapping[str, str], flow_state: Mapping[str, str]
    ) -> ProviderIdentity:
        if params.get("error"):
            raise IdentityError(Refusal.CANCELLED, f"provider error {_safe(params['error'])}")
        if not _same(flow_state.get("state"), params.get("state")):
            raise IdentityError(Refusal.STATE_MISMATCH, "state missing or different")
        code = params.get("code")
        if not code:
            raise IdentityError(Refusal.INVALID_TOKEN, "no code in the callback")
        async with self._bounded():
            metadata = await self._discover()
            callback_issuer = params.get("iss")
            if callback_issuer is not None and callback_issuer != self._issuer:
                raise IdentityError(Refusal.WRONG_ISSUER, "callback iss differs")
            if callback_issuer is None and metadata.iss_parameter_supported:
                raise IdentityError(Refusal.WRONG_ISSUER, "callback lacks iss")
            tokens = await self._redeem(metadata, code, callback_url, flow_state)
            id_token = tokens.get("id_token")
            if (not isinstance(id_token, str) or not id_token) and self._userinfo_only:
                return await self._from_userinfo(metadata, tokens, code)
            if not isinstance(id_token, str) or not id_token:
                raise IdentityError(Refusal.INVALID_TOKEN, "no id_token in the token response")
            claims = await self._verify(id_token)
            nonce = claims.get("nonce")
            if not _same(flow_state.get("nonce"), nonce if isinstance(nonce, str) else None):
                raise IdentityError(Refusal.NONCE_MISMATCH, "nonce missing or different")
            if self._missing(claims):
                access_token = tokens.get("access_token")
                if metadata.userinfo_endpoint and isinstance(access_token, str) and access_token:
                    userinfo = await self._userinfo(metadata.userinfo_endpoint, access_token)
                    _check_subject(userinfo, expected=claims["sub"])
                    claims = dict(claims)
                    for name in dict.fromkeys((*self._wanted(), self._code_claim())):
                        if not _text(claims.get(name)) and _text(userinfo.get(name)):
                            claims[name] = userinfo[name]
        valid_until = datetime.fromtimestamp(float(claims["exp"]), tz=UTC)
        return self._identity(code, claims, valid_until)

    async def close(self) -> None:
        session, self._session = self._session, None
        if session is not None and not session.closed:
            await session.close()

    async def _from_userinfo(
        self, metadata: _Metadata, tokens: Mapping[str, Any], code: str
    ) -> ProviderIdentity:
        access_token = tokens.get("access_token")
        if not metadata.userinfo_endpoint or not isinstance(access_token, str) or not access_token:
            raise IdentityError(Refusal.INVALID_TOKEN, "no access token for userinfo")
        claims = await self._userinfo(metadata.userinfo_endpoint, access_token)
        _check_subject(claims, expected=None)
        # No validity end is stated: the code is remembered as long as a login flow lives.
        return self._identity(code, claims, None)

    # --- claims -----------------------------------------------------------------------------

    def _code_claim(self) -> str:
        return "serial_number" if self._preset == "eparaksts" else self._personal_code_claim

    def _wanted(self) -> tuple[str, ...]:
        """The claims a login needs; when the ID token lacks one, userinfo is asked."""
        if self._preset == "eparaksts":
            return ("serial_number", "given_name", "family_name")
        if self._natural_person_types:
            return (self._subject_claim, self._personal_code_claim, "given_name", "family_name")
        # The NameIdentifier holds the code; a code claim, if any, must agree with it.
        return (self._subject_claim, "given_name", "family_name")

    def _missing(self, claims: Mapping[str, Any]) -> bool:
        return any(not _text(claims.get(name)) for name in self._wanted())

    def _identity(
        self, code: str, claims: Mapping[str, Any], valid_until: datetime | None
    ) -> ProviderIdentity:
        if self._preset == "eparaksts":
            subject, personal_codes = self._eparaksts_subject(claims)
        else:
            subject, personal_codes = self._broker_subject(claims)
        replay_key = hashlib.sha256(f"{self._issuer}\n{code}".encode()).hexdigest()
        return ProviderIdentity(
            provider=self.name,
            subject=subject,
            personal_codes=personal_codes,
            given_name=_text(claims.get("given_name")),
            family_name=_text(claims.get("family_name")),
            assertion_id="oidc:" + replay_key,
            valid_until=valid_until,
            clock_skew=self._clock_skew,  # the leeway `_decode` allows past `exp`
        )

    def _eparaksts_subject(self, claims: Mapping[str, Any]) -> tuple[str, tuple[str, ...]]:
        raw = _text(claims.get("serial_number"))
        if not raw:
            raise IdentityError(Refusal.INVALID_PERSONAL_CODE, "no personal code claim")
        if not raw.upper().startswith(_LATVIAN_SERIAL_PREFIX):
            raise IdentityError(
                Refusal.INVALID_PERSONAL_CODE, "serial_number is not a Latvian PNOLV- code"
            )
        code = raw[len(_LATVIAN_SERIAL_PREFIX) :].replace("-", "").strip()
        return f"PK:{code}", (code,)

    def _broker_subject(self, claims: Mapping[str, Any]) -> tuple[str, tuple[str, ...]]:
        """Who acts, as the broker asserted it; never a `PK:` made up from a code claim."""
        asserted = _text(claims.get(self._subject_claim))
        code = _text(claims.get(self._personal_code_claim))
        if not asserted:
            raise IdentityError(
                Refusal.INVALID_TOKEN, f"no {_safe(self._subject_claim)} claim: subject unknown"
            )
        if not self._natural_person_types:
            return asserted, (code,) if code else ()  # the NameIdentifier, as Latvija.lv sent it
        if asserted not in self._natural_person_types:
            raise IdentityError(Refusal.NOT_NATURAL_PERSON, "broker's subject type")
        if not code:
            raise IdentityError(Refusal.INVALID_PERSONAL_CODE, "no personal code claim")
        return f"PK:{code}", (code,)

    # --- the ID token -----------------------------------------------------------------------

    async def _verify(self, id_token: str) -> dict[str, Any]:
        try:
            header = jwt.get_unverified_header(id_token)
        except jwt.PyJWTError as exc:
            raise IdentityError(Refusal.INVALID_TOKEN, "malformed id_token") from exc
        alg = header.get("alg")
        if not isinstance(alg, str) or alg not in _KEY_TYPES:
            raise IdentityError(Refusal.INVALID_TOKEN, f"id_token alg {_safe(alg)} not allowed")
        kid = header.get("kid")
        if kid is not None and not isinstance(kid, str):
            raise IdentityError(Refusal.INVALID_TOKEN, "malformed kid")
        keys = self._candidates(await self._keys(), alg, kid)
        if not keys:
            keys = self._candidates(await self._keys(refresh=True), alg, kid)
        if not keys:
            raise IdentityError(Refusal.INVALID_TOKEN, "no provider key for the id_token")
        last: IdentityError | None = None
        for key in keys:
            try:
                return self._decode(id_token, key, alg)
            except IdentityError as exc:
                if exc.refusal is not Refusal.INVALID_TOKEN:
                    raise
                last = exc
        assert last is not None
        raise last

    @staticmethod
    def _candidates(keys: list[dict[str, Any]], alg: str, kid: str | None) -> list[jwt.PyJWK]:
        kty, crv = _KEY_TYPES[alg]
        found: list[jwt.PyJWK] = []
        for jwk in keys:
            if kid is not None and jwk.get("kid") != kid:
                continue
            if jwk.get("kty") != kty or (crv is not None and jwk.get("crv") != crv):
                continue
            if jwk.get("use", "sig") != "sig" or jwk.get("alg", alg) != alg:
                continue
            try:
                found.append(jwt.PyJWK(jwk, algorithm=alg))
            except jwt.PyJWTError:
                continue
        return found

    def _decode(self, id_token: str, key: jwt.PyJWK, alg: str) -> dict[str, Any]:
        try:
            claims: dict[str, Any] = jwt.decode(
                id_token,
                key=key,
                algorithms=[alg],
                audience=self._client_id,
                issuer=self._issuer,
                leeway=self._leeway,
                options={"require": ["iss", "sub", "aud", "exp", "iat"]},
            )
        except jwt.InvalidIssuerError as exc:
            raise IdentityError(Refusal.WRONG_ISSUER, "id_token iss differs") from exc
        except jwt.InvalidAudienceError as exc:
            raise IdentityError(Refusal.WRONG_AUDIENCE, "id_token aud lacks the client") from exc
        except (jwt.ExpiredSignatureError, jwt.ImmatureSignatureError) as exc:
            raise IdentityError(Refusal.EXPIRED, "id_token outside its validity") from exc
        except jwt.MissingRequiredClaimError as exc:
            refusal = {"iss": Refusal.WRONG_ISSUER, "aud": Refusal.WRONG_AUDIENCE}.get(
                exc.claim, Refusal.INVALID_TOKEN
            )
            raise IdentityError(refusal, f"id_token lacks {_safe(exc.claim)}") from exc
        except jwt.InvalidSignatureError as exc:
            raise IdentityError(Refusal.INVALID_TOKEN, "id_token signature invalid") from exc
        except jwt.InvalidIssuedAtError as exc:
            raise IdentityError(Refusal.INVALID_TOKEN, "id_token iat malformed") from exc
        except jwt.PyJWTError as exc:
            raise IdentityError(Refusal.INVALID_TOKEN, "id_token invalid") from exc
        aud = claims["aud"]
        azp = claims.get("azp")
        if isinstance(aud, list) and len(aud) > 1 and azp is None:
            raise IdentityError(Refusal.WRONG_AUDIENCE, "several audiences and no azp")
        if azp is not None and azp != self._client_id:
            raise IdentityError(Refusal.WRONG_AUDIENCE, "azp is another client")
        if not isinstance(claims["exp"], int | float) or isinstance(claims["exp"], bool):
            raise IdentityError(Refusal.INVALID_TOKEN, "id_token exp malformed")
        if not isinstance(claims["sub"], str) or not claims["sub"]:
            raise IdentityError(Refusal.INVALID_TOKEN, "id_token sub malformed")
        return claims

    # --- HTTP -------------------------------------------------------------------------------

    def _bounded(self) -> _Bounded:
        return _Bounded(self._timeout)

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=self._timeout),
                headers={"Accept": "application/json"},
            )
        return self._session

    async def _discover(self) -> _Metadata:
        now = time.monotonic()
        if self._metadata is not None and now - self._metadata_at < _DISCOVERY_TTL:
            return self._metadata
        async with self._lock:
            if self._metadata is not None and time.monotonic() - self._metadata_at < _DISCOVERY_TTL:
                return self._metadata
            url = self._issuer.rstrip("/") + "/.well-known/openid-configuration"
            status, document = await self._json("GET", url, what="discovery")
            if status != 200:
                raise IdentityError(Refusal.PROVIDER_UNAVAILABLE, f"discovery answered {status}")
            if document.get("issuer") != self._issuer:
                raise IdentityError(Refusal.WRONG_ISSUER, "discovered issuer differs")
            endpoints: list[str] = []
            for name in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
                endpoint = document.get(name)
                if not isinstance(endpoint, str) or not endpoint.startswith(("https:", "http:")):
                    raise IdentityError(Refusal.PROVIDER_UNAVAILABLE, f"discovery lacks {name}")
                endpoints.append(endpoint)
            userinfo = document.get("userinfo_endpoint")
            self._check_discovered(endpoints, userinfo)
            methods = document.get("token_endpoint_auth_methods_supported")
            self._metadata = _Metadata(
                authorization_endpoint=endpoints[0],
                token_endpoint=endpoints[1],
                jwks_uri=endpoints[2],
                userinfo_endpoint=userinfo if isinstance(userinfo, str) and userinfo else None,
                auth_methods=tuple(m for m in methods if isinstance(m, str))
                if isinstance(methods, list)
                else ("client_secret_basic",),
                iss_parameter_supported=document.get(
                    "authorization_response_iss_parameter_supported"
                )
                is True,
            )
            self._metadata_at = time.monotonic()
            return self._metadata

    def _check_discovered(self, endpoints: list[str], userinfo: object) -> None:
        if self._require_https:
            names = ("authorization_endpoint", "token_endpoint", "jwks_uri", "userinfo_endpoint")
            for name, url in zip(names, [*endpoints, userinfo], strict=True):
                if isinstance(url, str) and url and urlsplit(url).scheme != "https":
                    raise IdentityError(Refusal.PROVIDER_UNAVAILABLE, f"{name} is not https")
        if _origin(endpoints[0]) != _origin(self._issuer):
            raise IdentityError(
                Refusal.PROVIDER_UNAVAILABLE, "authorization_endpoint not on the issuer's origin"
            )

    async def _keys(self, *, refresh: bool = False) -> list[dict[str, Any]]:
        metadata = await self._discover()
        if metadata.jwks_uri is None:
            raise IdentityError(Refusal.INVALID_TOKEN, "an id_token but no jwks_uri configured")
        async with self._lock:
            stale = time.monotonic() - self._jwks_at >= _JWKS_REFETCH_INTERVAL
            if self._jwks is not None and not (refresh and stale):
                return self._jwks
            status, document = await self._json("GET", metadata.jwks_uri, what="jwks")
            if status != 200:
                raise IdentityError(Refusal.PROVIDER_UNAVAILABLE, f"jwks answered {status}")
            keys = document.get("keys")
            if not isinstance(keys, list):
                raise IdentityError(Refusal.PROVIDER_UNAVAILABLE, "jwks has no keys")
            self._jwks = [k for k in keys if isinstance(k, dict)]
            self._jwks_at = time.monotonic()
            return self._jwks

    async def _redeem(
        self, metadata: _Metadata, code: str, callback_url: str, flow_state: Mapping[str, str]
    ) -> dict[str, Any]:
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": callback_url,
            "code_verifier": flow_state.get("code_verifier", ""),
        }
        headers: dict[str, str] = {}
        methods = metadata.auth_methods
        if "client_secret_basic" not in methods and "client_secret_post" in methods:
            form |= {"client_id": self._client_id, "client_secret": self._client_secret}
        else:
            # RFC 6749 2.3.1: both halves form-urlencoded before base64.
            pair = f"{quote(self._client_id, safe='')}:{quote(self._client_secret, safe='')}"
            headers["Authorization"] = "Basic " + base64.b64encode(pair.encode()).decode("ascii")
        status, answer = await self._json(
            "POST", metadata.token_endpoint, what="token", data=form, headers=headers
        )
        if status == 200:
            return answer
        error = _safe(answer.get("error"))
        if 400 <= status < 500:
            raise IdentityError(Refusal.INVALID_TOKEN, f"token endpoint {status} {error}")
        raise IdentityError(Refusal.PROVIDER_UNAVAILABLE, f"token endpoint answered {status}")

    async def _userinfo(self, url: str, access_token: str) -> dict[str, Any]:
        status, answer = await self._json(
            "GET", url, what="userinfo", headers={"Authorization": f"Bearer {access_token}"}
        )
        if status == 200:
            return answer
        if 400 <= status < 500:
            raise IdentityError(Refusal.INVALID_TOKEN, f"userinfo answered {status}")
        raise IdentityError(Refusal.PROVIDER_UNAVAILABLE, f"userinfo answered {status}")

    async def _json(
        self,
        method: str,
        url: str,
        *,
        what: str,
        data: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> tuple[int, dict[str, Any]]:
        """Status and JSON object of one request; 4xx answers may carry an empty object."""
        try:
            async with self._http().request(
                method, url, data=data, headers=headers, allow_redirects=False
            ) as response:
                body = bytearray()
                async for chunk in response.content.iter_chunked(65536):
                    body += chunk
                    if len(body) > _MAX_BODY:
                        raise IdentityError(Refusal.PROVIDER_UNAVAILABLE, f"{what} too large")
                status = response.status
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise IdentityError(
                Refusal.PROVIDER_UNAVAILABLE, f"{what}: {type(exc).__name__}"
            ) from exc
        if status >= 500:
            raise IdentityError(Refusal.PROVIDER_UNAVAILABLE, f"{what} answered {status}")
        try:
            document = json.loads(body)
        except ValueError as exc:
            if 400 <= status < 500:
                return status, {}
            raise IdentityError(Refusal.PROVIDER_UNAVAILABLE, f"{what} is not JSON") from exc
        if not isinstance(document, dict):
            if 400 <= status < 500:
                return status, {}
            raise IdentityError(Refusal.PROVIDER_UNAVAILABLE, f"{what} is not a JSON object")
        return status, document


class _Bounded:
    """`asyncio.timeout` that turns the deadline into PROVIDER_UNAVAILABLE."""

    def __init__(self, seconds: float) -> None:
        self._timeout = asyncio.timeout(seconds)

    async def __aenter__(self) -> None:
        await self._timeout.__aenter__()

    async def __aexit__(self, kind: Any, exc: BaseException | None, tb: Any) -> None:
        try:
            await self._timeout.__aexit__(kind, exc, tb)
        except TimeoutError as timeout:
            raise IdentityError(Refusal.PROVIDER_UNAVAILABLE, "timed out") from timeout
