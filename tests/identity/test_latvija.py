"""The Latvija.lv WS-Federation provider: signed SAML 1.1 assertions, and everything that is not."""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from lxml import etree
from saml_support import (
    DEFAULT_CODE,
    NEW_FORMAT_CODE,
    OTHER_OLD_CODE,
    SAML,
    build_assertion,
    make_signing_pair,
    make_wresult,
    sign_assertion,
    wrap_assertion,
)

from integrations.identity import latvija
from integrations.identity.latvija import LatvijaProvider
from portal.identifiers import is_personal_code
from portal.identity import IdentityError, ProviderIdentity, Refusal, natural_person

REALM = "urn:federation:altum-bot"
CALLBACK = "https://bot.example.lv/auth/latvija/callback"
STS = "https://epaktv.vraa.gov.lv/IVIS.LVP.STS/Default.aspx"
WCTX = "the-wctx-from-start"


@pytest.fixture(scope="module")
def pair() -> tuple[str, str]:
    return make_signing_pair()


@pytest.fixture(scope="module")
def other_pair() -> tuple[str, str]:
    return make_signing_pair("Not Latvija.lv")


@pytest.fixture
def provider(pair: tuple[str, str]) -> LatvijaProvider:
    return LatvijaProvider(sts_url=STS, realm=REALM, certificate_pem=pair[1])


def wresult(pair: tuple[str, str], **kwargs: object) -> str:
    kwargs.setdefault("realm", REALM)
    return make_wresult(key_pem=pair[0], cert_pem=pair[1], **kwargs)  # type: ignore[arg-type]


async def finish(provider: LatvijaProvider, token: str, **params: str) -> ProviderIdentity:
    form = {"wa": "wsignin1.0", "wctx": WCTX, "wresult": token, **params}
    return await provider.finish(callback_url=CALLBACK, params=form, flow_state={"wctx": WCTX})


async def refused(provider: LatvijaProvider, token: str, **params: str) -> Refusal:
    return (await refusal(provider, token, **params)).refusal


async def refusal(provider: LatvijaProvider, token: str, **params: str) -> IdentityError:
    with pytest.raises(IdentityError) as caught:
        await finish(provider, token, **params)
    return caught.value


def signed_envelope(
    pair: tuple[str, str], change: Callable[[etree._Element], None], **kwargs: object
) -> str:
    """Build an assertion, change it *before* signing, sign, wrap: a validly signed oddity."""
    now = datetime.now(UTC)
    fields: dict[str, object] = {
        "subject": f"PK:{DEFAULT_CODE}",
        "given_name": "ANNA",
        "surname": "BĒRZIŅA",
        "codes": (DEFAULT_CODE,),
        "current_code_index": 0,
        "realm": REALM,
        "issuer": "http://www.latvija.lv/sts",
        "not_before": now - timedelta(minutes=1),
        "not_on_or_after": now + timedelta(hours=1),
        "assertion_id": "_odd",
    }
    fields.update(kwargs)
    assertion = build_assertion(**fields)  # type: ignore[arg-type]
    change(assertion)
    signed = sign_assertion(assertion, key_pem=pair[0], cert_pem=pair[1])
    root = wrap_assertion(signed, realm=REALM, created=now, expires=now + timedelta(hours=1))
    return str(etree.tostring(root, encoding="unicode"))


def saml(element: etree._Element, path: str) -> etree._Element:
    found = element.find(path, namespaces={"saml": SAML})
    assert found is not None, path
    return found


# --- the happy path ---------------------------------------------------------------------------


def test_default_codes_are_valid() -> None:
    assert all(map(is_personal_code, (DEFAULT_CODE, OTHER_OLD_CODE, NEW_FORMAT_CODE)))


async def test_valid_token_gives_the_identity(
    provider: LatvijaProvider, pair: tuple[str, str]
) -> None:
    until = datetime.now(UTC).replace(microsecond=123000) + timedelta(minutes=30)
    token = wresult(
        pair,
        codes=(DEFAULT_CODE, NEW_FORMAT_CODE, OTHER_OLD_CODE),
        current_code_index=1,  # the current code is not first in the document
        assertion_id="_a1b2c3",
        not_on_or_after=until,
    )
    identity = await finish(provider, token)
    assert identity == ProviderIdentity(
        provider="latvija",
        subject=f"PK:{NEW_FORMAT_CODE}",
        personal_codes=(NEW_FORMAT_CODE, DEFAULT_CODE, OTHER_OLD_CODE),
        given_name="ANNA",
        family_name="BĒRZIŅA",
        assertion_id="latvija:_a1b2c3",
        valid_until=until,
        authentication_method="urn:ivis:100001:am-idp40-wif",
        assurance_level="4",
        clock_skew=timedelta(minutes=2),  # the verifier's default skew: remembered that long too
    )
    assert identity.valid_until is not None and identity.valid_until.utcoffset() == timedelta(0)

    person = natural_person(identity)
    assert person.personal_code == NEW_FORMAT_CODE
    assert person.previous_codes == (DEFAULT_CODE, OTHER_OLD_CODE)
    assert person.full_name == "Anna Bērziņa"


async def test_ws_trust_2005_envelope_is_accepted(
    provider: LatvijaProvider, pair: tuple[str, str]
) -> None:
    identity = await finish(provider, wresult(pair, ws_trust="2005/02"))
    assert identity.subject == f"PK:{DEFAULT_CODE}"
    assert identity.personal_codes == (DEFAULT_CODE,)


async def test_without_original_issuer_codes_keep_document_order(
    provider: LatvijaProvider, pair: tuple[str, str]
) -> None:
    token = wresult(
        pair,
        subject=f"PK:{OTHER_OLD_CODE}",
        codes=(OTHER_OLD_CODE, DEFAULT_CODE),
        current_code_index=None,
    )
    identity = await finish(provider, token)
    assert identity.personal_codes == (OTHER_OLD_CODE, DEFAULT_CODE)


@pytest.mark.parametrize("where", ["value-namespaced", "attribute-plain", "value-plain"])
async def test_original_issuer_elsewhere_marks_the_current_code(
    provider: LatvijaProvider, pair: tuple[str, str], where: str
) -> None:
    def mark_second_code(assertion: etree._Element) -> None:
        attributes = [
            a
            for a in assertion.iter(f"{{{SAML}}}Attribute")
            if a.get("AttributeName") == "privatepersonalidentifier"
        ]
        target = (
            attributes[1]
            if where.startswith("attribute")
            else saml(attributes[1], "saml:AttributeValue")
        )
        name = (
            "{http://schemas.xmlsoap.org/ws/2009/09/identity/claims}OriginalIssuer"
            if where.endswith("namespaced")
            else "OriginalIssuer"
        )
        target.set(name, "SEB")

    token = signed_envelope(
        pair,
        mark_second_code,
        subject=f"PK:{DEFAULT_CODE}",
        codes=(OTHER_OLD_CODE, DEFAULT_CODE),
        current_code_index=None,
    )
    identity = await finish(provider, token)
    assert identity.personal_codes == (DEFAULT_CODE, OTHER_OLD_CODE)


async def test_signing_certificate_rollover(
    pair: tuple[str, str], other_pair: tuple[str, str]
) -> None:
    both = LatvijaProvider(sts_url=STS, realm=REALM, certificate_pem=other_pair[1] + pair[1])
    identity = await finish(both, wresult(pair))
    assert identity.subject == f"PK:{DEFAULT_CODE}"


# --- signatures -------------------------------------------------------------------------------


async def test_name_tampered_after_signing(
    provider: LatvijaProvider, pair: tuple[str, str]
) -> None:
    def rename(assertion: etree._Element) -> None:
        for attribute in assertion.iter(f"{{{SAML}}}Attribute"):
            if attribute.get("AttributeName") == "givenname":
                saml(attribute, "saml:AttributeValue").text = "MALLORY"

    assert await refused(provider, wresult(pair, tamper=rename)) == Refusal.INVALID_TOKEN


async def test_subject_tampered_after_signing(
    provider: LatvijaProvider, pair: tuple[str, str]
) -> None:
    def resubject(assertion: etree._Element) -> None:
        for name_id in assertion.iter(f"{{{SAML}}}NameIdentifier"):
            name_id.text = f"PK:{OTHER_OLD_CODE}"

    assert await refused(provider, wresult(pair, tamper=resubject)) == Refusal.INVALID_TOKEN


async def test_signed_by_another_key(
    provider: LatvijaProvider, other_pair: tuple[str, str]
) -> None:
    # The signature carries its own (attacker's) certificate: it must not be trusted.
    assert await refused(provider, wresult(other_pair)) == Refusal.INVALID_TOKEN


async def test_signature_removed(provider: LatvijaProvider, pair: tuple[str, str]) -> None:
    def unsign(assertion: etree._Element) -> None:
        signature = assertion.find("{http://www.w3.org/2000/09/xmldsig#}Signature")
        assert signature is not None
        assertion.remove(signature)

    assert await refused(provider, wresult(pair, tamper=unsign)) == Refusal.INVALID_TOKEN


async def test_comment_inside_signed_text_does_not_truncate_it(
    provider: LatvijaProvider, pair: tuple[str, str]
) -> None:
    """Exclusive c14n ignores comments: the verified copy must be read, not the posted tree."""

    def split(assertion: etree._Element) -> None:
        for name_id in assertion.iter(f"{{{SAML}}}NameIdentifier"):
            text = name_id.text or ""
            name_id.text = text[:7]
            comment = etree.Comment(" x ")
            comment.tail = text[7:]
            name_id.append(comment)

    identity = await finish(provider, wresult(pair, tamper=split))
    assert identity.subject == f"PK:{DEFAULT_CODE}"


WITH_COMMENTS = "http://www.w3.org/2001/10/xml-exc-c14n#WithComments"


@pytest.mark.parametrize(
    ("c14n", "refusal_"),
    [
        (WITH_COMMENTS, Refusal.INVALID_TOKEN),  # canonicalization keeping comments: refused
        ("http://www.w3.org/2001/10/xml-exc-c14n#", Refusal.NOT_NATURAL_PERSON),  # read whole
    ],
    ids=["with-comments", "without-comments"],
)
async def test_comment_splitting_a_signed_name_identifier_is_refused(
    provider: LatvijaProvider, pair: tuple[str, str], c14n: str, refusal_: Refusal
) -> None:
    """Signed by the trusted key: `PK:<code><!--x-->-UR:<regno>`, a company signatory, must
    not pass as the natural person `PK:<code>` (text read up to the comment)."""
    now = datetime.now(UTC)
    assertion = build_assertion(
        subject=f"PK:{DEFAULT_CODE}",
        given_name="ANNA",
        surname="BĒRZIŅA",
        codes=(DEFAULT_CODE,),
        current_code_index=0,
        realm=REALM,
        issuer="http://www.latvija.lv/sts",
        not_before=now - timedelta(minutes=1),
        not_on_or_after=now + timedelta(hours=1),
        assertion_id="_commented",
    )
    for name_id in assertion.iter(f"{{{SAML}}}NameIdentifier"):
        comment = etree.Comment("x")
        comment.tail = "-UR:40103999940"
        name_id.append(comment)
    signed = sign_assertion(assertion, key_pem=pair[0], cert_pem=pair[1], c14n_algorithm=c14n)
    root = wrap_assertion(signed, realm=REALM, created=now, expires=now + timedelta(hours=1))
    with pytest.raises(IdentityError) as caught:
        natural_person(await finish(provider, str(etree.tostring(root, encoding="unicode"))))
    assert caught.value.refusal is refusal_


def test_the_subject_is_read_whole_past_comments_and_instructions() -> None:
    assertion = etree.fromstring(
        f'<saml:Assertion xmlns:saml="{SAML}"><saml:AttributeStatement><saml:Subject>'
        "<saml:NameIdentifier>PK:120584<!--x-->12349<?pi y?>-UR:40103999940"
        "</saml:NameIdentifier></saml:Subject></saml:AttributeStatement></saml:Assertion>"
    )
    assert latvija._subject(assertion) == "PK:12058412349-UR:40103999940"


def evil_copy(signed: etree._Element) -> etree._Element:
    evil = copy.deepcopy(signed)
    evil.set("AssertionID", "_evil")
    signature = evil.find("{http://www.w3.org/2000/09/xmldsig#}Signature")
    if signature is not None:
        evil.remove(signature)
    for name_id in evil.iter(f"{{{SAML}}}NameIdentifier"):
        name_id.text = f"PK:{OTHER_OLD_CODE}"
    return evil


async def test_wrapping_second_assertion_in_the_token(
    provider: LatvijaProvider, pair: tuple[str, str]
) -> None:
    def inject(signed: etree._Element) -> None:
        parent = signed.getparent()
        assert parent is not None
        parent.insert(0, evil_copy(signed))

    assert await refused(provider, wresult(pair, tamper=inject)) == Refusal.INVALID_TOKEN


async def test_wrapping_signed_assertion_moved_aside(
    provider: LatvijaProvider, pair: tuple[str, str]
) -> None:
    """Evil assertion where the token belongs; the signed one parked elsewhere in the envelope."""

    def swap(signed: etree._Element) -> None:
        token = signed.getparent()
        assert token is not None
        response = token.getparent()
        assert response is not None
        token.replace(signed, evil_copy(signed))
        response.append(signed)

    assert await refused(provider, wresult(pair, tamper=swap)) == Refusal.INVALID_TOKEN


async def test_wrapping_signed_assertion_nested_in_evil_one(
    provider: LatvijaProvider, pair: tuple[str, str]
) -> None:
    """Evil assertion carries the real signature; the real assertion hides inside it."""

    def nest(signed: etree._Element) -> None:
        token = signed.getparent()
        assert token is not None
        evil = evil_copy(signed)
        signature = signed.find("{http://www.w3.org/2000/09/xmldsig#}Signature")
        assert signature is not None
        token.replace(signed, evil)
        advice = etree.SubElement(evil, f"{{{SAML}}}Advice")
        advice.append(signed)
        signed.remove(signature)
        evil.append(signature)

    assert await refused(provider, wresult(pair, tamper=nest)) == Refusal.INVALID_TOKEN


async def test_unsigned_assertion_elsewhere_is_ignored(
    provider: LatvijaProvider, pair: tuple[str, str]
) -> None:
    def park(signed: etree._Element) -> None:
        token = signed.getparent()
        assert token is not None
        response = token.getparent()
        assert response is not None
        response.insert(0, evil_copy(signed))

    identity = await finish(provider, wresult(pair, tamper=park))
    assert identity.subject == f"PK:{DEFAULT_CODE}"
    assert identity.personal_codes == (DEFAULT_CODE,)


async def test_encrypted_assertion_without_a_private_key_is_refused(
    provider: LatvijaProvider, pair: tuple[str, str]
) -> None:
    def encrypt(signed: etree._Element) -> None:
        token = signed.getparent()
        assert token is not None
        encrypted = etree.Element("{http://www.w3.org/2001/04/xmlenc#}EncryptedData")
        etree.SubElement(encrypted, "{http://www.w3.org/2001/04/xmlenc#}CipherData")
        token.replace(signed, encrypted)

    error = await refusal(provider, wresult(pair, tamper=encrypt))
    assert error.refusal == Refusal.DECRYPTION_FAILED
    assert "no private key" in error.detail


# --- issuer, audience, validity ---------------------------------------------------------------


async def test_wrong_issuer(provider: LatvijaProvider, pair: tuple[str, str]) -> None:
    token = wresult(pair, issuer="http://evil.example/sts")
    assert await refused(provider, token) == Refusal.WRONG_ISSUER


async def test_wrong_audience(provider: LatvijaProvider, pair: tuple[str, str]) -> None:
    token = wresult(pair, realm="urn:federation:someone-else")
    assert await refused(provider, token) == Refusal.WRONG_AUDIENCE


async def test_no_audience_restriction(provider: LatvijaProvider, pair: tuple[str, str]) -> None:
    def drop(assertion: etree._Element) -> None:
        conditions = saml(assertion, "saml:Conditions")
        conditions.remove(saml(conditions, "saml:AudienceRestrictionCondition"))

    assert await refused(provider, signed_envelope(pair, drop)) == Refusal.WRONG_AUDIENCE


async def test_expired(provider: LatvijaProvider, pair: tuple[str, str]) -> None:
    now = datetime.now(UTC)
    token = wresult(
        pair, not_before=now - timedelta(hours=1), not_on_or_after=now - timedelta(minutes=3)
    )
    assert await refused(provider, token) == Refusal.EXPIRED


async def test_just_expired_within_clock_skew(
    provider: LatvijaProvider, pair: tuple[str, str]
) -> None:
    now = datetime.now(UTC)
    token = wresult(
        pair, not_before=now - timedelta(hours=1), not_on_or_after=now - timedelta(minutes=1)
    )
    assert (await finish(provider, token)).subject == f"PK:{DEFAULT_CODE}"


async def test_not_yet_valid(provider: LatvijaProvider, pair: tuple[str, str]) -> None:
    now = datetime.now(UTC)
    token = wresult(pair, not_before=now + timedelta(minutes=5))
    assert await refused(provider, token) == Refusal.EXPIRED


async def test_not_yet_valid_within_clock_skew(
    provider: LatvijaProvider, pair: tuple[str, str]
) -> None:
    token = wresult(pair, not_before=datetime.now(UTC) + timedelta(minutes=1))
    assert (await finish(provider, token)).subject == f"PK:{DEFAULT_CODE}"


async def test_missing_conditions(provider: LatvijaProvider, pair: tuple[str, str]) -> None:
    def drop(assertion: etree._Element) -> None:
        assertion.remove(saml(assertion, "saml:Conditions"))

    assert await refused(provider, signed_envelope(pair, drop)) == Refusal.INVALID_TOKEN


async def test_missing_not_on_or_after(provider: LatvijaProvider, pair: tuple[str, str]) -> None:
    def drop(assertion: etree._Element) -> None:
        del saml(assertion, "saml:Conditions").attrib["NotOnOrAfter"]

    assert await refused(provider, signed_envelope(pair, drop)) == Refusal.INVALID_TOKEN


async def test_unknown_condition(provider: LatvijaProvider, pair: tuple[str, str]) -> None:
    def add(assertion: etree._Element) -> None:
        etree.SubElement(saml(assertion, "saml:Conditions"), f"{{{SAML}}}Condition")

    assert await refused(provider, signed_envelope(pair, add)) == Refusal.INVALID_TOKEN


async def test_conflicting_subjects(provider: LatvijaProvider, pair: tuple[str, str]) -> None:
    def split(assertion: etree._Element) -> None:
        saml(
            assertion, "saml:AuthenticationStatement/saml:Subject/saml:NameIdentifier"
        ).text = f"PK:{OTHER_OLD_CODE}"

    assert await refused(provider, signed_envelope(pair, split)) == Refusal.INVALID_TOKEN


# --- the form: wctx, wa, wresult --------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "flow_state"),
    [
        ({"wctx": "someone-elses"}, {"wctx": WCTX}),
        ({}, {"wctx": WCTX}),
        ({"wctx": WCTX}, {}),
        ({"wctx": ""}, {"wctx": ""}),
    ],
    ids=["mismatch", "missing", "no-flow-state", "both-empty"],
)
async def test_wctx_must_match(
    provider: LatvijaProvider,
    pair: tuple[str, str],
    params: dict[str, str],
    flow_state: dict[str, str],
) -> None:
    form = {"wa": "wsignin1.0", "wresult": wresult(pair), **params}
    with pytest.raises(IdentityError) as caught:
        await provider.finish(callback_url=CALLBACK, params=form, flow_state=flow_state)
    assert caught.value.refusal == Refusal.STATE_MISMATCH


async def test_wa_must_be_signin(provider: LatvijaProvider, pair: tuple[str, str]) -> None:
    assert await refused(provider, wresult(pair), wa="wsignout1.0") == Refusal.INVALID_TOKEN


@pytest.mark.parametrize("token", ["", "not xml", "<a/>", "<a>"])
async def test_garbage_wresult(provider: LatvijaProvider, token: str) -> None:
    assert await refused(provider, token) == Refusal.INVALID_TOKEN


XXE = """<?xml version="1.0"?>
<!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<trust:RequestSecurityTokenResponse xmlns:trust="http://schemas.xmlsoap.org/ws/2005/02/trust"
  >&xxe;</trust:RequestSecurityTokenResponse>"""

LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<lolz>&lol4;</lolz>"""

EXTERNAL_DTD = """<?xml version="1.0"?>
<!DOCTYPE r SYSTEM "http://evil.example/r.dtd">
<r/>"""


@pytest.mark.parametrize("payload", [XXE, LAUGHS, EXTERNAL_DTD], ids=["xxe", "laughs", "dtd"])
async def test_dtd_payloads_are_refused(provider: LatvijaProvider, payload: str) -> None:
    error = await refusal(provider, payload)
    assert error.refusal == Refusal.INVALID_TOKEN
    assert "DTD" in error.detail


async def test_doctype_before_a_valid_token_is_refused(
    provider: LatvijaProvider, pair: tuple[str, str]
) -> None:
    token = wresult(pair)
    assert (await finish(provider, token)).subject  # the token itself is fine
    doctype = '<!DOCTYPE trust:RequestSecurityTokenResponseCollection [<!ENTITY x "y">]>\n'
    assert await refused(provider, doctype + token) == Refusal.INVALID_TOKEN


# --- who acts ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "subject",
    [f"PK:{DEFAULT_CODE}-UR:40103999940", f"DP:{DEFAULT_CODE}", "AU:VID-12345"],
    ids=["company-signatory", "authorised-person", "institution"],
)
async def test_non_natural_persons_pass_the_provider_but_not_the_portal(
    provider: LatvijaProvider, pair: tuple[str, str], subject: str
) -> None:
    identity = await finish(provider, wresult(pair, subject=subject))
    assert identity.subject == subject
    with pytest.raises(IdentityError) as caught:
        natural_person(identity)
    assert caught.value.refusal == Refusal.NOT_NATURAL_PERSON


# --- start ------------------------------------------------------------------------------------


async def test_start_builds_the_signin_redirect(pair: tuple[str, str]) -> None:
    provider = LatvijaProvider(
        sts_url=f"{STS}?lang=lv&wa=stale", realm=REALM, certificate_pem=pair[1]
    )
    started = await provider.start(callback_url=f"{CALLBACK}?x=1&y=2")
    url = urlsplit(started.redirect_url)
    assert (url.scheme, url.netloc, url.path) == (
        "https",
        "epaktv.vraa.gov.lv",
        "/IVIS.LVP.STS/Default.aspx",
    )
    query = parse_qs(url.query, strict_parsing=True)
    wctx = started.flow_state["wctx"]
    assert query == {
        "lang": ["lv"],
        "wa": ["wsignin1.0"],
        "wtrealm": [REALM],
        "wreply": [f"{CALLBACK}?x=1&y=2"],
        "wctx": [wctx],
    }
    assert len(wctx) >= 43
    assert dict(started.flow_state) == {"wctx": wctx}

    again = await provider.start(callback_url=CALLBACK)
    assert again.flow_state["wctx"] != wctx


async def test_start_then_finish_round_trip(
    provider: LatvijaProvider, pair: tuple[str, str]
) -> None:
    started = await provider.start(callback_url=CALLBACK)
    identity = await provider.finish(
        callback_url=CALLBACK,
        params={"wa": "wsignin1.0", "wctx": started.flow_state["wctx"], "wresult": wresult(pair)},
        flow_state=started.flow_state,
    )
    assert identity.subject == f"PK:{DEFAULT_CODE}"
