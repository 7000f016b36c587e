//! Enrolments as the store keeps them: one row each, the enrolment's progress in typed columns
//! and every personal detail (and sealed value) in the one `personal` column, so that erasing a
//! citizen from the device is a single write, scrubbed from the write-ahead log straight after.
//! Also field workers' sessions and the backbone's sealing key, cached for capture offline.

use super::{EnrolmentFilter, EnrolmentMode, EnrolmentOutcome, EnrolmentState};
use crate::crypto::random_uid;
use crate::crypto::seal::BackboneKey;
use crate::error::{Error, Result};
use crate::store::Tx;
use rusqlite::{Connection, OptionalExtension, Row, params};
use std::fmt;
use zeroize::Zeroizing;

/// An online enrolment's call in flight: recorded before it is sent, so that after a crash or a
/// lost answer the same call goes out again under the same REQUEST-ID.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Step {
    AadhaarOtp,
    AadhaarEnrol,
    MobileOtp,
    MobileVerify,
    Address,
}

impl Step {
    pub(crate) fn code(self) -> &'static str {
        match self {
            Step::AadhaarOtp => "aadhaar-otp",
            Step::AadhaarEnrol => "aadhaar-enrol",
            Step::MobileOtp => "mobile-otp",
            Step::MobileVerify => "mobile-verify",
            Step::Address => "address",
        }
    }

    pub(crate) fn from_code(s: &str) -> Option<Step> {
        [Step::AadhaarOtp, Step::AadhaarEnrol, Step::MobileOtp, Step::MobileVerify, Step::Address]
            .into_iter()
            .find(|st| st.code() == s)
    }
}

crate::store::sql_enum::stored_as_text!(Step);

/// Why an enrolment's details left the device.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Erasure {
    /// The citizen has their ABHA (card or QR shown).
    HandedOver,
    /// The retention period ended first.
    Retention,
    /// Online: the profile is saved; the working details are not needed.
    Completed,
    /// Given up by the citizen or the worker.
    Cancelled,
}

impl Erasure {
    pub(crate) fn code(self) -> &'static str {
        match self {
            Erasure::HandedOver => "handed_over",
            Erasure::Retention => "retention",
            Erasure::Completed => "completed",
            Erasure::Cancelled => "cancelled",
        }
    }

    pub(crate) fn from_code(s: &str) -> Option<Erasure> {
        [Erasure::HandedOver, Erasure::Retention, Erasure::Completed, Erasure::Cancelled]
            .into_iter()
            .find(|e| e.code() == s)
    }
}

crate::store::sql_enum::stored_as_text!(Erasure);

/// An enrolment row. `personal` is JSON the enrolment module reads; `None` once erased.
#[derive(Clone)]
pub(crate) struct EnrolmentRow {
    pub id: String,
    pub mode: EnrolmentMode,
    pub session_id: Option<String>,
    pub state: EnrolmentState,
    pub created_at: i64,
    pub updated_at: i64,
    pub erase_after: Option<i64>,
    /// Online: the call in flight, whose REQUEST-ID is `request_id`. (Assisted submissions are
    /// the outbox's.)
    pub step: Option<Step>,
    pub request_id: Option<String>,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub outcome: Option<EnrolmentOutcome>,
    pub reason: Option<String>,
    pub consent_language: Option<String>,
    pub consent_version: Option<String>,
    pub consent_at: Option<i64>,
    pub personal: Option<Zeroizing<Vec<u8>>>,
    pub erased_at: Option<i64>,
    pub erase_reason: Option<Erasure>,
}

impl fmt::Debug for EnrolmentRow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EnrolmentRow").field("id", &self.id).field("state", &self.state).finish_non_exhaustive()
    }
}

impl EnrolmentRow {
    /// A new row at `state`, created `now`.
    pub(crate) fn new(mode: EnrolmentMode, state: EnrolmentState, now: i64) -> Result<EnrolmentRow> {
        Ok(EnrolmentRow {
            id: random_uid()?,
            mode,
            session_id: None,
            state,
            created_at: now,
            updated_at: now,
            erase_after: None,
            step: None,
            request_id: None,
            attempts: 0,
            last_error: None,
            outcome: None,
            reason: None,
            consent_language: None,
            consent_version: None,
            consent_at: None,
            personal: None,
            erased_at: None,
            erase_reason: None,
        })
    }

    pub(crate) fn expect_state(&self, allowed: &[EnrolmentState]) -> Result<EnrolmentState> {
        if allowed.contains(&self.state) {
            Ok(self.state)
        } else {
            Err(Error::WrongStep { state: self.state.code().into() })
        }
    }

    /// The REQUEST-ID for `step`: the one already in flight for that step, or a fresh one.
    pub(crate) fn begin_step(&mut self, step: Step) -> Result<String> {
        match (&self.step, &self.request_id) {
            (Some(s), Some(id)) if *s == step => Ok(id.clone()),
            _ => {
                let id = random_uid()?;
                self.step = Some(step);
                self.request_id = Some(id.clone());
                Ok(id)
            }
        }
    }

    pub(crate) fn end_step(&mut self) {
        self.step = None;
        self.request_id = None;
    }
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

/// Stores a new enrolment; `action` goes to the audit log in the same transaction.
pub(crate) fn insert(tx: &Tx<'_>, e: &EnrolmentRow, action: &str) -> Result<()> {
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
    tx.audit(action, Some(&e.id), Some(&format!("mode={}", e.mode.code())))
}

pub(crate) fn get(conn: &Connection, id: &str) -> Result<EnrolmentRow> {
    conn.prepare_cached(&format!("SELECT {COLUMNS} FROM enrolments WHERE id = ?1"))?
        .query_row([id], from_row)
        .optional()?
        .ok_or(Error::NotFound("enrolment"))
}

/// Enrolments matching `filter`, oldest first.
pub(crate) fn list(conn: &Connection, filter: &EnrolmentFilter) -> Result<Vec<EnrolmentRow>> {
    let mut st = conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM enrolments
         WHERE (?1 IS NULL OR session_id = ?1) AND (?2 = 0 OR erased_at IS NULL)
         ORDER BY created_at, id"
    ))?;
    let rows = st.query_map(params![filter.session_id, filter.pending_only], from_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Enrolments at `state`, of one worker session or all, oldest first.
pub(crate) fn in_state(conn: &Connection, state: EnrolmentState, session: Option<&str>) -> Result<Vec<EnrolmentRow>> {
    let mut st = conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM enrolments WHERE state = ?1 AND (?2 IS NULL OR session_id = ?2) ORDER BY created_at, id"
    ))?;
    let rows = st.query_map(params![state, session], from_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Enrolments still holding details whose retention ends before `now`.
pub(crate) fn past_retention(conn: &Connection, now: i64) -> Result<Vec<EnrolmentRow>> {
    let mut st = conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM enrolments WHERE erased_at IS NULL AND erase_after < ?1 ORDER BY created_at, id"
    ))?;
    let rows = st.query_map([now], from_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Writes an enrolment's progress. `audit`, when given, is an action and its detail (which must
/// carry no personal data), recorded in the same transaction.
pub(crate) fn update(tx: &Tx<'_>, e: &EnrolmentRow, audit: Option<(&str, &str)>) -> Result<()> {
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
    if let Some((action, detail)) = audit {
        tx.audit(action, Some(&e.id), Some(detail))?;
    }
    Ok(())
}

/// Erases an enrolment's personal details for good, leaving it at `state`: the row keeps its
/// progress, outcome and consent record (none of it personal), and the erasure is audited. The
/// caller scrubs the write-ahead log once the transaction commits.
pub(crate) fn erase(tx: &Tx<'_>, id: &str, state: EnrolmentState, why: Erasure) -> Result<()> {
    let n = tx.execute(
        "UPDATE enrolments SET personal = NULL, request_id = NULL, step = NULL, state = ?2, updated_at = ?3,
             erased_at = ?3, erase_reason = ?4 WHERE id = ?1 AND erased_at IS NULL",
        params![id, state, tx.now(), why],
    )?;
    if n == 0 {
        return Err(Error::NotFound("enrolment"));
    }
    crate::outbox::queue::remove_for_subject(tx, crate::outbox::ItemKind::EnrolmentSubmit, id)?;
    tx.audit("enrolment.erased", Some(id), Some(&format!("reason={}", why.code())))
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

pub(crate) fn insert_session(tx: &Tx<'_>, s: &WorkerSession) -> Result<()> {
    tx.execute(
        "INSERT INTO worker_sessions (id, worker_id, device_id, started_at, ended_at, retention_ms)
         VALUES (?1, ?2, ?3, ?4, NULL, ?5)",
        params![s.id, s.worker_id, s.device_id, s.started_at_ms, s.retention_ms],
    )?;
    tx.audit("worker.session.start", Some(&s.id), None)
}

pub(crate) fn end_session(tx: &Tx<'_>, id: &str) -> Result<()> {
    if session(tx, id)?.ended_at_ms.is_some() {
        return Ok(());
    }
    tx.execute("UPDATE worker_sessions SET ended_at = ?2 WHERE id = ?1", params![id, tx.now()])?;
    tx.audit("worker.session.end", Some(id), None)
}

pub(crate) fn session(conn: &Connection, id: &str) -> Result<WorkerSession> {
    conn.prepare_cached(
        "SELECT id, worker_id, device_id, started_at, ended_at, retention_ms FROM worker_sessions WHERE id = ?1",
    )?
    .query_row([id], |r| {
        Ok(WorkerSession {
            id: r.get(0)?,
            worker_id: r.get(1)?,
            device_id: r.get(2)?,
            started_at_ms: r.get(3)?,
            ended_at_ms: r.get(4)?,
            retention_ms: r.get(5)?,
        })
    })
    .optional()?
    .ok_or(Error::NotFound("worker session"))
}

/// Keeps the backbone's sealing key (once per key; the newest is the current one).
pub(crate) fn save_backbone_key(tx: &Tx<'_>, key: &BackboneKey) -> Result<()> {
    tx.execute(
        "INSERT INTO backbone_keys (fingerprint, spki, fetched_at) VALUES (?1, ?2, ?3)
         ON CONFLICT (fingerprint) DO UPDATE SET fetched_at = excluded.fetched_at",
        params![key.fingerprint(), key.spki_der(), tx.now()],
    )?;
    Ok(())
}

/// The most recently fetched backbone key, if this device ever fetched one.
pub(crate) fn backbone_key(conn: &Connection) -> Result<Option<BackboneKey>> {
    let der: Option<Vec<u8>> = conn
        .prepare_cached("SELECT spki FROM backbone_keys ORDER BY fetched_at DESC LIMIT 1")?
        .query_row([], |r| r.get(0))
        .optional()?;
    der.map(|d| BackboneKey::from_spki_der(&d)).transpose()
}
