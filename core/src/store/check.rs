//! `check`: every layer of the store verified, end to end — SQLite's structure, SQLCipher's
//! page authentication, the search index, the audit chain, and every attachment's tags.

use super::connection::PAGE_SIZE;
use super::files::{self, copy};
use super::paths::StorePaths;
use super::{AuditVerification, Reader, Store};
use crate::error::{Error, Result};
use std::io;

/// What `check` found. Problems are described without any personal data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckReport {
    /// SQLite's own `integrity_check` findings; empty when sound.
    pub sqlite_problems: Vec<String>,
    /// Pages whose SQLCipher authentication failed.
    pub cipher_page_failures: u64,
    /// Whether the full-text index agrees with itself.
    pub search_index_ok: bool,
    pub audit: AuditVerification,
    pub attachments_checked: u64,
    /// Attachments that are missing, fail authentication or have the wrong length.
    pub damaged_attachments: Vec<String>,
    /// Records whose inline data is no longer all there.
    pub incomplete_records: Vec<String>,
    /// Files in the store's directory that are not part of this store (an attachment file no
    /// row names, something put there by hand), by name. They are left as they are; they do not
    /// fail the check: they are listed in `notes`, not `problems`.
    pub stray_files: Vec<String>,
    /// What is worth knowing but is not damage, one line each.
    pub notes: Vec<String>,
    /// Everything above that is wrong, one line each; empty when the store is sound.
    pub problems: Vec<String>,
}

impl CheckReport {
    pub fn is_ok(&self) -> bool {
        self.problems.is_empty()
    }

    fn describe(&self) -> Vec<String> {
        let mut out: Vec<String> = self.sqlite_problems.iter().map(|p| format!("database structure: {p}")).collect();
        if self.cipher_page_failures > 0 {
            out.push(format!("{} database pages fail authentication", self.cipher_page_failures));
        }
        if !self.search_index_ok {
            out.push("the search index is inconsistent".into());
        }
        if let AuditVerification::Broken { at_seq, reason } = &self.audit {
            out.push(format!("audit log broken at entry {at_seq}: {reason}"));
        }
        out.extend(self.damaged_attachments.iter().map(|a| format!("attachment {a} is damaged or missing")));
        out.extend(self.incomplete_records.iter().map(|r| format!("record {r} has lost inline data")));
        out
    }

    fn describe_notes(&self) -> Vec<String> {
        if self.stray_files.is_empty() {
            return Vec::new();
        }
        const SHOWN: usize = 5;
        let mut names = self.stray_files.iter().take(SHOWN).cloned().collect::<Vec<_>>().join(", ");
        if self.stray_files.len() > SHOWN {
            names.push_str(&format!(" and {} more", self.stray_files.len() - SHOWN));
        }
        vec![format!(
            "{} file{} in the store's directory belong{} to no part of this store, and were left alone: {names}",
            self.stray_files.len(),
            if self.stray_files.len() == 1 { "" } else { "s" },
            if self.stray_files.len() == 1 { "s" } else { "" }
        )]
    }
}

/// Names a store keeps in its directory besides [`super::paths::STORE_FILES`]: the lock, the attachment
/// directory, and the temporaries of create, rekey and the key check.
const OWN_NAMES: &[&str] = &["locker.lock", "attachments", "locker.keycheck.partial"];

fn stray_store_files(paths: &StorePaths) -> Result<Vec<String>> {
    let mut stray = Vec::new();
    for entry in std::fs::read_dir(&paths.dir)? {
        let name = entry?.file_name().to_string_lossy().into_owned();
        let ours = super::paths::STORE_FILES.contains(&name.as_str())
            || OWN_NAMES.contains(&name.as_str())
            || name.starts_with("locker.db.next");
        if !ours {
            stray.push(name);
        }
    }
    stray.sort();
    Ok(stray)
}

/// A database file cut short of a whole page was truncated; SQLite itself reports a file
/// shorter than its header says.
pub(crate) fn ensure_not_truncated(paths: &StorePaths) -> Result<()> {
    if !std::fs::metadata(&paths.db)?.len().is_multiple_of(PAGE_SIZE) {
        return Err(Error::Corrupt("the database file is truncated".into()));
    }
    Ok(())
}

impl Store {
    /// The full-text index's own consistency check. FTS5 runs it as a write statement, so it
    /// needs the writer, for as long as the index takes, not the rest of `check`.
    pub(crate) fn check_search_index(&self) -> bool {
        self.conn().execute("INSERT INTO records_fts (records_fts, rank) VALUES ('integrity-check', 0)", []).is_ok()
    }
}

/// Verifies the whole store on `r`, a read-only connection of the check's own, so that neither
/// the writer nor the shared reader waits for it. Reads everything; takes time proportional to
/// the store's size; writes nothing.
pub(crate) fn check_with(r: &Reader, search_index_ok: bool) -> Result<CheckReport> {
    let conn = r.conn();
    // One view of the database for its structure, the audit chain and the rows: writes that
    // commit meanwhile (the app goes on working) cannot make them disagree with each other.
    let snapshot = conn.unchecked_transaction()?;
    // Damage must be reported, not stop the report: the structural checks note what they could
    // not read and go on. Both read through the write-ahead log, so nothing is checkpointed.
    let mut sqlite_problems: Vec<String> = Vec::new();
    let integrity = (|| {
        let mut st = conn.prepare("PRAGMA integrity_check")?;
        st.query_map([], |r| r.get::<_, String>(0))?.collect::<rusqlite::Result<Vec<_>>>()
    })();
    match integrity {
        Ok(rows) => sqlite_problems.extend(rows.into_iter().filter(|r| r != "ok")),
        Err(e) => sqlite_problems.push(Error::from(e).to_string()),
    }
    let cipher_page_failures = if r.encrypted {
        let mut st = conn.prepare("PRAGMA cipher_integrity_check")?;
        st.query_map([], |_| Ok(()))?.count() as u64
    } else {
        0
    };
    let audit = super::audit::verify(conn)?;

    let uids: Vec<String> = {
        let mut st = conn.prepare("SELECT uid FROM attachments ORDER BY id")?;
        st.query_map([], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?
    };
    let incomplete_records: Vec<String> = {
        let mut st = conn.prepare(
            "SELECT r.uid FROM records r
             WHERE r.spliced_attachments != (SELECT count(*) FROM attachments a
                                              WHERE a.record_id = r.id AND a.splice_offset IS NOT NULL)",
        )?;
        st.query_map([], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?
    };
    // The files are read outside it, so as not to hold the write-ahead log for as long as they
    // take; a file whose row is gone by then was deleted meanwhile, not damaged.
    drop(snapshot);
    let mut damaged = Vec::new();
    let checked = uids.len() as u64;
    for uid in uids {
        let ok = match files::stored_file(conn, &uid)? {
            Some(f) => r.files().open(&f).and_then(|mut rd| Ok(copy(&mut rd, &mut io::sink())?)).is_ok(),
            None => true,
        };
        if !ok && files::stored_file(conn, &uid)?.is_some() {
            damaged.push(uid);
        }
    }
    let mut stray_files = stray_store_files(&r.paths)?;
    stray_files.extend(files::strays(conn, r.files())?);
    let mut report = CheckReport {
        sqlite_problems,
        cipher_page_failures,
        search_index_ok,
        audit,
        attachments_checked: checked,
        damaged_attachments: damaged,
        incomplete_records,
        stray_files,
        notes: Vec::new(),
        problems: Vec::new(),
    };
    report.problems = report.describe();
    report.notes = report.describe_notes();
    Ok(report)
}
