//! The facade: one `Locker` per store, safe to share between threads. Platform shells and the
//! CLI reach everything through it. Store operations run one at a time behind its mutex; each
//! is a short local transaction, and no lock is ever held across network work or while a large
//! attachment streams in or out.

use crate::clock::{self, Clock};
use crate::crypto::DatabaseKey;
use crate::error::{Error, Result};
use crate::files::write_atomically;
use crate::store::records::MAX_BUNDLE_BYTES;
use crate::store::{AttachmentInfo, AttachmentUpload, ImportOptions, Keying, RecordSummary, Store, attachments};
use std::fs;
use std::io::Read;
use std::ops::{Deref, DerefMut};
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};

pub struct Locker {
    /// `None` once closed.
    store: Mutex<Option<Store>>,
    /// What enrolment deadlines are measured on.
    clock: Arc<dyn Clock>,
}

/// The open store, held for one operation or a few in a row.
pub struct StoreGuard<'a>(MutexGuard<'a, Option<Store>>);

impl Deref for StoreGuard<'_> {
    type Target = Store;
    fn deref(&self) -> &Store {
        self.0.as_ref().expect("a StoreGuard is only made for an open store")
    }
}

impl DerefMut for StoreGuard<'_> {
    fn deref_mut(&mut self) -> &mut Store {
        self.0.as_mut().expect("a StoreGuard is only made for an open store")
    }
}

impl Locker {
    fn wrap(store: Store) -> Locker {
        Locker { store: Mutex::new(Some(store)), clock: clock::system() }
    }

    /// The same locker reading time from `clock` (tests and benchmarks move it days ahead).
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Locker {
        self.clock = clock;
        self
    }

    pub(crate) fn now_ms(&self) -> i64 {
        self.clock.now_ms()
    }

    /// Creates a new store in `dir`.
    pub fn create(dir: &Path, key: DatabaseKey) -> Result<Locker> {
        Ok(Locker::wrap(Store::create(dir, Keying::Key(key))?))
    }

    /// Opens the store in `dir`.
    pub fn open(dir: &Path, key: DatabaseKey) -> Result<Locker> {
        Ok(Locker::wrap(Store::open(dir, Keying::Key(key))?))
    }

    /// Opens the store in `dir`, creating it the first time: how an app starts.
    pub fn open_or_create(dir: &Path, key: DatabaseKey) -> Result<Locker> {
        match Locker::open(dir, key.clone()) {
            Err(Error::NotFound("store")) => Locker::create(dir, key),
            opened => opened,
        }
    }

    /// An unencrypted store, for measuring SQLCipher's cost only.
    #[cfg(feature = "plain-store")]
    pub fn create_plain(dir: &Path) -> Result<Locker> {
        Ok(Locker::wrap(Store::create(dir, Keying::Plain)?))
    }

    /// An unencrypted store, for measuring SQLCipher's cost only.
    #[cfg(feature = "plain-store")]
    pub fn open_plain(dir: &Path) -> Result<Locker> {
        Ok(Locker::wrap(Store::open(dir, Keying::Plain)?))
    }

    fn lock(&self) -> MutexGuard<'_, Option<Store>> {
        // A panic mid-operation rolled its transaction back when the guard unwound, so the
        // store behind a poisoned lock is consistent and stays usable.
        self.store.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The store, for one operation or a few in a row; `Closed` after `close`.
    pub fn store(&self) -> Result<StoreGuard<'_>> {
        let guard = self.lock();
        if guard.is_none() {
            return Err(Error::Closed);
        }
        Ok(StoreGuard(guard))
    }

    /// Closes the database and releases the store's lock file, waiting for the operation in
    /// progress. Every later call gets `Closed`; closing twice is harmless.
    pub fn close(&self) {
        drop(self.lock().take());
    }

    /// Imports a bundle from a file.
    pub fn import_bundle_file(&self, profile_id: &str, path: &Path, opts: &ImportOptions) -> Result<RecordSummary> {
        if fs::metadata(path)?.len() > MAX_BUNDLE_BYTES as u64 {
            return Err(Error::InvalidInput("a bundle is at most 512 MiB".into()));
        }
        let bundle = fs::read(path)?;
        self.store()?.import_bundle(profile_id, &bundle, opts)
    }

    /// Writes a record's bundle, as imported, to `dest` (replaced whole, never half-written).
    pub fn export_bundle_to(&self, id: &str, dest: &Path) -> Result<u64> {
        let mut store = self.store()?;
        write_atomically(dest, |w| store.export_bundle(id, w))
    }

    /// Starts an attachment that arrives piece by piece; see `commit_attachment`.
    pub fn begin_attachment(&self, profile_id: &str, media_type: &str) -> Result<AttachmentUpload> {
        self.store()?.begin_attachment(profile_id, media_type)
    }

    /// Stores a finished upload.
    pub fn commit_attachment(&self, upload: &mut AttachmentUpload) -> Result<AttachmentInfo> {
        self.store()?.commit_attachment(upload)
    }

    /// Stores an attachment streamed from `content`; the store stays free for other work while
    /// the content is sealed.
    pub fn add_attachment(&self, profile_id: &str, media_type: &str, content: &mut dyn Read) -> Result<AttachmentInfo> {
        let mut upload = self.begin_attachment(profile_id, media_type)?;
        attachments::copy(content, &mut upload)?;
        self.commit_attachment(&mut upload)
    }

    /// Stores the file at `path` as an attachment.
    pub fn add_attachment_file(&self, profile_id: &str, media_type: &str, path: &Path) -> Result<AttachmentInfo> {
        self.add_attachment(profile_id, media_type, &mut fs::File::open(path)?)
    }

    /// Writes an attachment's verified content to `dest` (replaced whole, never half-written);
    /// the store stays free for other work meanwhile.
    pub fn save_attachment(&self, id: &str, dest: &Path) -> Result<u64> {
        let mut reader = self.store()?.open_attachment(id)?;
        write_atomically(dest, |w| Ok(attachments::copy(&mut reader, w)?))
    }
}
