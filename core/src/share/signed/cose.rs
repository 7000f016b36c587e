//! The two COSE_Sign1 of a signed QR (docs/signed-qr.md, layers 3 and 4): the QR itself, signed
//! by the device, and the device certificate, signed by the issuer over a detached payload (the
//! device's public key). Both are read strictly: a header the spec does not name is refused, not
//! ignored, so nothing unsigned or unchecked can ride along. ring signs and verifies; p256 only
//! recovers the device's key, which the QR does not carry (it would not fit: see the budget).

use super::problem::SignedQrProblem;
use super::trust::{DeviceCertificate, KeyId, PublicKey};
use ciborium::Value;
use coset::{CoseSign1, CoseSign1Builder, Header, HeaderBuilder, Label, TaggedCborSerializable, iana};

/// The QR's unprotected label holding the device certificate (private use, RFC 9052 §16.2).
pub const CERTIFICATE_LABEL: i64 = -65537;
/// The certificate's protected label holding CWT claims (RFC 9597), and the claim in it.
pub const CWT_CLAIMS_LABEL: i64 = 15;
/// The CWT claim `exp`: the certificate's expiry.
pub const CWT_EXP: i64 = 4;
/// `r‖s` of ES256.
pub const SIGNATURE_LEN: usize = 64;

/// A QR's COSE_Sign1, read: its certificate bytes are not yet parsed.
pub(crate) struct QrCose {
    pub sign1: CoseSign1,
    pub certificate: Vec<u8>,
    pub payload: Vec<u8>,
}

fn is_es256(h: &Header) -> bool {
    h.alg == Some(coset::Algorithm::Assigned(iana::Algorithm::ES256))
}

/// Whether a header holds nothing but what `keep` clears.
fn nothing_else(h: &Header, keep: impl FnOnce(&mut Header)) -> bool {
    let mut rest = h.clone();
    keep(&mut rest);
    rest.is_empty()
}

/// Reads a QR's COSE_Sign1: tagged, protected `{1: alg}` alone, unprotected `{-65537: bstr}`
/// alone, an attached payload. Its shape is checked before its algorithm, as the spec orders.
pub(crate) fn parse_qr(bytes: &[u8]) -> Result<QrCose, SignedQrProblem> {
    let bad = SignedQrProblem::BadCose;
    let sign1 = CoseSign1::from_tagged_slice(bytes).map_err(|_| bad)?;
    if !nothing_else(&sign1.protected.header, |h| h.alg = None) {
        return Err(bad);
    }
    let certificate = match (nothing_else(&sign1.unprotected, |h| h.rest.clear()), sign1.unprotected.rest.as_slice()) {
        (true, [(Label::Int(CERTIFICATE_LABEL), Value::Bytes(cert))]) => cert.clone(),
        _ => return Err(bad),
    };
    let payload = sign1.payload.clone().ok_or(bad)?;
    if !is_es256(&sign1.protected.header) {
        return Err(SignedQrProblem::UnsupportedAlgorithm);
    }
    Ok(QrCose { sign1, certificate, payload })
}

/// Reads a device certificate: tagged, protected `{1: -7, 4: kid(8), 15: {4: uint}}`,
/// unprotected empty, payload detached.
pub(crate) fn parse_certificate(bytes: &[u8]) -> Result<DeviceCertificate, SignedQrProblem> {
    let bad = SignedQrProblem::BadCertificate;
    let cose = CoseSign1::from_tagged_slice(bytes).map_err(|_| bad)?;
    let h = &cose.protected.header;
    let kid = KeyId::try_from(h.key_id.as_slice()).map_err(|_| bad)?;
    let not_after = match h.rest.as_slice() {
        [(Label::Int(CWT_CLAIMS_LABEL), Value::Map(claims))] => match claims.as_slice() {
            [(Value::Integer(k), Value::Integer(exp))] if i128::from(*k) == i128::from(CWT_EXP) => {
                u64::try_from(*exp).map_err(|_| bad)?
            }
            _ => return Err(bad),
        },
        _ => return Err(bad),
    };
    let shape = is_es256(h)
        && nothing_else(h, |h| {
            h.alg = None;
            h.key_id.clear();
            h.rest.clear();
        })
        && cose.unprotected.is_empty()
        && cose.payload.is_none();
    if !shape {
        return Err(bad);
    }
    Ok(DeviceCertificate { kid, not_after, cose })
}

/// The QR's COSE_Sign1, tagged, signed by `sign` over its Sig_structure.
pub(crate) fn build_qr<E>(
    claims: Vec<u8>,
    certificate: Vec<u8>,
    sign: impl FnOnce(&[u8]) -> Result<[u8; SIGNATURE_LEN], E>,
) -> Result<Vec<u8>, E>
where
    E: From<coset::CoseError>,
{
    let protected = HeaderBuilder::new().algorithm(iana::Algorithm::ES256).build();
    let unprotected = HeaderBuilder::new().value(CERTIFICATE_LABEL, Value::Bytes(certificate)).build();
    let sign1 = CoseSign1Builder::new()
        .protected(protected)
        .unprotected(unprotected)
        .payload(claims)
        .try_create_signature(&[], |tbs| sign(tbs).map(Vec::from))?
        .build();
    Ok(sign1.to_tagged_vec()?)
}

/// Whether `key` is an uncompressed SEC1 point on P-256.
pub(crate) fn is_p256_point(key: &PublicKey) -> bool {
    key[0] == 0x04 && p256::PublicKey::from_sec1_bytes(key).is_ok()
}

/// Whether `signature` is `key`'s ES256 signature of `message` (ring).
pub(crate) fn verify_es256(key: &PublicKey, message: &[u8], signature: &[u8]) -> bool {
    ring::signature::UnparsedPublicKey::new(&ring::signature::ECDSA_P256_SHA256_FIXED, key)
        .verify(message, signature)
        .is_ok()
}

/// The keys under which `signature` could be an ES256 signature of `message`: ECDSA public-key
/// recovery (p256) with recovery ids 0 and 1, each candidate then verified with ring. Ids 2 and
/// 3 (an `r` reduced mod n) occur with probability about 2⁻¹²⁸ and are not tried.
#[cfg(test)]
pub(crate) fn recover_keys(message: &[u8], signature: &[u8; SIGNATURE_LEN]) -> Vec<PublicKey> {
    candidates(message, signature).collect()
}

/// The keys `signature` over `message` recovers to, each also verified with ring, computed one
/// at a time: a caller that finds its key in the first stops there (half the work, on average).
fn candidates<'a>(message: &'a [u8], signature: &'a [u8; SIGNATURE_LEN]) -> impl Iterator<Item = PublicKey> + 'a {
    use p256::ecdsa::{Signature, VerifyingKey};
    let sig = Signature::from_slice(signature).ok();
    let prehash = ring::digest::digest(&ring::digest::SHA256, message);
    // p256 does not re-export `RecoveryId`; it is reached through `TryFrom<u8>` (0: y even, 1: odd).
    [0u8, 1]
        .into_iter()
        .filter_map(move |id| {
            let id = id.try_into().ok()?;
            VerifyingKey::recover_from_prehash(prehash.as_ref(), sig.as_ref()?, id).ok()
        })
        .filter_map(|vk| PublicKey::try_from(vk.to_encoded_point(false).as_bytes()).ok())
        .filter(move |key| verify_es256(key, message, signature))
}

/// The device key this QR's signature and its certificate agree on: the recovered candidate
/// the issuer's signature certifies. A signature of another length than 64 is `BadSignature`.
pub(crate) fn certified_device_key(
    qr: &QrCose,
    certificate: &DeviceCertificate,
    issuer: &PublicKey,
) -> Result<PublicKey, SignedQrProblem> {
    let bad = SignedQrProblem::BadSignature;
    let signature = <[u8; SIGNATURE_LEN]>::try_from(qr.sign1.signature.as_slice()).map_err(|_| bad)?;
    if certificate.cose.signature.len() != SIGNATURE_LEN {
        return Err(bad);
    }
    let message = qr.sign1.tbs_data(&[]);
    candidates(&message, &signature)
        .find(|candidate| {
            let signed = certificate.cose.tbs_detached_data(candidate, &[]);
            verify_es256(issuer, &signed, &certificate.cose.signature)
        })
        .ok_or(bad)
}

/// A COSE_Sign1 re-encoded, for tests that check what was built reads back unchanged.
#[cfg(test)]
pub(crate) fn reencode(sign1: CoseSign1) -> Vec<u8> {
    sign1.to_tagged_vec().expect("a parsed COSE_Sign1 encodes")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::share::signed::{device_key_from_seed, test_issuer::TestIssuer};

    #[test]
    fn a_certificate_reads_and_anything_else_in_its_headers_is_refused() {
        let issuer = TestIssuer::from_seed("cose unit issuer");
        let device = device_key_from_seed("cose unit device");
        let cert = issuer.certify(device.public_key(), 1_800_000_000);
        let parsed = parse_certificate(&cert).unwrap();
        assert_eq!((parsed.kid, parsed.not_after), (issuer.kid, 1_800_000_000));
        assert_eq!(reencode(parsed.cose), cert, "coset writes it back unchanged");
        let variants = [
            issuer.certificate_with(device.public_key(), |p, _| {
                p.alg = Some(coset::Algorithm::Assigned(iana::Algorithm::ES384))
            }),
            issuer.certificate_with(device.public_key(), |p, _| p.key_id = vec![1; 9]),
            issuer.certificate_with(device.public_key(), |p, _| {
                p.content_type = Some(coset::ContentType::Assigned(iana::CoapContentFormat::Cbor))
            }),
            issuer.certificate_with(device.public_key(), |p, _| p.rest.clear()),
            issuer.certificate_with(device.public_key(), |p, _| p.rest.push((Label::Int(16), Value::Null))),
            issuer.certificate_with(device.public_key(), |p, _| {
                p.rest =
                    vec![(Label::Int(15), Value::Map(vec![(Value::Integer(4.into()), Value::Integer((-1).into()))]))]
            }),
            issuer.certificate_with(device.public_key(), |p, _| {
                p.rest = vec![(Label::Int(15), Value::Map(vec![(Value::Integer(6.into()), Value::Integer(1.into()))]))]
            }),
            issuer.certificate_with(device.public_key(), |_, u| u.key_id = vec![1]),
            cert[1..].to_vec(),
            cert[..cert.len() - 1].to_vec(),
        ];
        for (i, v) in variants.iter().enumerate() {
            assert_eq!(parse_certificate(v), Err(SignedQrProblem::BadCertificate), "variant {i}");
        }
    }

    #[test]
    fn recovery_finds_the_signers_key_among_at_most_two() {
        let device = device_key_from_seed("recovery");
        for i in 0..8u8 {
            let message = [i; 40];
            let signature = crate::share::signed::issue::sign_es256(&device, &message).unwrap();
            let keys = recover_keys(&message, &signature);
            assert!(keys.contains(device.public_key()) && keys.len() <= 2, "message {i}");
            assert!(recover_keys(&[i; 41], &signature).iter().all(|k| k != device.public_key()));
        }
        assert!(recover_keys(b"m", &[0; 64]).is_empty(), "r = 0 is no signature");
    }
}
