//! A doctor's data request to the locker as a HIP, answered when the phone is online: the
//! request is taken from the mailbox and kept; its answer goes through the outbox as one item
//! with three steps, each under a REQUEST-ID of its own made from the item's (so a retry repeats
//! none): the acknowledgement, the records pushed page by page (resuming after the last page the
//! HIU took), and the notify. The consent policy picks the records once, inside its own
//! transaction that records the use; outside the grant nothing is sent and the request is
//! answered as failed.

use super::{HipRequest, key_material, pages::checksum_of, step_id};
use crate::Locker;
use crate::consent::{AccessMode, ReleaseAsk, ReleaseChannel, THIS_DEVICE_HIP};
use crate::crypto::fidelius::{KeyForm, KeyMaterial, KeyPair, Session, new_nonce};
use crate::error::{Error, Result};
use crate::outbox::{ItemKind, OutboxItem, queue};
use crate::store::Tx;
use crate::sync::Backbone;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use rusqlite::{Connection, OptionalExtension, params};
use serde_json::{Value, json};

/// Takes in a data request from the mailbox (`{transactionId, hiRequest:{consent, dateRange,
/// dataPushUrl, keyMaterial}}`) and queues its answer. One that cannot be read is kept as refused,
/// so the HIU still hears FAILED.
pub(crate) fn receive(tx: &Tx<'_>, request_id: &str, body: &Value) -> Result<()> {
    let Some(DataRequest { txn, consent, from, to, url, material, refusal }) = read_request(body) else {
        return Ok(());
    };
    let state = if refusal.is_some() { "refused" } else { "received" };
    let now = tx.now();
    let added = tx.execute(
        "INSERT OR IGNORE INTO hip_requests (transaction_id, request_id, consent_id, date_from, date_to, push_url,
             key_material, state, refusal, received_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?10)",
        params![txn, request_id, consent, from, to, url, material.to_string(), state, refusal, now],
    )?;
    if added == 1 {
        queue::enqueue(tx, ItemKind::HipAnswer, &txn, Some(&format!("hip:{txn}")), None)?;
        tx.audit("hip.request", Some(&txn), refusal.map(|r| format!("refused={r}")).as_deref())?;
    }
    Ok(())
}

/// A data request as the mailbox brings it; `refusal` says why it cannot be answered, when it
/// cannot. None: not a data request at all (no transaction id to answer).
pub(crate) struct DataRequest {
    pub txn: String,
    pub consent: String,
    pub from: Option<i64>,
    pub to: Option<i64>,
    pub url: String,
    pub material: Value,
    pub refusal: Option<&'static str>,
}

pub(crate) fn read_request(body: &Value) -> Option<DataRequest> {
    let hi = body.get("hiRequest").unwrap_or(&Value::Null);
    let text = |v: Option<&Value>| v.and_then(Value::as_str).unwrap_or("").to_string();
    let txn = text(body.get("transactionId"));
    if !crate::consent::wire::is_id(&txn) {
        return None;
    }
    let at = |k: &str| {
        hi.pointer(&format!("/dateRange/{k}")).and_then(|v| crate::consent::wire::datetime(v, "dateRange").ok())
    };
    let url = text(hi.get("dataPushUrl"));
    let material = hi.get("keyMaterial").cloned().unwrap_or(Value::Null);
    let refusal = if KeyMaterial::read(&material).is_err() {
        Some("bad-key-material")
    } else if crate::sync::config::check_url(&url, false).is_err() {
        Some("bad-push-url")
    } else {
        None
    };
    Some(DataRequest {
        txn,
        consent: text(hi.pointer("/consent/id")),
        from: at("from"),
        to: at("to"),
        url,
        material,
        refusal,
    })
}

struct Row {
    consent: String,
    from: Option<i64>,
    to: Option<i64>,
    url: String,
    material: String,
    state: String,
    records: Option<String>,
    pages_sent: u32,
}

fn row(conn: &Connection, txn: &str) -> Result<Row> {
    conn.query_row(
        "SELECT consent_id, date_from, date_to, push_url, key_material, state, records, pages_sent
         FROM hip_requests WHERE transaction_id = ?1",
        [txn],
        |r| {
            Ok(Row {
                consent: r.get(0)?,
                from: r.get(1)?,
                to: r.get(2)?,
                url: r.get(3)?,
                material: r.get(4)?,
                state: r.get(5)?,
                records: r.get(6)?,
                pages_sent: r.get(7)?,
            })
        },
    )
    .optional()?
    .ok_or(Error::NotFound("data request"))
}

/// The policy's choice, made once: which records may go under the artefact the HIU names.
fn decide(locker: &Locker, backbone: &Backbone, txn: &str, r: &Row) -> Result<()> {
    let service = backbone.service_id();
    let artefact: Option<(String, String, String, AccessMode)> = locker.read(|rd| {
        Ok(rd
            .conn()
            .query_row(
                "SELECT hiu, hip, patient, access_mode FROM consent_artefacts WHERE id = ?1",
                [&r.consent],
                |x| Ok((x.get(0)?, x.get(1)?, x.get(2)?, x.get(3)?)),
            )
            .optional()?)
    })?;
    let refused = |code: &str| {
        let code = code.to_string();
        locker.write(move |tx| {
            tx.execute(
                "UPDATE hip_requests SET state = 'refused', refusal = ?2, updated_at = ?3 WHERE transaction_id = ?1",
                params![txn, code, tx.now()],
            )?;
            tx.audit("hip.refused", Some(txn), Some(&format!("reason={code}")))
        })
    };
    let Some((hiu, hip, patient, mode)) = artefact else { return refused("unknown-consent") };
    if hip != service && hip != THIS_DEVICE_HIP {
        return refused("not-this-hip");
    }
    let candidates: Vec<String> = locker.read(|rd| {
        let mut st = rd.conn().prepare(
            "SELECT r.uid FROM records r JOIN profiles p ON p.id = r.profile_id
             WHERE lower(p.abha_address) = lower(?1) ORDER BY r.record_ts, r.id",
        )?;
        let rows = st.query_map([&patient], |x| x.get(0))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    })?;
    if candidates.is_empty() {
        return refused("no-records");
    }
    let range = r.from.zip(r.to);
    let ask = ReleaseAsk {
        hiu,
        consent_id: Some(r.consent.clone()),
        mode,
        date_range: range,
        records: candidates,
        channel: ReleaseChannel::DataRequest,
    };
    let released = locker.consent().release(&ask)?;
    if released.records.is_empty() {
        let reason = released.decision.denied.first().map_or("no-records".to_string(), |d| d.reason.code());
        return refused(&reason);
    }
    let ids: Vec<&str> = released.records.iter().map(|r| r.id.as_str()).collect();
    let ids = serde_json::to_string(&ids)?;
    locker.write(|tx| {
        tx.execute(
            "UPDATE hip_requests SET state = 'pushing', records = ?2, updated_at = ?3 WHERE transaction_id = ?1",
            params![txn, ids, tx.now()],
        )?;
        Ok(())
    })
}

/// Answers one data request: decide (once), acknowledge, push what is left, notify.
pub(crate) async fn deliver(locker: &Locker, backbone: &Backbone, item: &OutboxItem) -> Result<()> {
    let txn = item.subject.as_str();
    let mut r = locker.read(|rd| row(rd.conn(), txn))?;
    if r.state == "received" {
        decide(locker, backbone, txn, &r)?;
        r = locker.read(|rd| row(rd.conn(), txn))?;
    }
    let ack = json!({
        "hiRequest": { "transactionId": txn, "sessionStatus": "ACKNOWLEDGED" },
        "response": { "requestId": item.request_id },
    });
    backbone.hip_on_request(&step_id(&item.request_id, "ack"), ack).await?;
    let mut statuses: Vec<Value> = Vec::new();
    let mut delivered = r.state == "pushing" || r.state == "notified";
    if r.state == "pushing" {
        let ids: Vec<String> = serde_json::from_str(r.records.as_deref().unwrap_or("[]"))?;
        let theirs = KeyMaterial::read(&serde_json::from_str(&r.material)?)?;
        let total = ids.len() as u32;
        for (i, id) in ids.iter().enumerate() {
            let summary = locker.records().get(id)?;
            let care_context = summary.care_context.clone().unwrap_or_else(|| id.clone());
            let page = i as u32 + 1;
            if page <= r.pages_sent {
                statuses.push(
                    json!({ "careContextReference": care_context, "hiStatus": "DELIVERED", "description": "sent" }),
                );
                continue;
            }
            // Read again through the ledger: only what the policy let go, while the grant holds.
            // Revoked or expired since the pages began: what is left is not sent.
            let clear = match locker.consent().released_bundle(&r.consent, id) {
                Ok(c) => c,
                Err(Error::WrongStep { .. }) => {
                    refuse_rest(locker, txn)?;
                    delivered = page > 1;
                    for rest in &ids[i..] {
                        let cc = locker.records().get(rest)?.care_context.unwrap_or_else(|| rest.clone());
                        statuses.push(json!({ "careContextReference": cc, "hiStatus": "ERRORED", "description": "consent ended" }));
                    }
                    break;
                }
                Err(e) => return Err(e),
            };
            statuses
                .push(json!({ "careContextReference": care_context, "hiStatus": "DELIVERED", "description": "sent" }));
            // One entry a page, each page under its own key pair and nonce: Fidelius uses one
            // IV for every entry of a push, and a GCM IV used twice under one key gives away the
            // XOR of the plaintexts. Each page carries its key material, so HIUs read it as usual.
            let own = KeyPair::generate()?;
            let nonce = new_nonce()?;
            let session = Session::new(&own, &nonce, &theirs.public_key, &theirs.nonce)?;
            let body = json!({
                "pageNumber": page,
                "pageCount": total,
                "transactionId": txn,
                "entries": [{
                    "content": STANDARD.encode(session.encrypt(&clear)),
                    "media": "application/fhir+json",
                    "checksum": checksum_of(&clear),
                    "careContextReference": care_context,
                }],
                "keyMaterial": key_material(own.public(), KeyForm::X509, &nonce, locker.now_ms() + 3_600_000),
            });
            backbone.push_page(&r.url, &step_id(&item.request_id, &format!("page-{page}")), body).await?;
            locker.write(|tx| {
                tx.execute(
                    "UPDATE hip_requests SET pages_sent = ?2, updated_at = ?3 WHERE transaction_id = ?1",
                    params![txn, page, tx.now()],
                )?;
                Ok(())
            })?;
        }
    }
    let hip = backbone.service_id();
    let (session, statuses) = if delivered {
        ("TRANSFERRED", statuses)
    } else if !statuses.is_empty() {
        ("FAILED", statuses)
    } else {
        ("FAILED", vec![json!({ "careContextReference": "", "hiStatus": "ERRORED", "description": "not granted" })])
    };
    let notify = json!({ "notification": {
        "consentId": r.consent,
        "transactionId": txn,
        "doneAt": locker_calendar::iso_utc_ms(locker.now_ms()),
        "notifier": { "type": "HIP", "id": hip },
        "statusNotification": { "sessionStatus": session, "hipId": hip, "statusResponses": statuses },
    }});
    backbone.health_information_notify(&step_id(&item.request_id, "notify"), notify).await?;
    locker.write(|tx| {
        if !queue::still_current(tx, item)? {
            return Ok(());
        }
        tx.execute(
            "UPDATE hip_requests SET state = CASE WHEN state = 'pushing' THEN 'notified' ELSE state END,
                 updated_at = ?2 WHERE transaction_id = ?1",
            params![txn, tx.now()],
        )?;
        queue::complete(tx, item.id)?;
        tx.audit("hip.answered", Some(txn), Some(if delivered { "transferred" } else { "failed" }))
    })
}

/// The grant ended while pages were going: the request is marked refused, so nothing more goes.
fn refuse_rest(locker: &Locker, txn: &str) -> Result<()> {
    locker.write(|tx| {
        tx.execute(
            "UPDATE hip_requests SET state = 'refused', refusal = 'consent-ended', updated_at = ?2
             WHERE transaction_id = ?1",
            params![txn, tx.now()],
        )?;
        tx.audit("hip.refused", Some(txn), Some("reason=consent-ended"))
    })
}

pub(crate) fn list(conn: &Connection) -> Result<Vec<HipRequest>> {
    let mut st = conn.prepare(
        "SELECT h.transaction_id, h.consent_id, a.hiu, h.state, coalesce(json_array_length(h.records), 0),
                h.pages_sent, h.refusal
         FROM hip_requests h LEFT JOIN consent_artefacts a ON a.id = h.consent_id
         ORDER BY h.received_at DESC, h.transaction_id",
    )?;
    let rows = st.query_map([], |r| {
        Ok(HipRequest {
            transaction_id: r.get(0)?,
            consent_id: r.get(1)?,
            hiu: r.get(2)?,
            state: r.get(3)?,
            records: r.get(4)?,
            pages_sent: r.get(5)?,
            refusal: r.get(6)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}
