//! Health records: ABDM document bundles in and out, listed newest first.

use crate::error::{LockerError, run};
use crate::locker::Locker;
use locker_core::{ImportOptions, RecordPage, RecordQuery, RecordSummary};
use std::path::Path;

#[uniffi::export]
impl Locker {
    /// Imports a FHIR document bundle (JSON) for a profile. The same bundle again is
    /// `Duplicate`.
    #[uniffi::method(default(care_context = None))]
    pub fn import_record(
        &self,
        profile_id: String,
        bundle: Vec<u8>,
        care_context: Option<String>,
    ) -> Result<RecordSummary, LockerError> {
        run(|| self.core.store()?.import_bundle(&profile_id, &bundle, &ImportOptions { care_context }))
    }

    /// Imports the bundle in the file at `path`.
    #[uniffi::method(default(care_context = None))]
    pub fn import_record_file(
        &self,
        profile_id: String,
        path: String,
        care_context: Option<String>,
    ) -> Result<RecordSummary, LockerError> {
        run(|| self.core.import_bundle_file(&profile_id, Path::new(&path), &ImportOptions { care_context }))
    }

    /// One page of records, newest first; pass `next_cursor` back for the next.
    pub fn list_records(&self, query: RecordQuery) -> Result<RecordPage, LockerError> {
        run(|| self.core.store()?.list_records(&query))
    }

    pub fn record(&self, id: String) -> Result<RecordSummary, LockerError> {
        run(|| self.core.store()?.record(&id))
    }

    /// The bundle exactly as imported.
    pub fn export_record(&self, id: String) -> Result<Vec<u8>, LockerError> {
        run(|| {
            let mut out = Vec::new();
            self.core.store()?.export_bundle(&id, &mut out)?;
            Ok(out)
        })
    }

    /// Writes the bundle to `path`, replaced whole; returns its length.
    pub fn export_record_to_file(&self, id: String, path: String) -> Result<u64, LockerError> {
        run(|| self.core.export_bundle_to(&id, Path::new(&path)))
    }

    pub fn delete_record(&self, id: String) -> Result<(), LockerError> {
        run(|| self.core.store()?.delete_record(&id))
    }
}
