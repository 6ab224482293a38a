"""Latvija.lv tokens encrypted to the relying party's key: what decrypts, and what is refused.

Tokens come from two makers that share no code with the bot's decryption: the Debian
`xmlsec1` command (signs and encrypts) and pyca/cryptography in `xmlenc_support` (for RSA-OAEP
with SHA-256 and for malformed shapes, which xmlsec1 1.2 cannot write).
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from lxml import etree
from saml_support import NEW_FORMAT_CODE, OTHER_OLD_CODE, make_signing_pair, make_wresult
from xmlenc_support import (
    DSIG,
    XENC,
    break_cbc_padding,
    encrypt_token,
    tamper_cipher_value,
    xmlsec1_encrypt,
    xmlsec1_wresult,
)

from integrations.identity.latvija import LatvijaProvider
from integrations.identity.xmlenc import load_private_keys
from portal.identity import IdentityError, ProviderIdentity, Refusal, natural_person

REALM = "urn:federation:altum-bot"
STS = "https://epaktv.vraa.gov.lv/IVIS.LVP.STS/Default.aspx"
WCTX = "the-wctx-from-start"
FIXTURE_CURRENT, FIXTURE_EARLIER = "32345678901", "12345678901"  # omniauth-latvija's fixture

Pair = tuple[str, str]


@pytest.fixture(scope="module")
def sts() -> Pair:
    return make_signing_pair("Latvija.lv test STS")


@pytest.fixture(scope="module")
def ours() -> Pair:
    return make_signing_pair("ALTUM bot relying party")


@pytest.fixture(scope="module")
def stranger() -> Pair:
    return make_signing_pair("someone else's relying party")


def provider(sts: Pair, *keys: Pair, allow_rsa_1_5: bool = False) -> LatvijaProvider:
    return LatvijaProvider(
        sts_url=STS,
        realm=REALM,
        certificate_pem=sts[1],
        private_key_pem="".join(key for key, _ in keys).encode() or None,
        allow_rsa_1_5=allow_rsa_1_5,
    )


async def finish(bot: LatvijaProvider, wresult: str) -> ProviderIdentity:
    return await bot.finish(
        callback_url="https://bot.example.lv/auth/callback",
        params={"wa": "wsignin1.0", "wctx": WCTX, "wresult": wresult},
        flow_state={"wctx": WCTX},
    )


async def refusal(bot: LatvijaProvider, wresult: str) -> IdentityError:
    with pytest.raises(IdentityError) as caught:
        await finish(bot, wresult)
    return caught.value


def fixture_shape(sts: Pair) -> str:
    """Signed by xmlsec1: current code with OriginalIssuer, the fixture's invalid earlier one."""
    return xmlsec1_wresult(
        key_pem=sts[0],
        cert_pem=sts[1],
        realm=REALM,
        codes=(FIXTURE_CURRENT, FIXTURE_EARLIER),
        authentication_method="urn:ivis:100001:am-swedbank",
    )


# --- what decrypts ----------------------------------------------------------------------------


@pytest.mark.parametrize("data", ["aes128-cbc", "aes256-cbc", "aes128-gcm", "aes256-gcm"])
async def test_xmlsec1_encrypted_and_signed_tokens_decrypt(
    sts: Pair, ours: Pair, data: str
) -> None:
    token = xmlsec1_encrypt(fixture_shape(sts), cert_pem=ours[1], data=data)
    assert "EncryptedData" in token and FIXTURE_CURRENT not in token

    identity = await finish(provider(sts, ours), token)
    assert identity.subject == f"PK:{FIXTURE_CURRENT}"
    assert identity.personal_codes == (FIXTURE_CURRENT, FIXTURE_EARLIER)
    assert (identity.authentication_method, identity.assurance_level) == (
        "urn:ivis:100001:am-swedbank",
        "4",
    )
    person = natural_person(identity)  # the invalid earlier code is no reason to refuse
    assert (person.personal_code, person.previous_codes) == (FIXTURE_CURRENT, ())
    assert person.full_name == "Ods Knislis"


@pytest.mark.parametrize(
    ("transport", "digest", "mgf"),
    [
        ("rsa-oaep-mgf1p", "sha1", "sha1"),
        ("rsa-oaep-mgf1p", "sha256", "sha1"),
        ("rsa-oaep", "sha1", "sha1"),
        ("rsa-oaep", "sha256", "sha256"),
    ],
)
@pytest.mark.parametrize("data", ["aes128-cbc", "aes256-gcm"])
async def test_rsa_oaep_with_sha1_and_sha256(
    sts: Pair, ours: Pair, transport: str, digest: str, mgf: str, data: str
) -> None:
    signed = make_wresult(key_pem=sts[0], cert_pem=sts[1], realm=REALM, codes=(NEW_FORMAT_CODE,))
    token = encrypt_token(
        signed, cert_pem=ours[1], data=data, transport=transport, digest=digest, mgf=mgf
    )
    identity = await finish(provider(sts, ours), token)
    assert identity.subject == f"PK:{NEW_FORMAT_CODE}"


async def test_rsa_1_5_only_when_the_setting_allows_it(sts: Pair, ours: Pair) -> None:
    token = xmlsec1_encrypt(fixture_shape(sts), cert_pem=ours[1], transport="rsa-1_5")
    error = await refusal(provider(sts, ours), token)
    assert error.refusal is Refusal.DECRYPTION_FAILED
    assert "key transport algorithm not allowed" in error.detail

    identity = await finish(provider(sts, ours, allow_rsa_1_5=True), token)
    assert identity.subject == f"PK:{FIXTURE_CURRENT}"


async def test_a_key_rollover_decrypts_to_the_old_and_the_new_key(
    sts: Pair, ours: Pair, stranger: Pair
) -> None:
    both = provider(sts, stranger, ours)  # the first key cannot unwrap: the second is tried
    for key in (ours, stranger):
        token = xmlsec1_encrypt(fixture_shape(sts), cert_pem=key[1], data="aes256-gcm")
        assert (await finish(both, token)).subject == f"PK:{FIXTURE_CURRENT}"


# --- what is refused, all alike ---------------------------------------------------------------


async def test_encrypted_to_another_key_is_refused(sts: Pair, ours: Pair, stranger: Pair) -> None:
    token = xmlsec1_encrypt(fixture_shape(sts), cert_pem=stranger[1])
    error = await refusal(provider(sts, ours), token)
    assert error.refusal is Refusal.DECRYPTION_FAILED
    assert "no configured key" in error.detail


@pytest.mark.parametrize("data", ["aes128-cbc", "aes256-cbc", "aes128-gcm", "aes256-gcm"])
@pytest.mark.parametrize("at", [0.0, 0.5, 1.0])
async def test_encrypted_then_tampered_is_refused(
    sts: Pair, ours: Pair, data: str, at: float
) -> None:
    token = tamper_cipher_value(
        xmlsec1_encrypt(fixture_shape(sts), cert_pem=ours[1], data=data), at=at
    )
    assert (await refusal(provider(sts, ours), token)).refusal is Refusal.DECRYPTION_FAILED


def _without_signature(wresult: str) -> bytes:
    root = etree.fromstring(wresult.encode())
    assertion = root.find(".//{urn:oasis:names:tc:SAML:1.0:assertion}Assertion")
    assert assertion is not None
    signature = assertion.find(f"{{{DSIG}}}Signature")
    assert signature is not None
    assertion.remove(signature)
    return bytes(etree.tostring(assertion))


async def test_every_failure_after_decryption_starts_gives_the_same_refusal(
    sts: Pair, ours: Pair, stranger: Pair
) -> None:
    """Which step failed (key, padding, XML, what the XML is, signature) must not show: an
    answer that tells them apart is a padding oracle for anyone with our public key."""
    signed = make_wresult(key_pem=sts[0], cert_pem=sts[1], realm=REALM)
    foreign = make_wresult(key_pem=stranger[0], cert_pem=stranger[1], realm=REALM)
    cases = {
        "wrong key": encrypt_token(signed, cert_pem=stranger[1]),
        "bad padding": break_cbc_padding(
            encrypt_token(signed, cert_pem=ours[1], data="aes128-cbc")
        ),
        "not XML": encrypt_token(signed, cert_pem=ours[1], plaintext=b"\x00garbage<"),
        "not an assertion": encrypt_token(signed, cert_pem=ours[1], plaintext=b"<a/>"),
        "unsigned": encrypt_token(signed, cert_pem=ours[1], plaintext=_without_signature(signed)),
        "signed by another key": encrypt_token(foreign, cert_pem=ours[1]),
    }
    bot = provider(sts, ours)
    errors = {name: await refusal(bot, token) for name, token in cases.items()}
    assert {name: error.refusal for name, error in errors.items()} == dict.fromkeys(
        cases, Refusal.DECRYPTION_FAILED
    )
    assert len({error.detail for error in errors.values()}) == len(cases)  # the log tells
    assert "padding" in errors["bad padding"].detail


async def test_no_private_key_refuses_an_encrypted_token(sts: Pair, ours: Pair) -> None:
    token = xmlsec1_encrypt(fixture_shape(sts), cert_pem=ours[1])
    error = await refusal(provider(sts), token)
    assert error.refusal is Refusal.DECRYPTION_FAILED


async def test_entities_inside_the_encrypted_payload_are_refused(sts: Pair, ours: Pair) -> None:
    signed = make_wresult(key_pem=sts[0], cert_pem=sts[1], realm=REALM)
    xxe = b'<!DOCTYPE a [<!ENTITY x SYSTEM "file:///etc/passwd">]><a>&x;</a>'
    error = await refusal(
        provider(sts, ours), encrypt_token(signed, cert_pem=ours[1], plaintext=xxe)
    )
    assert error.refusal is Refusal.DECRYPTION_FAILED
    assert "DTD" in error.detail


def _set_data_algorithm(algorithm: str) -> Callable[[etree._Element], None]:
    def change(encrypted: etree._Element) -> None:
        method = encrypted.find(f"{{{XENC}}}EncryptionMethod")
        assert method is not None
        method.set("Algorithm", algorithm)

    return change


def _cipher_reference(encrypted: etree._Element) -> None:
    cipher_data = encrypted.find(f"{{{XENC}}}CipherData")
    assert cipher_data is not None
    for child in list(cipher_data):
        cipher_data.remove(child)
    etree.SubElement(cipher_data, f"{{{XENC}}}CipherReference", URI="http://evil.example/c")


def _retrieval_method(encrypted: etree._Element) -> None:
    key_info = encrypted.find(f"{{{DSIG}}}KeyInfo")
    assert key_info is not None
    etree.SubElement(key_info, f"{{{DSIG}}}RetrievalMethod", URI="http://evil.example/k")


def _two_keys(encrypted: etree._Element) -> None:
    key_info = encrypted.find(f"{{{DSIG}}}KeyInfo")
    assert key_info is not None
    key_info.append(etree.fromstring(etree.tostring(key_info[0])))


def _content_type(encrypted: etree._Element) -> None:
    encrypted.set("Type", f"{XENC}Content")


@pytest.mark.parametrize(
    ("shape", "reason"),
    [
        (_set_data_algorithm(f"{XENC}tripledes-cbc"), "data encryption algorithm not allowed"),
        (_set_data_algorithm(f"{XENC}aes192-cbc"), "data encryption algorithm not allowed"),
        (_cipher_reference, "expected CipherData/CipherValue"),
        (_retrieval_method, "RetrievalMethod"),
        (_two_keys, "expected one EncryptedKey"),
        (_content_type, "Type is not Element"),
    ],
    ids=["3des", "aes192", "cipher-reference", "retrieval-method", "two-keys", "content"],
)
async def test_shapes_and_algorithms_outside_the_allow_list_are_refused(
    sts: Pair, ours: Pair, shape: Callable[[etree._Element], None], reason: str
) -> None:
    signed = make_wresult(key_pem=sts[0], cert_pem=sts[1], realm=REALM)
    token = encrypt_token(signed, cert_pem=ours[1], data="aes128-cbc", shape=shape)
    error = await refusal(provider(sts, ours), token)
    assert error.refusal is Refusal.DECRYPTION_FAILED
    assert reason in error.detail


# --- the key file -----------------------------------------------------------------------------


def _pem(key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL
        if isinstance(key, rsa.RSAPrivateKey)
        else serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def test_private_key_files(ours: Pair, stranger: Pair) -> None:
    assert len(load_private_keys((ours[0] + stranger[0]).encode())) == 2
    assert len(load_private_keys(_pem(rsa.generate_private_key(65537, 2048)))) == 1  # "RSA …"
    for bad in (
        b"",
        b"not a key",
        ours[1].encode(),  # a certificate
        _pem(rsa.generate_private_key(65537, 1024)),
        _pem(ec.generate_private_key(ec.SECP256R1())),
    ):
        with pytest.raises(ValueError):
            load_private_keys(bad)


async def test_the_person_in_a_real_code_change(sts: Pair, ours: Pair) -> None:
    """New-format current code with OriginalIssuer, the old-format one as history."""
    token = xmlsec1_encrypt(
        xmlsec1_wresult(
            key_pem=sts[0],
            cert_pem=sts[1],
            realm=REALM,
            codes=(OTHER_OLD_CODE, NEW_FORMAT_CODE),
            current_code_index=1,
        ),
        cert_pem=ours[1],
        data="aes128-gcm",
    )
    person = natural_person(await finish(provider(sts, ours), token))
    assert (person.personal_code, person.previous_codes) == (NEW_FORMAT_CODE, (OTHER_OLD_CODE,))
