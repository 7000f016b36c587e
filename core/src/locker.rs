//! The facade: one `Locker` per store, safe to share between threads. Platform shells and the
//! CLI reach everything through it. Store operations run one at a time behind its mutex; each
//! is a short local transaction, and no lock is ever held across network work.

use crate::crypto::DatabaseKey;
use crate::error::Result;
use crate::store::{Keying, Store};
use std::path::Path;
use std::sync::{Mutex, MutexGuard};

pub struct Locker {
    store: Mutex<Store>,
}

impl Locker {
    /// Creates a new store in `dir`.
    pub fn create(dir: &Path, key: DatabaseKey) -> Result<Locker> {
        Ok(Locker { store: Mutex::new(Store::create(dir, Keying::Key(key))?) })
    }

    /// Opens the store in `dir`.
    pub fn open(dir: &Path, key: DatabaseKey) -> Result<Locker> {
        Ok(Locker { store: Mutex::new(Store::open(dir, Keying::Key(key))?) })
    }

    /// An unencrypted store, for measuring SQLCipher's cost only.
    #[cfg(feature = "plain-store")]
    pub fn create_plain(dir: &Path) -> Result<Locker> {
        Ok(Locker { store: Mutex::new(Store::create(dir, Keying::Plain)?) })
    }

    /// An unencrypted store, for measuring SQLCipher's cost only.
    #[cfg(feature = "plain-store")]
    pub fn open_plain(dir: &Path) -> Result<Locker> {
        Ok(Locker { store: Mutex::new(Store::open(dir, Keying::Plain)?) })
    }

    /// The store, for one operation or a few in a row.
    pub fn store(&self) -> MutexGuard<'_, Store> {
        // A panic mid-operation rolled its transaction back when the guard unwound, so the
        // store behind a poisoned lock is consistent and stays usable.
        self.store.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}
