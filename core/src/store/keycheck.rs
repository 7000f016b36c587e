//! The key check kept beside the database, so that a wrong key and a damaged file can be told
//! apart. SQLCipher reports both as "file is not a database"; this file answers "is this the
//! store's key?" without opening the database at all, so a wrong key never touches it.
//!
//! Format: `"HLKC" ‖ version 1 ‖ n ‖ n × (salt 16 ‖ HMAC-SHA256(key, label ‖ salt) 32) ‖
//! SHA-256 of everything before`. It reveals nothing about the key. During a rekey it holds two
//! entries (old and new) so that whichever key the database ends up under is accepted.

use crate::crypto::{DatabaseKey, random_fill};
use crate::error::Result;
use ring::{digest, hmac};
use std::fs;
use std::path::Path;

const MAGIC: &[u8; 4] = b"HLKC";
const VERSION: u8 = 1;
const LABEL: &[u8] = b"healthlocker key check v1";
const ENTRY_LEN: usize = 16 + 32;

/// What the key check file says.
pub(crate) enum KeyCheck {
    /// No file: the caller must find out another way.
    Missing,
    /// A file that fails its own checksum or format: the caller must find out another way.
    Damaged,
    /// The keys the database may be under (one, or two during a rekey).
    Keys(Vec<[u8; ENTRY_LEN]>),
}

fn entry(key: &DatabaseKey) -> Result<[u8; ENTRY_LEN]> {
    let mut e = [0u8; ENTRY_LEN];
    random_fill(&mut e[..16])?;
    let mac = hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, key.as_bytes()), &[LABEL, &e[..16]].concat());
    e[16..].copy_from_slice(mac.as_ref());
    Ok(e)
}

impl KeyCheck {
    pub(crate) fn read(path: &Path) -> Result<KeyCheck> {
        let bytes = match fs::read(path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(KeyCheck::Missing),
            Err(e) => return Err(e.into()),
        };
        Ok(Self::parse(&bytes).unwrap_or(KeyCheck::Damaged))
    }

    pub(crate) fn parse(b: &[u8]) -> Option<KeyCheck> {
        let (body, sum) = b.split_at_checked(b.len().checked_sub(32)?)?;
        if digest::digest(&digest::SHA256, body).as_ref() != sum || body.len() < 6 {
            return None;
        }
        if &body[..4] != MAGIC || body[4] != VERSION {
            return None;
        }
        let n = body[5] as usize;
        let entries = &body[6..];
        if n == 0 || entries.len() != n * ENTRY_LEN {
            return None;
        }
        Some(KeyCheck::Keys(entries.chunks_exact(ENTRY_LEN).map(|c| c.try_into().expect("exact chunk")).collect()))
    }

    /// Whether the file says nothing (missing or damaged).
    pub(crate) fn is_unknown(&self) -> bool {
        !matches!(self, KeyCheck::Keys(_))
    }

    /// Whether `key` is one of the keys this file vouches for.
    pub(crate) fn accepts(&self, key: &DatabaseKey) -> bool {
        match self {
            KeyCheck::Missing | KeyCheck::Damaged => false,
            KeyCheck::Keys(entries) => {
                let k = hmac::Key::new(hmac::HMAC_SHA256, key.as_bytes());
                entries.iter().any(|e| hmac::verify(&k, &[LABEL, &e[..16]].concat(), &e[16..]).is_ok())
            }
        }
    }

    /// Whether a rekey was interrupted (the file vouches for two keys).
    pub(crate) fn rekey_in_flight(&self) -> bool {
        matches!(self, KeyCheck::Keys(e) if e.len() > 1)
    }

    /// Durably replaces the file with one vouching for exactly `keys`.
    pub(crate) fn write(path: &Path, keys: &[&DatabaseKey]) -> Result<()> {
        let mut body = Vec::with_capacity(6 + keys.len() * ENTRY_LEN + 32);
        body.extend_from_slice(MAGIC);
        body.push(VERSION);
        body.push(keys.len() as u8);
        for k in keys {
            body.extend_from_slice(&entry(k)?);
        }
        let sum = digest::digest(&digest::SHA256, &body);
        body.extend_from_slice(sum.as_ref());
        // Readers see the old file or the new one, never a mixture.
        crate::files::write_atomically(path, |w| {
            w.write_all(&body)?;
            Ok(body.len() as u64)
        })?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vouches_for_its_keys_only_and_survives_nothing_tampered() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("kc");
        let (a, b, c) =
            (DatabaseKey::generate().unwrap(), DatabaseKey::generate().unwrap(), DatabaseKey::generate().unwrap());
        assert!(matches!(KeyCheck::read(&p).unwrap(), KeyCheck::Missing));
        KeyCheck::write(&p, &[&a]).unwrap();
        let kc = KeyCheck::read(&p).unwrap();
        assert!(kc.accepts(&a) && !kc.accepts(&b) && !kc.rekey_in_flight());
        KeyCheck::write(&p, &[&a, &b]).unwrap();
        let kc = KeyCheck::read(&p).unwrap();
        assert!(kc.accepts(&a) && kc.accepts(&b) && !kc.accepts(&c) && kc.rekey_in_flight());
        let mut bytes = fs::read(&p).unwrap();
        bytes[10] ^= 1;
        fs::write(&p, &bytes).unwrap();
        assert!(matches!(KeyCheck::read(&p).unwrap(), KeyCheck::Damaged));
    }
}
