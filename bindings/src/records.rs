//! Health records, ABDM document bundles in and out, listed newest first: `locker.records()`.

use crate::error::{LockerError, run};
use locker_core::{ImportOptions, RecordPage, RecordQuery, RecordSummary};
use std::path::Path;
use std::sync::Arc;

#[derive(uniffi::Object)]
pub struct Records {
    pub(crate) core: Arc<locker_core::Locker>,
}

#[uniffi::export]
impl Records {
    /// Imports a FHIR document bundle (JSON) for a profile. The same bundle again is
    /// `Duplicate`.
    #[uniffi::method(default(care_context = None))]
    pub fn import_bundle(
        &self,
        profile_id: String,
        bundle: Vec<u8>,
        care_context: Option<String>,
    ) -> Result<RecordSummary, LockerError> {
        run(|| self.core.records().import(&profile_id, &bundle, &ImportOptions { care_context, ..Default::default() }))
    }

    /// Imports the bundle in the file at `path`.
    #[uniffi::method(default(care_context = None))]
    pub fn import_file(
        &self,
        profile_id: String,
        path: String,
        care_context: Option<String>,
    ) -> Result<RecordSummary, LockerError> {
        run(|| {
            self.core.records().import_file(
                &profile_id,
                Path::new(&path),
                &ImportOptions { care_context, ..Default::default() },
            )
        })
    }

    /// One page of records, newest first; pass `next_cursor` back for the next.
    pub fn list(&self, query: RecordQuery) -> Result<RecordPage, LockerError> {
        run(|| self.core.records().list(&query))
    }

    pub fn get(&self, id: String) -> Result<RecordSummary, LockerError> {
        run(|| self.core.records().get(&id))
    }

    /// The bundle exactly as imported, to show on this device.
    pub fn read(&self, id: String) -> Result<Vec<u8>, LockerError> {
        run(|| {
            let mut out = Vec::new();
            self.core.records().read(&id, &mut out)?;
            Ok(out)
        })
    }

    /// The bundle exactly as imported, to leave the device (recorded in the audit log).
    pub fn export(&self, id: String) -> Result<Vec<u8>, LockerError> {
        run(|| {
            let mut out = Vec::new();
            self.core.records().export(&id, &mut out)?;
            Ok(out)
        })
    }

    /// Exports the bundle to `path`, replaced whole; returns its length.
    pub fn export_to_file(&self, id: String, path: String) -> Result<u64, LockerError> {
        run(|| self.core.records().export_to(&id, Path::new(&path)))
    }

    pub fn delete(&self, id: String) -> Result<(), LockerError> {
        run(|| self.core.records().delete(&id))
    }

    pub fn count(&self) -> Result<u64, LockerError> {
        run(|| self.core.records().count())
    }
}
