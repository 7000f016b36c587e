//! The store's own verification: the full check and the audit chain.

use crate::error::{LockerError, run};
use crate::locker::Locker;
use locker_core::{AuditEntry, AuditVerification, CheckReport};

#[uniffi::export]
impl Locker {
    /// Verifies everything: database structure, page authentication, search index, audit
    /// chain and every attachment. Takes time proportional to the store's size.
    pub fn check(&self) -> Result<CheckReport, LockerError> {
        run(|| self.core.store()?.check())
    }

    pub fn verify_audit(&self) -> Result<AuditVerification, LockerError> {
        run(|| self.core.store()?.verify_audit())
    }

    /// The newest `limit` audit entries, newest first.
    pub fn audit_entries(&self, limit: u32) -> Result<Vec<AuditEntry>, LockerError> {
        run(|| self.core.store()?.audit_entries(limit))
    }
}
