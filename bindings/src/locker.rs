//! `Locker`: a store opened with its 32-byte key, and the key's life cycle.

use crate::error::{LockerError, run};
use locker_core::DatabaseKey;
use std::path::Path;
use std::sync::Arc;

/// One encrypted store. Safe to share between threads; calls run one at a time.
#[derive(uniffi::Object)]
pub struct Locker {
    pub(crate) core: Arc<locker_core::Locker>,
}

fn wrap(core: locker_core::Locker) -> Arc<Locker> {
    Arc::new(Locker { core: Arc::new(core) })
}

#[uniffi::export]
impl Locker {
    /// Creates a new store in the directory `dir`, keyed with `key` (32 bytes; the caller's
    /// copy that crossed the FFI is wiped).
    #[uniffi::constructor]
    pub fn create(dir: String, key: Vec<u8>) -> Result<Arc<Self>, LockerError> {
        run(|| Ok(wrap(locker_core::Locker::create(Path::new(&dir), DatabaseKey::take(key)?)?)))
    }

    /// Opens the store in `dir`. A wrong key is `WrongKey` and leaves every file untouched.
    #[uniffi::constructor]
    pub fn open(dir: String, key: Vec<u8>) -> Result<Arc<Self>, LockerError> {
        run(|| Ok(wrap(locker_core::Locker::open(Path::new(&dir), DatabaseKey::take(key)?)?)))
    }

    /// Opens the store in `dir`, creating it the first time.
    #[uniffi::constructor]
    pub fn open_or_create(dir: String, key: Vec<u8>) -> Result<Arc<Self>, LockerError> {
        run(|| Ok(wrap(locker_core::Locker::open_or_create(Path::new(&dir), DatabaseKey::take(key)?)?)))
    }

    /// Re-encrypts the store under `new_key`; interrupted at any point, the store opens with
    /// the old key or the new one.
    pub fn rekey(&self, new_key: Vec<u8>) -> Result<(), LockerError> {
        run(|| self.core.store()?.rekey(DatabaseKey::take(new_key)?))
    }

    /// What opening the store did that the user should hear of (a key check file written
    /// again, …); empty for a store that opened as it was left.
    pub fn notices(&self) -> Result<Vec<locker_core::OpenNotice>, LockerError> {
        run(|| Ok(self.core.store()?.notices().to_vec()))
    }

    /// Closes the store and releases it for another open; later calls raise `Closed`. (Not
    /// `close`: Kotlin's generated `close()` already frees the object itself.)
    pub fn close_store(&self) -> Result<(), LockerError> {
        run(|| {
            self.core.close();
            Ok(())
        })
    }
}

/// A fresh random 32-byte database key.
#[uniffi::export]
pub fn generate_key() -> Result<Vec<u8>, LockerError> {
    run(|| Ok(DatabaseKey::generate()?.to_bytes().to_vec()))
}
