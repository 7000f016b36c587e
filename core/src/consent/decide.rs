//! The citizen's decisions, applied on this device at once (online or not) and queued for the
//! consent manager in the same transaction: approve (narrowed as the citizen chose), deny,
//! revoke. Each decision on a request goes in that request's lane, so a revoke waits behind the
//! approval it revokes.

use super::ledger::{self, PendingDecision, Source};
use super::model::{ConsentRequest, ConsentStatus, GrantChoice, Party, Verification};
use super::wire::{self, ReceivedArtefact};
use super::{Consents, REQUEST_LIFETIME_MS};
use crate::crypto::random_uid;
use crate::error::{Error, Result};
use crate::outbox::{ItemKind, queue};
use crate::store::Tx;
use crate::time::iso_utc;
use serde_json::json;

/// The care contexts of `r`'s patient's records on this device that `r` could cover: of the
/// types asked, within the range asked. A record the citizen added is its own care context.
fn held_care_contexts(conn: &rusqlite::Connection, r: &ConsentRequest) -> Result<Vec<super::CareContextRef>> {
    let mut st = conn.prepare(
        "SELECT DISTINCT coalesce(rec.care_context, rec.uid), rec.hi_type FROM records rec
         JOIN profiles p ON p.id = rec.profile_id
         WHERE p.abha_address = ?1 COLLATE NOCASE AND rec.record_ts BETWEEN ?2 AND ?3 ORDER BY 1",
    )?;
    let rows = st
        .query_map(rusqlite::params![r.patient, r.permission.date_from_ms, r.permission.date_to_ms], |row| {
            Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?))
        })?;
    let mut out: Vec<super::CareContextRef> = Vec::new();
    for row in rows {
        let (cc, hi_type) = row?;
        let asked = crate::fhir::HiType::from_code(&hi_type).is_some_and(|t| r.hi_types.contains(&t));
        if asked && !out.iter().any(|c| c.care_context_reference == cc) {
            out.push(super::CareContextRef { patient_reference: r.patient.clone(), care_context_reference: cc });
        }
    }
    Ok(out)
}

/// The longest reason a denial may give (the consent manager's limit).
pub const MAX_DENY_REASON: usize = 100;

/// The HIP named in a grant of records held on this device, when the request names none: the
/// locker answers data requests for them itself (as a HIP).
pub const THIS_DEVICE_HIP: &str = "healthlocker";

/// Prefix of the id of a grant made here and not yet confirmed by the consent manager.
pub(crate) const PENDING_PREFIX: &str = "pending-";

/// What a revoke took out of force.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Revoked {
    /// The request the artefacts belong to, when known.
    pub request_id: Option<String>,
    pub artefacts: Vec<String>,
}

pub(crate) fn lane(subject: &str) -> String {
    format!("consent:{subject}")
}

fn wrong_step(status: ConsentStatus) -> Error {
    Error::WrongStep { state: status.code().to_lowercase() }
}

/// Checks that `choice` narrows what `r` asked for and never widens it.
fn check_choice(r: &ConsentRequest, c: &GrantChoice, now: i64) -> Result<()> {
    let p = &r.permission;
    let bad = |m: &str| Err(Error::InvalidInput(m.into()));
    if c.hi_types.is_empty() || c.hi_types.iter().any(|t| !r.hi_types.contains(t)) {
        return bad("grant one or more of the record types asked for, and no others");
    }
    if c.date_from_ms > c.date_to_ms || c.date_from_ms < p.date_from_ms || c.date_to_ms > p.date_to_ms {
        return bad("the granted dates must lie inside the dates asked for");
    }
    if c.erase_at_ms > p.erase_at_ms || c.erase_at_ms <= now {
        return bad("the erase date must be in the future and no later than the one asked for");
    }
    if c.care_contexts.is_empty() {
        return bad("grant at least one visit (care context)");
    }
    let asked: Vec<&str> = r.care_contexts.iter().map(|c| c.care_context_reference.as_str()).collect();
    if !asked.is_empty() && c.care_contexts.iter().any(|cc| !asked.contains(&cc.care_context_reference.as_str())) {
        return bad("grant only the visits (care contexts) asked for");
    }
    if c.hip.id.trim().is_empty() {
        return bad("name the health facility (HIP) of each grant");
    }
    Ok(())
}

/// A grant made here, in the shape of a `consentDetail`, so that one reader serves both.
fn pending_artefact(r: &ConsentRequest, c: &GrantChoice) -> Result<ReceivedArtefact> {
    let p = &r.permission;
    let detail = json!({
        "schemaVersion": "v3",
        "consentId": format!("{PENDING_PREFIX}{}", random_uid()?),
        "patient": {"id": r.patient},
        "hip": {"id": c.hip.id, "name": c.hip.name},
        "hiu": {"id": r.hiu.id, "name": r.hiu.name},
        "purpose": {"code": r.purpose.code()},
        "careContexts": c.care_contexts.iter().map(|cc| json!({
            "patientReference": cc.patient_reference, "careContextReference": cc.care_context_reference,
        })).collect::<Vec<_>>(),
        "hiTypes": c.hi_types.iter().map(|t| t.as_str()).collect::<Vec<_>>(),
        "permission": {
            "accessMode": p.access_mode.code(),
            "dateRange": {"from": iso_utc(c.date_from_ms), "to": iso_utc(c.date_to_ms)},
            "dataEraseAt": iso_utc(c.erase_at_ms),
            "frequency": {"unit": p.frequency.unit.code(), "value": p.frequency.value, "repeats": p.frequency.repeats},
        },
    });
    let mut a = wire::read_artefact(&json!({"status": "GRANTED", "consentDetail": detail}))?;
    a.grant.verification = Verification::Pending;
    Ok(a)
}

/// The request `id` as it stands at `now`, ready for an answer: still `REQUESTED`, with no
/// decision pending and not expired.
fn answerable(tx: &Tx<'_>, id: &str, now: i64) -> Result<ConsentRequest> {
    let stored = ledger::request(tx, id)?;
    let r = stored.request;
    // The sweep before every answer has recorded the expiry; this only guards the instant.
    if r.status == ConsentStatus::Requested && now >= r.created_at_ms.saturating_add(REQUEST_LIFETIME_MS) {
        return Err(wrong_step(ConsentStatus::Expired));
    }
    if r.status != ConsentStatus::Requested || stored.pending.is_some() {
        return Err(wrong_step(r.status));
    }
    Ok(r)
}

impl Consents<'_> {
    /// What approving request `id` as asked would grant, for the citizen to narrow: every type
    /// and the whole range asked for, the erase date asked for, the HIP asked of (or this
    /// device), and the care contexts asked for or else those of the citizen's records on this
    /// device that fall within it.
    pub fn proposal(&self, id: &str) -> Result<GrantChoice> {
        self.0.read(|r| {
            let req = ledger::request(r.conn(), id)?.request;
            let p = &req.permission;
            let care_contexts = if req.care_contexts.is_empty() {
                held_care_contexts(r.conn(), &req)?
            } else {
                req.care_contexts.clone()
            };
            Ok(GrantChoice {
                hip: req.hip.clone().unwrap_or(Party { id: THIS_DEVICE_HIP.into(), name: Some("healthlocker".into()) }),
                hi_types: req.hi_types.clone(),
                care_contexts,
                date_from_ms: p.date_from_ms,
                date_to_ms: p.date_to_ms,
                erase_at_ms: p.erase_at_ms,
            })
        })
    }

    /// Approves request `id` with one grant per HIP, each narrowed as the citizen chose. Applies
    /// at once; the consent manager hears it on the next drain of the outbox. The grants cover
    /// nothing until the consent manager confirms them with its artefacts.
    pub fn approve(&self, id: &str, choices: &[GrantChoice]) -> Result<Vec<super::StoredArtefact>> {
        if choices.is_empty() {
            return Err(Error::InvalidInput("grant at least one health facility (HIP)".into()));
        }
        self.sweep()?;
        self.0.write(|tx| {
            let now = ledger::observe(tx, tx.now())?;
            let r = answerable(tx, id, now)?;
            for (i, c) in choices.iter().enumerate() {
                check_choice(&r, c, now)?;
                if choices[..i].iter().any(|o| o.hip.id == c.hip.id) {
                    return Err(Error::InvalidInput("one grant per health facility (HIP)".into()));
                }
            }
            for c in choices {
                let a = pending_artefact(&r, c)?;
                ledger::put_artefact(tx, &a, Some(id), Verification::Pending, None, false)?;
            }
            ledger::set_request(tx, id, ConsentStatus::Granted, Some(PendingDecision::Approve), None)?;
            ledger::history(tx, id, ConsentStatus::Granted, Source::Device, None)?;
            queue::enqueue(tx, ItemKind::ConsentApprove, id, Some(&lane(id)), None)?;
            let types: usize = choices.iter().map(|c| c.hi_types.len()).sum();
            tx.audit("consent.approve", Some(id), Some(&format!("hips={} hi_types={types}", choices.len())))
        })?;
        self.artefacts_of(id)
    }

    /// Denies request `id`, with an optional reason (at most 100 characters) for the HIU.
    pub fn deny(&self, id: &str, reason: Option<&str>) -> Result<()> {
        let reason = reason.map(str::trim).filter(|r| !r.is_empty());
        if reason.is_some_and(|r| r.chars().count() > MAX_DENY_REASON) {
            return Err(Error::InvalidInput(format!("a reason is at most {MAX_DENY_REASON} characters")));
        }
        self.sweep()?;
        self.0.write(|tx| {
            let now = ledger::observe(tx, tx.now())?;
            answerable(tx, id, now)?;
            ledger::set_request(tx, id, ConsentStatus::Denied, Some(PendingDecision::Deny), None)?;
            // The reason travels in the history (the consent manager hears it from there); the
            // audit log keeps only that there was one.
            ledger::history(tx, id, ConsentStatus::Denied, Source::Device, reason)?;
            queue::enqueue(tx, ItemKind::ConsentDeny, id, Some(&lane(id)), None)?;
            tx.audit("consent.deny", Some(id), Some(if reason.is_some() { "reason=given" } else { "reason=none" }))
        })
    }

    /// Revokes a grant: `id` is a request (all its artefacts) or one artefact. It takes effect
    /// on this device at once, before the consent manager hears of it.
    pub fn revoke(&self, id: &str) -> Result<Revoked> {
        self.0.write(|tx| {
            ledger::observe(tx, tx.now())?;
            let (request_id, targets) = match ledger::artefact(tx, id) {
                Ok(a) => (a.grant.request_id.clone(), vec![a]),
                Err(Error::NotFound(_)) => {
                    ledger::request(tx, id)?;
                    (Some(id.to_string()), ledger::artefacts_of_request(tx, id)?)
                }
                Err(e) => return Err(e),
            };
            let live: Vec<_> = targets.into_iter().filter(|a| a.grant.status == ConsentStatus::Granted).collect();
            if live.is_empty() {
                return Err(Error::WrongStep { state: "not-granted".into() });
            }
            for a in &live {
                ledger::set_artefact_status(tx, &a.grant.id, ConsentStatus::Revoked, true)?;
                ledger::history(tx, &a.grant.id, ConsentStatus::Revoked, Source::Device, None)?;
            }
            let subject = request_id.clone().unwrap_or_else(|| live[0].grant.id.clone());
            if queue::waiting_for_subject(tx, ItemKind::ConsentRevoke, &subject)?.is_none() {
                queue::enqueue(tx, ItemKind::ConsentRevoke, &subject, Some(&lane(&subject)), None)?;
            }
            tx.audit("consent.revoke", Some(&subject), Some(&format!("artefacts={}", live.len())))?;
            Ok(Revoked { request_id, artefacts: live.into_iter().map(|a| a.grant.id).collect() })
        })
    }
}
