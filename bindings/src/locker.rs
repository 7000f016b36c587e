//! `Locker`: a store opened with its 32-byte key, its life cycle and its checks, and a client
//! per domain (`profiles()`, `records()`, `attachments()`, `enrolment()`, `outbox()`,
//! `consent()`), each a row of one-line delegations to the core's room of the same name.

use crate::attachments::Attachments;
use crate::consent::Consents;
use crate::enrolment::Enrolments;
use crate::error::{LockerError, run};
use crate::outbox::Outbox;
use crate::profiles::Profiles;
use crate::records::Records;
use locker_core::{AuditEntry, AuditVerification, CheckReport, DatabaseKey, OpenNotice};
use std::path::Path;
use std::sync::Arc;

/// One encrypted store. Safe to share between threads.
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
    /// copy that crossed the FFI is wiped). A directory holding anything of a store is
    /// `StoreExists`, naming what it found.
    #[uniffi::constructor]
    pub fn create(dir: String, key: Vec<u8>) -> Result<Arc<Self>, LockerError> {
        run(|| Ok(wrap(locker_core::Locker::create(Path::new(&dir), DatabaseKey::take(key)?)?)))
    }

    /// Opens the store in `dir`. A wrong key is `WrongKey` and leaves every file untouched.
    #[uniffi::constructor]
    pub fn open(dir: String, key: Vec<u8>) -> Result<Arc<Self>, LockerError> {
        run(|| Ok(wrap(locker_core::Locker::open(Path::new(&dir), DatabaseKey::take(key)?)?)))
    }

    /// Opens the store in `dir`, creating it the first time (never over what is left of one).
    #[uniffi::constructor]
    pub fn open_or_create(dir: String, key: Vec<u8>) -> Result<Arc<Self>, LockerError> {
        run(|| Ok(wrap(locker_core::Locker::open_or_create(Path::new(&dir), DatabaseKey::take(key)?)?)))
    }

    pub fn profiles(&self) -> Arc<Profiles> {
        Arc::new(Profiles { core: self.core.clone() })
    }

    pub fn records(&self) -> Arc<Records> {
        Arc::new(Records { core: self.core.clone() })
    }

    pub fn attachments(&self) -> Arc<Attachments> {
        Arc::new(Attachments { core: self.core.clone() })
    }

    pub fn enrolment(&self) -> Arc<Enrolments> {
        Arc::new(Enrolments { core: self.core.clone() })
    }

    pub fn outbox(&self) -> Arc<Outbox> {
        Arc::new(Outbox { core: self.core.clone() })
    }

    pub fn consent(&self) -> Arc<Consents> {
        Arc::new(Consents { core: self.core.clone() })
    }

    /// Scan & Share, the patient's side, and their signed code.
    pub fn share(&self) -> Arc<crate::share::Shares> {
        Arc::new(crate::share::Shares { core: self.core.clone() })
    }

    /// This device as a hospital's OPD counter.
    pub fn counter(&self) -> Arc<crate::share::Counter> {
        Arc::new(crate::share::Counter { core: self.core.clone() })
    }

    /// Linking the citizen's records at facilities.
    pub fn links(&self) -> Arc<crate::exchange::Links> {
        Arc::new(crate::exchange::Links { core: self.core.clone() })
    }

    /// Records pulled from hospitals, and doctors' requests answered.
    pub fn exchange(&self) -> Arc<crate::exchange::Exchange> {
        Arc::new(crate::exchange::Exchange { core: self.core.clone() })
    }

    /// Re-encrypts the store under `new_key`; interrupted at any point, the store opens with
    /// the old key or the new one.
    pub fn rekey(&self, new_key: Vec<u8>) -> Result<(), LockerError> {
        run(|| self.core.rekey(DatabaseKey::take(new_key)?))
    }

    /// What opening the store did that the user should hear of (a key check file written
    /// again, …); empty for a store that opened as it was left.
    pub fn notices(&self) -> Result<Vec<OpenNotice>, LockerError> {
        run(|| self.core.notices())
    }

    /// Verifies everything: database structure, page authentication, search index, audit
    /// chain and every attachment. Writes nothing; takes time proportional to the store's size.
    pub fn check(&self) -> Result<CheckReport, LockerError> {
        run(|| self.core.check())
    }

    pub fn verify_audit(&self) -> Result<AuditVerification, LockerError> {
        run(|| self.core.verify_audit())
    }

    /// The newest `limit` audit entries, newest first.
    pub fn audit_entries(&self, limit: u32) -> Result<Vec<AuditEntry>, LockerError> {
        run(|| self.core.audit_entries(limit))
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

#[uniffi::export(async_runtime = "tokio")]
impl Locker {
    /// Does everything pending with the backbone — the outbox, consent, links, tokens, pulls and
    /// the mailbox — within `budget`, telling `listener` how it goes. It stops cleanly when the
    /// network goes (the report says why); nothing is lost.
    pub async fn sync(
        &self,
        backbone: Arc<crate::backbone::Backbone>,
        budget: locker_core::SyncBudget,
        listener: Arc<dyn crate::exchange::SyncListener>,
    ) -> Result<locker_core::SyncReport, LockerError> {
        crate::exchange::sync(&self.core, &backbone, budget, listener).await
    }
}

/// A fresh random 32-byte database key.
#[uniffi::export]
pub fn generate_key() -> Result<Vec<u8>, LockerError> {
    run(|| Ok(DatabaseKey::generate()?.to_bytes().to_vec()))
}
