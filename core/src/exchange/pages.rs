//! One page of a HIP's push, applied: decrypted under the transfer's key (its tag checked:
//! a failure is an error, the page kept with the key for another try), each checksum compared
//! with the clear bundle (a mismatch is a warning), each bundle imported as a record of its care
//! context, and the page's own record written, all in one transaction. A page applied before
//! (a retried push, a killed phone reading its mailbox again) changes nothing.

use crate::Locker;
use crate::crypto::fidelius::{KeyMaterial, KeyPair, Session};
use crate::error::{Error, Result};
use crate::records::ImportOptions;
use crate::records::import::{import_prepared, prepare};
use crate::store::Tx;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use md5::{Digest, Md5};
use rusqlite::{OptionalExtension, params};
use serde_json::Value;

/// What applying one page came to.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PageOutcome {
    pub imported: u32,
    pub already_held: u32,
    /// Entries whose tag failed (the page is kept for another try).
    pub failed: u32,
    pub checksum_warnings: u32,
    /// Applied before, or for a transfer that is over: nothing changed.
    pub ignored: bool,
    /// For a transfer this store never asked for (another install of the same citizen's): left
    /// on the relay for the install it belongs to.
    pub not_ours: bool,
    /// Clear bytes decrypted.
    pub bytes: u64,
}

/// Whether `checksum` (base64 or hex of MD5, as senders send it) matches `clear`. An empty or
/// missing checksum matches nothing and warns, as senders that send junk do.
pub(crate) fn checksum_matches(checksum: &str, clear: &[u8]) -> bool {
    let digest = Md5::digest(clear);
    let c = checksum.trim();
    STANDARD.decode(c).is_ok_and(|b| b[..] == digest[..]) || hex::decode(c).is_ok_and(|b| b[..] == digest[..])
}

/// The checksum a sender puts on an entry: base64 of MD5 of the clear content.
pub(crate) fn checksum_of(clear: &[u8]) -> String {
    STANDARD.encode(Md5::digest(clear))
}

pub(crate) struct Entry {
    care_context: String,
    clear: Option<Vec<u8>>,
    checksum_ok: bool,
}

/// The sessions of the transfers read so far, by transfer and the sender's key and nonce: a
/// HIP sends the same key material on every page of a transfer, so one key agreement serves
/// them all.
#[derive(Default)]
pub(crate) struct Sessions(std::collections::HashMap<(String, [u8; 65], [u8; 32]), Session>);

/// Applies the page `body` pushed to transfer `tag`.
pub(crate) fn apply(locker: &Locker, sessions: &mut Sessions, tag: &str, body: &Value) -> Result<PageOutcome> {
    let page = body.get("pageNumber").and_then(as_u32).unwrap_or(1);
    let count = body.get("pageCount").and_then(as_u32).unwrap_or(1).max(page);
    type Row = (Option<Vec<u8>>, Vec<u8>, String, String);
    let found: Option<Row> = locker.read(|r| {
        Ok(r.conn()
            .query_row(
                "SELECT t.private_key, t.nonce, t.state, pr.uid FROM pull_transfers t
                 JOIN pulls p ON p.id = t.pull_id JOIN profiles pr ON pr.id = p.profile_id
                 WHERE t.id = ?1 AND NOT EXISTS (SELECT 1 FROM pull_pages g WHERE g.transfer_id = t.id
                     AND g.page_number = ?2 AND g.state = 'imported')",
                params![tag, page],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .optional()?)
    })?;
    let Some((Some(private), nonce, _, profile)) = found else {
        let ours: bool = locker.read(|r| {
            Ok(r.conn().query_row("SELECT EXISTS (SELECT 1 FROM pull_transfers WHERE id = ?1)", [tag], |r| r.get(0))?)
        })?;
        return Ok(PageOutcome { ignored: true, not_ours: !ours, ..PageOutcome::default() });
    };
    let theirs = KeyMaterial::read(body.get("keyMaterial").unwrap_or(&Value::Null))?;
    let key = (tag.to_string(), theirs.public_key.raw(), theirs.nonce);
    let session = match sessions.0.entry(key) {
        std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
        std::collections::hash_map::Entry::Vacant(e) => {
            let own = KeyPair::from_private(&private)?;
            let own_nonce: [u8; 32] = nonce.try_into().map_err(|_| Error::Corrupt("a transfer's nonce".into()))?;
            e.insert(Session::new(&own, &own_nonce, &theirs.public_key, &theirs.nonce)?)
        }
    };
    let mut out = PageOutcome::default();
    let entries = read_entries(session, body, &mut out);
    let opts: Vec<ImportOptions> = entries
        .iter()
        .map(|e| ImportOptions {
            care_context: Some(e.care_context.clone()).filter(|c| !c.is_empty()),
            under_consent: None,
        })
        .collect();
    let prepared =
        entries.iter().zip(&opts).filter_map(|(e, o)| e.clear.as_deref().map(|c| prepare(c, o))).collect::<Vec<_>>();
    let now = locker.now_ms();
    let kept = (out.failed > 0).then(|| body.to_string());
    let txn = body.get("transactionId").and_then(Value::as_str).map(str::to_string);
    let mut outcome = out;
    locker.with_store(|s| {
        import_prepared(s, now, &profile, prepared, |tx, results| {
            for r in results {
                match r {
                    Ok(_) => outcome.imported += 1,
                    Err(Error::Duplicate { .. }) => outcome.already_held += 1,
                    Err(_) => outcome.failed += 1,
                }
            }
            record_page(tx, tag, page, count, &entries, &outcome, kept.as_deref(), txn.as_deref())
        })
    })?;
    Ok(outcome)
}

/// Each entry of a page decrypted under `session` (its tag checked) and its checksum compared.
pub(crate) fn read_entries(session: &Session, body: &Value, out: &mut PageOutcome) -> Vec<Entry> {
    let list = body.get("entries").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
    let mut entries = Vec::with_capacity(list.len());
    for e in list {
        let care_context = e.get("careContextReference").and_then(Value::as_str).unwrap_or_default().to_string();
        let clear = e.get("content").and_then(Value::as_str).map(|c| session.decrypt_base64(c));
        match clear {
            Some(Ok(clear)) => {
                let checksum = e.get("checksum").and_then(Value::as_str).unwrap_or("");
                let checksum_ok = checksum_matches(checksum, &clear);
                out.checksum_warnings += u32::from(!checksum_ok);
                out.bytes += clear.len() as u64;
                entries.push(Entry { care_context, clear: Some(clear), checksum_ok });
            }
            // A tag that fails, or a `link` entry (content to fetch elsewhere, not supported):
            // reported, and for a tag the page is kept for another try.
            Some(Err(_)) | None => {
                out.failed += 1;
                entries.push(Entry { care_context, clear: None, checksum_ok: false });
            }
        }
    }
    entries
}

fn as_u32(v: &Value) -> Option<u32> {
    match v {
        Value::Number(n) => n.as_u64().and_then(|n| u32::try_from(n).ok()),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// The page's record, each care context's status, and, once every page is in, the transfer's
/// end (its key erased, its notify queued).
#[allow(clippy::too_many_arguments)]
fn record_page(
    tx: &Tx<'_>,
    transfer: &str,
    page: u32,
    count: u32,
    entries: &[Entry],
    o: &PageOutcome,
    kept: Option<&str>,
    txn: Option<&str>,
) -> Result<()> {
    let now = tx.now();
    let state = if kept.is_some() { "failed" } else { "imported" };
    tx.execute(
        "INSERT INTO pull_pages (transfer_id, page_number, state, entries, imported, already_held, checksum_warnings,
             kept, error_code, received_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
         ON CONFLICT (transfer_id, page_number) DO UPDATE SET state = excluded.state, imported = imported + excluded.imported,
             already_held = excluded.already_held, checksum_warnings = excluded.checksum_warnings,
             kept = excluded.kept, error_code = excluded.error_code, received_at = excluded.received_at",
        params![
            transfer,
            page,
            state,
            entries.len() as u32,
            o.imported,
            o.already_held,
            o.checksum_warnings,
            kept.map(str::as_bytes),
            kept.map(|_| "tag-mismatch"),
            now
        ],
    )?;
    for e in entries {
        if e.care_context.is_empty() {
            continue;
        }
        let (ok, note) = match (&e.clear, e.checksum_ok) {
            (Some(_), true) => (true, "received"),
            (Some(_), false) => (true, "received; checksum did not match"),
            (None, _) => (false, "could not be decrypted"),
        };
        tx.execute(
            "INSERT INTO pull_contexts (transfer_id, care_context, ok, note) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (transfer_id, care_context) DO UPDATE SET
                 ok = max(ok, excluded.ok), note = CASE WHEN ok = 1 AND excluded.ok = 0 THEN note ELSE excluded.note END",
            params![transfer, e.care_context, ok, note],
        )?;
    }
    tx.execute(
        "UPDATE pull_transfers SET page_count = ?2, transaction_id = coalesce(transaction_id, ?3),
             state = CASE WHEN state = 'requested' THEN 'receiving' ELSE state END, updated_at = ?4 WHERE id = ?1",
        params![transfer, count, txn, now],
    )?;
    let detail = format!(
        "page={page}/{count} imported={} held={} failed={} checksum-warnings={}",
        o.imported, o.already_held, o.failed, o.checksum_warnings
    );
    tx.audit("pull.page", Some(transfer), Some(&detail))?;
    let complete: u32 = tx.query_row(
        "SELECT count(*) FROM pull_pages WHERE transfer_id = ?1 AND state = 'imported'",
        [transfer],
        |r| r.get(0),
    )?;
    if complete >= count {
        super::pull::received(tx, transfer, "")?;
    }
    Ok(())
}

/// Pages kept after a failed tag are tried again (the key is still kept for them).
pub(crate) fn retry_kept(locker: &Locker) -> Result<u32> {
    let kept: Vec<(String, Vec<u8>)> = locker.read(|r| {
        let mut st = r.conn().prepare(
            "SELECT g.transfer_id, g.kept FROM pull_pages g JOIN pull_transfers t ON t.id = g.transfer_id
             WHERE g.state = 'failed' AND g.kept IS NOT NULL AND t.private_key IS NOT NULL",
        )?;
        let rows = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    })?;
    let mut mended = 0;
    let mut sessions = Sessions::default();
    for (transfer, body) in kept {
        let body: Value = serde_json::from_slice(&body)?;
        let o = apply(locker, &mut sessions, &transfer, &body)?;
        mended += u32::from(!o.ignored && o.failed == 0);
    }
    Ok(mended)
}
