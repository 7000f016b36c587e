"""The signed offline QR (docs/signed-qr.md) read by a peer we did not write: every valid case
of fixtures/qr is unwrapped with the `base45` package and zlib, its COSE_Sign1 decoded and both
signatures verified with `pycose` (the device's with the case's device key, the certificate's
detached one with the issuer's key from the case's trust list), and its claims decoded with
`cbor2` and compared with the case's claims JSON. None of the locker's code is used."""

import base64
import hashlib
import json
import zlib
from pathlib import Path

import base45
import cbor2
import pytest
from pycose.keys import EC2Key
from pycose.keys.curves import P256
from pycose.messages import CoseMessage, Sign1Message

SUITE = Path(__file__).resolve().parents[2] / "fixtures" / "qr"
CLAIM_KEYS = ["issuedAt", "expiresAt", "abhaNumber", "abhaAddress", "name", "gender", "birth", "mobile", "pincode"]
CERTIFICATE_LABEL = -65537


def valid_cases():
    cases = []
    for path in sorted(SUITE.glob("*.json")):
        case = json.loads(path.read_text())
        if case["expected"]["valid"]:
            cases.append(pytest.param(case, id=path.stem))
    assert len(cases) >= 5, "the suite holds valid cases"
    return cases


def ec2_key(sec1: bytes) -> EC2Key:
    assert len(sec1) == 65 and sec1[0] == 4
    return EC2Key(crv=P256, x=sec1[1:33], y=sec1[33:])


@pytest.mark.parametrize("case", valid_cases())
def test_a_valid_case_verifies_with_pycose_and_cbor2(case):
    text = case["prefix"]
    assert text.startswith("HL1:")
    data = base45.b45decode(text[len("HL1:"):])
    if data[0] == 0x78:
        assert bytes.fromhex(case["compressed"]) == data
        data = zlib.decompress(data)
    assert "compressed" in case or data[0] == 0xD2
    assert data == bytes.fromhex(case["cose"])

    qr = CoseMessage.decode(data)
    assert isinstance(qr, Sign1Message)
    assert qr.phdr_encoded == cbor2.dumps({1: -7}), "protected is exactly {1: -7}"
    device_key = bytes.fromhex(case["deviceKey"])
    qr.key = ec2_key(device_key)
    assert qr.verify_signature(), "the device's signature"

    certificate = CoseMessage.decode(qr.uhdr[CERTIFICATE_LABEL])
    assert certificate.payload is None, "the certificate's payload is detached"
    protected = cbor2.loads(certificate.phdr_encoded)
    kid = protected[4]
    assert set(protected) == {1, 4, 15} and protected[1] == -7 and len(kid) == 8
    keys = {base64.b64decode(k["kid"]): k for k in case["trustList"]["keys"]}
    issuer = base64.b64decode(keys[kid]["publicKey"])
    assert hashlib.sha256(issuer).digest()[:8] == kid, "kid: SHA-256 of the issuer key, first 8 bytes"
    certificate.key = ec2_key(issuer)
    assert certificate.verify_signature(detached_payload=device_key), "the issuer's certificate"
    assert protected[15][4] + 30 * 60 >= case["verifiedAt"], "the certificate is not expired"

    claims = cbor2.loads(qr.payload)
    assert cbor2.dumps(claims) == qr.payload, "shortest forms, keys in the order written"
    assert list(claims) == sorted(claims), "keys ascending"
    assert {CLAIM_KEYS[k - 1]: v for k, v in claims.items()} == case["claims"]

    revoked = {base64.b64decode(r) for r in case["trustList"]["revoked"]}
    assert hashlib.sha256(device_key).digest()[:8] not in revoked


@pytest.mark.parametrize("case", valid_cases())
def test_a_changed_claim_fails_pycoses_check(case):
    qr = CoseMessage.decode(bytes.fromhex(case["cose"]))
    claims = cbor2.loads(qr.payload)
    claims[5] = claims[5] + "x"
    qr.payload = cbor2.dumps(claims)
    qr.key = ec2_key(bytes.fromhex(case["deviceKey"]))
    assert not qr.verify_signature()
