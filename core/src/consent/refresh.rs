//! Pulling consent from the consent manager: the requests and artefacts of every citizen signed
//! in on this device, each artefact's signature checked where the scheme is known (`Verifier`),
//! then what time has ended is swept. A decision made here and not yet heard by the consent
//! manager keeps its local status until its answer comes back through the outbox.

use super::Consents;
use super::erasure::SweepReport;
use super::ledger;
use super::model::{ConsentRequest, ConsentStatus, Verification};
use super::signature::{self, SigningKey};
use super::wire::{self, ReceivedArtefact};
use crate::Locker;
use crate::error::{Error, Result};
use crate::sync::Backbone;
use crate::sync::consent_api::PAGE;
use rusqlite::params;
use serde_json::Value;
use zeroize::Zeroizing;

/// The most pages read of one list in one pull: a consent manager that pages for ever (a bug,
/// a loop) cannot hold a sync for ever.
const MAX_PAGES: u32 = 50;

/// What one pull brought.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RefreshReport {
    /// Citizens whose consent was pulled.
    pub patients: u32,
    /// Requests that are new or whose status changed.
    pub requests_changed: u32,
    /// Artefacts that are new or whose status changed.
    pub artefacts_changed: u32,
    /// Artefacts refused: their signature did not verify.
    pub artefacts_refused: u32,
    /// List entries that could not be read (kept out, counted).
    pub unreadable: u32,
    pub swept: SweepReport,
}

/// Checks artefacts' signatures against the consent manager's published keys: those kept on
/// this device, fetched again once when a signature does not verify (the keys may have been
/// rotated). Without a known scheme, every artefact is unverified.
pub(crate) struct Verifier {
    keys: Vec<SigningKey>,
    known: bool,
    fetched: bool,
}

impl Verifier {
    pub(crate) async fn new(locker: &Locker, backbone: &Backbone) -> Result<Verifier> {
        let known = backbone.config().consent_keys_path.is_some();
        let keys = if known { locker.read(|r| stored_keys(r.conn()))? } else { Vec::new() };
        let mut v = Verifier { keys, known, fetched: false };
        if known && v.keys.is_empty() {
            v.fetch(locker, backbone).await?;
        }
        Ok(v)
    }

    async fn fetch(&mut self, locker: &Locker, backbone: &Backbone) -> Result<()> {
        self.fetched = true;
        let Some(jwks) = backbone.consent_keys().await? else { return Ok(()) };
        let keys = signature::read_jwks(&jwks)?;
        locker.write(|tx| {
            tx.execute("DELETE FROM consent_keys", [])?;
            for k in &keys {
                tx.execute(
                    "INSERT OR REPLACE INTO consent_keys (kid, n, e, fetched_at) VALUES (?1, ?2, ?3, ?4)",
                    params![k.kid, k.n, k.e, tx.now()],
                )?;
            }
            tx.audit("consent.keys", None, Some(&format!("keys={}", keys.len())))
        })?;
        self.keys = keys;
        Ok(())
    }

    /// How `a` stands: verified (with the key's id) or unverified; `SignatureInvalid` when the
    /// scheme is known and no published key verifies it.
    pub(crate) async fn check(
        &mut self,
        locker: &Locker,
        backbone: &Backbone,
        a: &ReceivedArtefact,
    ) -> Result<(Verification, Option<String>)> {
        if !self.known {
            return Ok((Verification::Unverified, None));
        }
        let Some(sig) = a.signature.as_deref() else { return Err(Error::SignatureInvalid) };
        if let Some(kid) = signature::verify(&self.keys, &a.detail, sig)? {
            return Ok((Verification::Verified, Some(kid.to_string())));
        }
        if !self.fetched {
            self.fetch(locker, backbone).await?;
            if let Some(kid) = signature::verify(&self.keys, &a.detail, sig)? {
                return Ok((Verification::Verified, Some(kid.to_string())));
            }
        }
        Err(Error::SignatureInvalid)
    }
}

fn stored_keys(conn: &rusqlite::Connection) -> Result<Vec<SigningKey>> {
    let mut st = conn.prepare("SELECT kid, n, e FROM consent_keys ORDER BY kid")?;
    let rows = st.query_map([], |r| Ok(SigningKey { kid: r.get(0)?, n: r.get(1)?, e: r.get(2)? }))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Artefacts checked, ready to store: each with its verification, or refused.
pub(crate) struct Checked {
    pub ok: Vec<(ReceivedArtefact, Verification, Option<String>)>,
    pub refused: u32,
}

/// Reads and checks the artefacts in `list` (a bad entry is counted and skipped).
pub(crate) async fn check_all(
    locker: &Locker,
    backbone: &Backbone,
    verifier: &mut Verifier,
    list: &[Value],
    unreadable: &mut u32,
) -> Result<Checked> {
    let mut out = Checked { ok: Vec::new(), refused: 0 };
    for v in list {
        let Ok(a) = wire::read_artefact(v) else {
            *unreadable += 1;
            continue;
        };
        match verifier.check(locker, backbone, &a).await {
            Ok((verification, kid)) => out.ok.push((a, verification, kid)),
            Err(Error::SignatureInvalid) => out.refused += 1,
            Err(e) => return Err(e),
        }
    }
    if out.refused > 0 {
        locker.write(|tx| tx.audit("consent.artefact-refused", None, Some(&format!("artefacts={}", out.refused))))?;
    }
    Ok(out)
}

/// Every page of a list call.
async fn all_pages<'f, F, Fut>(mut page: F, keys: &[&str], what: &str) -> Result<Vec<Value>>
where
    F: FnMut(u32) -> Fut + 'f,
    Fut: std::future::Future<Output = Result<Value>>,
{
    let mut out = Vec::new();
    for n in 0..MAX_PAGES {
        let v = page(n * PAGE).await?;
        let items = wire::list(&v, keys, what)?;
        let got = items.len();
        out.extend(items.iter().cloned());
        let size = v["size"].as_u64().unwrap_or(0) as usize;
        if got < PAGE as usize || (size > 0 && out.len() >= size) {
            break;
        }
    }
    Ok(out)
}

impl Consents<'_> {
    /// Pulls the requests and artefacts of every citizen signed in on this device.
    pub async fn refresh(&self, backbone: &Backbone) -> Result<RefreshReport> {
        crate::network::with_backbone(self.0, backbone, self.pull(backbone)).await
    }

    async fn pull(&self, backbone: &Backbone) -> Result<RefreshReport> {
        let mut report = RefreshReport::default();
        let patients: Vec<(String, Zeroizing<String>)> = self.0.read(|r| {
            let mut st = r.conn().prepare("SELECT patient, token FROM phr_sessions ORDER BY patient")?;
            let rows = st.query_map([], |r| Ok((r.get(0)?, Zeroizing::new(r.get::<_, String>(1)?))))?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })?;
        let mut verifier = Verifier::new(self.0, backbone).await?;
        for (patient, token) in &patients {
            report.patients += 1;
            let raw = all_pages(|o| backbone.consent_requests(token, o), &["requests"], "consent-requests").await?;
            let mut requests: Vec<(ConsentRequest, Value)> = Vec::new();
            for v in raw {
                match wire::read_request(&v) {
                    Ok(r) if r.patient.eq_ignore_ascii_case(patient) => requests.push((r, v)),
                    _ => report.unreadable += 1,
                }
            }
            self.0.write(|tx| {
                for (r, v) in &requests {
                    report.requests_changed += u32::from(ledger::put_request(tx, r, v)?);
                }
                Ok(())
            })?;
            // Artefacts by request first (the list does not say which request each is of).
            let granted: Vec<&str> = requests
                .iter()
                .filter(|(r, _)| r.status == ConsentStatus::Granted)
                .map(|(r, _)| r.id.as_str())
                .collect();
            for request_id in granted {
                let v = backbone.consent_artefacts_of(token, request_id).await?;
                let list = wire::list(&v, &["consentArtefacts", "artefacts"], "consent-artefacts")?;
                let checked = check_all(self.0, backbone, &mut verifier, list, &mut report.unreadable).await?;
                report.artefacts_refused += checked.refused;
                report.artefacts_changed += self.store_checked(&checked, Some(request_id), patient)?;
            }
            let raw =
                all_pages(|o| backbone.consent_artefacts(token, o), &["consentArtefacts"], "consent-artefacts").await?;
            let checked = check_all(self.0, backbone, &mut verifier, &raw, &mut report.unreadable).await?;
            report.artefacts_refused += checked.refused;
            report.artefacts_changed += self.store_checked(&checked, None, patient)?;
        }
        report.swept = self.sweep()?;
        Ok(report)
    }

    /// Stores checked artefacts of `patient`; returns how many are new or changed status.
    fn store_checked(&self, checked: &Checked, request_id: Option<&str>, patient: &str) -> Result<u32> {
        self.0.write(|tx| {
            let mut changed = 0;
            for (a, verification, kid) in &checked.ok {
                if !a.grant.patient.eq_ignore_ascii_case(patient) {
                    continue;
                }
                changed += u32::from(ledger::put_artefact(tx, a, request_id, *verification, kid.as_deref(), false)?);
            }
            Ok(changed)
        })
    }
}
