//! One exchange's key: ECDH, then HKDF, once; then AES-256-GCM for every entry with that key
//! and the same IV, as the protocol has it.

use super::keys::{KeyPair, PublicKey, decode_base64, encode_base64};
use super::problem::FideliusProblem;
use crate::error::{Error, Result};
use ring::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use ring::hkdf;
use zeroize::Zeroizing;

/// The AES-GCM tag's length: it follows the ciphertext.
pub const TAG_LEN: usize = 16;

/// A 32-byte random nonce, one per party per exchange.
pub fn new_nonce() -> Result<[u8; 32]> {
    let mut n = [0u8; 32];
    super::super::random_fill(&mut n)?;
    Ok(n)
}

/// A nonce from base64: exactly 32 bytes.
pub fn read_nonce(text: &str) -> Result<[u8; 32]> {
    decode_base64(text.trim())?.try_into().map_err(|_| Error::Fidelius(FideliusProblem::BadNonce))
}

/// What the two nonces give: `xor = own ⊕ peer` (the same from either side), the HKDF salt
/// (its first 20 bytes) and the GCM IV (its last 12).
pub(crate) fn salt_and_iv(own: &[u8; 32], peer: &[u8; 32]) -> ([u8; 20], [u8; NONCE_LEN]) {
    let mut xor = [0u8; 32];
    for (x, (a, b)) in xor.iter_mut().zip(own.iter().zip(peer)) {
        *x = a ^ b;
    }
    (xor[..20].try_into().expect("20 bytes"), xor[20..].try_into().expect("12 bytes"))
}

/// HKDF-SHA256 with an empty info, 32 bytes out.
pub(crate) fn derive_key(secret: &[u8; 32], salt: &[u8; 20]) -> Zeroizing<[u8; 32]> {
    struct Len32;
    impl hkdf::KeyType for Len32 {
        fn len(&self) -> usize {
            32
        }
    }
    let mut key = Zeroizing::new([0u8; 32]);
    hkdf::Salt::new(hkdf::HKDF_SHA256, salt)
        .extract(secret)
        .expand(&[], Len32)
        .and_then(|okm| okm.fill(key.as_mut()))
        .expect("32 bytes is a valid HKDF-SHA256 length");
    key
}

/// The key and IV of one exchange, between our key pair and a peer's public key. Encrypting and
/// decrypting an entry is AES-256-GCM and nothing more.
pub struct Session {
    key: LessSafeKey,
    iv: [u8; NONCE_LEN],
}

impl Session {
    /// Our key pair and nonce, the peer's public key and nonce. Either side makes the same
    /// session: the sender with its own key and the requester's public key, the requester
    /// with its own key and the sender's.
    pub fn new(own: &KeyPair, own_nonce: &[u8; 32], peer: &PublicKey, peer_nonce: &[u8; 32]) -> Result<Session> {
        let secret = own.agree(peer)?;
        let (salt, iv) = salt_and_iv(own_nonce, peer_nonce);
        Ok(Session::from_secret(&secret, &salt, iv))
    }

    pub(crate) fn from_secret(secret: &[u8; 32], salt: &[u8; 20], iv: [u8; NONCE_LEN]) -> Session {
        let key = derive_key(secret, salt);
        let unbound = UnboundKey::new(&AES_256_GCM, key.as_ref()).expect("a 32-byte AES-256 key");
        Session { key: LessSafeKey::new(unbound), iv }
    }

    fn nonce(&self) -> Nonce {
        Nonce::assume_unique_for_key(self.iv)
    }

    /// `clear` encrypted: ciphertext‖tag.
    pub fn encrypt(&self, clear: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(clear.len() + TAG_LEN);
        out.extend_from_slice(clear);
        self.key
            .seal_in_place_append_tag(self.nonce(), Aad::empty(), &mut out)
            .expect("AES-GCM seals any length an allocation can hold");
        out
    }

    /// ciphertext‖tag decrypted, the tag checked.
    pub fn decrypt(&self, sealed: &[u8]) -> Result<Vec<u8>> {
        let mut buf = sealed.to_vec();
        let len = self.decrypt_in_place(&mut buf)?.len();
        buf.truncate(len);
        Ok(buf)
    }

    /// ciphertext‖tag decrypted where it lies, the tag checked: the clear text is the start of
    /// `sealed`. On a tag mismatch the buffer's content is unspecified.
    pub fn decrypt_in_place<'a>(&self, sealed: &'a mut [u8]) -> Result<&'a [u8]> {
        match self.key.open_in_place(self.nonce(), Aad::empty(), sealed) {
            Ok(clear) => Ok(clear),
            Err(_) => Err(Error::Fidelius(FideliusProblem::TagMismatch)),
        }
    }

    /// [`Session::encrypt`], in standard base64 (`encryptedData`, a `content` of an entry).
    pub fn encrypt_base64(&self, clear: &[u8]) -> String {
        encode_base64(&self.encrypt(clear))
    }

    /// [`Session::decrypt`] of standard base64.
    pub fn decrypt_base64(&self, sealed: &str) -> Result<Vec<u8>> {
        let mut buf = decode_base64(sealed)?;
        let len = self.decrypt_in_place(&mut buf)?.len();
        buf.truncate(len);
        Ok(buf)
    }
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Session(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_sides_make_the_same_session() {
        let (a, b) = (KeyPair::generate().unwrap(), KeyPair::generate().unwrap());
        let (na, nb) = (new_nonce().unwrap(), new_nonce().unwrap());
        let sa = Session::new(&a, &na, b.public(), &nb).unwrap();
        let sb = Session::new(&b, &nb, a.public(), &na).unwrap();
        for len in [0, 1, 15, 16, 17, 4096] {
            let clear = vec![0x5a; len];
            let sealed = sa.encrypt(&clear);
            assert_eq!(sealed.len(), len + TAG_LEN);
            assert_eq!(sb.decrypt(&sealed).unwrap(), clear);
            assert_eq!(sa.decrypt_base64(&sb.encrypt_base64(&clear)).unwrap(), clear);
        }
    }

    #[test]
    fn short_or_changed_data_is_refused() {
        let a = KeyPair::generate().unwrap();
        let n = new_nonce().unwrap();
        let s = Session::new(&a, &n, a.public(), &n).unwrap();
        for short in [&[][..], &[0; 15]] {
            assert!(matches!(s.decrypt(short), Err(Error::Fidelius(FideliusProblem::TagMismatch))));
        }
        let mut sealed = s.encrypt(b"x");
        sealed[0] ^= 1;
        assert!(matches!(s.decrypt(&sealed), Err(Error::Fidelius(FideliusProblem::TagMismatch))));
        assert!(matches!(s.decrypt_base64("%%"), Err(Error::Fidelius(FideliusProblem::BadBase64))));
        assert_eq!(format!("{s:?}"), "Session(<redacted>)");
    }

    #[test]
    fn nonces_are_32_bytes() {
        assert!(read_nonce("lmXgblZwotx+DfBgKJF0lZXtAXgBEYr5khh79Zytr2Y=").is_ok());
        assert!(matches!(read_nonce("AAAA"), Err(Error::Fidelius(FideliusProblem::BadNonce))));
        assert_ne!(new_nonce().unwrap(), new_nonce().unwrap());
    }
}
