//! Sealing personal values to the ABDM backbone's RSA key: `ENC(x)` in the enrolment calls is
//! Java's `RSA/ECB/OAEPWithSHA-1AndMGF1Padding` (OAEP, SHA-1, MGF1-SHA-1, empty label), base64.
//!
//! Only the public-key operation is used, so the `rsa` crate's timing side channel on private-key
//! operations (RUSTSEC-2023-0071) does not apply. Randomness comes from ring's `SystemRandom`, the
//! same source as every other key and nonce in the core.

use crate::error::{Error, Result};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use ring::rand::{SecureRandom, SystemRandom};
use rsa::pkcs1::DecodeRsaPublicKey;
use rsa::pkcs8::{DecodePublicKey, EncodePublicKey};
use rsa::rand_core::{CryptoRng, RngCore};
use rsa::traits::PublicKeyParts;
use rsa::{Oaep, RsaPublicKey};
use std::fmt;
use zeroize::Zeroizing;

/// The smallest modulus accepted.
const MIN_BITS: usize = 2048;

/// The `rsaEncryption` algorithm identifier, 1.2.840.113549.1.1.1.
const RSA_ENCRYPTION: &str = "1.2.840.113549.1.1.1";

/// The backbone's public encryption key as published at `GET /v3/profile/public/certificate`.
#[derive(Clone)]
pub struct BackboneKey {
    key: RsaPublicKey,
    /// DER SubjectPublicKeyInfo, re-encoded from the key: the same key gives the same bytes (and
    /// fingerprint) whichever format it was published in.
    spki: Vec<u8>,
}

impl BackboneKey {
    /// Accepts what ABDM and our sandbox publish: base64 of a DER SubjectPublicKeyInfo (the
    /// usual form), base64 of a DER PKCS#1 `RSAPublicKey`, PEM of either (`PUBLIC KEY` /
    /// `RSA PUBLIC KEY`), and an X.509 certificate in PEM or base64 DER (its key is taken).
    /// Whitespace, line breaks and JSON-escaped `\n` inside the text are ignored. A key that is
    /// not RSA, or is shorter than 2048 bits, is [`Error::InvalidInput`].
    pub fn parse(text: &str) -> Result<BackboneKey> {
        let text = text.trim().replace("\\n", "\n").replace("\\r", "");
        let der = match pem_body(&text)? {
            Some(der) => der,
            None => decode_base64(&text)?,
        };
        Self::from_any_der(&der)
    }

    /// A DER SubjectPublicKeyInfo holding an RSA key of at least 2048 bits.
    pub fn from_spki_der(der: &[u8]) -> Result<BackboneKey> {
        check_rsa_algorithm(der)?;
        let key = RsaPublicKey::from_public_key_der(der)
            .map_err(|_| invalid("the backbone key is not a valid RSA SubjectPublicKeyInfo"))?;
        Self::from_key(key)
    }

    /// SubjectPublicKeyInfo, then PKCS#1, then a certificate.
    fn from_any_der(der: &[u8]) -> Result<BackboneKey> {
        if rsa::pkcs8::spki::SubjectPublicKeyInfoRef::try_from(der).is_ok() {
            // A well-formed SubjectPublicKeyInfo: an RSA key or a clear refusal.
            return Self::from_spki_der(der);
        }
        if let Ok(key) = RsaPublicKey::from_pkcs1_der(der) {
            return Self::from_key(key);
        }
        match certificate_spki(der) {
            Some(spki) => Self::from_spki_der(&spki),
            None => Err(invalid(
                "the backbone key is neither a public key (SubjectPublicKeyInfo or PKCS#1) nor an X.509 certificate",
            )),
        }
    }

    fn from_key(key: RsaPublicKey) -> Result<BackboneKey> {
        if key.n().bits() < MIN_BITS {
            return Err(invalid("the backbone key is shorter than 2048 bits"));
        }
        let spki = key
            .to_public_key_der()
            .map_err(|_| invalid("the backbone key could not be encoded as a SubjectPublicKeyInfo"))?
            .into_vec();
        Ok(BackboneKey { key, spki })
    }

    /// The key as DER SubjectPublicKeyInfo.
    pub fn spki_der(&self) -> &[u8] {
        &self.spki
    }

    /// Lower-case hex SHA-256 of [`Self::spki_der`]: says which key a value was sealed to, so a
    /// value sealed before a certificate rotation can be recognised.
    pub fn fingerprint(&self) -> String {
        hex::encode(ring::digest::digest(&ring::digest::SHA256, &self.spki))
    }

    /// RSA-OAEP with SHA-1 and MGF1-SHA-1 and an empty label (Java's
    /// `RSA/ECB/OAEPWithSHA-1AndMGF1Padding`); the ciphertext in standard base64. Each call
    /// draws a fresh seed, so sealing the same value twice gives different ciphertexts.
    pub fn seal(&self, clear: &[u8]) -> Result<Sealed> {
        let mut rng = RingRng::new()?;
        let ciphertext = self
            .key
            .encrypt(&mut rng, Oaep::new::<sha1::Sha1>(), clear)
            .map_err(|_| invalid("the value is too long to seal to the backbone key"))?;
        Ok(Sealed { base64: STANDARD.encode(ciphertext), key_fingerprint: self.fingerprint() })
    }
}

impl fmt::Debug for BackboneKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BackboneKey")
            .field("bits", &self.key.n().bits())
            .field("fingerprint", &self.fingerprint())
            .finish()
    }
}

/// A value sealed to the backbone: safe to keep on the device, since only the backbone can open
/// it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Sealed {
    /// The RSA-OAEP ciphertext, standard base64: what goes into the request as `ENC(x)`.
    pub base64: String,
    /// [`BackboneKey::fingerprint`] of the key it was sealed to.
    pub key_fingerprint: String,
}

fn invalid(msg: &str) -> Error {
    Error::InvalidInput(msg.into())
}

/// The DER inside a PEM document (`-----BEGIN …-----` … `-----END …-----`) found in `text`, if
/// the text holds one, read by RFC 7468's decoder (base64 wrapped at 64 or 76 characters, as
/// OpenSSL and MIME write it). Private keys are refused outright: the backbone never sends one,
/// and one pasted by mistake must not be taken for the public key.
fn pem_body(text: &str) -> Result<Option<Vec<u8>>> {
    let Some(start) = text.find("-----BEGIN ") else {
        return Ok(None);
    };
    let pem = &text.as_bytes()[start..];
    let label = pem_rfc7468::decode_label(pem).map_err(|_| invalid("the backbone key's PEM is malformed"))?;
    if label.contains("PRIVATE") {
        return Err(invalid("a private key was given where the backbone's public key belongs"));
    }
    for width in [64, 76] {
        if let Ok(mut decoder) = pem_rfc7468::Decoder::new_wrapped(pem, width) {
            let mut der = Vec::new();
            if decoder.decode_to_end(&mut der).is_ok() {
                return Ok(Some(der));
            }
        }
    }
    Err(invalid("the backbone key's PEM is malformed"))
}

/// Base64 with any whitespace inside; standard or URL-safe alphabet, padded or not.
fn decode_base64(text: &str) -> Result<Vec<u8>> {
    let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    if compact.is_empty() {
        return Err(invalid("the backbone key is empty"));
    }
    [STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD]
        .iter()
        .find_map(|engine| engine.decode(&compact).ok())
        .ok_or_else(|| invalid("the backbone key is neither PEM nor base64"))
}

/// Refuses a SubjectPublicKeyInfo whose algorithm is not `rsaEncryption` with a message saying
/// so (rather than a generic parse failure).
fn check_rsa_algorithm(der: &[u8]) -> Result<()> {
    let spki = rsa::pkcs8::spki::SubjectPublicKeyInfoRef::try_from(der)
        .map_err(|_| invalid("the backbone key is not a valid SubjectPublicKeyInfo"))?;
    if spki.algorithm.oid.to_string() != RSA_ENCRYPTION {
        return Err(invalid("the backbone key is not an RSA key"));
    }
    Ok(())
}

/// The SubjectPublicKeyInfo inside a DER X.509 certificate, read with `der`:
/// `Certificate ::= SEQUENCE { tbsCertificate SEQUENCE { [0] version OPTIONAL, serialNumber,
/// signature, issuer, validity, subject, subjectPublicKeyInfo, … }, … }`.
fn certificate_spki(cert: &[u8]) -> Option<Vec<u8>> {
    use der::asn1::AnyRef;
    use der::{Decode, Encode, SliceReader, Tag, Tagged};
    let sequence = |a: &AnyRef<'_>| a.tag() == Tag::Sequence;
    let cert = AnyRef::from_der(cert).ok().filter(sequence)?;
    let tbs = AnyRef::decode(&mut SliceReader::new(cert.value()).ok()?).ok().filter(sequence)?;
    let mut fields = SliceReader::new(tbs.value()).ok()?;
    let mut field = AnyRef::decode(&mut fields).ok()?;
    if field.tag().is_context_specific() {
        field = AnyRef::decode(&mut fields).ok()?; // past the explicit version
    }
    // serialNumber, signature, issuer, validity, subject
    for _ in 0..5 {
        field = AnyRef::decode(&mut fields).ok()?;
    }
    (field.tag() == Tag::Sequence).then(|| field.to_der().ok()).flatten()
}

/// rsa's `CryptoRngCore` over ring's `SystemRandom`. OAEP draws one seed (20 bytes for SHA-1):
/// it is drawn up front, fallibly, so the infallible `fill_bytes` that rsa calls is served from
/// that pool and does not reach the system generator (and so cannot fail) in practice.
struct RingRng {
    pool: Zeroizing<[u8; 64]>,
    used: usize,
}

impl RingRng {
    fn new() -> Result<RingRng> {
        let mut pool = Zeroizing::new([0u8; 64]);
        super::random_fill(pool.as_mut())?;
        Ok(RingRng { pool, used: 0 })
    }

    fn fill(&mut self, dest: &mut [u8]) -> std::result::Result<(), ring::error::Unspecified> {
        let available = self.pool.len() - self.used;
        if dest.len() <= available {
            dest.copy_from_slice(&self.pool[self.used..self.used + dest.len()]);
            self.pool[self.used..self.used + dest.len()].fill(0);
            self.used += dest.len();
            Ok(())
        } else {
            SystemRandom::new().fill(dest)
        }
    }
}

impl RngCore for RingRng {
    fn next_u32(&mut self) -> u32 {
        let mut b = [0u8; 4];
        self.fill_bytes(&mut b);
        u32::from_le_bytes(b)
    }

    fn next_u64(&mut self) -> u64 {
        let mut b = [0u8; 8];
        self.fill_bytes(&mut b);
        u64::from_le_bytes(b)
    }

    fn fill_bytes(&mut self, dest: &mut [u8]) {
        // Only reached past the pool, and ring's SystemRandom fails only when the OS has no
        // random source at all: there is no way to seal securely then.
        self.fill(dest).expect("the system random generator failed");
    }

    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> std::result::Result<(), rsa::rand_core::Error> {
        self.fill(dest).map_err(|_| {
            let code = std::num::NonZeroU32::new(rsa::rand_core::Error::CUSTOM_START).expect("non-zero");
            rsa::rand_core::Error::from(code)
        })
    }
}

impl CryptoRng for RingRng {}

#[cfg(test)]
mod tests {
    use super::*;
    use rsa::RsaPrivateKey;
    use rsa::pkcs1::EncodeRsaPublicKey;
    use rsa::pkcs8::LineEnding;

    fn private_key(bits: usize) -> RsaPrivateKey {
        RsaPrivateKey::new(&mut RingRng::new().unwrap(), bits).unwrap()
    }

    #[test]
    fn every_encoding_of_one_key_gives_one_fingerprint_and_seals_openably() {
        let private = private_key(2048);
        let public = private.to_public_key();
        let spki_der = public.to_public_key_der().unwrap();
        let pkcs1_der = public.to_pkcs1_der().unwrap();
        let texts = [
            STANDARD.encode(spki_der.as_bytes()),
            STANDARD.encode(pkcs1_der.as_bytes()),
            public.to_public_key_pem(LineEnding::LF).unwrap(),
            public.to_pkcs1_pem(LineEnding::CRLF).unwrap(),
            public.to_public_key_pem(LineEnding::LF).unwrap().replace('\n', "\\n"),
        ];
        let reference = BackboneKey::from_spki_der(spki_der.as_bytes()).unwrap();
        assert_eq!(reference.spki_der(), spki_der.as_bytes());
        assert_eq!(reference.fingerprint().len(), 64);
        for t in &texts {
            let k = BackboneKey::parse(t).unwrap();
            assert_eq!(k.fingerprint(), reference.fingerprint());
        }

        let sealed = reference.seal(b"123456").unwrap();
        assert_eq!(sealed.key_fingerprint, reference.fingerprint());
        let ct = STANDARD.decode(&sealed.base64).unwrap();
        assert_eq!(ct.len(), 256);
        assert_eq!(private.decrypt(Oaep::new::<sha1::Sha1>(), &ct).unwrap(), b"123456");
        assert_ne!(reference.seal(b"123456").unwrap().base64, sealed.base64);
        // 256 − 2·20 − 2 bytes fit under OAEP-SHA-1, one more does not.
        assert!(reference.seal(&[7; 214]).is_ok());
        assert!(matches!(reference.seal(&[7; 215]), Err(Error::InvalidInput(_))));
    }

    #[test]
    fn short_keys_private_keys_and_garbage_are_refused() {
        let small = private_key(1024).to_public_key();
        let e = BackboneKey::parse(&small.to_public_key_pem(LineEnding::LF).unwrap()).unwrap_err();
        assert!(e.to_string().contains("2048"), "{e}");
        for t in ["", "not base64 at all!", "AAAA", "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----"] {
            assert!(matches!(BackboneKey::parse(t), Err(Error::InvalidInput(_))), "{t}");
        }
    }

    #[test]
    fn a_certificate_that_is_cut_short_or_not_a_certificate_gives_no_key() {
        for bad in [&[][..], &[0x30], &[0x30, 0x05, 1, 2], &[0x30, 0x80, 0, 0], &[0x30, 0x03, 0x30, 0x01, 0x00]] {
            assert!(certificate_spki(bad).is_none(), "{bad:?}");
        }
    }
}
