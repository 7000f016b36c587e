//! Cryptography: keys kept in zeroized buffers, and the authenticated stream format of
//! attachment files. Everything here uses ring; nothing here touches the database.

pub mod attachment_stream;
pub mod fidelius;
pub mod key;
pub mod seal;

pub use key::DatabaseKey;

use crate::error::{Error, Result};
use ring::rand::{SecureRandom, SystemRandom};

/// Fills `buf` from the operating system's CSPRNG.
pub(crate) fn random_fill(buf: &mut [u8]) -> Result<()> {
    SystemRandom::new().fill(buf).map_err(|_| Error::Io(std::io::Error::other("the system random generator failed")))
}

/// A random 16-byte identifier, rendered as a UUID (version 4): ids that say nothing about
/// the person or record they name.
pub(crate) fn random_uid() -> Result<String> {
    let mut b = [0u8; 16];
    random_fill(&mut b)?;
    Ok(uuid::Builder::from_random_bytes(b).into_uuid().to_string())
}
