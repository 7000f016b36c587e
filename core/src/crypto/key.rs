//! The store's 32-byte database key. It arrives from the platform keystore through the shell;
//! it lives only in zeroized memory and is never printed, logged or written in clear.

use crate::error::{Error, Result};
use zeroize::{Zeroize, Zeroizing};

/// A raw 256-bit key for the store.
pub struct DatabaseKey(Zeroizing<[u8; 32]>);

impl DatabaseKey {
    /// A fresh random key.
    pub fn generate() -> Result<Self> {
        let mut k = Zeroizing::new([0u8; 32]);
        super::random_fill(k.as_mut())?;
        Ok(DatabaseKey(k))
    }

    /// Exactly 32 bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        let arr: [u8; 32] =
            bytes.try_into().map_err(|_| Error::InvalidInput("a database key is exactly 32 bytes".into()))?;
        Ok(DatabaseKey(Zeroizing::new(arr)))
    }

    /// Exactly 32 bytes, taken from a buffer that is wiped whatever the outcome: how a key
    /// arrives across the FFI.
    pub fn take(mut bytes: Vec<u8>) -> Result<Self> {
        let key = Self::from_bytes(&bytes);
        bytes.zeroize();
        key
    }

    /// The raw bytes, for the shell to wrap with the platform keystore.
    pub fn to_bytes(&self) -> Zeroizing<Vec<u8>> {
        Zeroizing::new(self.0.to_vec())
    }

    /// 64 hexadecimal digits, surrounding whitespace ignored (the key-file format).
    pub fn from_hex(text: &str) -> Result<Self> {
        let mut k = Zeroizing::new([0u8; 32]);
        hex::decode_to_slice(text.trim(), k.as_mut())
            .map_err(|_| Error::InvalidInput("a key file holds exactly 64 hexadecimal digits".into()))?;
        Ok(DatabaseKey(k))
    }

    /// The key as 64 lower-case hex digits, for writing a key file.
    pub fn to_hex(&self) -> Zeroizing<String> {
        Zeroizing::new(hex::encode(self.0.as_ref()))
    }

    pub(crate) fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// `PRAGMA key = "x'…'"`: a raw key, so SQLCipher skips its passphrase KDF.
    pub(crate) fn sqlcipher_pragma(&self, pragma: &str, schema: Option<&str>) -> Zeroizing<String> {
        let prefix = schema.map(|s| format!("{s}.")).unwrap_or_default();
        Zeroizing::new(format!("PRAGMA {prefix}{pragma} = \"x'{}'\";", *self.to_hex()))
    }
}

impl Clone for DatabaseKey {
    fn clone(&self) -> Self {
        DatabaseKey(Zeroizing::new(*self.0))
    }
}

impl std::fmt::Debug for DatabaseKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DatabaseKey(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_round_trips_through_hex_and_never_prints() {
        let k = DatabaseKey::generate().unwrap();
        let back = DatabaseKey::from_hex(&k.to_hex()).unwrap();
        assert_eq!(k.as_bytes(), back.as_bytes());
        assert_eq!(format!("{k:?}"), "DatabaseKey(<redacted>)");
    }

    #[test]
    fn malformed_keys_are_refused() {
        assert!(matches!(DatabaseKey::from_bytes(&[0; 31]), Err(Error::InvalidInput(_))));
        assert!(matches!(DatabaseKey::from_hex("abcd"), Err(Error::InvalidInput(_))));
        assert!(matches!(DatabaseKey::from_hex(&"zz".repeat(32)), Err(Error::InvalidInput(_))));
    }
}
