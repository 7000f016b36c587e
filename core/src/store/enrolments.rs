//! Enrolments as the store keeps them: one row each, the enrolment's progress in plain columns
//! and every personal detail (and sealed value) in the one `personal` column, so that erasing a
//! citizen from the device is a single write, scrubbed from the write-ahead log straight after.
//! Also the backbone's sealing key, cached for capture without a network, and worker sessions.

use super::{Store, audit};
use crate::crypto::seal::BackboneKey;
use crate::error::{Error, Result};
use rusqlite::{OptionalExtension, Row, TransactionBehavior, params};
use zeroize::Zeroizing;

/// An enrolment row. `personal` is JSON the enrolment module reads; `None` once erased.
#[derive(Debug, Clone, Default)]
pub(crate) struct EnrolmentRow {
    pub id: String,
    pub mode: String,
    pub session_id: Option<String>,
    pub state: String,
    pub created_at: i64,
    pub updated_at: i64,
    pub erase_after: Option<i64>,
    /// The backbone call in flight, whose REQUEST-ID is `request_id`: sent again with the same
    /// id after a crash or a dropped connection, so the backbone answers it without applying it
    /// a second time.
    pub step: Option<String>,
    pub request_id: Option<String>,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub outcome: Option<String>,
    pub reason: Option<String>,
    pub consent_language: Option<String>,
    pub consent_version: Option<String>,
    pub consent_at: Option<i64>,
    pub personal: Option<Zeroizing<Vec<u8>>>,
    pub erased_at: Option<i64>,
    pub erase_reason: Option<String>,
}

const COLUMNS: &str = "id, mode, session_id, state, created_at, updated_at, erase_after, step, request_id, attempts,
    last_error, outcome, reason, consent_language, consent_version, consent_at, personal, erased_at, erase_reason";

fn from_row(r: &Row<'_>) -> rusqlite::Result<EnrolmentRow> {
    Ok(EnrolmentRow {
        id: r.get(0)?,
        mode: r.get(1)?,
        session_id: r.get(2)?,
        state: r.get(3)?,
        created_at: r.get(4)?,
        updated_at: r.get(5)?,
        erase_after: r.get(6)?,
        step: r.get(7)?,
        request_id: r.get(8)?,
        attempts: r.get(9)?,
        last_error: r.get(10)?,
        outcome: r.get(11)?,
        reason: r.get(12)?,
        consent_language: r.get(13)?,
        consent_version: r.get(14)?,
        consent_at: r.get(15)?,
        personal: r.get::<_, Option<Vec<u8>>>(16)?.map(Zeroizing::new),
        erased_at: r.get(17)?,
        erase_reason: r.get(18)?,
    })
}

/// A field worker's session on this device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkerSession {
    pub id: String,
    pub worker_id: String,
    pub device_id: String,
    pub started_at_ms: i64,
    pub ended_at_ms: Option<i64>,
    pub retention_ms: i64,
}

impl Store {
    /// Keeps the backbone's sealing key (once per key; the newest is the current one).
    pub(crate) fn save_backbone_key(&mut self, key: &BackboneKey, now: i64) -> Result<()> {
        self.conn.execute(
            "INSERT INTO backbone_keys (fingerprint, spki, fetched_at) VALUES (?1, ?2, ?3)
             ON CONFLICT (fingerprint) DO UPDATE SET fetched_at = excluded.fetched_at",
            params![key.fingerprint(), key.spki_der(), now],
        )?;
        Ok(())
    }

    /// The most recently fetched backbone key, if this device ever fetched one.
    pub(crate) fn backbone_key(&self) -> Result<Option<BackboneKey>> {
        let der: Option<Vec<u8>> = self
            .conn
            .query_row("SELECT spki FROM backbone_keys ORDER BY fetched_at DESC LIMIT 1", [], |r| r.get(0))
            .optional()?;
        der.map(|d| BackboneKey::from_spki_der(&d)).transpose()
    }

    pub(crate) fn insert_worker_session(&mut self, s: &WorkerSession) -> Result<()> {
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute(
            "INSERT INTO worker_sessions (id, worker_id, device_id, started_at, ended_at, retention_ms)
             VALUES (?1, ?2, ?3, ?4, NULL, ?5)",
            params![s.id, s.worker_id, s.device_id, s.started_at_ms, s.retention_ms],
        )?;
        audit::append(&tx, "worker.session.start", Some(&s.id), None)?;
        tx.commit()?;
        Ok(())
    }

    pub(crate) fn end_worker_session(&mut self, id: &str, now: i64) -> Result<()> {
        if self.worker_session(id)?.ended_at_ms.is_some() {
            return Ok(());
        }
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute("UPDATE worker_sessions SET ended_at = ?2 WHERE id = ?1", params![id, now])?;
        audit::append(&tx, "worker.session.end", Some(id), None)?;
        tx.commit()?;
        Ok(())
    }

    pub(crate) fn worker_session(&self, id: &str) -> Result<WorkerSession> {
        self.conn
            .query_row(
                "SELECT id, worker_id, device_id, started_at, ended_at, retention_ms FROM worker_sessions WHERE id = ?1",
                [id],
                |r| {
                    Ok(WorkerSession {
                        id: r.get(0)?,
                        worker_id: r.get(1)?,
                        device_id: r.get(2)?,
                        started_at_ms: r.get(3)?,
                        ended_at_ms: r.get(4)?,
                        retention_ms: r.get(5)?,
                    })
                },
            )
            .optional()?
            .ok_or(Error::NotFound("worker session"))
    }

    /// Stores a new enrolment; `action` goes to the audit log in the same transaction.
    pub(crate) fn insert_enrolment(&mut self, e: &EnrolmentRow, action: &str) -> Result<()> {
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute(
            &format!(
                "INSERT INTO enrolments ({COLUMNS}) VALUES
                 (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19)"
            ),
            params![
                e.id,
                e.mode,
                e.session_id,
                e.state,
                e.created_at,
                e.updated_at,
                e.erase_after,
                e.step,
                e.request_id,
                e.attempts,
                e.last_error,
                e.outcome,
                e.reason,
                e.consent_language,
                e.consent_version,
                e.consent_at,
                e.personal.as_deref(),
                e.erased_at,
                e.erase_reason
            ],
        )?;
        audit::append(&tx, action, Some(&e.id), Some(&format!("mode={}", e.mode)))?;
        tx.commit()?;
        Ok(())
    }

    pub(crate) fn enrolment_row(&self, id: &str) -> Result<EnrolmentRow> {
        self.conn
            .query_row(&format!("SELECT {COLUMNS} FROM enrolments WHERE id = ?1"), [id], from_row)
            .optional()?
            .ok_or(Error::NotFound("enrolment"))
    }

    /// Enrolments matching `filter` (an SQL condition on the columns, with `?1` bound to
    /// `arg`), oldest first.
    pub(crate) fn enrolment_rows(&self, filter: &str, arg: &dyn rusqlite::ToSql) -> Result<Vec<EnrolmentRow>> {
        let mut st =
            self.conn.prepare(&format!("SELECT {COLUMNS} FROM enrolments WHERE {filter} ORDER BY created_at, id"))?;
        let rows = st.query_map([arg], from_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Writes an enrolment's progress. `action`, when given, is audited in the same
    /// transaction (with `detail`, which must carry no personal data).
    pub(crate) fn update_enrolment(&mut self, e: &EnrolmentRow, action: Option<(&str, &str)>) -> Result<()> {
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let n = tx.execute(
            "UPDATE enrolments SET state = ?2, updated_at = ?3, erase_after = ?4, step = ?5, request_id = ?6,
                 attempts = ?7, last_error = ?8, outcome = ?9, reason = ?10, personal = ?11
             WHERE id = ?1 AND erased_at IS NULL",
            params![
                e.id,
                e.state,
                e.updated_at,
                e.erase_after,
                e.step,
                e.request_id,
                e.attempts,
                e.last_error,
                e.outcome,
                e.reason,
                e.personal.as_deref()
            ],
        )?;
        if n == 0 {
            return Err(Error::NotFound("enrolment"));
        }
        if let Some((action, detail)) = action {
            audit::append(&tx, action, Some(&e.id), Some(detail))?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Erases an enrolment's personal details for good: the row keeps its progress, outcome
    /// and consent record (none of it personal), the erasure is audited, and the write-ahead
    /// log's copies of the old page are overwritten.
    pub(crate) fn erase_enrolment(&mut self, id: &str, state: &str, reason: &str, now: i64) -> Result<()> {
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let n = tx.execute(
            "UPDATE enrolments SET personal = NULL, request_id = NULL, step = NULL, state = ?2, updated_at = ?3,
                 erased_at = ?3, erase_reason = ?4 WHERE id = ?1 AND erased_at IS NULL",
            params![id, state, now, reason],
        )?;
        if n == 0 {
            return Err(Error::NotFound("enrolment"));
        }
        audit::append(&tx, "enrolment.erased", Some(id), Some(&format!("reason={reason}")))?;
        tx.commit()?;
        self.scrub_wal()
    }
}
