//! Fidelius: the encryption of ABDM's health-information exchange, byte for byte what the Java
//! implementations (all on BouncyCastle) make and accept.
//!
//! Each party has a key pair on BouncyCastle's `curve25519` (Curve25519 in short-Weierstrass
//! form, see `curve.rs`) and a 32-byte random nonce; each sends the other its public key and nonce
//! ([`KeyMaterial`]). Then, on either side:
//!
//! 1. `secret` = the x-coordinate of the ECDH shared point, 32 bytes big-endian, padded (never
//!    trimmed: a port that trims fails about one exchange in 256 with Java peers);
//! 2. `xor = senderNonce ⊕ requesterNonce`, `salt = xor[0..20]`, `iv = xor[20..32]`;
//! 3. `key = HKDF-SHA256(secret, salt, no info)`, 32 bytes;
//! 4. each entry is AES-256-GCM under that key and IV, no AAD: `base64(ciphertext‖tag)`.
//!
//! [`Session`] does 1–3 once per exchange; encrypting or decrypting an entry is then only the
//! AEAD. As a HIU we send our public key raw (`04‖X‖Y`), as a HIP in X.509 with explicit curve
//! parameters ([`KeyForm`]); we read raw, explicit X.509 and named-curve X.509 alike. Private
//! keys read as Java writes them (1 to 33 bytes, unsigned) and are never clamped. Problems are
//! [`FideliusProblem`]s inside [`crate::Error::Fidelius`]: they name what is wrong, never the
//! bytes.
//!
//! ```
//! use locker_core::crypto::fidelius::{KeyPair, Session, new_nonce};
//! let (hiu, hip) = (KeyPair::generate()?, KeyPair::generate()?);
//! let (hiu_nonce, hip_nonce) = (new_nonce()?, new_nonce()?);
//! let sending = Session::new(&hip, &hip_nonce, hiu.public(), &hiu_nonce)?;
//! let sealed = sending.encrypt_base64(b"{\"resourceType\":\"Bundle\"}");
//! let receiving = Session::new(&hiu, &hiu_nonce, hip.public(), &hip_nonce)?;
//! assert_eq!(receiving.decrypt_base64(&sealed)?, b"{\"resourceType\":\"Bundle\"}");
//! # Ok::<(), locker_core::Error>(())
//! ```

mod curve;
mod keys;
mod material;
mod problem;
mod session;

pub use keys::{KeyForm, KeyPair, PublicKey, X509_LEN, X509_PREFIX_LEN, x509_prefix};
pub use material::{KeyMaterial, PARAMETERS};
pub use problem::FideliusProblem;
pub use session::{Session, TAG_LEN, new_nonce, read_nonce};

use crate::error::Result;

/// Standard base64, padded: how keys, nonces and payloads travel.
pub fn to_base64(bytes: &[u8]) -> String {
    keys::encode_base64(bytes)
}

/// Standard base64 as peers write it: padding optional, whitespace and line breaks skipped.
pub fn from_base64(text: &str) -> Result<Vec<u8>> {
    keys::decode_base64(text)
}

/// What an exchange derives before its key: the ECDH secret (32 bytes, padded), the HKDF salt
/// (20 bytes) and the GCM IV (12 bytes).
pub type ExchangeParts = (zeroize::Zeroizing<[u8; 32]>, [u8; 20], [u8; 12]);

/// The exchange's intermediate values for a key pair and a peer, for tests against published
/// vectors (which give the secret, salt and IV).
#[doc(hidden)]
pub fn exchange_parts(
    own: &KeyPair,
    own_nonce: &[u8; 32],
    peer: &PublicKey,
    peer_nonce: &[u8; 32],
) -> Result<ExchangeParts> {
    let secret = own.agree(peer)?;
    let (salt, iv) = session::salt_and_iv(own_nonce, peer_nonce);
    Ok((secret, salt, iv))
}
