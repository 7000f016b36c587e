//! Fidelius keys in the forms they travel in.
//!
//! A private key is what Java's `BigInteger.toByteArray()` gives: big-endian, usually 32 bytes,
//! sometimes shorter, sometimes with a leading 0x00; read as an unsigned number, 1 to 33 bytes,
//! and written back padded to 32. A public key arrives raw (`04‖X‖Y`, 65 bytes), as an X.509
//! SubjectPublicKeyInfo with the curve's parameters spelt out (309 bytes, what a Java HIP sends),
//! or as one that names the curve; it leaves raw (as a HIU sends it) or in the explicit X.509
//! form (as a HIP sends it), byte for byte what BouncyCastle's `getEncoded()` gives.

use super::curve::{self, Point};
use super::problem::FideliusProblem;
use crate::error::{Error, Result};
use base64::Engine;
use rsa::pkcs8::spki::SubjectPublicKeyInfoRef;
use zeroize::Zeroizing;

/// Which form a public key is written in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum KeyForm {
    /// `04‖X‖Y`, 65 bytes (88 base64 characters): what a HIU sends, what Java HIPs accept.
    Raw,
    /// X.509 SubjectPublicKeyInfo with explicit curve parameters, 309 bytes (412 base64
    /// characters): what a HIP sends, what Java HIUs accept.
    X509,
}

/// A peer's (or our) public key: a point checked to be on the curve and in its group.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct PublicKey(Point);

/// A private key and its public key. The private key lives in zeroized memory and is never
/// printed. The public key is worked out when first asked for: decrypting with an imported key
/// never needs it.
pub struct KeyPair {
    private: curve::Scalar,
    public: std::sync::OnceLock<PublicKey>,
}

/// The length of the X.509 form's fixed part: everything before the point.
pub const X509_PREFIX_LEN: usize = 244;
/// The X.509 form's length.
pub const X509_LEN: usize = X509_PREFIX_LEN + 65;

/// id-ecPublicKey, 1.2.840.10045.2.1.
const EC_PUBLIC_KEY_OID: [u8; 7] = [0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];
/// prime-field, 1.2.840.10045.1.1.
const PRIME_FIELD_OID: [u8; 7] = [0x2a, 0x86, 0x48, 0xce, 0x3d, 0x01, 0x01];

/// The X.509 form up to the point, as BouncyCastle encodes a key whose parameters are an
/// `ECParameterSpec` built from `CustomNamedCurves.getByName("curve25519")` (no seed):
///
/// ```text
/// SEQUENCE (305)                          SubjectPublicKeyInfo
///   SEQUENCE (234)                        AlgorithmIdentifier
///     OID id-ecPublicKey
///     SEQUENCE (222)                      ECParameters
///       INTEGER 1                         version
///       SEQUENCE (43) { OID prime-field, INTEGER p }
///       SEQUENCE (68) { OCTET STRING a, OCTET STRING b }   (no seed)
///       OCTET STRING 04‖Gx‖Gy             base point
///       INTEGER n
///       INTEGER 8                         cofactor
///   BIT STRING (66), no unused bits: 04‖X‖Y follows
/// ```
///
/// p, n and the coordinates all have their top bit clear at 32 bytes, so no INTEGER needs a
/// leading zero and every length is fixed.
pub fn x509_prefix() -> [u8; X509_PREFIX_LEN] {
    let mut out = Vec::with_capacity(X509_PREFIX_LEN);
    out.extend_from_slice(&[0x30, 0x82, 0x01, 0x31, 0x30, 0x81, 0xea, 0x06, 0x07]);
    out.extend_from_slice(&EC_PUBLIC_KEY_OID);
    out.extend_from_slice(&[0x30, 0x81, 0xde, 0x02, 0x01, 0x01, 0x30, 0x2b, 0x06, 0x07]);
    out.extend_from_slice(&PRIME_FIELD_OID);
    out.extend_from_slice(&[0x02, 0x20]);
    out.extend_from_slice(&be(&curve::P));
    out.extend_from_slice(&[0x30, 0x44, 0x04, 0x20]);
    out.extend_from_slice(&be(&curve::A));
    out.extend_from_slice(&[0x04, 0x20]);
    out.extend_from_slice(&be(&curve::B));
    out.extend_from_slice(&[0x04, 0x41, 0x04]);
    out.extend_from_slice(&be(&curve::GX));
    out.extend_from_slice(&be(&curve::GY));
    out.extend_from_slice(&[0x02, 0x20]);
    out.extend_from_slice(&be(&curve::N));
    out.extend_from_slice(&[0x02, 0x01, curve::H, 0x03, 0x42, 0x00]);
    out.try_into().expect("the X.509 prefix has a fixed length")
}

fn be(v: &crypto_bigint::U256) -> [u8; 32] {
    crypto_bigint::Encoding::to_be_bytes(v)
}

fn refused(p: FideliusProblem) -> Error {
    Error::Fidelius(p)
}

/// Standard base64 (padding optional); whitespace and line breaks, which Java's decoders skip,
/// are skipped too.
pub(crate) fn decode_base64(text: &str) -> Result<Vec<u8>> {
    const LENIENT: base64::engine::GeneralPurpose = base64::engine::GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        base64::engine::GeneralPurposeConfig::new()
            .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent),
    );
    match LENIENT.decode(text) {
        Ok(v) => Ok(v),
        Err(_) if text.bytes().any(|b| b.is_ascii_whitespace()) => {
            let compact: String = text.chars().filter(|c| !c.is_ascii_whitespace()).collect();
            LENIENT.decode(compact).map_err(|_| refused(FideliusProblem::BadBase64))
        }
        Err(_) => Err(refused(FideliusProblem::BadBase64)),
    }
}

/// Standard base64 with padding.
pub(crate) fn encode_base64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

impl PublicKey {
    /// A public key in any of the three forms: raw `04‖X‖Y`, X.509 with explicit parameters, or
    /// X.509 naming the curve (any DER SubjectPublicKeyInfo of an EC key: its point is the last
    /// 65 bytes). The point is checked: coordinates below p, on the curve, in its group.
    pub fn read(der_or_raw: &[u8]) -> Result<PublicKey> {
        let raw: &[u8] = if der_or_raw.len() == 65 && der_or_raw[0] == 0x04 {
            der_or_raw
        } else {
            let spki =
                SubjectPublicKeyInfoRef::try_from(der_or_raw).map_err(|_| refused(FideliusProblem::BadPublicKey))?;
            if spki.algorithm.oid.as_bytes() != EC_PUBLIC_KEY_OID {
                return Err(refused(FideliusProblem::BadPublicKey));
            }
            spki.subject_public_key.as_bytes().ok_or(refused(FideliusProblem::BadPublicKey))?
        };
        if raw.len() != 65 || raw[0] != 0x04 {
            return Err(refused(FideliusProblem::BadPublicKey));
        }
        let x: [u8; 32] = raw[1..33].try_into().expect("32 bytes");
        let y: [u8; 32] = raw[33..65].try_into().expect("32 bytes");
        Ok(PublicKey(curve::validate(&x, &y)?))
    }

    /// [`PublicKey::read`] from base64.
    pub fn read_base64(text: &str) -> Result<PublicKey> {
        Self::read(&decode_base64(text.trim())?)
    }

    /// `04‖X‖Y`, coordinates padded to 32 bytes.
    pub fn raw(&self) -> [u8; 65] {
        let mut out = [0u8; 65];
        out[0] = 0x04;
        out[1..33].copy_from_slice(&self.0.x);
        out[33..].copy_from_slice(&self.0.y);
        out
    }

    /// X.509 SubjectPublicKeyInfo with explicit parameters (309 bytes), as BouncyCastle's
    /// `getEncoded()` writes it.
    pub fn x509(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(X509_LEN);
        out.extend_from_slice(&x509_prefix());
        out.extend_from_slice(&self.raw());
        out
    }

    /// The key in `form`, as bytes.
    pub fn encoded(&self, form: KeyForm) -> Vec<u8> {
        match form {
            KeyForm::Raw => self.raw().to_vec(),
            KeyForm::X509 => self.x509(),
        }
    }

    /// The key in `form`, in standard base64.
    pub fn to_base64(&self, form: KeyForm) -> String {
        encode_base64(&self.encoded(form))
    }

    pub(crate) fn point(&self) -> &Point {
        &self.0
    }
}

impl std::fmt::Debug for PublicKey {
    /// A public key is not secret; the start of X is enough to tell two apart.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PublicKey(x={}…)", hex::encode(&self.0.x[..6]))
    }
}

impl KeyPair {
    /// A new random key pair: a private key uniform over 1 to n − 1.
    pub fn generate() -> Result<KeyPair> {
        let mut k = Zeroizing::new([0u8; 32]);
        loop {
            super::super::random_fill(k.as_mut())?;
            // n is just above 2^252: keep 253 bits, and draw again (about one time in two)
            // until the number is below n.
            k[0] &= 0x1f;
            if curve::scalar_in_range(&k) {
                return Ok(Self::with_scalar(k));
            }
        }
    }

    /// A private key in Java's form (`BigInteger.toByteArray()`): 1 to 33 bytes, big-endian,
    /// read unsigned; leading zeros allowed. Refused when 0 or not below the group order.
    pub fn from_private(java_bytes: &[u8]) -> Result<KeyPair> {
        let bad = || refused(FideliusProblem::BadPrivateKey);
        if java_bytes.is_empty() || java_bytes.len() > 33 {
            return Err(bad());
        }
        let (high, low) = java_bytes.split_at(java_bytes.len().saturating_sub(32));
        if high.iter().any(|&b| b != 0) {
            return Err(bad());
        }
        let mut k = Zeroizing::new([0u8; 32]);
        k[32 - low.len()..].copy_from_slice(low);
        if !curve::scalar_in_range(&k) {
            return Err(bad());
        }
        Ok(Self::with_scalar(k))
    }

    /// [`KeyPair::from_private`] from base64.
    pub fn from_private_base64(text: &str) -> Result<KeyPair> {
        let bytes = Zeroizing::new(decode_base64(text.trim())?);
        Self::from_private(&bytes)
    }

    fn with_scalar(k: curve::Scalar) -> KeyPair {
        KeyPair { private: k, public: std::sync::OnceLock::new() }
    }

    /// The private key, 32 bytes big-endian (Java's `new BigInteger(bytes)` reads it: the top
    /// bit is always clear).
    pub fn private_bytes(&self) -> Zeroizing<[u8; 32]> {
        Zeroizing::new(*self.private)
    }

    /// The private key in standard base64.
    pub fn private_base64(&self) -> Zeroizing<String> {
        Zeroizing::new(encode_base64(self.private.as_ref()))
    }

    /// The public key: the private key times the base point.
    pub fn public(&self) -> &PublicKey {
        self.public.get_or_init(|| PublicKey(curve::base_mul(&self.private)))
    }

    /// The ECDH secret with `peer`: the shared point's x, 32 bytes big-endian, padded.
    pub(crate) fn agree(&self, peer: &PublicKey) -> Result<Zeroizing<[u8; 32]>> {
        curve::shared_x(&self.private, peer.point()).map_err(refused)
    }
}

impl std::fmt::Debug for KeyPair {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyPair").field("public", self.public()).field("private", &"<redacted>").finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// mgrmtech/fidelius-cli's README: a key made by BouncyCastle, X.509 with explicit parameters.
    const README_X509: &str = "MIIBMTCB6gYHKoZIzj0CATCB3gIBATArBgcqhkjOPQEBAiB/////////////////////////////////////////7TBEBCAqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqYSRShRAQge0Je0Je0Je0Je0Je0Je0Je0Je0Je0Je0JgtenHcQyGQEQQQqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq0kWiCuGaG4oIa04B7dLHdI0UySPU1+bXxhsinpxaJ+ztPZAiAQAAAAAAAAAAAAAAAAAAAAFN753qL3nNZYEmMaXPXT7QIBCANCAAQIXg+a1Kk8uFecUeP+h1pmKaKbuQjvijvARAktLnTalE0jaPdUyKiCMtQOFYfhfeHPp/bwHMF1NmxnH7COX+vW";
    const README_RAW: &str = "BAheD5rUqTy4V5xR4/6HWmYpopu5CO+KO8BECS0udNqUTSNo91TIqIIy1A4Vh+F94c+n9vAcwXU2bGcfsI5f69Y=";

    #[test]
    fn the_x509_prefix_is_bouncycastles_byte_for_byte() {
        let der = decode_base64(README_X509).unwrap();
        assert_eq!(der.len(), X509_LEN);
        assert_eq!(der[..X509_PREFIX_LEN], x509_prefix());
        let key = PublicKey::read(&der).unwrap();
        assert_eq!(key.x509(), der);
        assert_eq!(key, PublicKey::read_base64(README_RAW).unwrap());
    }

    #[test]
    fn a_named_curve_key_is_read_by_its_point() {
        // BouncyCastle's getEncoded() for a key made with ECNamedCurveTable's spec: the curve by
        // its OID (1.3.6.1.4.1.3029.1.5.1).
        let mut der = hex::decode("305b301506072a8648ce3d0201060a2b06010401975501050103420004").unwrap();
        let raw = PublicKey::read_base64(README_RAW).unwrap().raw();
        der.extend_from_slice(&raw[1..]);
        assert_eq!(PublicKey::read(&der).unwrap().raw(), raw);
    }

    #[test]
    fn keys_that_are_not_keys_are_refused() {
        let code = |r: Result<PublicKey>| match r {
            Err(Error::Fidelius(p)) => p,
            other => panic!("{other:?}"),
        };
        assert_eq!(code(PublicKey::read(&[])), FideliusProblem::BadPublicKey);
        assert_eq!(code(PublicKey::read(&[4; 64])), FideliusProblem::BadPublicKey);
        let mut raw = PublicKey::read_base64(README_RAW).unwrap().raw();
        raw[0] = 0x02;
        assert_eq!(code(PublicKey::read(&raw)), FideliusProblem::BadPublicKey);
        raw[0] = 0x04;
        raw[64] ^= 1;
        assert_eq!(code(PublicKey::read(&raw)), FideliusProblem::NotOnCurve);
        let mut der = decode_base64(README_X509).unwrap();
        der.truncate(300);
        assert_eq!(code(PublicKey::read(&der)), FideliusProblem::BadPublicKey);
        assert_eq!(code(PublicKey::read_base64("not base64!")), FideliusProblem::BadBase64);
    }

    #[test]
    fn private_keys_in_java_form() {
        let k = KeyPair::generate().unwrap();
        let bytes = *k.private_bytes();
        assert!(bytes[0] < 0x20);
        let mut padded = vec![0u8];
        padded.extend_from_slice(&bytes);
        assert_eq!(KeyPair::from_private(&padded).unwrap().public(), k.public());
        let first = bytes.iter().position(|&b| b != 0).unwrap();
        assert_eq!(KeyPair::from_private(&bytes[first..]).unwrap().public(), k.public());
        let one = KeyPair::from_private(&[1]).unwrap();
        assert_eq!(one.public().raw()[1..33], be(&curve::GX));
        for bad in [&[][..], &[0], &[0; 32], &[1; 34], &[0xff; 32], &be(&curve::N)] {
            assert!(matches!(KeyPair::from_private(bad), Err(Error::Fidelius(FideliusProblem::BadPrivateKey))));
        }
        let mut big = vec![1u8];
        big.extend_from_slice(&[0; 32]);
        assert!(KeyPair::from_private(&big).is_err());
    }

    #[test]
    fn debug_shows_no_private_key() {
        let k = KeyPair::from_private(&[0x42; 31]).unwrap();
        let shown = format!("{k:?}");
        assert!(shown.contains("<redacted>"));
        assert!(!shown.contains("4242"));
    }
}
