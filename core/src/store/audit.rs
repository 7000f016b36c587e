//! The tamper-evident audit log: every import, export, delete, profile change and key change,
//! appended in the same transaction as the change itself, each entry hash-chained to the one
//! before and the chain's head kept in `meta`. It holds actions and opaque ids only — never a
//! name, number or record text.
//!
//! What it catches: an entry changed (its hash no longer matches), removed (a gap in `seq`, or
//! the head no longer matches the last entry) or reordered (the `prev` links break). What it
//! cannot catch: someone holding the database key rewriting the whole chain and its head.

use crate::error::{Error, Result};
use ring::digest::{Context, SHA256};
use rusqlite::{Connection, OptionalExtension, params};

/// One entry as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditEntry {
    pub seq: i64,
    pub at_ms: i64,
    pub action: String,
    /// An opaque id (record, profile or attachment uid), never personal data.
    pub subject: Option<String>,
    /// Counts and kinds, never personal data.
    pub detail: Option<String>,
}

/// The outcome of walking the chain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AuditVerification {
    Intact { entries: u64 },
    Broken { at_seq: i64, reason: String },
}

impl AuditVerification {
    pub fn is_intact(&self) -> bool {
        matches!(self, AuditVerification::Intact { .. })
    }
}

const GENESIS: [u8; 32] = [0; 32];

fn hash(prev: &[u8], e: &AuditEntry) -> [u8; 32] {
    let mut c = Context::new(&SHA256);
    c.update(prev);
    c.update(&e.seq.to_be_bytes());
    c.update(&e.at_ms.to_be_bytes());
    for field in [Some(e.action.as_str()), e.subject.as_deref(), e.detail.as_deref()] {
        match field {
            None => c.update(&[0]),
            Some(s) => {
                c.update(&[1]);
                c.update(&(s.len() as u64).to_be_bytes());
                c.update(s.as_bytes());
            }
        }
    }
    c.finish().as_ref().try_into().expect("SHA-256 is 32 bytes")
}

fn head(conn: &Connection) -> Result<(i64, [u8; 32])> {
    let v: Option<Vec<u8>> =
        conn.query_row("SELECT value FROM meta WHERE name = 'audit_head'", [], |r| r.get(0)).optional()?;
    match v {
        None => Ok((0, GENESIS)),
        Some(v) if v.len() == 40 => {
            Ok((i64::from_be_bytes(v[..8].try_into().expect("8 bytes")), v[8..].try_into().expect("32 bytes")))
        }
        Some(_) => Err(Error::Corrupt("the audit log head is malformed".into())),
    }
}

/// Appends one entry at `at_ms`. Call inside the transaction that makes the change it records
/// (`Tx::audit` does).
pub(crate) fn append(
    conn: &Connection,
    at_ms: i64,
    action: &str,
    subject: Option<&str>,
    detail: Option<&str>,
) -> Result<()> {
    let (last, prev) = head(conn)?;
    let e = AuditEntry {
        seq: last + 1,
        at_ms,
        action: action.to_owned(),
        subject: subject.map(str::to_owned),
        detail: detail.map(str::to_owned),
    };
    let h = hash(&prev, &e);
    conn.execute(
        "INSERT INTO audit_log (seq, at, action, subject, detail, prev, hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![e.seq, e.at_ms, e.action, e.subject, e.detail, &prev[..], &h[..]],
    )?;
    let mut new_head = e.seq.to_be_bytes().to_vec();
    new_head.extend_from_slice(&h);
    conn.execute("INSERT OR REPLACE INTO meta (name, value) VALUES ('audit_head', ?1)", [new_head])?;
    Ok(())
}

/// Walks the whole chain from the first entry to the head.
pub(crate) fn verify(conn: &Connection) -> Result<AuditVerification> {
    let (head_seq, head_hash) = head(conn)?;
    let mut st = conn.prepare("SELECT seq, at, action, subject, detail, prev, hash FROM audit_log ORDER BY seq")?;
    let mut rows = st.query([])?;
    let (mut expected, mut prev) = (1i64, GENESIS);
    while let Some(r) = rows.next()? {
        let e =
            AuditEntry { seq: r.get(0)?, at_ms: r.get(1)?, action: r.get(2)?, subject: r.get(3)?, detail: r.get(4)? };
        let (stored_prev, stored_hash): (Vec<u8>, Vec<u8>) = (r.get(5)?, r.get(6)?);
        if e.seq != expected {
            return Ok(AuditVerification::Broken { at_seq: expected, reason: "an entry is missing".into() });
        }
        if stored_prev != prev {
            return Ok(AuditVerification::Broken { at_seq: e.seq, reason: "an entry is out of order".into() });
        }
        let h = hash(&prev, &e);
        if stored_hash != h {
            return Ok(AuditVerification::Broken { at_seq: e.seq, reason: "an entry was changed".into() });
        }
        prev = h;
        expected += 1;
    }
    if expected - 1 != head_seq || prev != head_hash {
        return Ok(AuditVerification::Broken { at_seq: expected, reason: "entries after this one are missing".into() });
    }
    Ok(AuditVerification::Intact { entries: head_seq as u64 })
}

/// The newest `limit` entries, newest first.
pub(crate) fn newest(conn: &Connection, limit: u32) -> Result<Vec<AuditEntry>> {
    let mut st = conn.prepare("SELECT seq, at, action, subject, detail FROM audit_log ORDER BY seq DESC LIMIT ?1")?;
    let rows = st.query_map([limit], |r| {
        Ok(AuditEntry { seq: r.get(0)?, at_ms: r.get(1)?, action: r.get(2)?, subject: r.get(3)?, detail: r.get(4)? })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn log_of(n: usize) -> Connection {
        let mut c = Connection::open_in_memory().unwrap();
        super::super::schema::create(&mut c).unwrap();
        for i in 0..n {
            append(&c, 1_700_000_000_000 + i as i64, "record.import", Some(&format!("uid-{i}")), Some("1 attachment"))
                .unwrap();
        }
        c
    }

    #[test]
    fn an_untouched_log_verifies() {
        assert_eq!(verify(&log_of(0)).unwrap(), AuditVerification::Intact { entries: 0 });
        assert_eq!(verify(&log_of(5)).unwrap(), AuditVerification::Intact { entries: 5 });
    }

    #[test]
    fn a_changed_entry_is_caught() {
        let c = log_of(5);
        c.execute("UPDATE audit_log SET action = 'record.view' WHERE seq = 3", []).unwrap();
        assert!(matches!(verify(&c).unwrap(), AuditVerification::Broken { at_seq: 3, .. }));
    }

    #[test]
    fn a_removed_entry_is_caught_in_the_middle_and_at_the_end() {
        let c = log_of(5);
        c.execute("DELETE FROM audit_log WHERE seq = 2", []).unwrap();
        assert!(matches!(verify(&c).unwrap(), AuditVerification::Broken { at_seq: 2, .. }));
        let c = log_of(5);
        c.execute("DELETE FROM audit_log WHERE seq = 5", []).unwrap();
        assert!(matches!(verify(&c).unwrap(), AuditVerification::Broken { at_seq: 5, .. }));
    }

    #[test]
    fn reordered_entries_are_caught() {
        let c = log_of(5);
        c.execute_batch(
            "UPDATE audit_log SET seq = 100 WHERE seq = 2;
             UPDATE audit_log SET seq = 2 WHERE seq = 3;
             UPDATE audit_log SET seq = 3 WHERE seq = 100;",
        )
        .unwrap();
        assert!(matches!(verify(&c).unwrap(), AuditVerification::Broken { at_seq: 2, .. }));
    }
}
