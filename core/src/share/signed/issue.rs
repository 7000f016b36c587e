//! The device side: the locker's own P-256 key, and signing its profile into a QR's text. The
//! key never leaves the device (the issuer certifies its public half) and is held zeroized.

use super::claims::QrClaims;
use super::cose::{self, SIGNATURE_LEN};
use super::envelope;
use super::trust::{DeviceCertificate, KeyId, PublicKey, key_id};
use ring::rand::SystemRandom;
use ring::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair};
use std::fmt;
use zeroize::Zeroizing;

/// How long a QR the locker makes is valid: a day. It is remade, with a new signature, whenever
/// it is shown after that.
pub const QR_VALIDITY_SECS: u64 = 24 * 3600;

/// Why the locker could not make a QR.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IssueProblem {
    /// The claims break a rule of the spec (a counter would refuse them).
    BadClaims,
    /// The stored key is not a P-256 PKCS#8 key.
    BadKey,
    /// The stored certificate is not of the spec's shape.
    BadCertificate,
    /// Signing or encoding failed.
    Signing,
}

impl IssueProblem {
    /// A stable code, for scripts and the bindings.
    pub fn code(self) -> &'static str {
        match self {
            IssueProblem::BadClaims => "bad-claims",
            IssueProblem::BadKey => "bad-key",
            IssueProblem::BadCertificate => "bad-certificate",
            IssueProblem::Signing => "signing",
        }
    }
}

impl fmt::Display for IssueProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            IssueProblem::BadClaims => "the profile cannot be put in a signed QR as it is",
            IssueProblem::BadKey => "the device's QR key is unreadable",
            IssueProblem::BadCertificate => "the device's QR certificate is unreadable",
            IssueProblem::Signing => "signing the QR failed",
        })
    }
}

impl std::error::Error for IssueProblem {}

impl From<coset::CoseError> for IssueProblem {
    fn from(_: coset::CoseError) -> IssueProblem {
        IssueProblem::Signing
    }
}

/// The device's QR signing key: P-256, kept as PKCS#8 (what ring makes and reads).
pub struct DeviceQrKey {
    pkcs8: Zeroizing<Vec<u8>>,
    public_key: PublicKey,
}

impl fmt::Debug for DeviceQrKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DeviceQrKey").field("key_id", &hex::encode(self.key_id())).finish_non_exhaustive()
    }
}

fn key_pair(pkcs8: &[u8]) -> Result<EcdsaKeyPair, IssueProblem> {
    EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8, &SystemRandom::new())
        .map_err(|_| IssueProblem::BadKey)
}

impl DeviceQrKey {
    /// A new key, from the system's randomness.
    pub fn generate() -> Result<DeviceQrKey, IssueProblem> {
        let doc = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &SystemRandom::new())
            .map_err(|_| IssueProblem::Signing)?;
        DeviceQrKey::from_pkcs8(doc.as_ref())
    }

    /// A stored key.
    pub fn from_pkcs8(pkcs8: &[u8]) -> Result<DeviceQrKey, IssueProblem> {
        let pair = key_pair(pkcs8)?;
        let public_key = PublicKey::try_from(pair.public_key().as_ref()).map_err(|_| IssueProblem::BadKey)?;
        Ok(DeviceQrKey { pkcs8: Zeroizing::new(pkcs8.to_vec()), public_key })
    }

    /// The PKCS#8 bytes, to store (sealed) and read back with [`DeviceQrKey::from_pkcs8`].
    pub fn pkcs8(&self) -> &[u8] {
        &self.pkcs8
    }

    /// The public key the issuer certifies (`POST /qr/v1/certificates`).
    pub fn public_key(&self) -> &PublicKey {
        &self.public_key
    }

    /// The id a revocation names this key by.
    pub fn key_id(&self) -> KeyId {
        device_key_id(&self.public_key)
    }
}

/// A device key's id: the first 8 bytes of SHA-256 of its uncompressed SEC1 form (the same rule
/// as an issuer's).
pub fn device_key_id(public_key: &PublicKey) -> KeyId {
    key_id(public_key)
}

/// ES256 (`r‖s`) with ring; randomized, so each QR made has another signature.
pub(crate) fn sign_es256(key: &DeviceQrKey, message: &[u8]) -> Result<[u8; SIGNATURE_LEN], IssueProblem> {
    let signature = key_pair(&key.pkcs8)?.sign(&SystemRandom::new(), message).map_err(|_| IssueProblem::Signing)?;
    <[u8; SIGNATURE_LEN]>::try_from(signature.as_ref()).map_err(|_| IssueProblem::Signing)
}

/// The text of a QR showing `claims`, signed by `key`, carrying `certificate` (the issuer's COSE
/// bytes for `key`), compressed only when that is shorter.
pub fn sign_qr(claims: &QrClaims, key: &DeviceQrKey, certificate: &[u8]) -> Result<String, IssueProblem> {
    let payload = claims.to_cbor().map_err(|_| IssueProblem::BadClaims)?;
    DeviceCertificate::parse(certificate).map_err(|_| IssueProblem::BadCertificate)?;
    let cose = cose::build_qr(payload, certificate.to_vec(), |tbs| sign_es256(key, tbs))?;
    Ok(envelope::seal(&cose))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::share::signed::claims::tests::typical;
    use crate::share::signed::device_key_from_seed;
    use crate::share::signed::test_issuer::TestIssuer;
    use crate::share::signed::{PREFIX, base45};

    const NOW: u64 = 1_767_225_600;

    /// Alphanumeric capacity at ECC level M (ISO/IEC 18004:2015, table 7), versions 1 to 15.
    const ALPHANUMERIC_M: [usize; 15] = [20, 38, 61, 90, 122, 154, 178, 221, 262, 311, 366, 419, 483, 528, 600];

    fn version_at_m(chars: usize) -> usize {
        ALPHANUMERIC_M.iter().position(|&c| chars <= c).map_or(usize::MAX, |i| i + 1)
    }

    fn parts(text: &str) -> (usize, usize, usize, usize) {
        let bytes = base45::decode(&text[PREFIX.len()..]).unwrap();
        let qr = cose::parse_qr(&bytes).unwrap();
        (text.len(), bytes.len(), qr.payload.len(), qr.certificate.len())
    }

    /// docs/signed-qr.md sets the budget at version 10, ECC M (311 characters). Measured, a
    /// typical profile needs version 12: 83 bytes of claims, a 92-byte certificate, 82 bytes of
    /// COSE around them (two signatures: 128 of the 174 bytes of overhead) make 257 bytes, 390
    /// characters. Version 10 holds at most 204 bytes after the prefix, 30 of them for claims.
    #[test]
    fn a_typical_profile_fits_version_12_at_ecc_m() {
        let issuer = TestIssuer::from_seed("budget issuer");
        let device = DeviceQrKey::generate().unwrap();
        let certificate = issuer.certify(device.public_key(), NOW + 30 * 86_400);
        let text = sign_qr(&typical(NOW), &device, &certificate).unwrap();
        assert_eq!(parts(&text), (390, 257, 83, 92), "(text, COSE, claims, certificate)");
        assert_eq!(version_at_m(text.len()), 12);
    }

    /// What version 10 at ECC M does hold: claims of at most 30 bytes. The map, both times,
    /// gender and a birth date take 22, leaving 8: a 1-character name (3) and a 3-character
    /// address (5). An ABHA number alone takes 10, so no claims with one fit.
    #[test]
    fn version_10_at_ecc_m_holds_thirty_bytes_of_claims() {
        let issuer = TestIssuer::from_seed("budget issuer");
        let device = device_key_from_seed("budget device");
        let certificate = issuer.certify(device.public_key(), NOW + 30 * 86_400);
        let mut c = typical(NOW);
        (c.abha_number, c.mobile, c.pincode, c.birth) = (None, None, None, 19_870_000);
        c.name = "A".into();
        c.abha_address = Some("a@x".into());
        let text = sign_qr(&c, &device, &certificate).unwrap();
        assert_eq!(parts(&text), (310, 204, 30, 92));
        assert_eq!(version_at_m(text.len()), 10);
        c.abha_address = Some("ab@x".into());
        let text = sign_qr(&c, &device, &certificate).unwrap();
        assert_eq!(version_at_m(text.len()), 11, "one byte more is version 11");
    }

    #[test]
    fn a_key_comes_back_from_its_pkcs8_and_shows_only_its_id() {
        let key = DeviceQrKey::generate().unwrap();
        let again = DeviceQrKey::from_pkcs8(key.pkcs8()).unwrap();
        assert_eq!(again.public_key(), key.public_key());
        assert_eq!(format!("{key:?}"), format!("DeviceQrKey {{ key_id: \"{}\", .. }}", hex::encode(key.key_id())));
        assert_eq!(DeviceQrKey::from_pkcs8(&key.pkcs8()[1..]).map(|_| ()), Err(IssueProblem::BadKey));
    }

    #[test]
    fn the_locker_refuses_to_sign_what_a_counter_would_refuse() {
        let issuer = TestIssuer::from_seed("refusals issuer");
        let device = device_key_from_seed("refusals device");
        let certificate = issuer.certify(device.public_key(), NOW + 30 * 86_400);
        let mut c = typical(NOW);
        c.name.clear();
        assert_eq!(sign_qr(&c, &device, &certificate), Err(IssueProblem::BadClaims));
        assert_eq!(sign_qr(&typical(NOW), &device, &certificate[1..]), Err(IssueProblem::BadCertificate));
    }
}
