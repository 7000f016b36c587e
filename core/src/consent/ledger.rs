//! The ledger's rows: requests and artefacts as this device holds them, their status history,
//! each use of an artefact, and the latest time the ledger has seen. Every function runs on a
//! connection its caller chose; writes happen inside the caller's transaction.

use super::model::{AccessMode, ConsentRequest, ConsentStatus, Grant, Verification};
use super::policy::UseHistory;
use super::wire::{self, ReceivedArtefact};
use crate::error::{Error, Result};
use crate::store::Tx;
use rusqlite::{Connection, OptionalExtension, params};
use serde_json::Value;

codes!(
    /// Whether the device or the consent manager changed a status.
    Source {
        Device = "device",
        Backbone = "backbone",
    }
);

codes!(
    /// A local decision on a request that the consent manager has not heard yet.
    PendingDecision {
        Approve = "approve",
        Deny = "deny",
    }
);

/// A request as this device holds it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredRequest {
    /// As the consent manager sent it (its `status` is the device's: a decision made here
    /// applies at once).
    pub request: ConsentRequest,
    /// A decision made here and not yet confirmed by the consent manager.
    pub pending: Option<PendingDecision>,
    /// What the consent manager's answer changed that the citizen should hear of.
    pub notice: Option<String>,
}

/// An artefact as this device holds it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredArtefact {
    pub grant: Grant,
    /// The key id its signature verified under, when verified.
    pub key_id: Option<String>,
    /// Revoked here; the consent manager has not heard yet.
    pub revoke_pending: bool,
    /// When what was received under it was erased.
    pub erased_at_ms: Option<i64>,
}

/// One status change, as the citizen's history shows it. A note may be the citizen's own words
/// (a reason for denying): `Debug` leaves it out.
#[derive(Clone, PartialEq, Eq)]
pub struct HistoryEntry {
    pub subject: String,
    pub status: ConsentStatus,
    pub source: Source,
    pub note: Option<String>,
    pub at_ms: i64,
}

impl std::fmt::Debug for HistoryEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HistoryEntry")
            .field("subject", &self.subject)
            .field("status", &self.status)
            .field("source", &self.source)
            .field("at_ms", &self.at_ms)
            .finish_non_exhaustive()
    }
}

/// One use of an artefact: what went, by reference, to whom, when, how.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConsentUse {
    pub artefact: String,
    pub hiu: String,
    pub channel: String,
    pub records: Vec<String>,
    pub at_ms: i64,
}

const LATEST_SEEN: &str = "consent.latest_seen_ms";

/// The latest time the ledger has seen: decisions are made at no earlier time, so a clock set
/// back revives no expired grant.
pub(crate) fn latest_seen(conn: &Connection) -> Result<i64> {
    let v: Option<Vec<u8>> =
        conn.query_row("SELECT value FROM meta WHERE name = ?1", [LATEST_SEEN], |r| r.get(0)).optional()?;
    Ok(v.and_then(|b| <[u8; 8]>::try_from(b.as_slice()).ok()).map_or(0, i64::from_be_bytes))
}

/// The time to decide at, read without writing: the later of `now` and the latest time seen.
pub(crate) fn decision_time(conn: &Connection, now: i64) -> Result<i64> {
    Ok(now.max(latest_seen(conn)?))
}

/// Requests still unanswered whose 60 minutes had run out by `now`.
pub(crate) fn stale_requests(conn: &Connection, now: i64) -> Result<Vec<String>> {
    let mut st = conn.prepare_cached(
        "SELECT id FROM consent_requests WHERE status = 'REQUESTED' AND decision IS NULL AND created_at <= ?1",
    )?;
    let rows = st.query_map(params![now.saturating_sub(super::REQUEST_LIFETIME_MS)], |r| r.get(0))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Moves the latest time seen forward to `now` (never back); returns the time to decide at.
pub(crate) fn observe(tx: &Tx<'_>, now: i64) -> Result<i64> {
    let seen = latest_seen(tx)?;
    if now > seen {
        tx.execute(
            "INSERT INTO meta (name, value) VALUES (?1, ?2) ON CONFLICT (name) DO UPDATE SET value = excluded.value",
            params![LATEST_SEEN, now.to_be_bytes().to_vec()],
        )?;
    }
    Ok(now.max(seen))
}

pub(crate) fn history(
    tx: &Tx<'_>,
    subject: &str,
    status: ConsentStatus,
    source: Source,
    note: Option<&str>,
) -> Result<()> {
    tx.prepare_cached("INSERT INTO consent_history (subject, status, source, note, at) VALUES (?1, ?2, ?3, ?4, ?5)")?
        .execute(params![subject, status, source, note, tx.now()])?;
    Ok(())
}

pub(crate) fn history_of(conn: &Connection, subject: &str) -> Result<Vec<HistoryEntry>> {
    let mut st = conn.prepare_cached(
        "SELECT subject, status, source, note, at FROM consent_history WHERE subject = ?1 ORDER BY seq",
    )?;
    let rows = st.query_map([subject], |r| {
        Ok(HistoryEntry { subject: r.get(0)?, status: r.get(1)?, source: r.get(2)?, note: r.get(3)?, at_ms: r.get(4)? })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

fn request_from(
    body: &str,
    status: ConsentStatus,
    pending: Option<PendingDecision>,
    notice: Option<String>,
) -> Result<StoredRequest> {
    let v: Value = serde_json::from_str(body).map_err(|_| Error::Corrupt("a stored consent request".into()))?;
    let mut request = wire::read_request(&v).map_err(|_| Error::Corrupt("a stored consent request".into()))?;
    request.status = status;
    Ok(StoredRequest { request, pending, notice })
}

pub(crate) fn request(conn: &Connection, id: &str) -> Result<StoredRequest> {
    let row: Option<(String, ConsentStatus, Option<PendingDecision>, Option<String>)> = conn
        .prepare_cached("SELECT body, status, decision, notice FROM consent_requests WHERE id = ?1")?
        .query_row([id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .optional()?;
    let (body, status, pending, notice) = row.ok_or(Error::NotFound("consent request"))?;
    request_from(&body, status, pending, notice)
}

/// Requests, newest first, optionally of one status.
pub(crate) fn requests(conn: &Connection, status: Option<ConsentStatus>) -> Result<Vec<StoredRequest>> {
    let mut st = conn.prepare_cached(
        "SELECT body, status, decision, notice FROM consent_requests WHERE ?1 IS NULL OR status = ?1
         ORDER BY created_at DESC, id",
    )?;
    let rows = st.query_map([status], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?;
    let mut out = Vec::new();
    for row in rows {
        let (body, status, pending, notice): (String, ConsentStatus, Option<PendingDecision>, Option<String>) = row?;
        out.push(request_from(&body, status, pending, notice)?);
    }
    Ok(out)
}

/// Takes a request as the consent manager sent it. A request with a decision pending here keeps
/// the device's status until the consent manager answers that decision. Returns whether the
/// status changed.
pub(crate) fn put_request(tx: &Tx<'_>, r: &ConsentRequest, body: &Value) -> Result<bool> {
    let held: Option<(ConsentStatus, Option<PendingDecision>)> = tx
        .prepare_cached("SELECT status, decision FROM consent_requests WHERE id = ?1")?
        .query_row([&r.id], |row| Ok((row.get(0)?, row.get(1)?)))
        .optional()?;
    let status = match held {
        Some((local, Some(_))) => local,
        _ => r.status,
    };
    tx.prepare_cached(
        "INSERT INTO consent_requests (id, patient, hiu, purpose, status, body, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
         ON CONFLICT (id) DO UPDATE SET status = excluded.status, body = excluded.body, updated_at = excluded.updated_at",
    )?
    .execute(params![r.id, r.patient, r.hiu.id, r.purpose, status, body.to_string(), r.created_at_ms, tx.now()])?;
    let changed = held.is_none_or(|(s, _)| s != status);
    if changed {
        history(tx, &r.id, status, Source::Backbone, None)?;
    }
    Ok(changed)
}

/// Sets a request's status, its pending decision and the notice for the citizen.
pub(crate) fn set_request(
    tx: &Tx<'_>,
    id: &str,
    status: ConsentStatus,
    pending: Option<PendingDecision>,
    notice: Option<&str>,
) -> Result<()> {
    let n = tx
        .prepare_cached(
            "UPDATE consent_requests SET status = ?2, decision = ?3, notice = ?4, updated_at = ?5 WHERE id = ?1",
        )?
        .execute(params![id, status, pending, notice, tx.now()])?;
    if n == 0 {
        return Err(Error::NotFound("consent request"));
    }
    Ok(())
}

const ARTEFACT_COLUMNS: &str = "id, request_id, status, grant_json, verification, key_id, revoke_pending, erased_at";

type ArtefactRow = (String, Option<String>, ConsentStatus, String, Verification, Option<String>, bool, Option<i64>);

fn artefact_row(r: &rusqlite::Row) -> rusqlite::Result<ArtefactRow> {
    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?, r.get(7)?))
}

fn artefact_from(row: ArtefactRow) -> Result<StoredArtefact> {
    let (id, request_id, status, grant, verification, key_id, revoke_pending, erased_at_ms) = row;
    let mut grant: Grant =
        serde_json::from_str(&grant).map_err(|_| Error::Corrupt("a stored consent artefact".into()))?;
    grant.id = id;
    grant.status = status;
    grant.request_id = request_id;
    grant.verification = verification;
    Ok(StoredArtefact { grant, key_id, revoke_pending, erased_at_ms })
}

pub(crate) fn artefact(conn: &Connection, id: &str) -> Result<StoredArtefact> {
    let row = conn
        .prepare_cached(&format!("SELECT {ARTEFACT_COLUMNS} FROM consent_artefacts WHERE id = ?1"))?
        .query_row([id], artefact_row)
        .optional()?
        .ok_or(Error::NotFound("consent artefact"))?;
    artefact_from(row)
}

fn artefacts_where(conn: &Connection, clause: &str, arg: &dyn rusqlite::ToSql) -> Result<Vec<StoredArtefact>> {
    let mut st =
        conn.prepare_cached(&format!("SELECT {ARTEFACT_COLUMNS} FROM consent_artefacts WHERE {clause} ORDER BY id"))?;
    let rows = st.query_map([arg], artefact_row)?;
    rows.map(|r| artefact_from(r?)).collect()
}

/// Artefacts, optionally of one status.
pub(crate) fn artefacts(conn: &Connection, status: Option<ConsentStatus>) -> Result<Vec<StoredArtefact>> {
    artefacts_where(conn, "?1 IS NULL OR status = ?1", &status)
}

pub(crate) fn artefacts_of_request(conn: &Connection, request_id: &str) -> Result<Vec<StoredArtefact>> {
    artefacts_where(conn, "request_id = ?1", &request_id)
}

/// Every artefact given to `hiu`, as the policy reads them.
pub(crate) fn grants_for(conn: &Connection, hiu: &str) -> Result<Vec<Grant>> {
    Ok(artefacts_where(conn, "hiu = ?1", &hiu)?.into_iter().map(|a| a.grant).collect())
}

/// Stores an artefact. `detail` is `consentDetail` as received (what its signature covers) or,
/// for a grant made here, the same shape built on this device. An artefact revoked here keeps
/// its revocation until the consent manager has heard it. Returns whether its status changed.
#[allow(clippy::too_many_arguments)]
pub(crate) fn put_artefact(
    tx: &Tx<'_>,
    a: &ReceivedArtefact,
    request_id: Option<&str>,
    verification: Verification,
    key_id: Option<&str>,
    revoke_pending: bool,
) -> Result<bool> {
    let g = &a.grant;
    let held: Option<(ConsentStatus, bool)> = tx
        .prepare_cached("SELECT status, revoke_pending FROM consent_artefacts WHERE id = ?1")?
        .query_row([&g.id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    let revoke_pending = revoke_pending || held.is_some_and(|h| h.1);
    let status = if revoke_pending { ConsentStatus::Revoked } else { g.status };
    tx.prepare_cached(
        "INSERT INTO consent_artefacts (id, request_id, status, patient, hiu, hip, access_mode, erase_at, detail, signature,
             verification, key_id, revoke_pending, updated_at, grant_json)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)
         ON CONFLICT (id) DO UPDATE SET request_id = coalesce(excluded.request_id, request_id), status = excluded.status,
             detail = excluded.detail, grant_json = excluded.grant_json, signature = excluded.signature,
             verification = excluded.verification,
             key_id = excluded.key_id, revoke_pending = excluded.revoke_pending, updated_at = excluded.updated_at",
    )?
    .execute(params![
        g.id,
        request_id,
        status,
        g.patient,
        g.hiu,
        g.hip,
        g.permission.access_mode,
        g.permission.erase_at_ms,
        a.detail.to_string(),
        a.signature,
        verification,
        key_id,
        revoke_pending,
        tx.now(),
        serde_json::to_string(g)?,
    ])?;
    let changed = held.is_none_or(|h| h.0 != status);
    if changed {
        let source = if revoke_pending && held.is_some() { Source::Device } else { Source::Backbone };
        history(tx, &g.id, status, source, None)?;
    }
    Ok(changed)
}

pub(crate) fn set_artefact_status(tx: &Tx<'_>, id: &str, status: ConsentStatus, revoke_pending: bool) -> Result<()> {
    tx.prepare_cached("UPDATE consent_artefacts SET status = ?2, revoke_pending = ?3, updated_at = ?4 WHERE id = ?1")?
        .execute(params![id, status, revoke_pending, tx.now()])?;
    Ok(())
}

pub(crate) fn delete_artefact(tx: &Tx<'_>, id: &str) -> Result<()> {
    tx.prepare_cached("DELETE FROM consent_artefacts WHERE id = ?1")?.execute([id])?;
    Ok(())
}

/// Uses of the given artefacts so far.
pub(crate) fn uses_of(conn: &Connection, artefacts: &[&str]) -> Result<UseHistory> {
    let mut out = UseHistory::new();
    let mut st = conn.prepare_cached("SELECT at FROM consent_uses WHERE artefact = ?1 ORDER BY at")?;
    for a in artefacts {
        let times = st.query_map([a], |r| r.get::<_, i64>(0))?.collect::<rusqlite::Result<Vec<_>>>()?;
        if !times.is_empty() {
            out.insert((*a).to_string(), times);
        }
    }
    Ok(out)
}

pub(crate) fn record_use(tx: &Tx<'_>, u: &ConsentUse) -> Result<()> {
    tx.prepare_cached("INSERT INTO consent_uses (artefact, hiu, channel, records, at) VALUES (?1, ?2, ?3, ?4, ?5)")?
        .execute(params![u.artefact, u.hiu, u.channel, u.records.join(","), u.at_ms])?;
    Ok(())
}

/// Uses, newest first, of one artefact or of all.
pub(crate) fn uses(conn: &Connection, artefact: Option<&str>) -> Result<Vec<ConsentUse>> {
    let mut st = conn.prepare_cached(
        "SELECT artefact, hiu, channel, records, at FROM consent_uses WHERE ?1 IS NULL OR artefact = ?1
         ORDER BY at DESC, id DESC",
    )?;
    let rows = st.query_map([artefact], |r| {
        let records: String = r.get(3)?;
        Ok(ConsentUse {
            artefact: r.get(0)?,
            hiu: r.get(1)?,
            channel: r.get(2)?,
            records: records.split(',').filter(|s| !s.is_empty()).map(str::to_string).collect(),
            at_ms: r.get(4)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Artefacts in `STORE` mode that have ended (expired by `now`, revoked) whose records are not
/// yet erased.
pub(crate) fn ended_unerased(conn: &Connection, now: i64) -> Result<Vec<String>> {
    let mut st = conn.prepare_cached(
        "SELECT id FROM consent_artefacts
         WHERE erased_at IS NULL AND access_mode = ?2 AND (status IN ('REVOKED', 'EXPIRED') OR erase_at <= ?1)
         ORDER BY id",
    )?;
    let rows = st.query_map(params![now, AccessMode::Store], |r| r.get(0))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Granted artefacts whose erase date has passed by `now`.
pub(crate) fn past_erase_date(conn: &Connection, now: i64) -> Result<Vec<String>> {
    let mut st = conn.prepare_cached("SELECT id FROM consent_artefacts WHERE status = 'GRANTED' AND erase_at <= ?1")?;
    let rows = st.query_map([now], |r| r.get(0))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub(crate) fn mark_erased(tx: &Tx<'_>, id: &str) -> Result<()> {
    tx.prepare_cached("UPDATE consent_artefacts SET erased_at = ?2 WHERE id = ?1")?.execute(params![id, tx.now()])?;
    Ok(())
}

/// The records received under `artefact`.
pub(crate) fn records_under(conn: &Connection, artefact: &str) -> Result<Vec<String>> {
    let mut st = conn.prepare_cached(
        "SELECT r.uid FROM record_consents c JOIN records r ON r.id = c.record_id WHERE c.artefact = ?1 ORDER BY r.id",
    )?;
    let rows = st.query_map([artefact], |r| r.get(0))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}
