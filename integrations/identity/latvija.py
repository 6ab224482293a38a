"""Latvija.lv (VPM) over WS-Federation passive: a signed SAML 1.1 assertion in `wresult`.

The browser goes to the STS with `wa=wsignin1.0`, `wtrealm`, `wreply`, `wctx` and comes back
with a form POST of `wa`, `wctx` and `wresult`. `wresult` is a WS-Trust
`RequestSecurityTokenResponse`; two envelopes are accepted:

* WS-Trust 1.3 (`http://docs.oasis-open.org/ws-sx/ws-trust/200512`), a
  `RequestSecurityTokenResponseCollection` holding one `RequestSecurityTokenResponse` — the
  shape Latvija.lv's WIF-based STS is known to send (the public omniauth-latvija fixtures);
* WS-Trust 2005/02 (`http://schemas.xmlsoap.org/ws/2005/02/trust`), a bare
  `RequestSecurityTokenResponse`, the WS-Federation 1.1 form.

Either way `RequestedSecurityToken` holds exactly one SAML 1.1 `saml:Assertion`
(`urn:oasis:names:tc:SAML:1.0:assertion`, MajorVersion 1, MinorVersion 1) with an enveloped
XML-DSig signature whose one reference is `#<AssertionID>`. Only what signxml returns as signed
is read; the envelope around it is untrusted and only used to find the assertion.

**Encryption.** Latvija.lv can encrypt the assertion to the relying party's key
(`xenc:EncryptedData` in `RequestedSecurityToken`). This provider does not decrypt: an
encrypted token is refused with `INVALID_TOKEN`. Ask VDAA to turn encryption off for the realm,
or terminate it in a protocol broker (SATOSA, Keycloak) and use the OpenID Connect provider.

**Claims** (namespace `http://schemas.xmlsoap.org/ws/2005/05/identity/claims`, carried SAML 1.1
style as `AttributeNamespace` + `AttributeName`): `givenname`, `surname`,
`privatepersonalidentifier`. The subject is the `saml:NameIdentifier` of the statements
(`PK:<code>`, `PK:<code>-UR:<regno>`, `DP:…`, `AU:…`), returned as is: the portal decides who
gets in.

**Current and earlier personal codes.** After a code change the token carries one
`privatepersonalidentifier` attribute per code. WIF (which the STS runs on) writes a claim's
original issuer as `a:OriginalIssuer` (namespace
`http://schemas.xmlsoap.org/ws/2009/09/identity/claims`) on the `saml:Attribute` element, and
only when it differs from the token's issuer: the code that came from the authenticating bank
or eID carries it, the earlier codes that Latvija.lv adds itself do not. So the value(s) with an
OriginalIssuer come first, then the others in document order; if none has one (a token with a
single code, or a broker that drops it), document order is kept. An `OriginalIssuer` without
namespace, or on the `saml:AttributeValue`, is accepted too.
"""

from __future__ import annotations

import hmac
import re
import secrets
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from cryptography import x509
from lxml import etree
from signxml.algorithms import DigestAlgorithm, SignatureMethod
from signxml.verifier import SignatureConfiguration, XMLVerifier

from portal.identity import FlowStart, IdentityError, ProviderIdentity, Refusal

SAML = "urn:oasis:names:tc:SAML:1.0:assertion"
DSIG = "http://www.w3.org/2000/09/xmldsig#"
XENC = "http://www.w3.org/2001/04/xmlenc#"
TRUST_2005 = "http://schemas.xmlsoap.org/ws/2005/02/trust"
TRUST_13 = "http://docs.oasis-open.org/ws-sx/ws-trust/200512"
CLAIMS = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims"
ORIGINAL_ISSUER_NS = "http://schemas.xmlsoap.org/ws/2009/09/identity/claims"

MAX_WRESULT_BYTES = 256 * 1024
_ORIGINAL_ISSUER = (f"{{{ORIGINAL_ISSUER_NS}}}OriginalIssuer", "OriginalIssuer")
_DATETIME = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:\d{2})?"
)
_SIGNATURE_CONFIG = SignatureConfiguration(
    location="./",  # the ds:Signature is a child of the assertion it signs
    expect_references=1,
    signature_methods=frozenset(
        {SignatureMethod.RSA_SHA256, SignatureMethod.RSA_SHA384, SignatureMethod.RSA_SHA512}
    ),
    digest_algorithms=frozenset(
        {DigestAlgorithm.SHA256, DigestAlgorithm.SHA384, DigestAlgorithm.SHA512}
    ),
)


def _q(namespace: str, name: str) -> str:
    return f"{{{namespace}}}{name}"


def _utcnow() -> datetime:
    return datetime.now(UTC)


class LatvijaProvider:
    """`portal.identity.IdentityProvider` for Latvija.lv's WS-Federation STS.

    `certificate_pem` is the STS signing certificate (from its federation metadata); it may hold
    several PEM certificates, e.g. the old and the new one during a key rollover, and a
    signature by any of them is accepted. `clock` is for tests.
    """

    name = "latvija"

    def __init__(
        self,
        *,
        sts_url: str,
        realm: str,
        certificate_pem: str,
        issuer: str = "http://www.latvija.lv/sts",
        clock_skew: timedelta = timedelta(minutes=2),
        clock: Callable[[], datetime] = _utcnow,
    ) -> None:
        parts = urlsplit(sts_url)
        if parts.scheme not in ("https", "http") or not parts.netloc:
            raise ValueError("sts_url must be an absolute http(s) URL")
        if not realm:
            raise ValueError("realm is required")
        certificates = x509.load_pem_x509_certificates(certificate_pem.encode())
        if not certificates:
            raise ValueError("certificate_pem holds no certificate")
        self._sts_url = sts_url
        self._realm = realm
        self._certificates = tuple(certificates)
        self._issuer = issuer
        self._clock_skew = clock_skew
        self._clock = clock

    async def start(self, *, callback_url: str) -> FlowStart:
        wctx = secrets.token_urlsafe(32)
        ours = {"wa": "wsignin1.0", "wtrealm": self._realm, "wreply": callback_url, "wctx": wctx}
        parts = urlsplit(self._sts_url)
        query = [
            (key, value)
            for key, value in parse_qsl(parts.query, keep_blank_values=True)
            if key not in ours
        ]
        query.extend(ours.items())
        return FlowStart(
            redirect_url=urlunsplit(parts._replace(query=urlencode(query))),
            flow_state={"wctx": wctx},
        )

    async def finish(
        self, *, callback_url: str, params: Mapping[str, str], flow_state: Mapping[str, str]
    ) -> ProviderIdentity:
        expected, received = flow_state.get("wctx", ""), params.get("wctx", "")
        if (
            not expected
            or not received
            or not hmac.compare_digest(expected.encode(), received.encode())
        ):
            raise IdentityError(Refusal.STATE_MISMATCH, "wctx does not match")
        if params.get("wa") != "wsignin1.0":
            raise IdentityError(Refusal.INVALID_TOKEN, "wa is not wsignin1.0")
        wresult = params.get("wresult", "")
        if not wresult:
            raise IdentityError(Refusal.INVALID_TOKEN, "no wresult")
        assertion = self._verified_assertion(self._envelope_assertion(wresult))
        return self._identity(assertion)

    # --- the envelope: untrusted, only to find the assertion ---------------------------------

    @staticmethod
    def _envelope_assertion(wresult: str) -> etree._Element:
        data = wresult.strip().encode("utf-8")
        if len(data) > MAX_WRESULT_BYTES:
            raise IdentityError(Refusal.INVALID_TOKEN, "wresult too large")
        if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
            raise IdentityError(Refusal.INVALID_TOKEN, "DTD in wresult")
        parser = etree.XMLParser(
            resolve_entities=False,
            no_network=True,
            load_dtd=False,
            dtd_validation=False,
            huge_tree=False,
            remove_pis=True,
        )
        try:
            root = etree.fromstring(data, parser=parser)
        except (etree.XMLSyntaxError, ValueError) as exc:
            raise IdentityError(Refusal.INVALID_TOKEN, "wresult is not XML") from exc
        docinfo = root.getroottree().docinfo
        if docinfo.doctype or docinfo.internalDTD is not None or docinfo.externalDTD is not None:
            raise IdentityError(Refusal.INVALID_TOKEN, "DTD in wresult")
        if any(True for _ in root.iter(etree.Entity)):
            raise IdentityError(Refusal.INVALID_TOKEN, "entity in wresult")

        if root.tag == _q(TRUST_13, "RequestSecurityTokenResponseCollection"):
            responses = root.findall(_q(TRUST_13, "RequestSecurityTokenResponse"))
            if len(responses) != 1:
                raise IdentityError(Refusal.INVALID_TOKEN, "expected one token response")
            response, trust = responses[0], TRUST_13
        elif root.tag in (
            _q(TRUST_13, "RequestSecurityTokenResponse"),
            _q(TRUST_2005, "RequestSecurityTokenResponse"),
        ):
            response, trust = root, etree.QName(root).namespace or ""
        else:
            raise IdentityError(Refusal.INVALID_TOKEN, "not a RequestSecurityTokenResponse")

        tokens = response.findall(_q(trust, "RequestedSecurityToken"))
        if len(tokens) != 1:
            raise IdentityError(Refusal.INVALID_TOKEN, "expected one RequestedSecurityToken")
        children = [child for child in tokens[0] if isinstance(child.tag, str)]
        if len(children) != 1:
            raise IdentityError(Refusal.INVALID_TOKEN, "expected one token")
        token = children[0]
        if token.tag == _q(XENC, "EncryptedData"):
            raise IdentityError(
                Refusal.INVALID_TOKEN, "encrypted assertion: turn encryption off or use a broker"
            )
        if token.tag != _q(SAML, "Assertion"):
            raise IdentityError(Refusal.INVALID_TOKEN, "token is not a SAML 1.1 assertion")
        return token

    # --- the signature: from here on only the signed element is read --------------------------

    def _verified_assertion(self, envelope_assertion: etree._Element) -> etree._Element:
        assertion_id = envelope_assertion.get("AssertionID") or ""
        if not assertion_id:
            raise IdentityError(Refusal.INVALID_TOKEN, "no AssertionID")
        failure = "signature"
        for certificate in self._certificates:
            try:
                result = XMLVerifier().verify(
                    envelope_assertion,
                    x509_cert=certificate,
                    id_attribute="AssertionID",
                    expect_config=_SIGNATURE_CONFIG,
                )
            except Exception as exc:  # signxml, lxml, base64, enum lookups: all mean "bad token"
                failure = f"signature: {type(exc).__name__}"
                continue
            if isinstance(result, list):  # not with expect_references=1; for the type checker
                raise IdentityError(Refusal.INVALID_TOKEN, "signature: several references")
            signed = result.signed_xml
            if signed is None or signed.tag != _q(SAML, "Assertion"):
                raise IdentityError(Refusal.INVALID_TOKEN, "signed element is not the assertion")
            references = result.signature_xml.findall(f"{{{DSIG}}}SignedInfo/{{{DSIG}}}Reference")
            if (
                len(references) != 1
                or references[0].get("URI") != f"#{assertion_id}"
                or signed.get("AssertionID") != assertion_id
            ):
                raise IdentityError(Refusal.INVALID_TOKEN, "signature does not cover the assertion")
            return signed
        raise IdentityError(Refusal.INVALID_TOKEN, failure)

    def _identity(self, assertion: etree._Element) -> ProviderIdentity:
        if assertion.get("MajorVersion") != "1" or assertion.get("MinorVersion") != "1":
            raise IdentityError(Refusal.INVALID_TOKEN, "not SAML 1.1")
        assertion_id = assertion.get("AssertionID") or ""
        if assertion.get("Issuer") != self._issuer:
            raise IdentityError(Refusal.WRONG_ISSUER, "unexpected Issuer")
        valid_until = self._check_conditions(assertion)
        return ProviderIdentity(
            provider=self.name,
            subject=_subject(assertion),
            personal_codes=_personal_codes(assertion),
            given_name=_first_claim(assertion, "givenname"),
            family_name=_first_claim(assertion, "surname"),
            assertion_id=f"latvija:{assertion_id}",
            valid_until=valid_until,
            clock_skew=self._clock_skew,  # `_check_conditions` accepts it that much longer
        )

    def _check_conditions(self, assertion: etree._Element) -> datetime:
        """Validity window and audience; unknown conditions make the assertion unusable."""
        conditions = assertion.findall(_q(SAML, "Conditions"))
        if len(conditions) != 1:
            raise IdentityError(Refusal.INVALID_TOKEN, "expected one Conditions")
        condition = conditions[0]
        not_on_or_after = _parse_datetime(condition.get("NotOnOrAfter"))
        if not_on_or_after is None:
            raise IdentityError(Refusal.INVALID_TOKEN, "no valid NotOnOrAfter")
        raw_not_before = condition.get("NotBefore")
        not_before = _parse_datetime(raw_not_before)
        if raw_not_before is not None and not_before is None:
            raise IdentityError(Refusal.INVALID_TOKEN, "bad NotBefore")
        now = self._clock()
        if not_before is not None and now + self._clock_skew < not_before:
            raise IdentityError(Refusal.EXPIRED, "assertion not yet valid")
        if now - self._clock_skew >= not_on_or_after:
            raise IdentityError(Refusal.EXPIRED, "assertion expired")

        restrictions = 0
        for child in condition:
            if not isinstance(child.tag, str):
                continue
            if child.tag == _q(SAML, "AudienceRestrictionCondition"):
                restrictions += 1
                audiences = [(a.text or "").strip() for a in child.findall(_q(SAML, "Audience"))]
                if self._realm not in audiences:
                    raise IdentityError(Refusal.WRONG_AUDIENCE, "realm not among audiences")
            elif child.tag != _q(SAML, "DoNotCacheCondition"):
                raise IdentityError(Refusal.INVALID_TOKEN, "unknown condition")
        if restrictions == 0:
            raise IdentityError(Refusal.WRONG_AUDIENCE, "no audience restriction")
        return not_on_or_after


def _parse_datetime(raw: str | None) -> datetime | None:
    """xs:dateTime as SAML writes it (UTC; any number of fraction digits) → aware UTC."""
    if raw is None:
        return None
    match = _DATETIME.fullmatch(raw.strip())
    if match is None:
        return None
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    try:
        moment = datetime(
            int(year),
            int(month),
            int(day),
            int(hour),
            int(minute),
            int(second),
            int((fraction or "0")[:6].ljust(6, "0")),
            tzinfo=UTC,
        )
    except ValueError:
        return None
    if zone and zone != "Z":
        sign = 1 if zone[0] == "+" else -1
        moment -= sign * timedelta(hours=int(zone[1:3]), minutes=int(zone[4:6]))
    return moment


def _subject(assertion: etree._Element) -> str:
    names = {
        (element.text or "").strip()
        for statement in ("AttributeStatement", "AuthenticationStatement")
        for element in assertion.findall(
            f"{_q(SAML, statement)}/{_q(SAML, 'Subject')}/{_q(SAML, 'NameIdentifier')}"
        )
    }
    names.discard("")
    if len(names) != 1:
        raise IdentityError(Refusal.INVALID_TOKEN, f"{len(names)} distinct subjects")
    return names.pop()


def _claims(assertion: etree._Element, name: str) -> list[tuple[etree._Element, etree._Element]]:
    """(Attribute, AttributeValue) pairs of one claim, in document order."""
    pairs: list[tuple[etree._Element, etree._Element]] = []
    for attribute in assertion.findall(f"{_q(SAML, 'AttributeStatement')}/{_q(SAML, 'Attribute')}"):
        if attribute.get("AttributeNamespace") != CLAIMS or attribute.get("AttributeName") != name:
            continue
        pairs.extend((attribute, value) for value in attribute.findall(_q(SAML, "AttributeValue")))
    return pairs


def _text(element: etree._Element) -> str:
    return "".join(element.itertext()).strip()


def _first_claim(assertion: etree._Element, name: str) -> str:
    for _, value in _claims(assertion, name):
        if text := _text(value):
            return text
    return ""


def _has_original_issuer(element: etree._Element) -> bool:
    return any(element.get(key) for key in _ORIGINAL_ISSUER)


def _personal_codes(assertion: etree._Element) -> tuple[str, ...]:
    current: list[str] = []
    earlier: list[str] = []
    for attribute, value in _claims(assertion, "privatepersonalidentifier"):
        if text := _text(value):
            is_current = _has_original_issuer(attribute) or _has_original_issuer(value)
            (current if is_current else earlier).append(text)
    return tuple(dict.fromkeys(current + earlier))
