//! Fidelius, the health-data exchange's encryption, for the shells and for tests against Java
//! peers: keys, nonces and payloads cross as standard base64 strings, as they travel in ABDM's
//! JSON. Each call converts and delegates to `locker_core::crypto::fidelius`; a key, nonce or
//! payload refused is `CryptoRefused` with its code (`bad-public-key`, `not-on-curve`,
//! `tag-mismatch`…). Private keys are read in Java's form (1 to 33 bytes, unsigned) and written
//! as 32 bytes.

use crate::error::{LockerError, run};
use locker_core::crypto::fidelius::{
    KeyForm, KeyPair, PublicKey, Session, from_base64, new_nonce, read_nonce, to_base64,
};
use zeroize::Zeroizing;

/// A key pair in base64: the private key (32 bytes), the public key raw (`04‖X‖Y`, as a HIU
/// sends it) and in X.509 with explicit parameters (as a HIP sends it). Prints no private key.
#[derive(Clone, PartialEq, Eq, uniffi::Record)]
pub struct FideliusKeyPair {
    pub private_key: String,
    pub public_key_raw: String,
    pub public_key_x509: String,
}

impl std::fmt::Debug for FideliusKeyPair {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FideliusKeyPair")
            .field("public_key_raw", &self.public_key_raw)
            .field("private_key", &"<redacted>")
            .finish()
    }
}

fn pair(k: &KeyPair) -> FideliusKeyPair {
    FideliusKeyPair {
        private_key: k.private_base64().to_string(),
        public_key_raw: k.public().to_base64(KeyForm::Raw),
        public_key_x509: k.public().to_base64(KeyForm::X509),
    }
}

fn session(
    own_private_key: &str,
    own_nonce: &str,
    peer_public_key: &str,
    peer_nonce: &str,
) -> locker_core::Result<Session> {
    let own = KeyPair::from_private_base64(own_private_key)?;
    let peer = PublicKey::read_base64(peer_public_key)?;
    Session::new(&own, &read_nonce(own_nonce)?, &peer, &read_nonce(peer_nonce)?)
}

/// A new random key pair.
#[uniffi::export]
pub fn fidelius_generate_key_pair() -> Result<FideliusKeyPair, LockerError> {
    run(|| Ok(pair(&KeyPair::generate()?)))
}

/// The key pair of a private key in Java's form (base64 of `BigInteger.toByteArray()`).
#[uniffi::export]
pub fn fidelius_public_key(private_key: String) -> Result<FideliusKeyPair, LockerError> {
    let private_key = Zeroizing::new(private_key);
    run(|| Ok(pair(&KeyPair::from_private_base64(&private_key)?)))
}

/// A new random 32-byte nonce, in base64.
#[uniffi::export]
pub fn fidelius_new_nonce() -> Result<String, LockerError> {
    run(|| Ok(to_base64(&new_nonce()?)))
}

/// `plain` encrypted for a peer: our private key and nonce, the peer's public key (raw or
/// X.509) and nonce. The result is `base64(ciphertext‖tag)`.
#[uniffi::export]
pub fn fidelius_encrypt(
    own_private_key: String,
    own_nonce: String,
    peer_public_key: String,
    peer_nonce: String,
    plain: Vec<u8>,
) -> Result<String, LockerError> {
    let own_private_key = Zeroizing::new(own_private_key);
    run(|| Ok(session(&own_private_key, &own_nonce, &peer_public_key, &peer_nonce)?.encrypt_base64(&plain)))
}

/// `encrypted` (`base64(ciphertext‖tag)`) decrypted, its tag checked (`tag-mismatch`
/// otherwise): our private key and nonce, the peer's public key and nonce.
#[uniffi::export]
pub fn fidelius_decrypt(
    own_private_key: String,
    own_nonce: String,
    peer_public_key: String,
    peer_nonce: String,
    encrypted: String,
) -> Result<Vec<u8>, LockerError> {
    let own_private_key = Zeroizing::new(own_private_key);
    run(|| {
        let s = session(&own_private_key, &own_nonce, &peer_public_key, &peer_nonce)?;
        let mut sealed = from_base64(&encrypted)?;
        let len = s.decrypt_in_place(&mut sealed)?.len();
        sealed.truncate(len);
        Ok(sealed)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_round_trip_and_a_refusal_with_its_code() {
        let (a, b) = (fidelius_generate_key_pair().unwrap(), fidelius_generate_key_pair().unwrap());
        assert_eq!(fidelius_public_key(a.private_key.clone()).unwrap(), a);
        let (na, nb) = (fidelius_new_nonce().unwrap(), fidelius_new_nonce().unwrap());
        let sealed =
            fidelius_encrypt(a.private_key.clone(), na.clone(), b.public_key_x509.clone(), nb.clone(), b"hi".to_vec())
                .unwrap();
        let clear =
            fidelius_decrypt(b.private_key.clone(), nb.clone(), a.public_key_raw.clone(), na.clone(), sealed).unwrap();
        assert_eq!(clear, b"hi");
        let r = fidelius_decrypt(
            b.private_key.clone(),
            nb,
            a.public_key_raw.clone(),
            na,
            "AAAAAAAAAAAAAAAAAAAAAA==".into(),
        );
        assert!(matches!(r, Err(LockerError::CryptoRefused { ref code, .. }) if code == "tag-mismatch"), "{r:?}");
        assert!(!format!("{a:?}").contains(&a.private_key));
    }
}
