"""Build Latvija.lv-style WS-Federation responses (signed SAML 1.1 assertions) for tests.

The shape follows what Latvija.lv's STS sends (see the public omniauth-latvija fixtures): a
WS-Trust 1.3 `RequestSecurityTokenResponseCollection` by default, or a bare WS-Trust 2005/02
`RequestSecurityTokenResponse` with `ws_trust="2005/02"`.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Literal

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from lxml import etree
from signxml.signer import XMLSigner

SAML = "urn:oasis:names:tc:SAML:1.0:assertion"
TRUST_2005 = "http://schemas.xmlsoap.org/ws/2005/02/trust"
TRUST_13 = "http://docs.oasis-open.org/ws-sx/ws-trust/200512"
WSU = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"
WSP = "http://schemas.xmlsoap.org/ws/2004/09/policy"
WSA = "http://www.w3.org/2005/08/addressing"
CLAIMS = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims"
ORIGINAL_ISSUER_NS = "http://schemas.xmlsoap.org/ws/2009/09/identity/claims"
IVIS_CLAIMS = "http://ivis.eps.gov.lv/schema/identity/claims"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
XS = "http://www.w3.org/2001/XMLSchema"
EXC_C14N = "http://www.w3.org/2001/10/xml-exc-c14n#"

# Valid by portal.identifiers.normalize_personal_code: old format with a correct check digit,
# and a new-format (32…) code, e.g. for a person whose code was changed.
DEFAULT_CODE = "12058412349"
OTHER_OLD_CODE = "01018012347"
NEW_FORMAT_CODE = "32058412345"


def make_signing_pair(common_name: str = "Latvija.lv test STS") -> tuple[str, str]:
    """(private key PEM, self-signed certificate PEM): RSA 2048, SHA-256, valid ±1 day / 1 year."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    return key_pem, cert.public_bytes(serialization.Encoding.PEM).decode()


def _instant(moment: datetime) -> str:
    return (
        moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    )


def _s(name: str) -> str:
    return f"{{{SAML}}}{name}"


def _subject(parent: etree._Element, subject: str) -> None:
    element = etree.SubElement(parent, _s("Subject"))
    name_id = etree.SubElement(element, _s("NameIdentifier"), Format="urn:ivis:100001:name.id-viss")
    name_id.text = subject
    confirmation = etree.SubElement(element, _s("SubjectConfirmation"))
    method = etree.SubElement(confirmation, _s("ConfirmationMethod"))
    method.text = "urn:oasis:names:tc:SAML:1.0:cm:bearer"


def _attribute(
    statement: etree._Element,
    name: str,
    value: str,
    *,
    namespace: str = CLAIMS,
    original_issuer: str | None = None,
    nsmap: dict[str | None, str] | None = None,
) -> etree._Element:
    attributes = {"AttributeName": name, "AttributeNamespace": namespace}
    attribute_nsmap: dict[str | None, str] = {}
    if original_issuer is not None:
        attributes[f"{{{ORIGINAL_ISSUER_NS}}}OriginalIssuer"] = original_issuer
        attribute_nsmap["a"] = ORIGINAL_ISSUER_NS
    attribute = etree.SubElement(statement, _s("Attribute"), attributes, nsmap=attribute_nsmap)
    element = etree.SubElement(attribute, _s("AttributeValue"), nsmap=nsmap)
    element.text = value
    return element


def build_assertion(
    *,
    subject: str,
    given_name: str,
    surname: str,
    codes: Sequence[str],
    current_code_index: int | None,
    realm: str,
    issuer: str,
    not_before: datetime,
    not_on_or_after: datetime,
    assertion_id: str,
    original_issuer: str = "SWEDBANK",
    authentication_method: str = "urn:ivis:100001:am-idp40-wif",
    assurance_level: str = "4",
) -> etree._Element:
    """The unsigned assertion, laid out as Latvija.lv lays it out."""
    now = datetime.now(UTC)
    assertion = etree.Element(
        _s("Assertion"),
        {
            "MajorVersion": "1",
            "MinorVersion": "1",
            "AssertionID": assertion_id,
            "Issuer": issuer,
            "IssueInstant": _instant(now),
        },
        nsmap={"saml": SAML},
    )
    conditions = etree.SubElement(
        assertion,
        _s("Conditions"),
        NotBefore=_instant(not_before),
        NotOnOrAfter=_instant(not_on_or_after),
    )
    restriction = etree.SubElement(conditions, _s("AudienceRestrictionCondition"))
    etree.SubElement(restriction, _s("Audience")).text = realm

    statement = etree.SubElement(assertion, _s("AttributeStatement"))
    _subject(statement, subject)
    _attribute(statement, "givenname", given_name, original_issuer=original_issuer)
    _attribute(statement, "surname", surname, original_issuer=original_issuer)
    for index, code in enumerate(codes):
        current = index == current_code_index
        _attribute(
            statement,
            "privatepersonalidentifier",
            code,
            original_issuer=original_issuer if current else None,
        )
    level = _attribute(
        statement, "citizenQAALevel", assurance_level, namespace=IVIS_CLAIMS, nsmap={"xs": XS}
    )
    level.set(f"{{{XSI}}}type", "xs:integer")

    authentication = etree.SubElement(
        assertion,
        _s("AuthenticationStatement"),
        AuthenticationMethod=authentication_method,
        AuthenticationInstant=_instant(now),
    )
    _subject(authentication, subject)
    etree.SubElement(authentication, _s("SubjectLocality"), IPAddress="127.0.0.1")
    return assertion


def sign_assertion(
    assertion: etree._Element, *, key_pem: str, cert_pem: str, c14n_algorithm: str = EXC_C14N
) -> etree._Element:
    """Enveloped XML-DSig (rsa-sha256, exclusive c14n by default) over `#<AssertionID>`."""
    signer = XMLSigner(
        signature_algorithm="rsa-sha256", digest_algorithm="sha256", c14n_algorithm=c14n_algorithm
    )
    return signer.sign(
        assertion,
        key=key_pem,
        cert=cert_pem,
        reference_uri=f"#{assertion.get('AssertionID')}",
        id_attribute="AssertionID",
    )


def wrap_assertion(
    assertion: etree._Element,
    *,
    realm: str,
    created: datetime,
    expires: datetime,
    ws_trust: Literal["1.3", "2005/02"] = "1.3",
) -> etree._Element:
    """The WS-Trust envelope Latvija.lv posts as `wresult`."""
    trust = TRUST_13 if ws_trust == "1.3" else TRUST_2005
    if ws_trust == "1.3":
        root = etree.Element(
            f"{{{trust}}}RequestSecurityTokenResponseCollection", nsmap={"trust": trust}
        )
        response = etree.SubElement(root, f"{{{trust}}}RequestSecurityTokenResponse")
    else:
        root = response = etree.Element(
            f"{{{trust}}}RequestSecurityTokenResponse", nsmap={"trust": trust}
        )
    lifetime = etree.SubElement(response, f"{{{trust}}}Lifetime")
    etree.SubElement(lifetime, f"{{{WSU}}}Created", nsmap={"wsu": WSU}).text = _instant(created)
    etree.SubElement(lifetime, f"{{{WSU}}}Expires", nsmap={"wsu": WSU}).text = _instant(expires)
    applies_to = etree.SubElement(response, f"{{{WSP}}}AppliesTo", nsmap={"wsp": WSP})
    reference = etree.SubElement(applies_to, f"{{{WSA}}}EndpointReference", nsmap={"wsa": WSA})
    etree.SubElement(reference, f"{{{WSA}}}Address").text = realm
    token = etree.SubElement(response, f"{{{trust}}}RequestedSecurityToken")
    token.append(assertion)
    etree.SubElement(response, f"{{{trust}}}TokenType").text = SAML
    if ws_trust == "1.3":
        etree.SubElement(response, f"{{{trust}}}RequestType").text = f"{TRUST_13}/Issue"
        etree.SubElement(response, f"{{{trust}}}KeyType").text = f"{TRUST_13}/Bearer"
    return root


def make_wresult(
    *,
    key_pem: str,
    cert_pem: str,
    realm: str,
    subject: str | None = None,
    given_name: str = "ANNA",
    surname: str = "BĒRZIŅA",
    codes: Sequence[str] = (DEFAULT_CODE,),
    current_code_index: int | None = 0,
    issuer: str = "http://www.latvija.lv/sts",
    not_before: datetime | None = None,
    not_on_or_after: datetime | None = None,
    assertion_id: str | None = None,
    ws_trust: Literal["1.3", "2005/02"] = "1.3",
    tamper: Callable[[etree._Element], None] | None = None,
    authentication_method: str = "urn:ivis:100001:am-idp40-wif",
    assurance_level: str = "4",
) -> str:
    """A signed `wresult` as Latvija.lv posts it.

    `subject` defaults to `PK:<the current code>` (or the first code). `current_code_index`
    picks the `privatepersonalidentifier` that carries `a:OriginalIssuer`; None: none does.
    `tamper` is called with the signed assertion (already inside the envelope) after signing.
    """
    now = datetime.now(UTC)
    not_before = now - timedelta(minutes=1) if not_before is None else not_before
    not_on_or_after = now + timedelta(hours=1) if not_on_or_after is None else not_on_or_after
    if subject is None:
        subject = f"PK:{codes[current_code_index or 0]}" if codes else "PK:"
    assertion = build_assertion(
        subject=subject,
        given_name=given_name,
        surname=surname,
        codes=codes,
        current_code_index=current_code_index,
        realm=realm,
        issuer=issuer,
        not_before=not_before,
        not_on_or_after=not_on_or_after,
        assertion_id=assertion_id or f"_{uuid.uuid4()}",
        authentication_method=authentication_method,
        assurance_level=assurance_level,
    )
    signed = sign_assertion(assertion, key_pem=key_pem, cert_pem=cert_pem)
    root = wrap_assertion(
        signed, realm=realm, created=not_before, expires=not_on_or_after, ws_trust=ws_trust
    )
    if tamper is not None:
        tamper(signed)
    return str(etree.tostring(root, encoding="unicode"))
