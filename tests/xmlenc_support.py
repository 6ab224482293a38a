"""Encrypted (and xmlsec1-signed) Latvija.lv tokens for tests.

Two independent makers:

* `xmlsec1_*`: the Debian `xmlsec1` command (libxmlsec1 with OpenSSL), an implementation that
  shares no code with ours (signxml signs our other test tokens and verifies in the bot; the
  bot decrypts with `integrations/identity/xmlenc.py`). Tests that need it skip, saying why,
  where it is missing; `.ci/run` installs it. It speaks RSA-OAEP only with SHA-1 (version 1.2).
* `encrypt_token`: built here with pyca/cryptography, for what xmlsec1 1.2 cannot write
  (RSA-OAEP with SHA-256, `xenc11#rsa-oaep`) and for malformed shapes.
"""

from __future__ import annotations

import base64
import os
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from lxml import etree
from saml_support import SAML, build_assertion, wrap_assertion

XENC = "http://www.w3.org/2001/04/xmlenc#"
XENC11 = "http://www.w3.org/2009/xmlenc11#"
DSIG = "http://www.w3.org/2000/09/xmldsig#"
EXC_C14N = "http://www.w3.org/2001/10/xml-exc-c14n#"

DATA_ALGORITHMS = {
    "aes128-cbc": XENC,
    "aes256-cbc": XENC,
    "aes128-gcm": XENC11,
    "aes256-gcm": XENC11,
}
DIGESTS = {"sha1": f"{DSIG}sha1", "sha256": f"{XENC}sha256"}


def xmlsec1() -> str:
    """The xmlsec1 command, or skip the test saying why."""
    found = shutil.which("xmlsec1")
    if found is None:
        pytest.skip("xmlsec1 is not installed (Debian package xmlsec1; .ci/run installs it)")
    return found


def _run(*args: str) -> None:
    result = subprocess.run([xmlsec1(), *args], capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise AssertionError(f"xmlsec1 {args[0]} failed: {result.stderr.strip()}")


def _token(root: etree._Element) -> etree._Element:
    found = root.find(f".//{{{SAML}}}Assertion")
    assert found is not None, "no saml:Assertion in the token"
    return found


def xmlsec1_sign(assertion: etree._Element, *, key_pem: str, cert_pem: str) -> etree._Element:
    """Enveloped rsa-sha256 / exclusive c14n signature over `#<AssertionID>`, by xmlsec1."""
    signature = etree.SubElement(assertion, f"{{{DSIG}}}Signature", nsmap={"ds": DSIG})
    signed_info = etree.SubElement(signature, f"{{{DSIG}}}SignedInfo")
    etree.SubElement(signed_info, f"{{{DSIG}}}CanonicalizationMethod", Algorithm=EXC_C14N)
    etree.SubElement(
        signed_info,
        f"{{{DSIG}}}SignatureMethod",
        Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
    )
    reference = etree.SubElement(
        signed_info, f"{{{DSIG}}}Reference", URI=f"#{assertion.get('AssertionID')}"
    )
    transforms = etree.SubElement(reference, f"{{{DSIG}}}Transforms")
    etree.SubElement(transforms, f"{{{DSIG}}}Transform", Algorithm=f"{DSIG}enveloped-signature")
    etree.SubElement(transforms, f"{{{DSIG}}}Transform", Algorithm=EXC_C14N)
    etree.SubElement(
        reference, f"{{{DSIG}}}DigestMethod", Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"
    )
    etree.SubElement(reference, f"{{{DSIG}}}DigestValue")
    etree.SubElement(signature, f"{{{DSIG}}}SignatureValue")
    key_info = etree.SubElement(signature, f"{{{DSIG}}}KeyInfo")
    x509_data = etree.SubElement(key_info, f"{{{DSIG}}}X509Data")
    etree.SubElement(x509_data, f"{{{DSIG}}}X509Certificate")
    with tempfile.TemporaryDirectory(prefix="xmlsec1-") as tmp:
        folder = Path(tmp)
        (folder / "key.pem").write_text(key_pem)
        (folder / "cert.pem").write_text(cert_pem)
        (folder / "in.xml").write_bytes(etree.tostring(assertion))
        _run(
            "--sign",
            "--privkey-pem",
            f"{folder / 'key.pem'},{folder / 'cert.pem'}",
            "--id-attr:AssertionID",
            f"{SAML}:Assertion",
            "--output",
            str(folder / "out.xml"),
            str(folder / "in.xml"),
        )
        return etree.fromstring((folder / "out.xml").read_bytes())


def xmlsec1_wresult(
    *,
    key_pem: str,
    cert_pem: str,
    realm: str,
    codes: Sequence[str],
    current_code_index: int | None = 0,
    subject: str | None = None,
    given_name: str = "ODS",
    surname: str = "KNISLIS",
    authentication_method: str = "urn:ivis:100001:am-idp40-wif",
    assurance_level: str = "4",
) -> str:
    """A wresult shaped like the omniauth-latvija fixtures, its assertion signed by xmlsec1."""
    now = datetime.now(UTC)
    assertion = build_assertion(
        subject=subject or f"PK:{codes[current_code_index or 0]}",
        given_name=given_name,
        surname=surname,
        codes=codes,
        current_code_index=current_code_index,
        realm=realm,
        issuer="http://www.latvija.lv/sts",
        not_before=now - timedelta(minutes=1),
        not_on_or_after=now + timedelta(hours=1),
        assertion_id=f"_{uuid.uuid4()}",
        original_issuer="TESTidp",
        authentication_method=authentication_method,
        assurance_level=assurance_level,
    )
    signed = xmlsec1_sign(assertion, key_pem=key_pem, cert_pem=cert_pem)
    root = wrap_assertion(signed, realm=realm, created=now, expires=now + timedelta(hours=1))
    return str(etree.tostring(root, encoding="unicode"))


def xmlsec1_encrypt(
    wresult: str, *, cert_pem: str, data: str = "aes256-cbc", transport: str = "rsa-oaep-mgf1p"
) -> str:
    """The wresult with its assertion replaced by xmlsec1's `EncryptedData` (Type Element)."""
    template = f"""<xenc:EncryptedData xmlns:xenc="{XENC}" Type="{XENC}Element">
  <xenc:EncryptionMethod Algorithm="{DATA_ALGORITHMS[data]}{data}"/>
  <ds:KeyInfo xmlns:ds="{DSIG}">
    <xenc:EncryptedKey>
      <xenc:EncryptionMethod Algorithm="{XENC}{transport}"/>
      <xenc:CipherData><xenc:CipherValue/></xenc:CipherData>
    </xenc:EncryptedKey>
  </ds:KeyInfo>
  <xenc:CipherData><xenc:CipherValue/></xenc:CipherData>
</xenc:EncryptedData>"""
    with tempfile.TemporaryDirectory(prefix="xmlsec1-") as tmp:
        folder = Path(tmp)
        (folder / "cert.pem").write_text(cert_pem)
        (folder / "template.xml").write_text(template)
        (folder / "data.xml").write_text(wresult, encoding="utf-8")
        _run(
            "--encrypt",
            "--pubkey-cert-pem",
            str(folder / "cert.pem"),
            "--session-key",
            f"aes-{data[3:6]}",
            "--xml-data",
            str(folder / "data.xml"),
            "--node-name",
            f"{SAML}:Assertion",
            "--output",
            str(folder / "out.xml"),
            str(folder / "template.xml"),
        )
        return (folder / "out.xml").read_text(encoding="utf-8")


def encrypt_token(
    wresult: str,
    *,
    cert_pem: str,
    data: str = "aes256-gcm",
    transport: str = "rsa-oaep-mgf1p",
    digest: str = "sha1",
    mgf: str = "sha1",
    plaintext: bytes | None = None,
    shape: Callable[[etree._Element], None] | None = None,
) -> str:
    """The wresult with its assertion encrypted by pyca/cryptography.

    `plaintext` replaces the serialized assertion (for payloads that are not one); `shape`
    may change the finished `EncryptedData` (for malformed ones).
    """
    root = etree.fromstring(wresult.encode())
    assertion = _token(root)
    body = etree.tostring(assertion) if plaintext is None else plaintext
    session_key = os.urandom(int(data[3:6]) // 8)
    if data.endswith("gcm"):
        nonce = os.urandom(12)
        cipher_data = nonce + AESGCM(session_key).encrypt(nonce, body, None)
    else:
        iv = os.urandom(16)
        pad = 16 - len(body) % 16
        padded = body + os.urandom(pad - 1) + bytes([pad])  # XML Encryption's padding
        encryptor = Cipher(algorithms.AES(session_key), modes.CBC(iv)).encryptor()
        cipher_data = iv + encryptor.update(padded) + encryptor.finalize()

    public_key = x509.load_pem_x509_certificate(cert_pem.encode()).public_key()
    assert isinstance(public_key, RSAPublicKey)
    hash_of = {"sha1": hashes.SHA1, "sha256": hashes.SHA256}
    if transport == "rsa-1_5":
        wrapped = public_key.encrypt(session_key, padding.PKCS1v15())
    else:
        oaep = padding.OAEP(
            mgf=padding.MGF1(hash_of[mgf if transport == "rsa-oaep" else "sha1"]()),
            algorithm=hash_of[digest](),
            label=None,
        )
        wrapped = public_key.encrypt(session_key, oaep)

    encrypted = etree.Element(
        f"{{{XENC}}}EncryptedData", Type=f"{XENC}Element", nsmap={"xenc": XENC}
    )
    etree.SubElement(
        encrypted, f"{{{XENC}}}EncryptionMethod", Algorithm=f"{DATA_ALGORITHMS[data]}{data}"
    )
    key_info = etree.SubElement(encrypted, f"{{{DSIG}}}KeyInfo", nsmap={"ds": DSIG})
    encrypted_key = etree.SubElement(key_info, f"{{{XENC}}}EncryptedKey")
    namespace = XENC11 if transport == "rsa-oaep" else XENC
    method = etree.SubElement(
        encrypted_key,
        f"{{{XENC}}}EncryptionMethod",
        Algorithm=f"{namespace}{transport}",
        nsmap={"xenc11": XENC11},
    )
    if transport != "rsa-1_5":
        etree.SubElement(method, f"{{{DSIG}}}DigestMethod", Algorithm=DIGESTS[digest])
    if transport == "rsa-oaep":
        etree.SubElement(method, f"{{{XENC11}}}MGF", Algorithm=f"{XENC11}mgf1{mgf}")
    _cipher(encrypted_key, wrapped)
    _cipher(encrypted, cipher_data)
    if shape is not None:
        shape(encrypted)
    parent = assertion.getparent()
    assert parent is not None
    parent.replace(assertion, encrypted)
    return str(etree.tostring(root, encoding="unicode"))


def _cipher(parent: etree._Element, octets: bytes) -> None:
    cipher_data = etree.SubElement(parent, f"{{{XENC}}}CipherData")
    etree.SubElement(cipher_data, f"{{{XENC}}}CipherValue").text = base64.b64encode(octets).decode()


def break_cbc_padding(wresult: str) -> str:
    """Make a CBC ciphertext's padding octet invalid, every time: XOR 0x80 into the octet of
    the block before the last (or the IV) that CBC XORs into the last plaintext octet, which
    then says 129-144 instead of 1-16. (Flipping a bit of the last block itself garbles the
    whole block: its last octet would still be a valid 1-16 once in 16 times.)"""
    root = etree.fromstring(wresult.encode())
    values = root.findall(f".//{{{XENC}}}EncryptedData/{{{XENC}}}CipherData/{{{XENC}}}CipherValue")
    assert len(values) == 1
    octets = bytearray(base64.b64decode("".join((values[0].text or "").split())))
    assert len(octets) >= 32 and len(octets) % 16 == 0, "not AES-CBC: IV and whole blocks"
    octets[-17] ^= 0x80
    values[0].text = base64.b64encode(bytes(octets)).decode()
    return str(etree.tostring(root, encoding="unicode"))


def tamper_cipher_value(wresult: str, *, at: float = 0.5) -> str:
    """Flip one bit of the data's ciphertext (not the wrapped key), `at` way through it."""
    root = etree.fromstring(wresult.encode())
    values = root.findall(f".//{{{XENC}}}EncryptedData/{{{XENC}}}CipherData/{{{XENC}}}CipherValue")
    assert len(values) == 1
    octets = bytearray(base64.b64decode("".join((values[0].text or "").split())))
    index = min(len(octets) - 1, int(len(octets) * at))
    octets[index] ^= 0x01
    values[0].text = base64.b64encode(bytes(octets)).decode()
    return str(etree.tostring(root, encoding="unicode"))
