//! Pulling the citizen's records as a HIU for themselves: a self-request (`PATRQT`), granted
//! automatically when the citizen's auto-approval says so (else it waits in their consent list
//! like any other), then per artefact a data request with a key pair made here. Every call goes
//! through the outbox, so a pull started offline goes out when the network comes.

use super::{Pull, PullState, Transfer, key_material, step_id};
use crate::Locker;
use crate::consent::{normal_patient, token_of};
use crate::crypto::fidelius::{KeyForm, KeyPair, new_nonce};
use crate::error::{Error, Result};
use crate::fhir::HiType;
use crate::outbox::{ItemKind, OutboxItem, queue};
use crate::store::Tx;
use crate::sync::Backbone;
use rusqlite::{Connection, OptionalExtension, params};
use serde_json::{Value, json};

/// How long the self-request's grant lets the records be kept by the HIU (the locker itself):
/// the records are the citizen's own, so the artefact's erase date does not erase them.
const GRANT_DAYS: i64 = 30;

/// How long a data request's key is offered for (the `expiry` of its key material).
const KEY_OFFER_MS: i64 = 24 * 60 * 60 * 1000;

/// A transfer with some pages and none for this long is settled with what came: the care
/// contexts never seen are reported ERRORED, and its key erased.
pub const PAGE_GAP_MS: i64 = 30 * 60 * 1000;

fn lane(pull: &str) -> String {
    format!("pull:{pull}")
}

impl super::Exchange<'_> {
    /// Starts pulling a profile's records from the facilities linked to it: `hi_types` (empty:
    /// all) over `range` (UTC ms; none: everything). Works offline: the request goes when the
    /// network comes.
    pub fn pull(&self, profile_id: &str, hi_types: &[HiType], range: Option<(i64, i64)>) -> Result<Pull> {
        let profile = self.0.profiles().get(profile_id)?;
        let address = profile
            .abha_address
            .as_deref()
            .ok_or_else(|| Error::InvalidInput("the profile has no ABHA address to pull records for".into()))?;
        let patient = normal_patient(address)?;
        let now = self.0.now_ms();
        let (from, to) = range.unwrap_or((0, now));
        if from > to {
            return Err(Error::InvalidInput("the date range ends before it starts".into()));
        }
        let types: Vec<&str> =
            if hi_types.is_empty() { super::all_hi_types() } else { hi_types.iter().map(|t| t.as_str()).collect() };
        let asked = json!({ "hiTypes": types, "from": from, "to": to });
        let id = crate::crypto::random_uid()?;
        self.0.write(|tx| {
            let rowid = crate::profiles::rowid(tx, profile_id)?;
            tx.execute(
                "INSERT INTO pulls (id, profile_id, patient, asked, state, created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)",
                params![id, rowid, patient, asked.to_string(), PullState::Asking, tx.now()],
            )?;
            // In the lane of the citizen's auto-approval setting: a setting changed just before
            // reaches the consent manager before the request it is meant to approve.
            queue::enqueue(tx, ItemKind::PullConsent, &id, Some(&format!("consent-auto:{patient}")), None)?;
            tx.audit("pull.start", Some(&id), Some(&format!("hi-types={}", types.len())))
        })?;
        self.pull_status(&id)
    }

    /// Moves pulls on with what the consent manager says: granted requests get a data request
    /// per artefact (each with its own key pair), refused ones fail; transfers whose pages
    /// stopped coming are settled. Returns how many data requests were queued.
    pub(crate) async fn advance(&self, backbone: &Backbone) -> Result<u32> {
        let waiting: Vec<(String, String, String)> = self.0.read(|r| {
            let mut st = r.conn().prepare(
                "SELECT id, patient, consent_request_id FROM pulls WHERE state = 'waiting' ORDER BY created_at",
            )?;
            let rows = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })?;
        let mut queued = 0;
        for (pull, patient, request) in waiting {
            let token = token_of(self.0, &patient)?;
            let status = backbone.consent_request(&token, &request).await?;
            match status.get("status").and_then(Value::as_str).unwrap_or("") {
                "GRANTED" => {
                    let v = backbone.consent_artefacts_of(&token, &request).await?;
                    let list = crate::consent::wire::list(&v, &["consentArtefacts", "artefacts"], "consent-artefacts")
                        .map(<[Value]>::to_vec)
                        .or_else(|_| {
                            v.as_array().cloned().ok_or(Error::UnreadableAnswer { what: "artefacts".into() })
                        })?;
                    let grants: Vec<Grant> = list.iter().filter_map(Grant::read).collect();
                    queued += self.0.write(|tx| open_transfers(tx, &pull, &grants))?;
                }
                s @ ("DENIED" | "EXPIRED" | "REVOKED" | "ROVKED") => {
                    let code = s.to_ascii_lowercase();
                    self.0.write(|tx| fail(tx, &pull, &code))?;
                }
                _ => {}
            }
        }
        self.0.write(|tx| settle_stalled(tx, tx.now()))?;
        Ok(queued)
    }
}

/// An artefact as a pull needs it.
struct Grant {
    id: String,
    hip: String,
    from: i64,
    to: i64,
    care_contexts: Vec<String>,
}

impl Grant {
    fn read(v: &Value) -> Option<Grant> {
        let status = v.get("status").and_then(Value::as_str).unwrap_or("GRANTED");
        if status != "GRANTED" {
            return None;
        }
        let d = v.get("consentDetail").unwrap_or(v);
        let id = d.get("consentId").and_then(Value::as_str)?.to_string();
        let range = d.pointer("/permission/dateRange")?;
        let at = |k: &str| crate::consent::wire::datetime(range.get(k)?, "dateRange").ok();
        let care_contexts = d
            .get("careContexts")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|c| c.get("careContextReference").and_then(Value::as_str).map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        Some(Grant {
            id,
            hip: d.pointer("/hip/id").and_then(Value::as_str)?.to_string(),
            from: at("from")?,
            to: at("to")?,
            care_contexts,
        })
    }
}

/// A transfer for each artefact not asked for yet, with a fresh key pair and nonce; the pull
/// moves to `fetching` (or ends when the grant covers nothing).
fn open_transfers(tx: &Tx<'_>, pull: &str, grants: &[Grant]) -> Result<u32> {
    let now = tx.now();
    let mut queued = 0;
    for g in grants {
        let known: bool = tx.query_row(
            "SELECT EXISTS (SELECT 1 FROM pull_transfers WHERE pull_id = ?1 AND artefact = ?2)",
            params![pull, g.id],
            |r| r.get(0),
        )?;
        if known {
            continue;
        }
        let id = crate::crypto::random_uid()?.replace('-', "");
        let keys = KeyPair::generate()?;
        let nonce = new_nonce()?;
        let rid = queue::enqueue(tx, ItemKind::PullRequest, &id, Some(&lane(pull)), None)?;
        tx.execute(
            "INSERT INTO pull_transfers (id, pull_id, artefact, hip_id, date_from, date_to, request_id, private_key,
                 nonce, state, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 'requested', ?10, ?10)",
            params![id, pull, g.id, g.hip, g.from, g.to, rid, &keys.private_bytes()[..], &nonce[..], now],
        )?;
        for cc in &g.care_contexts {
            tx.execute(
                "INSERT OR IGNORE INTO pull_contexts (transfer_id, care_context, ok, note)
                 VALUES (?1, ?2, 0, 'not received')",
                params![id, cc],
            )?;
        }
        queued += 1;
    }
    let state = if queued > 0 || has_transfers(tx, pull)? { PullState::Fetching } else { PullState::Done };
    tx.execute("UPDATE pulls SET state = ?2, updated_at = ?3 WHERE id = ?1", params![pull, state, now])?;
    tx.audit("pull.granted", Some(pull), Some(&format!("transfers={queued}")))?;
    Ok(queued)
}

fn has_transfers(conn: &Connection, pull: &str) -> Result<bool> {
    Ok(conn.query_row("SELECT EXISTS (SELECT 1 FROM pull_transfers WHERE pull_id = ?1)", [pull], |r| r.get(0))?)
}

fn fail(tx: &Tx<'_>, pull: &str, code: &str) -> Result<()> {
    tx.execute(
        "UPDATE pulls SET state = 'failed', error_code = ?2, updated_at = ?3 WHERE id = ?1",
        params![pull, code, tx.now()],
    )?;
    tx.audit("pull.failed", Some(pull), Some(&format!("reason={code}")))
}

/// Transfers whose pages stopped coming: what came is kept, the key erased, the notify queued
/// (the care contexts never seen are reported ERRORED).
fn settle_stalled(tx: &Tx<'_>, now: i64) -> Result<()> {
    let stalled: Vec<String> = {
        let mut st = tx.prepare(
            "SELECT t.id FROM pull_transfers t
             WHERE t.state = 'receiving'
               AND (SELECT max(received_at) FROM pull_pages p WHERE p.transfer_id = t.id) < ?1
               AND NOT EXISTS (SELECT 1 FROM pull_pages p WHERE p.transfer_id = t.id AND p.state = 'failed')",
        )?;
        let rows = st.query_map([now - PAGE_GAP_MS], |r| r.get(0))?;
        rows.collect::<rusqlite::Result<_>>()?
    };
    for t in stalled {
        received(tx, &t, "pages-missing")?;
    }
    // Asked, and nothing came while the key was offered: the key goes, the transfer failed.
    let silent = tx.execute(
        "UPDATE pull_transfers SET state = 'failed', private_key = NULL, error_code = 'no-push', updated_at = ?1
         WHERE state = 'requested' AND created_at < ?2
           AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.kind = 'pull.request' AND o.subject = pull_transfers.id)",
        params![now, now - KEY_OFFER_MS],
    )?;
    if silent > 0 {
        tx.execute(
            "UPDATE pulls SET state = 'done', updated_at = ?1 WHERE state = 'fetching'
               AND NOT EXISTS (SELECT 1 FROM pull_transfers t WHERE t.pull_id = pulls.id
                               AND t.state NOT IN ('notified', 'failed'))",
            [now],
        )?;
        tx.audit("pull.no-push", None, Some(&format!("transfers={silent}")))?;
    }
    Ok(())
}

/// A transfer is over (every page arrived, or the rest will not): its private key is erased and
/// its notify queued.
pub(crate) fn received(tx: &Tx<'_>, transfer: &str, note: &str) -> Result<()> {
    let pull: String = tx.query_row("SELECT pull_id FROM pull_transfers WHERE id = ?1", [transfer], |r| r.get(0))?;
    tx.execute(
        "UPDATE pull_transfers SET private_key = NULL, state = 'received', error_code = nullif(?2, ''), updated_at = ?3
         WHERE id = ?1",
        params![transfer, note, tx.now()],
    )?;
    queue::enqueue(tx, ItemKind::PullNotify, transfer, Some(&lane(&pull)), None)?;
    tx.audit("pull.received", Some(transfer), (!note.is_empty()).then_some(note))
}

/// The self-request: `PATRQT`, from this app as the HIU, for the citizen.
pub(crate) async fn deliver_consent(locker: &Locker, backbone: &Backbone, item: &OutboxItem) -> Result<()> {
    let (patient, asked): (String, String) = locker.read(|r| {
        r.conn()
            .query_row("SELECT patient, asked FROM pulls WHERE id = ?1", [&item.subject], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .optional()?
            .ok_or(Error::NotFound("pull"))
    })?;
    let asked: Value = serde_json::from_str(&asked)?;
    let now = locker.now_ms();
    let iso = locker_calendar::iso_utc_ms;
    let ms = |k: &str| asked.get(k).and_then(Value::as_i64).unwrap_or(now);
    let service = backbone.service_id();
    let body = json!({ "consent": {
        "purpose": { "text": "Self Requested", "code": "PATRQT", "refUri": "https://nrces.in/ndhm/fhir/r4/ValueSet/ndhm-purpose-of-use" },
        "patient": { "id": patient },
        "hiu": { "id": service },
        "requester": { "name": "healthlocker", "identifier": { "type": "REGNO", "value": service, "system": "https://abdm.gov.in" } },
        "hiTypes": asked.get("hiTypes").cloned().unwrap_or_else(|| json!(super::all_hi_types())),
        "permission": {
            "accessMode": "STORE",
            "dateRange": { "from": iso(ms("from")), "to": iso(ms("to")) },
            "dataEraseAt": iso(now + GRANT_DAYS * 86_400_000),
            "frequency": { "unit": "HOUR", "value": 1, "repeats": 0 },
        },
    }});
    let v = backbone.self_consent_request(&item.request_id, body).await?;
    let id = v
        .pointer("/consentRequest/id")
        .and_then(Value::as_str)
        .filter(|s| crate::consent::wire::is_id(s))
        .ok_or_else(|| Error::UnreadableAnswer { what: "consent-init".into() })?
        .to_string();
    locker.write(|tx| {
        if !queue::still_current(tx, item)? {
            return Ok(());
        }
        tx.execute(
            "UPDATE pulls SET consent_request_id = ?2, state = 'waiting', updated_at = ?3 WHERE id = ?1",
            params![item.subject, id, tx.now()],
        )?;
        queue::complete(tx, item.id)?;
        tx.audit("pull.asked", Some(&item.subject), None)
    })
}

/// A transfer's data request: the artefact, its range, our relay's address for this transfer,
/// and our public key (raw, as a HIU sends it) with our nonce.
pub(crate) async fn deliver_request(locker: &Locker, backbone: &Backbone, item: &OutboxItem) -> Result<()> {
    type Row = (String, i64, i64, Option<Vec<u8>>, Vec<u8>, String);
    let (artefact, from, to, key, nonce, patient): Row = locker.read(|r| {
        r.conn()
            .query_row(
                "SELECT t.artefact, t.date_from, t.date_to, t.private_key, t.nonce, p.patient
                 FROM pull_transfers t JOIN pulls p ON p.id = t.pull_id WHERE t.id = ?1",
                [&item.subject],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?)),
            )
            .optional()?
            .ok_or(Error::NotFound("transfer"))
    })?;
    let key = key.ok_or(Error::WrongStep { state: "received".into() })?;
    let keys = KeyPair::from_private(&key)?;
    let nonce: [u8; 32] = nonce.try_into().map_err(|_| Error::Corrupt("a transfer's nonce".into()))?;
    let mailbox = super::mailbox::ensure(locker, backbone, &patient).await?;
    let iso = locker_calendar::iso_utc_ms;
    let body = json!({ "hiRequest": {
        "consent": { "id": artefact },
        "dateRange": { "from": iso(from), "to": iso(to) },
        "dataPushUrl": backbone.push_url(&mailbox, &item.subject)?,
        "keyMaterial": key_material(keys.public(), KeyForm::Raw, &nonce, locker.now_ms() + KEY_OFFER_MS),
    }});
    backbone.health_information_request(&item.request_id, body).await?;
    locker.write(|tx| {
        if queue::still_current(tx, item)? {
            queue::complete(tx, item.id)?;
            tx.audit("pull.requested", Some(&item.subject), None)?;
        }
        Ok(())
    })
}

/// A received transfer's notify: TRANSFERRED, with each care context OK or ERRORED.
pub(crate) async fn deliver_notify(locker: &Locker, backbone: &Backbone, item: &OutboxItem) -> Result<()> {
    let (artefact, hip, txn, contexts) = locker.read(|r| {
        let (artefact, hip, txn): (String, String, Option<String>) = r.conn().query_row(
            "SELECT artefact, hip_id, transaction_id FROM pull_transfers WHERE id = ?1",
            [&item.subject],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )?;
        let mut st = r.conn().prepare(
            "SELECT care_context, ok, coalesce(note, '') FROM pull_contexts WHERE transfer_id = ?1 ORDER BY care_context",
        )?;
        let rows = st.query_map([&item.subject], |r| {
            Ok(json!({
                "careContextReference": r.get::<_, String>(0)?,
                "hiStatus": if r.get::<_, bool>(1)? { "OK" } else { "ERRORED" },
                "description": r.get::<_, String>(2)?,
            }))
        })?;
        Ok((artefact, hip, txn, rows.collect::<rusqlite::Result<Vec<_>>>()?))
    })?;
    let body = json!({ "notification": {
        "consentId": artefact,
        "transactionId": txn.unwrap_or_default(),
        "doneAt": locker_calendar::iso_utc_ms(locker.now_ms()),
        "notifier": { "type": "HIU", "id": backbone.service_id() },
        "statusNotification": { "sessionStatus": "TRANSFERRED", "hipId": hip, "statusResponses": contexts },
    }});
    backbone.health_information_notify(&step_id(&item.request_id, "notify"), body).await?;
    locker.write(|tx| {
        if !queue::still_current(tx, item)? {
            return Ok(());
        }
        let now = tx.now();
        tx.execute(
            "UPDATE pull_transfers SET state = 'notified', updated_at = ?2 WHERE id = ?1",
            params![item.subject, now],
        )?;
        tx.execute(
            "UPDATE pulls SET state = 'done', updated_at = ?2
             WHERE id = (SELECT pull_id FROM pull_transfers WHERE id = ?1)
               AND NOT EXISTS (SELECT 1 FROM pull_transfers t WHERE t.pull_id = pulls.id
                               AND t.state NOT IN ('notified', 'failed'))",
            params![item.subject, now],
        )?;
        queue::complete(tx, item.id)?;
        tx.audit("pull.notified", Some(&item.subject), None)
    })
}

/// The backbone refused a pull's step: the pull (or the transfer) fails with its code.
pub(crate) fn refused(tx: &Tx<'_>, item: &OutboxItem, e: &Error) -> Result<String> {
    let code = crate::sync::retry::code_of(e);
    match item.kind {
        ItemKind::PullConsent => fail(tx, &item.subject, &code)?,
        _ => {
            tx.execute(
                "UPDATE pull_transfers SET state = 'failed', private_key = NULL, error_code = ?2, updated_at = ?3
                 WHERE id = ?1 AND state IN ('requested', 'receiving')",
                params![item.subject, code, tx.now()],
            )?;
        }
    }
    Ok("the backbone refused this step of a pull of records".into())
}

pub(crate) fn list(conn: &Connection) -> Result<Vec<Pull>> {
    let ids: Vec<String> = {
        let mut st = conn.prepare("SELECT id FROM pulls ORDER BY created_at DESC, id")?;
        let rows = st.query_map([], |r| r.get(0))?;
        rows.collect::<rusqlite::Result<_>>()?
    };
    ids.iter().map(|id| one(conn, id)).collect()
}

pub(crate) fn one(conn: &Connection, id: &str) -> Result<Pull> {
    let (profile_id, state, error_code, created, updated) = conn
        .query_row(
            "SELECT pr.uid, p.state, p.error_code, p.created_at, p.updated_at
             FROM pulls p JOIN profiles pr ON pr.id = p.profile_id WHERE p.id = ?1",
            [id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
        )
        .optional()?
        .ok_or(Error::NotFound("pull"))?;
    let mut st = conn.prepare(
        "SELECT t.id, t.hip_id, t.state, t.page_count, t.private_key IS NOT NULL,
                coalesce(sum(pg.state = 'imported'), 0), coalesce(sum(pg.state = 'failed'), 0),
                coalesce(sum(pg.imported), 0), coalesce(sum(pg.already_held), 0),
                coalesce(sum(pg.checksum_warnings), 0)
         FROM pull_transfers t LEFT JOIN pull_pages pg ON pg.transfer_id = t.id
         WHERE t.pull_id = ?1 GROUP BY t.id ORDER BY t.created_at, t.id",
    )?;
    let transfers = st
        .query_map([id], |r| {
            Ok(Transfer {
                id: r.get(0)?,
                hip_id: r.get(1)?,
                state: r.get(2)?,
                page_count: r.get(3)?,
                key_kept: r.get(4)?,
                pages_imported: r.get(5)?,
                pages_failed: r.get(6)?,
                records_imported: r.get(7)?,
                already_held: r.get(8)?,
                checksum_warnings: r.get(9)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    Ok(Pull {
        id: id.to_string(),
        profile_id,
        state,
        error_code,
        transfers,
        created_at_ms: created,
        updated_at_ms: updated,
    })
}
