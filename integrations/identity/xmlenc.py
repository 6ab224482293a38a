"""Decrypting one XML Encryption `xenc:EncryptedData` element, as Latvija.lv's STS writes it.

Only the shape a WS-Federation STS sends is accepted: `Type` Element, the data encrypted with
AES-CBC or AES-GCM under a session key, and that key in exactly one `xenc:EncryptedKey` inside
the `ds:KeyInfo`, transported with RSA-OAEP (or RSA PKCS#1 v1.5 when allowed). Every algorithm is
checked against an allow-list before any key is used; references (`CipherReference`,
`RetrievalMethod`) are refused, so nothing is ever fetched.

This module only picks elements, decodes base64 and calls pyca/cryptography's primitives
(`RSAPrivateKey.decrypt` with `OAEP`/`PKCS1v15`, `Cipher(AES, CBC)`, `AESGCM`); no cryptography
is implemented here. The one piece of format glue is XML Encryption's block padding (the last
octet is the padding length; the others are arbitrary, so PKCS#7 unpadding would refuse it).
Why this and not the `xmlsec` binding: docs/architecture.md.

Errors carry a short, secret-free reason for the log. The caller must not tell them apart
towards the sender (see `LatvijaProvider`): an answer that says *which* step failed is a
padding oracle.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Sequence
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from lxml import etree

XENC = "http://www.w3.org/2001/04/xmlenc#"
XENC11 = "http://www.w3.org/2009/xmlenc11#"
DSIG = "http://www.w3.org/2000/09/xmldsig#"
DSIG_MORE = "http://www.w3.org/2001/04/xmldsig-more#"

RSA_OAEP_MGF1P = f"{XENC}rsa-oaep-mgf1p"  # MGF1 with SHA-1; digest SHA-1 unless DigestMethod
RSA_OAEP = f"{XENC11}rsa-oaep"  # MGF and digest both named, SHA-1 when absent
RSA_1_5 = f"{XENC}rsa-1_5"


@dataclass(frozen=True, slots=True)
class _DataCipher:
    mode: str  # "cbc" or "gcm"
    key_bytes: int


DATA_CIPHERS = {
    f"{XENC}aes128-cbc": _DataCipher("cbc", 16),
    f"{XENC}aes256-cbc": _DataCipher("cbc", 32),
    f"{XENC11}aes128-gcm": _DataCipher("gcm", 16),
    f"{XENC11}aes256-gcm": _DataCipher("gcm", 32),
}
_DIGESTS: dict[str, type[hashes.HashAlgorithm]] = {
    f"{DSIG}sha1": hashes.SHA1,
    f"{XENC}sha256": hashes.SHA256,
    f"{DSIG_MORE}sha256": hashes.SHA256,  # the same digest under its older identifier
}
_MGFS: dict[str, type[hashes.HashAlgorithm]] = {
    f"{XENC11}mgf1sha1": hashes.SHA1,
    f"{XENC11}mgf1sha256": hashes.SHA256,
}
_ALLOWED_CHILDREN = {
    "EncryptedData": {"EncryptionMethod", "KeyInfo", "CipherData", "EncryptionProperties"},
    "EncryptedKey": {
        "EncryptionMethod",
        "KeyInfo",
        "CipherData",
        "EncryptionProperties",
        "ReferenceList",
        "CarriedKeyName",
    },
}
_PEM_KEY = re.compile(
    rb"-----BEGIN (?:RSA )?PRIVATE KEY-----.+?-----END (?:RSA )?PRIVATE KEY-----", re.DOTALL
)
_CBC_BLOCK = 16
_GCM_NONCE = 12
_GCM_TAG = 16


class DecryptionError(Exception):
    """Why an `EncryptedData` could not be decrypted; the message holds no secret."""


def load_private_keys(pem: bytes) -> tuple[RSAPrivateKey, ...]:
    """Every unencrypted RSA private key (≥ 2048 bits) in a PEM file; ValueError otherwise.

    Several keys are for a rollover: the old and the new one while both may be in use.
    """
    blocks = _PEM_KEY.findall(pem)
    if not blocks:
        raise ValueError("no PEM private key found")
    keys = []
    for block in blocks:
        key = serialization.load_pem_private_key(block, password=None)
        if not isinstance(key, RSAPrivateKey):
            raise ValueError("not an RSA private key")
        if key.key_size < 2048:
            raise ValueError("RSA key shorter than 2048 bits")
        keys.append(key)
    return tuple(keys)


def decrypt(
    encrypted_data: etree._Element,
    *,
    keys: Sequence[RSAPrivateKey],
    allow_rsa_1_5: bool = False,
) -> bytes:
    """The plaintext octets of `encrypted_data` (an element serialized as XML, not yet parsed).

    `keys` are tried in order (a key rollover); the first that unwraps a session key of the
    right size is used.
    """
    if encrypted_data.tag != f"{{{XENC}}}EncryptedData":
        raise DecryptionError("not xenc:EncryptedData")
    if encrypted_data.get("Type", f"{XENC}Element") != f"{XENC}Element":
        raise DecryptionError("EncryptedData Type is not Element")
    children = _children(encrypted_data, "EncryptedData")
    cipher = DATA_CIPHERS.get(_algorithm(_one(children, XENC, "EncryptionMethod")))
    if cipher is None:
        raise DecryptionError("data encryption algorithm not allowed")
    key_info = _one(children, DSIG, "KeyInfo")
    references = key_info.iter(f"{{{DSIG}}}RetrievalMethod", f"{{{XENC}}}AgreementMethod")
    if next(references, None) is not None:
        raise DecryptionError("RetrievalMethod or AgreementMethod in KeyInfo")
    encrypted_keys = [child for child in key_info if child.tag == f"{{{XENC}}}EncryptedKey"]
    if len(encrypted_keys) != 1:
        raise DecryptionError("expected one EncryptedKey in KeyInfo")
    session_key = _unwrap(
        encrypted_keys[0], keys=keys, allow_rsa_1_5=allow_rsa_1_5, size=cipher.key_bytes
    )
    data = _cipher_value(_one(children, XENC, "CipherData"))
    if cipher.mode == "gcm":
        if len(data) < _GCM_NONCE + _GCM_TAG:
            raise DecryptionError("GCM ciphertext too short")
        try:
            return AESGCM(session_key).decrypt(data[:_GCM_NONCE], data[_GCM_NONCE:], None)
        except InvalidTag as exc:
            raise DecryptionError("GCM tag does not verify") from exc
    if len(data) < 2 * _CBC_BLOCK or len(data) % _CBC_BLOCK:
        raise DecryptionError("CBC ciphertext has a bad length")
    decryptor = Cipher(algorithms.AES(session_key), modes.CBC(data[:_CBC_BLOCK])).decryptor()
    plain = decryptor.update(data[_CBC_BLOCK:]) + decryptor.finalize()
    pad = plain[-1]
    if not 1 <= pad <= _CBC_BLOCK:
        raise DecryptionError("bad CBC padding")
    return plain[:-pad]


def _unwrap(
    encrypted_key: etree._Element,
    *,
    keys: Sequence[RSAPrivateKey],
    allow_rsa_1_5: bool,
    size: int,
) -> bytes:
    children = _children(encrypted_key, "EncryptedKey")
    method = _one(children, XENC, "EncryptionMethod")
    algorithm = _algorithm(method)
    transport: padding.AsymmetricPadding
    if algorithm in (RSA_OAEP_MGF1P, RSA_OAEP):
        transport = _oaep(method, mgf1p=algorithm == RSA_OAEP_MGF1P)
    elif algorithm == RSA_1_5 and allow_rsa_1_5:
        transport = padding.PKCS1v15()
    else:
        raise DecryptionError("key transport algorithm not allowed")
    wrapped = _cipher_value(_one(children, XENC, "CipherData"))
    for key in keys:
        try:
            session_key = key.decrypt(wrapped, transport)
        except ValueError:
            continue
        if len(session_key) == size:
            return session_key
    raise DecryptionError("no configured key unwraps the session key")


def _oaep(method: etree._Element, *, mgf1p: bool) -> padding.OAEP:
    digest = _DIGESTS.get(_optional_algorithm(method, DSIG, "DigestMethod", f"{DSIG}sha1"))
    mgf = (
        hashes.SHA1
        if mgf1p
        else _MGFS.get(_optional_algorithm(method, XENC11, "MGF", f"{XENC11}mgf1sha1"))
    )
    if digest is None or mgf is None:
        raise DecryptionError("OAEP digest or MGF not allowed")
    params = method.findall(f"{{{XENC}}}OAEPparams")
    if len(params) > 1:
        raise DecryptionError("several OAEPparams")
    label = _b64(params[0].text) if params else None
    return padding.OAEP(mgf=padding.MGF1(algorithm=mgf()), algorithm=digest(), label=label or None)


def _children(element: etree._Element, kind: str) -> list[etree._Element]:
    """Element children, each of a kind the format allows here (comments are skipped)."""
    children = [child for child in element if isinstance(child.tag, str)]
    for child in children:
        if etree.QName(child).localname not in _ALLOWED_CHILDREN[kind]:
            raise DecryptionError(f"unexpected element in {kind}")
    return children


def _one(children: list[etree._Element], namespace: str, name: str) -> etree._Element:
    found = [child for child in children if child.tag == f"{{{namespace}}}{name}"]
    if len(found) != 1:
        raise DecryptionError(f"expected one {name}")
    return found[0]


def _algorithm(element: etree._Element) -> str:
    return (element.get("Algorithm") or "").strip()


def _optional_algorithm(parent: etree._Element, namespace: str, name: str, default: str) -> str:
    found = parent.findall(f"{{{namespace}}}{name}")
    if len(found) > 1:
        raise DecryptionError(f"several {name}")
    return _algorithm(found[0]) if found else default


def _cipher_value(cipher_data: etree._Element) -> bytes:
    """The octets of `CipherData/CipherValue`; a `CipherReference` (a URI to fetch) is refused."""
    children = [child for child in cipher_data if isinstance(child.tag, str)]
    if len(children) != 1 or children[0].tag != f"{{{XENC}}}CipherValue":
        raise DecryptionError("expected CipherData/CipherValue")
    return _b64("".join(children[0].itertext()))


def _b64(text: str | None) -> bytes:
    try:
        return base64.b64decode("".join((text or "").split()), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise DecryptionError("bad base64") from exc
