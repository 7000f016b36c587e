//! The facade: one `Locker` per store, safe to share between threads. It opens, closes, rekeys
//! and checks the store, and hands out a room per domain: [`Locker::profiles`],
//! [`Locker::records`], [`Locker::attachments`], [`Locker::enrolment`], [`Locker::outbox`].
//!
//! Two connections serve it (`Store` and its `Reader`, both private to the core): writes go one
//! at a time through the writer, each a short transaction stamped by the `Locker`'s clock;
//! lists, searches and reads go through a read-only connection beside it, so they never wait
//! behind an import, a check or a drain. No lock is held across network work or while a large
//! attachment streams in or out.

use crate::attachments::Attachments;
use crate::clock::{self, Clock};
use crate::crypto::DatabaseKey;
use crate::error::{Error, Result};
use crate::outbox::Outbox;
use crate::profiles::Profiles;
use crate::records::Records;
use crate::store::{AuditEntry, AuditVerification, CheckReport, Keying, OpenNotice, Reader, Store, Tx, audit};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

pub struct Locker {
    /// The read-only connection beside the writer; `None` once closed. Declared first so that
    /// dropping a `Locker` closes it first: the last connection to close folds the write-ahead
    /// log into the database and removes it, and a read-only one cannot.
    reader: Mutex<Option<Reader>>,
    /// The writer; `None` once closed.
    store: Mutex<Option<Store>>,
    /// Every timestamp the locker writes, and every deadline it keeps.
    clock: Arc<dyn Clock>,
    /// Held by the outbox's drain for as long as it runs (across its network calls): one drain
    /// at a time per store.
    drain: tokio::sync::Mutex<()>,
}

/// A panic mid-operation rolled its transaction back when the guard unwound, so what is behind
/// a poisoned lock is consistent and stays usable.
fn relock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Locker {
    fn wrap(store: Store, clock: Arc<dyn Clock>) -> Result<Locker> {
        let reader = store.reader()?;
        Ok(Locker {
            reader: Mutex::new(Some(reader)),
            store: Mutex::new(Some(store)),
            clock,
            drain: tokio::sync::Mutex::new(()),
        })
    }

    /// Creates a new store in `dir`; refuses a directory that holds anything of a store.
    pub fn create(dir: &Path, key: DatabaseKey) -> Result<Locker> {
        Locker::create_with_clock(dir, key, clock::system())
    }

    /// Opens the store in `dir`.
    pub fn open(dir: &Path, key: DatabaseKey) -> Result<Locker> {
        Locker::open_with_clock(dir, key, clock::system())
    }

    /// Opens the store in `dir`, creating it the first time: how an app starts.
    pub fn open_or_create(dir: &Path, key: DatabaseKey) -> Result<Locker> {
        match Locker::open(dir, key.clone()) {
            Err(Error::NotFound("store")) => Locker::create(dir, key),
            opened => opened,
        }
    }

    /// [`Locker::create`] reading time from `clock` (tests and benchmarks move it days ahead).
    pub fn create_with_clock(dir: &Path, key: DatabaseKey, clock: Arc<dyn Clock>) -> Result<Locker> {
        let store = Store::create(dir, Keying::Key(key), clock.now_ms())?;
        Locker::wrap(store, clock)
    }

    /// [`Locker::open`] reading time from `clock`.
    pub fn open_with_clock(dir: &Path, key: DatabaseKey, clock: Arc<dyn Clock>) -> Result<Locker> {
        let store = Store::open(dir, Keying::Key(key), clock.now_ms())?;
        Locker::wrap(store, clock)
    }

    /// The same locker reading time from `clock` from now on.
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Locker {
        self.clock = clock;
        self
    }

    /// An unencrypted store, for measuring SQLCipher's cost only.
    #[cfg(feature = "plain-store")]
    pub fn create_plain(dir: &Path) -> Result<Locker> {
        Locker::wrap(Store::create(dir, Keying::Plain, clock::system().now_ms())?, clock::system())
    }

    /// An unencrypted store, for measuring SQLCipher's cost only.
    #[cfg(feature = "plain-store")]
    pub fn open_plain(dir: &Path) -> Result<Locker> {
        Locker::wrap(Store::open(dir, Keying::Plain, clock::system().now_ms())?, clock::system())
    }

    /// Milliseconds since the epoch on this locker's clock.
    pub(crate) fn now_ms(&self) -> i64 {
        self.clock.now_ms()
    }

    /// Whole seconds since the epoch on this locker's clock (as signed codes count time).
    pub(crate) fn now_s(&self) -> u64 {
        u64::try_from(self.clock.now_ms() / 1000).unwrap_or(0)
    }

    /// The family's profiles.
    pub fn profiles(&self) -> Profiles<'_> {
        Profiles(self)
    }

    /// Health records: FHIR document bundles.
    pub fn records(&self) -> Records<'_> {
        Records(self)
    }

    /// Files kept for a profile: scans, reports, and inline data moved out of bundles.
    pub fn attachments(&self) -> Attachments<'_> {
        Attachments(self)
    }

    /// ABHA enrolment: online on the citizen's phone, or assisted by a field worker.
    pub fn enrolment(&self) -> crate::abha::enrolment::Enrolments<'_> {
        crate::abha::enrolment::Enrolments(self)
    }

    /// Consent: requests, grants, revocations, and the policy every release of records passes.
    pub fn consent(&self) -> crate::consent::Consents<'_> {
        crate::consent::Consents(self)
    }

    /// Scan & Share, the patient's side: their profile shared with a counter, and the tokens.
    pub fn share(&self) -> crate::share::Shares<'_> {
        crate::share::Shares(self)
    }

    /// Counter mode: this device as a hospital's OPD counter.
    pub fn counter(&self) -> crate::share::Counter<'_> {
        crate::share::Counter(self)
    }

    /// Linking the citizen's records at facilities.
    pub fn links(&self) -> crate::links::Links<'_> {
        crate::links::Links(self)
    }

    /// Records from hospitals pulled end-to-end encrypted, and doctors' requests answered.
    pub fn exchange(&self) -> crate::exchange::Exchange<'_> {
        crate::exchange::Exchange(self)
    }

    /// What the backbone must hear, and its delivery.
    pub fn outbox(&self) -> Outbox<'_> {
        Outbox(self)
    }

    /// Runs `f` with the writer; `Closed` after `close`.
    pub(crate) fn with_store<T>(&self, f: impl FnOnce(&mut Store) -> Result<T>) -> Result<T> {
        let mut guard = relock(&self.store);
        f(guard.as_mut().ok_or(Error::Closed)?)
    }

    /// Runs `f` in one write transaction stamped by this locker's clock.
    pub(crate) fn write<T>(&self, f: impl FnOnce(&mut Tx<'_>) -> Result<T>) -> Result<T> {
        let now = self.now_ms();
        self.with_store(|s| s.write(now, f))
    }

    /// The outbox drain's lock (see `outbox::drain`).
    pub(crate) fn drain_lock(&self) -> &tokio::sync::Mutex<()> {
        &self.drain
    }

    /// Overwrites the write-ahead log's copies of pages that held data just erased. Holds the
    /// reader too (writer first, as everywhere), so that no read of ours keeps the log's old
    /// pages pinned while it is truncated.
    pub(crate) fn scrub_wal(&self) -> Result<()> {
        let store = relock(&self.store);
        let store = store.as_ref().ok_or(Error::Closed)?;
        let _reader = relock(&self.reader);
        store.scrub_wal()
    }

    /// Runs `f` on the read-only connection: it never waits for the writer.
    pub(crate) fn read<T>(&self, f: impl FnOnce(&Reader) -> Result<T>) -> Result<T> {
        let guard = relock(&self.reader);
        f(guard.as_ref().ok_or(Error::Closed)?)
    }

    /// Closes the database and releases the store's lock file, waiting for the operation in
    /// progress. Every later call gets `Closed`; closing twice is harmless.
    pub fn close(&self) {
        let mut store = relock(&self.store);
        drop(relock(&self.reader).take());
        drop(store.take());
    }

    /// What opening the store did that the user should hear of.
    pub fn notices(&self) -> Result<Vec<OpenNotice>> {
        self.with_store(|s| Ok(s.notices().to_vec()))
    }

    /// The directory the store lives in.
    pub fn dir(&self) -> Result<PathBuf> {
        self.with_store(|s| Ok(s.dir().to_path_buf()))
    }

    /// Re-encrypts the store under `new_key`; interrupted at any point, the store opens with the
    /// old key or the new one (`store/rekey.rs`).
    pub fn rekey(&self, new_key: DatabaseKey) -> Result<()> {
        let now = self.now_ms();
        let mut store = relock(&self.store);
        let store = store.as_mut().ok_or(Error::Closed)?;
        let mut reader = relock(&self.reader);
        // The file is replaced: the reader must not keep reading the old one.
        *reader = None;
        let rekeyed = store.rekey(new_key, now);
        // A failed rekey's own error comes first; a reader that cannot follow leaves reads
        // failing with `Closed` rather than reading a file no longer there.
        match store.reader() {
            Ok(fresh) => {
                *reader = Some(fresh);
                rekeyed
            }
            Err(e) => rekeyed.and(Err(e)),
        }
    }

    /// Verifies the whole store (structure, encryption, search index, audit chain, every
    /// attachment). It writes nothing, reads on a connection of its own, and holds the writer
    /// only for the search index's own check.
    pub fn check(&self) -> Result<CheckReport> {
        let (own, search_index_ok) = self.with_store(|s| Ok((s.reader()?, s.check_search_index())))?;
        crate::store::check_with(&own, search_index_ok)
    }

    /// The newest `limit` audit entries, newest first.
    pub fn audit_entries(&self, limit: u32) -> Result<Vec<AuditEntry>> {
        self.read(|r| audit::newest(r.conn(), limit))
    }

    /// Walks the audit chain.
    pub fn verify_audit(&self) -> Result<AuditVerification> {
        // In one read transaction: an entry appended meanwhile is not taken for a broken chain.
        self.read(|r| {
            let snapshot = r.conn().unchecked_transaction()?;
            audit::verify(&snapshot)
        })
    }
}
