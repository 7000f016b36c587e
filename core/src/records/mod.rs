//! Health records: ABDM document bundles, indexed for listing and search, stored whole.
//!
//! Import (`import.rs`) validates and indexes a bundle, cuts out inline data over 64 KiB into
//! attachment files, and commits record, body, search terms, attachments and audit entry
//! together. Lists and searches (`query.rs`) run on the reader. Export (`bundle.rs`) splices the
//! data back, so the bundle comes out byte for byte as it went in.

mod bundle;
pub(crate) mod import;
mod query;

use crate::Locker;
use crate::attachments::{self, Owner};
use crate::error::{Error, Result};
use crate::fhir::HiType;
use crate::files::write_atomically;
use rusqlite::OptionalExtension;
use std::fmt;
use std::fs;
use std::io::Write;
use std::path::Path;

/// The largest bundle accepted, attachments included.
pub const MAX_BUNDLE_BYTES: usize = crate::store::body::MAX_TEXT_BYTES;

/// Options for an import.
#[derive(Clone, Debug, Default)]
pub struct ImportOptions {
    /// The care context the record arrived under (from a HIP's data push), when known; it
    /// takes precedence over what the bundle says.
    pub care_context: Option<String>,
    /// The consent artefact it was received under (the locker asking as a HIU, in `STORE`
    /// mode): the record is erased when that artefact expires or is revoked.
    pub under_consent: Option<String>,
}

/// What a list shows about a record. `Debug` shows its ids and type only: titles, places and
/// authors are the record's content.
#[derive(Clone, PartialEq)]
pub struct RecordSummary {
    pub id: String,
    pub profile_id: String,
    pub hi_type: HiType,
    /// The day the record is about, as written (`YYYY-MM-DD`).
    pub date: Option<String>,
    /// The instant the record is about, UTC milliseconds (0 when undated); the sort key.
    pub sort_ms: i64,
    pub title: String,
    pub facility: Option<String>,
    pub author: Option<String>,
    pub care_context: Option<String>,
    /// Inline data moved to attachment storage.
    pub attachments: u32,
    pub imported_at_ms: i64,
}

/// Which records to list: newest first, `limit` at a time. `Debug` leaves out the search words.
#[derive(Clone)]
pub struct RecordQuery {
    pub profile_id: Option<String>,
    /// Any of these types; empty means all.
    pub hi_types: Vec<HiType>,
    /// Inclusive bounds on the record's day, `YYYY-MM-DD`.
    pub from_date: Option<String>,
    pub to_date: Option<String>,
    /// Words to find in titles and display texts; the last may be a prefix.
    pub text: Option<String>,
    pub limit: u32,
    /// From the previous page's `next_cursor`.
    pub cursor: Option<String>,
}

impl Default for RecordQuery {
    fn default() -> Self {
        RecordQuery {
            profile_id: None,
            hi_types: Vec::new(),
            from_date: None,
            to_date: None,
            text: None,
            limit: 50,
            cursor: None,
        }
    }
}

/// One page of a listing.
#[derive(Clone, Debug, PartialEq)]
pub struct RecordPage {
    pub records: Vec<RecordSummary>,
    /// Present when there may be more.
    pub next_cursor: Option<String>,
}

impl fmt::Debug for RecordSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RecordSummary")
            .field("id", &self.id)
            .field("profile_id", &self.profile_id)
            .field("hi_type", &self.hi_type)
            .finish_non_exhaustive()
    }
}

impl fmt::Debug for RecordQuery {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RecordQuery")
            .field("profile_id", &self.profile_id)
            .field("hi_types", &self.hi_types)
            .field("limit", &self.limit)
            .finish_non_exhaustive()
    }
}

crate::store::sql_enum::stored_as_text!(HiType);

/// Import's reading of a bundle, without a store, for the fuzz targets.
#[cfg(feature = "fuzzing")]
pub(crate) fn fuzz_prepare(raw: &[u8], opts: &ImportOptions) -> Result<()> {
    import::prepare(raw, opts).map(|_| ())
}

/// Health records: the room [`Locker::records`] hands out.
pub struct Records<'a>(pub(crate) &'a Locker);

impl Records<'_> {
    /// Imports one bundle into a profile. The same bundle again is `Duplicate`.
    pub fn import(&self, profile_id: &str, bundle: &[u8], opts: &ImportOptions) -> Result<RecordSummary> {
        self.import_many(profile_id, &[bundle], opts)?.pop().expect("one result per bundle")
    }

    /// Imports many bundles in one transaction; each gets its own result (a malformed or
    /// duplicate one does not stop the others), and a store-level failure leaves none of them.
    pub fn import_many(
        &self,
        profile_id: &str,
        bundles: &[&[u8]],
        opts: &ImportOptions,
    ) -> Result<Vec<Result<RecordSummary>>> {
        let now = self.0.now_ms();
        self.0.with_store(|s| import::import_batch(s, now, profile_id, bundles, opts))
    }

    /// Imports the bundle in the file at `path`.
    pub fn import_file(&self, profile_id: &str, path: &Path, opts: &ImportOptions) -> Result<RecordSummary> {
        if fs::metadata(path)?.len() > MAX_BUNDLE_BYTES as u64 {
            return Err(Error::InvalidInput("a bundle is at most 512 MiB".into()));
        }
        let bundle = fs::read(path)?;
        self.import(profile_id, &bundle, opts)
    }

    pub fn get(&self, id: &str) -> Result<RecordSummary> {
        self.0.read(|r| query::get(r.conn(), id))
    }

    /// Records matching `q`, newest first, a page at a time (at most 500).
    pub fn list(&self, q: &RecordQuery) -> Result<RecordPage> {
        self.0.read(|r| query::list(r.conn(), q))
    }

    /// How many records the store holds.
    pub fn count(&self) -> Result<u64> {
        self.0.read(|r| Ok(r.conn().query_row("SELECT count(*) FROM records", [], |r| r.get::<_, i64>(0))? as u64))
    }

    /// Writes the bundle exactly as it was imported, to look at on this device (not audited:
    /// nothing leaves the locker).
    pub fn read(&self, id: &str, out: &mut dyn Write) -> Result<u64> {
        let (bundle, files) = self.0.read(|r| Ok((bundle::locate(r.conn(), id)?, std::sync::Arc::clone(r.files()))))?;
        bundle.write_to(&files, out).map_err(|e| {
            // Deleted while it was being read (its files go after its row): gone, not damaged.
            let gone = self
                .0
                .read(|r| bundle::locate(r.conn(), id).map(|_| ()))
                .is_err_and(|e| matches!(e, Error::NotFound(_)));
            if gone { Error::NotFound("record") } else { e }
        })
    }

    /// [`Records::read`], recorded in the audit log: the bundle leaves the locker.
    pub fn export(&self, id: &str, out: &mut dyn Write) -> Result<u64> {
        let n = self.read(id, out)?;
        self.0.write(|tx| tx.audit("record.export", Some(id), None))?;
        Ok(n)
    }

    /// Exports the bundle to `dest` (replaced whole, never half-written).
    pub fn export_to(&self, id: &str, dest: &Path) -> Result<u64> {
        write_atomically(dest, |w| self.export(id, w))
    }

    /// Deletes a record, its body, its search terms and its attachments.
    pub fn delete(&self, id: &str) -> Result<()> {
        self.0.with_store(|s| {
            let now = self.0.now_ms();
            let files = s.write(now, |tx| {
                let rowid: i64 = tx
                    .query_row("SELECT id FROM records WHERE uid = ?1", [id], |r| r.get(0))
                    .optional()?
                    .ok_or(Error::NotFound("record"))?;
                let files = attachments::uids_of(tx, Owner::Record(rowid))?;
                tx.execute("DELETE FROM records WHERE id = ?1", [rowid])?;
                tx.audit("record.delete", Some(id), None)?;
                Ok(files)
            })?;
            s.files().remove(&files);
            Ok(())
        })
    }
}
