//! The citizen's mailbox on the locker's relay: callbacks and pushes kept unopened until the
//! phone reads them. Each message is applied in its own transaction and only then removed from
//! the relay; the backbone's retries of one callback (same REQUEST-ID, stale TIMESTAMP) are
//! applied once (`mailbox_seen`), and a page applied before changes nothing (`pages`).

use super::pages::Sessions;
use crate::Locker;
use crate::consent::token_of;
use crate::error::{Error, Result};
use crate::sync::Backbone;
use rusqlite::{OptionalExtension, params};
use serde_json::Value;
use zeroize::Zeroizing;

/// Messages asked for at a time.
const BATCH: u32 = 16;

/// What one read of the mailboxes came to.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MailboxReport {
    pub messages: u32,
    /// Bytes read from the relay.
    pub bytes: u64,
    pub pages: u32,
    pub records_imported: u32,
    pub already_held: u32,
    /// Entries whose tag failed (their pages kept for another try).
    pub entries_failed: u32,
    pub checksum_warnings: u32,
    /// Doctors' data requests taken in.
    pub data_requests: u32,
    /// Messages seen before (a retried callback), removed unapplied.
    pub duplicates: u32,
    /// Stopped because the byte budget was spent (the rest waits on the relay).
    pub budget_spent: bool,
}

/// The mailbox id of `patient`, opened on the relay the first time (its secret kept in the store).
pub(crate) async fn ensure(locker: &Locker, backbone: &Backbone, patient: &str) -> Result<String> {
    if let Some((id, _)) = stored(locker, patient)? {
        return Ok(id);
    }
    let token = token_of(locker, patient)?;
    let v = backbone.relay_register(&token).await?;
    let text = |k: &str| v.get(k).and_then(Value::as_str).filter(|s| !s.is_empty()).map(str::to_string);
    let (Some(id), Some(secret)) = (text("mailboxId"), text("secret")) else {
        return Err(Error::UnreadableAnswer { what: "relay-mailbox".into() });
    };
    if !id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
        return Err(Error::UnreadableAnswer { what: "relay-mailbox".into() });
    }
    locker.write(|tx| {
        tx.execute(
            "INSERT OR REPLACE INTO relay_mailboxes (patient, mailbox_id, secret, registered_at) VALUES (?1, ?2, ?3, ?4)",
            params![patient, id, secret, tx.now()],
        )?;
        tx.audit("relay.mailbox", None, None)
    })?;
    Ok(id)
}

/// Opens `patient`'s mailbox again (the relay gives the same id and a new secret); the new secret.
async fn reopen(locker: &Locker, backbone: &Backbone, patient: &str) -> Result<Zeroizing<String>> {
    locker.write(|tx| {
        tx.execute("DELETE FROM relay_mailboxes WHERE patient = ?1 COLLATE NOCASE", [patient])?;
        Ok(())
    })?;
    ensure(locker, backbone, patient).await?;
    Ok(stored(locker, patient)?.ok_or(Error::NotFound("mailbox"))?.1)
}

fn stored(locker: &Locker, patient: &str) -> Result<Option<(String, Zeroizing<String>)>> {
    locker.read(|r| {
        Ok(r.conn()
            .query_row(
                "SELECT mailbox_id, secret FROM relay_mailboxes WHERE patient = ?1 COLLATE NOCASE",
                [patient],
                |r| Ok((r.get(0)?, Zeroizing::new(r.get::<_, String>(1)?))),
            )
            .optional()?)
    })
}

/// Reads and applies every signed-in citizen's mailbox, within `max_bytes` of what is read.
/// `progress` hears each message applied (its size in bytes).
pub(crate) async fn read_all(
    locker: &Locker,
    backbone: &Backbone,
    max_bytes: u64,
    progress: &mut (dyn FnMut(u64) + Send),
) -> Result<MailboxReport> {
    let mut report = MailboxReport::default();
    let mut sessions = Sessions::default();
    if backbone.config().relay_url.is_none() {
        return Ok(report);
    }
    let patients: Vec<String> = locker.read(|r| {
        let mut st = r.conn().prepare("SELECT patient FROM phr_sessions ORDER BY patient")?;
        let rows = st.query_map([], |r| r.get(0))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    })?;
    for patient in patients {
        ensure(locker, backbone, &patient).await?;
        let (mailbox, mut secret) = stored(locker, &patient)?.ok_or(Error::NotFound("mailbox"))?;
        let mut after = 0i64;
        loop {
            let left = max_bytes.saturating_sub(report.bytes);
            if left == 0 {
                report.budget_spent = true;
                return Ok(report);
            }
            // The relay always gives the first message, whatever its size: a budget smaller than
            // one page still moves on.
            let (v, size) = match backbone.relay_messages(&mailbox, &secret, after, BATCH, left).await {
                // The secret was replaced (the citizen's mailbox opened again from another
                // install): open it again here, once, and read on with the new one.
                Err(Error::Backbone { status: 401, .. }) => {
                    secret = reopen(locker, backbone, &patient).await?;
                    backbone.relay_messages(&mailbox, &secret, after, BATCH, left).await?
                }
                other => other?,
            };
            report.bytes += size as u64;
            let messages = v.get("messages").and_then(Value::as_array).cloned().unwrap_or_default();
            let mut done = Vec::with_capacity(messages.len());
            for m in &messages {
                let Some(seq) = m.get("seq").and_then(Value::as_i64) else { continue };
                after = after.max(seq);
                let keep = apply(locker, &mut sessions, m, &mut report)?;
                report.messages += 1;
                progress(m.get("bytes").and_then(Value::as_u64).unwrap_or(0));
                if !keep {
                    done.push(seq);
                }
            }
            if !done.is_empty() {
                backbone.relay_ack(&mailbox, &secret, &done).await?;
            }
            if messages.is_empty() || !v.get("more").and_then(Value::as_bool).unwrap_or(false) {
                break;
            }
        }
    }
    Ok(report)
}

/// Applies one message (each kind in its own transaction, with its REQUEST-ID noted). Returns
/// whether to leave it on the relay: a push for a transfer another install of the same citizen
/// asked for is that install's to read.
fn apply(locker: &Locker, sessions: &mut Sessions, m: &Value, report: &mut MailboxReport) -> Result<bool> {
    let kind = m.get("kind").and_then(Value::as_str).unwrap_or("");
    let request_id = m.get("requestId").and_then(Value::as_str).unwrap_or("").to_string();
    let body = m.get("body").unwrap_or(&Value::Null);
    if kind == "push" {
        // Pages are idempotent by (transfer, page): a retried push changes nothing.
        let tag = m.get("tag").and_then(Value::as_str).unwrap_or("");
        let o = super::pages::apply(locker, sessions, tag, body)?;
        if o.not_ours {
            return Ok(true);
        }
        if o.ignored {
            report.duplicates += 1;
        } else {
            report.pages += 1;
            report.records_imported += o.imported;
            report.already_held += o.already_held;
            report.entries_failed += o.failed;
            report.checksum_warnings += o.checksum_warnings;
        }
        return Ok(false);
    }
    if !request_id.is_empty() && seen(locker, &request_id)? {
        report.duplicates += 1;
        return Ok(false);
    }
    match kind {
        "hiu.on-request" => {
            let asked = body.pointer("/response/requestId").and_then(Value::as_str).unwrap_or("");
            let txn = body.pointer("/hiRequest/transactionId").and_then(Value::as_str).unwrap_or("");
            locker
                .write(|tx| {
                    tx.execute(
                        "UPDATE pull_transfers SET transaction_id = ?2, updated_at = ?3
                     WHERE request_id = ?1 AND transaction_id IS NULL",
                        params![asked, txn, tx.now()],
                    )?;
                    note(tx, &request_id, kind)
                })
                .map(|()| false)
        }
        "hip.data-request" => {
            report.data_requests += 1;
            locker
                .write(|tx| {
                    super::answer::receive(tx, &request_id, body)?;
                    note(tx, &request_id, kind)
                })
                .map(|()| false)
        }
        // What this build has no use for is removed, noted.
        _ => locker.write(|tx| note(tx, &request_id, kind)).map(|()| false),
    }
}

fn seen(locker: &Locker, request_id: &str) -> Result<bool> {
    locker.read(|r| {
        Ok(r.conn().query_row(
            "SELECT EXISTS (SELECT 1 FROM mailbox_seen WHERE request_id = ?1)",
            [request_id],
            |r| r.get(0),
        )?)
    })
}

fn note(tx: &crate::store::Tx<'_>, request_id: &str, kind: &str) -> Result<()> {
    if request_id.is_empty() {
        return Ok(());
    }
    tx.execute(
        "INSERT OR IGNORE INTO mailbox_seen (request_id, kind, at) VALUES (?1, ?2, ?3)",
        params![request_id, kind.chars().take(40).collect::<String>(), tx.now()],
    )?;
    Ok(())
}
