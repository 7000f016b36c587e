//! The locker's side of every network call: the backbone's login pause outlives one `Backbone`
//! object and one run of the app. Before a call, a pause the store kept for this client id is
//! handed to the backbone; after it, the pause the backbone is under (if any) is kept, so that
//! trying again by hand (a new app start, another `locker enrol submit`) cannot walk a client id
//! with a stale secret into ABDM's eight-refusals lock-out.

use crate::Locker;
use crate::error::Result;
use crate::store::Tx;
use crate::sync::Backbone;
use crate::sync::client::{LoginPause, PauseReason};
use rusqlite::{OptionalExtension, params};
use std::future::Future;

/// Runs `call` with the store's login pause given to `backbone` before and kept after, also
/// when the caller drops `call` part way (an app cancelling a submission): a refusal met before
/// the cancellation is not forgotten.
pub(crate) async fn with_backbone<T>(
    locker: &Locker,
    backbone: &Backbone,
    call: impl Future<Output = Result<T>>,
) -> Result<T> {
    let client = backbone.config().client_key();
    if let Some(kept) = locker.read(|r| load(r.conn(), &client))? {
        backbone.remember_login_pause(kept);
    }
    let mut guard = KeepPause { locker, backbone, client, kept: false };
    let out = call.await;
    guard.kept = true;
    guard.keep()?;
    out
}

/// Keeps the backbone's current login pause in the store when dropped, unless already kept.
struct KeepPause<'a> {
    locker: &'a Locker,
    backbone: &'a Backbone,
    client: String,
    kept: bool,
}

impl KeepPause<'_> {
    fn keep(&self) -> Result<()> {
        let now = self.backbone.now_ms();
        let current = self.backbone.login_pause().filter(|p| p.holds_at(now));
        self.locker.write(|tx| keep(tx, &self.client, current.as_ref()))
    }
}

impl Drop for KeepPause<'_> {
    fn drop(&mut self) {
        if !self.kept {
            // Cancelled: nobody is left to hear a failure; the pause is still held in memory.
            let _ = self.keep();
        }
    }
}

fn load(conn: &rusqlite::Connection, client: &str) -> Result<Option<LoginPause>> {
    let row: Option<(i64, i64, String)> = conn
        .prepare_cached("SELECT since, until, reason FROM login_pauses WHERE client = ?1")?
        .query_row([client], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .optional()?;
    Ok(row.map(|(since_ms, until_ms, reason)| LoginPause {
        since_ms,
        until_ms,
        reason: match reason.strip_prefix("throttled:") {
            Some(code) => PauseReason::Throttled { code: code.to_string() },
            None => PauseReason::Refused,
        },
    }))
}

fn keep(tx: &Tx<'_>, client: &str, pause: Option<&LoginPause>) -> Result<()> {
    match pause {
        None => {
            tx.prepare_cached("DELETE FROM login_pauses WHERE client = ?1")?.execute([client])?;
        }
        Some(p) => {
            let reason = match &p.reason {
                PauseReason::Refused => "refused".to_string(),
                PauseReason::Throttled { code } => format!("throttled:{code}"),
            };
            tx.prepare_cached(
                "INSERT INTO login_pauses (client, since, until, reason) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (client) DO UPDATE SET since = excluded.since, until = excluded.until,
                     reason = excluded.reason",
            )?
            .execute(params![client, p.since_ms, p.until_ms, reason])?;
        }
    }
    Ok(())
}
