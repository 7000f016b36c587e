//! The issuers' trust list on a counter's device: fetched when online, kept, and used to check
//! signed codes with no network. A list older than the one kept is ignored (a replayed or
//! cached answer never rolls revocations back).

use super::counter::Counter;
use super::signed::{TrustList, VerifiedQr, verify_signed_qr};
use crate::error::{Error, Result};
use crate::sync::Backbone;
use rusqlite::{Connection, OptionalExtension, params};

/// The trust list kept, if one was ever fetched.
pub(crate) fn kept(conn: &Connection) -> Result<Option<TrustList>> {
    let body: Option<Vec<u8>> =
        conn.query_row("SELECT body FROM qr_trust_list WHERE id = 1", [], |r| r.get(0)).optional()?;
    body.map(|b| TrustList::from_json(&b).map_err(|_| Error::Corrupt("the kept trust list".into()))).transpose()
}

impl Counter<'_> {
    /// Fetches the issuers' trust list and keeps it unless it is older than the one kept;
    /// returns the version kept.
    pub async fn refresh_trust(&self, backbone: &Backbone) -> Result<u64> {
        let body = backbone.qr_trust_list().await?;
        let fetched = TrustList::from_json(&body).map_err(|_| Error::UnreadableAnswer { what: "trust-list".into() })?;
        self.0.write(|tx| {
            if let Some(old) = kept(tx)?
                && !fetched.replaces(&old)
            {
                return Ok(old.version);
            }
            tx.execute(
                "INSERT INTO qr_trust_list (id, version, body, fetched_at) VALUES (1, ?1, ?2, ?3)
                 ON CONFLICT (id) DO UPDATE SET version = excluded.version, body = excluded.body,
                     fetched_at = excluded.fetched_at",
                params![fetched.version as i64, body, tx.now()],
            )?;
            tx.audit("counter.trust-list", None, Some(&format!("version={}", fetched.version)))?;
            Ok(fetched.version)
        })
    }

    /// Checks a signed code against the trust list kept, with no network; registers nothing.
    pub fn verify_signed(&self, text: &str) -> Result<VerifiedQr> {
        let trust = self.0.read(|r| kept(r.conn()))?.ok_or(Error::WrongStep { state: "no-trust-list".into() })?;
        let now_s = self.0.now_s();
        verify_signed_qr(text.trim(), &trust, now_s).map_err(Error::SignedQr)
    }

    /// The version of the trust list kept, if any.
    pub fn trust_version(&self) -> Result<Option<u64>> {
        Ok(self.0.read(|r| kept(r.conn()))?.map(|t| t.version))
    }
}
