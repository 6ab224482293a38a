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

**Encryption.** Latvija.lv encrypts the assertion to the relying party's certificate when the
realm asks for it: `RequestedSecurityToken` then holds one `xenc:EncryptedData`. With
`private_key_pem` (LATVIJA_PRIVATE_KEY) it is decrypted (`xmlenc.py`: RSA-OAEP with SHA-1 or
SHA-256, RSA 1.5 only when allowed; AES-128/256 in CBC or GCM), the plaintext is parsed with the
same hardened parser as the envelope and must be one `saml:Assertion`, whose signature is then
verified exactly as an unencrypted one. Every failure up to and including that signature check
is the one refusal `DECRYPTION_FAILED` (the log line says which step): telling the steps apart
would let anyone who can encrypt to our public key use us as a padding oracle.

**Signature.** Only canonicalization without comments is accepted (exclusive or inclusive
c14n 1.0, c14n 1.1), in `SignedInfo` and in the reference's transforms; text is always read
whole (`_text`), so a comment cannot cut a signed value short.

**Claims** (namespace `http://schemas.xmlsoap.org/ws/2005/05/identity/claims`, carried SAML 1.1
style as `AttributeNamespace` + `AttributeName`): `givenname`, `surname`,
`privatepersonalidentifier`; and `citizenQAALevel` (namespace
`http://ivis.eps.gov.lv/schema/identity/claims`) with the `AuthenticationMethod` of the
`AuthenticationStatement`, which say how the person authenticated (for the activity log). The
subject is the `saml:NameIdentifier` of the statements (`PK:<code>`, `PK:<code>-UR:<regno>`,
`DP:…`, `AU:…`), returned as is: the portal decides who gets in.

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

from integrations.identity import xmlenc
from portal.identity import FlowStart, IdentityError, ProviderIdentity, Refusal

SAML = "urn:oasis:names:tc:SAML:1.0:assertion"
DSIG = "http://www.w3.org/2000/09/xmldsig#"
XENC = xmlenc.XENC
TRUST_2005 = "http://schemas.xmlsoap.org/ws/2005/02/trust"
TRUST_13 = "http://docs.oasis-open.org/ws-sx/ws-trust/200512"
CLAIMS = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims"
ORIGINAL_ISSUER_NS = "http://schemas.xmlsoap.org/ws/2009/09/identity/claims"
IVIS_CLAIMS = "http://ivis.eps.gov.lv/schema/identity/claims"

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
# Canonicalization that drops comments; the #WithComments forms would keep a comment inside
# signed text, where it can split a value (`PK:<code><!--x-->-UR:<regno>`).
_C14N_WITHOUT_COMMENTS = frozenset(
    {
        "http://www.w3.org/2001/10/xml-exc-c14n#",
        "http://www.w3.org/TR/2001/REC-xml-c14n-20010315",
        "http://www.w3.org/2006/12/xml-c14n11",
    }
)
_ENVELOPED = "http://www.w3.org/2000/09/xmldsig#enveloped-signature"


def _q(namespace: str, name: str) -> str:
    return f"{{{namespace}}}{name}"


def _utcnow() -> datetime:
    return datetime.now(UTC)


class LatvijaProvider:
    """`portal.ports.IdentityProvider` for Latvija.lv's WS-Federation STS.

    `certificate_pem` is the STS signing certificate (from its federation metadata); it may hold
    several PEM certificates, e.g. the old and the new one during a key rollover, and a
    signature by any of them is accepted. `private_key_pem` is the relying party's own RSA key
    (or keys, during a rollover) that encrypted tokens are decrypted with; without it an
    encrypted token is refused. `allow_rsa_1_5` admits RSA PKCS#1 v1.5 key transport, which is
    off by default (Bleichenbacher). `clock` is for tests.
    """

    name = "latvija"

    def __init__(
        self,
        *,
        sts_url: str,
        realm: str,
        certificate_pem: str,
        issuer: str = "http://www.latvija.lv/sts",
        private_key_pem: bytes | None = None,
        allow_rsa_1_5: bool = False,
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
        self._keys = xmlenc.load_private_keys(private_key_pem) if private_key_pem else ()
        self._allow_rsa_1_5 = allow_rsa_1_5
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
        token = self._envelope_token(wresult)
        if token.tag == _q(XENC, "EncryptedData"):
            assertion = self._decrypted_assertion(token)
        else:
            assertion = self._verified_assertion(token)
        return self._identity(assertion)

    # --- the envelope: untrusted, only to find the assertion ---------------------------------

    @staticmethod
    def _envelope_token(wresult: str) -> etree._Element:
        """The one token in `RequestedSecurityToken`: a SAML assertion or its encryption."""
        data = wresult.strip().encode("utf-8")
        if len(data) > MAX_WRESULT_BYTES:
            raise IdentityError(Refusal.INVALID_TOKEN, "wresult too large")
        root = _parse(data, "wresult")

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
        if token.tag not in (_q(SAML, "Assertion"), _q(XENC, "EncryptedData")):
            raise IdentityError(Refusal.INVALID_TOKEN, "token is not a SAML 1.1 assertion")
        return token

    def _decrypted_assertion(self, encrypted: etree._Element) -> etree._Element:
        """Decrypt, parse, verify: one refusal for every step, the step only in the log."""
        if not self._keys:
            raise IdentityError(Refusal.DECRYPTION_FAILED, "encrypted token, no private key set")
        try:
            plain = xmlenc.decrypt(encrypted, keys=self._keys, allow_rsa_1_5=self._allow_rsa_1_5)
            assertion = _parse(plain, "decrypted token")
            if assertion.tag != _q(SAML, "Assertion"):
                raise IdentityError(Refusal.INVALID_TOKEN, "not a SAML 1.1 assertion")
            return self._verified_assertion(assertion)
        except xmlenc.DecryptionError as exc:
            raise IdentityError(Refusal.DECRYPTION_FAILED, f"decryption: {exc}") from None
        except IdentityError as exc:
            raise IdentityError(Refusal.DECRYPTION_FAILED, f"decrypted: {exc.detail}") from None

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
            _require_c14n_without_comments(result.signature_xml)
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
            authentication_method=_authentication_method(assertion),
            assurance_level=_first_claim(assertion, "citizenQAALevel", namespace=IVIS_CLAIMS),
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


def _parse(data: bytes, what: str) -> etree._Element:
    """Hardened parsing of untrusted XML: no DTD, no entities, no network, no huge trees."""
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        raise IdentityError(Refusal.INVALID_TOKEN, f"DTD in {what}")
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
        raise IdentityError(Refusal.INVALID_TOKEN, f"{what} is not XML") from exc
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None or docinfo.externalDTD is not None:
        raise IdentityError(Refusal.INVALID_TOKEN, f"DTD in {what}")
    if any(True for _ in root.iter(etree.Entity)):
        raise IdentityError(Refusal.INVALID_TOKEN, f"entity in {what}")
    return root


def _require_c14n_without_comments(signature: etree._Element) -> None:
    signed_info = signature.find(f"{{{DSIG}}}SignedInfo")
    if signed_info is None:
        raise IdentityError(Refusal.INVALID_TOKEN, "no SignedInfo")
    methods = signed_info.findall(f"{{{DSIG}}}CanonicalizationMethod")
    transforms = signed_info.findall(
        f"{{{DSIG}}}Reference/{{{DSIG}}}Transforms/{{{DSIG}}}Transform"
    )
    if len(methods) != 1 or methods[0].get("Algorithm") not in _C14N_WITHOUT_COMMENTS:
        raise IdentityError(Refusal.INVALID_TOKEN, "SignedInfo canonicalization not allowed")
    for transform in transforms:
        algorithm = transform.get("Algorithm")
        if algorithm != _ENVELOPED and algorithm not in _C14N_WITHOUT_COMMENTS:
            raise IdentityError(Refusal.INVALID_TOKEN, "reference transform not allowed")


def _subject(assertion: etree._Element) -> str:
    names = {
        _text(element)
        for statement in ("AttributeStatement", "AuthenticationStatement")
        for element in assertion.findall(
            f"{_q(SAML, statement)}/{_q(SAML, 'Subject')}/{_q(SAML, 'NameIdentifier')}"
        )
    }
    names.discard("")
    if len(names) != 1:
        raise IdentityError(Refusal.INVALID_TOKEN, f"{len(names)} distinct subjects")
    return names.pop()


def _claims(
    assertion: etree._Element, name: str, namespace: str = CLAIMS
) -> list[tuple[etree._Element, etree._Element]]:
    """(Attribute, AttributeValue) pairs of one claim, in document order."""
    pairs: list[tuple[etree._Element, etree._Element]] = []
    for attribute in assertion.findall(f"{_q(SAML, 'AttributeStatement')}/{_q(SAML, 'Attribute')}"):
        if (
            attribute.get("AttributeNamespace") != namespace
            or attribute.get("AttributeName") != name
        ):
            continue
        pairs.extend((attribute, value) for value in attribute.findall(_q(SAML, "AttributeValue")))
    return pairs


def _text(element: etree._Element) -> str:
    """All of an element's text: a comment or processing instruction inside does not cut it."""
    return "".join(element.itertext()).strip()


def _first_claim(assertion: etree._Element, name: str, namespace: str = CLAIMS) -> str:
    for _, value in _claims(assertion, name, namespace):
        if text := _text(value):
            return text
    return ""


def _authentication_method(assertion: etree._Element) -> str:
    for statement in assertion.findall(_q(SAML, "AuthenticationStatement")):
        if method := (statement.get("AuthenticationMethod") or "").strip():
            return method
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
