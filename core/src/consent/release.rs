//! Releasing records to a HIU: the one way records leave this device for someone else. The
//! policy decides inside one write transaction (so two releases cannot both take a grant's last
//! use), each use is recorded in the ledger and the audit log by reference, and only then are
//! the permitted records read out. The owner's own copy (`Records::export`) is not a release.

use super::Consents;
use super::ledger::{self, ConsentUse};
use super::model::AccessMode;
use super::policy::{self, Decision, RecordFacts, Release};
use crate::error::{Error, Result};
use crate::fhir::HiType;
use rusqlite::OptionalExtension;
use std::collections::HashMap;

/// How records leave.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReleaseChannel {
    /// Exported for sharing with a HIU (a file, a share sheet).
    Share,
    /// The answer to a HIU's data request.
    DataRequest,
    /// Carried in a QR code.
    Qr,
}

impl ReleaseChannel {
    pub fn code(self) -> &'static str {
        match self {
            ReleaseChannel::Share => "share",
            ReleaseChannel::DataRequest => "data-request",
            ReleaseChannel::Qr => "qr",
        }
    }
}

/// What is asked to leave: these records, to this HIU, for this use, by this channel.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReleaseAsk {
    pub hiu: String,
    /// The artefact the HIU names (a data request always does).
    pub consent_id: Option<String>,
    pub mode: AccessMode,
    pub date_range: Option<(i64, i64)>,
    pub records: Vec<String>,
    pub channel: ReleaseChannel,
}

/// A record that left, with the artefact it left under.
#[derive(Clone, PartialEq, Eq)]
pub struct ReleasedRecord {
    pub id: String,
    pub artefact: String,
    /// The bundle, byte for byte as imported.
    pub bundle: Vec<u8>,
}

impl std::fmt::Debug for ReleasedRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReleasedRecord").field("id", &self.id).field("artefact", &self.artefact).finish_non_exhaustive()
    }
}

/// The policy's decision and the records it let go.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Released {
    pub decision: Decision,
    pub records: Vec<ReleasedRecord>,
}

/// The facts the policy needs of each record, in the order asked, read by one statement.
fn facts(conn: &rusqlite::Connection, ids: &[String]) -> Result<Vec<RecordFacts>> {
    let mut st = conn.prepare_cached(
        "SELECT r.uid, r.hi_type, r.record_ts, coalesce(r.care_context, r.uid), coalesce(p.abha_address, '')
         FROM json_each(?1) j JOIN records r ON r.uid = j.value JOIN profiles p ON p.id = r.profile_id",
    )?;
    let mut found: HashMap<String, RecordFacts> = HashMap::with_capacity(ids.len());
    let mut patients: HashMap<String, String> = HashMap::new();
    let rows = st.query_map([serde_json::to_string(ids)?], |r| {
        Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get(2)?, r.get(3)?, r.get::<_, String>(4)?))
    })?;
    for row in rows {
        let (id, hi_type, date_ms, care_context, address) = row?;
        let hi_type = HiType::from_code(&hi_type).ok_or_else(|| Error::Corrupt("a record's type".into()))?;
        let patient = match patients.get(&address) {
            Some(p) => p.clone(),
            None => {
                let p = if address.is_empty() {
                    String::new()
                } else {
                    super::normal_patient(&address).unwrap_or_default()
                };
                patients.insert(address, p.clone());
                p
            }
        };
        found.insert(id.clone(), RecordFacts { id, patient, hi_type, date_ms, care_context });
    }
    ids.iter().map(|id| found.get(id).cloned().ok_or(Error::NotFound("record"))).collect()
}

impl Consents<'_> {
    /// Asks the policy whether `ask`'s records may go and, for those it permits, records the use
    /// and reads them out. Records it denies stay; the decision says why.
    pub fn release(&self, ask: &ReleaseAsk) -> Result<Released> {
        if ask.records.is_empty() {
            return Err(Error::InvalidInput("name the records to release".into()));
        }
        self.sweep()?;
        let decision = self.0.write(|tx| {
            let now = ledger::observe(tx, tx.now())?;
            let release = Release {
                hiu: ask.hiu.clone(),
                consent_id: ask.consent_id.clone(),
                mode: ask.mode,
                date_range: ask.date_range,
                records: facts(tx, &ask.records)?,
            };
            let grants = ledger::grants_for(tx, &ask.hiu)?;
            let ids: Vec<&str> = grants.iter().map(|g| g.id.as_str()).collect();
            let uses = ledger::uses_of(tx, &ids)?;
            let decision = policy::decide(&grants, &uses, &release, now);
            for artefact in decision.artefacts_used() {
                let records: Vec<String> =
                    decision.permitted.iter().filter(|p| p.artefact == artefact).map(|p| p.record.clone()).collect();
                let detail = format!("channel={} records={}", ask.channel.code(), records.len());
                ledger::record_use(
                    tx,
                    &ConsentUse {
                        artefact: artefact.to_string(),
                        hiu: ask.hiu.clone(),
                        channel: ask.channel.code().into(),
                        records,
                        at_ms: now,
                    },
                )?;
                tx.audit("consent.release", Some(artefact), Some(&detail))?;
            }
            if let Some(first) = decision.denied.first() {
                let detail = format!(
                    "channel={} records={} reason={}",
                    ask.channel.code(),
                    decision.denied.len(),
                    first.reason.code()
                );
                tx.audit("consent.release-refused", ask.consent_id.as_deref(), Some(&detail))?;
            }
            Ok(decision)
        })?;
        let mut records = Vec::with_capacity(decision.permitted.len());
        for p in &decision.permitted {
            let mut bundle = Vec::new();
            self.0.records().read(&p.record, &mut bundle)?;
            records.push(ReleasedRecord { id: p.record.clone(), artefact: p.artefact.clone(), bundle });
        }
        Ok(Released { decision, records })
    }

    /// A record released earlier, read again to be sent (a data request's answer goes page by
    /// page, and may resume after the network went): only a record the ledger shows released
    /// under `artefact` by the data-request channel, and only while that artefact is still in
    /// force (revoked or expired since: `NoGrant`-like refusal, nothing read).
    pub(crate) fn released_bundle(&self, artefact: &str, record: &str) -> Result<Vec<u8>> {
        let allowed = self.0.read(|r| {
            let c = r.conn();
            let in_force: bool = c
                .query_row(
                    "SELECT status = 'GRANTED' AND revoke_pending = 0 AND erase_at > ?2 FROM consent_artefacts
                     WHERE id = ?1",
                    rusqlite::params![artefact, self.0.now_ms()],
                    |r| r.get(0),
                )
                .optional()?
                .unwrap_or(false);
            let released = ledger::uses(c, Some(artefact))?
                .iter()
                .any(|u| u.channel == ReleaseChannel::DataRequest.code() && u.records.iter().any(|id| id == record));
            Ok(in_force && released)
        })?;
        if !allowed {
            return Err(Error::WrongStep { state: "not-released".into() });
        }
        let mut bundle = Vec::new();
        self.0.records().read(record, &mut bundle)?;
        Ok(bundle)
    }
}
