//! Linking a citizen's records at a facility (PROTOCOL.md, Care contexts): discover what the
//! facility holds for them, choose, confirm with the OTP the facility sends, and keep the list of
//! what is linked — the links made here and those a facility made on its own, which the list
//! from the consent manager brings in.
//!
//! Discovery and confirmation are calls a person waits on (the OTP arrives while they hold the
//! phone): they go out at once, never through the outbox. The list is pulled by `sync`.

pub mod wire;

use crate::Locker;
use crate::consent::{normal_patient, token_of};
use crate::error::{Error, Result};
use crate::sync::Backbone;
use rusqlite::{OptionalExtension, params};
pub use wire::{FoundCareContext, FoundPatient};

/// What a facility found for the citizen: the attempt to go on with, and the care contexts not
/// linked yet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Discovery {
    /// This device's id for the attempt (`choose`, `confirm`).
    pub attempt: String,
    pub hip_id: String,
    pub patients: Vec<FoundPatient>,
}

/// A link waiting for its OTP.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LinkStarted {
    pub attempt: String,
    /// The facility's reference for the link (its OTP is sent for this).
    pub link_reference: String,
    /// Until when the OTP holds (UTC ms), when the facility says.
    pub otp_expires_at_ms: Option<i64>,
}

/// A care context linked to a citizen.
#[derive(Clone, PartialEq, Eq)]
pub struct CareLink {
    pub patient: String,
    pub hip_id: String,
    pub hip_name: Option<String>,
    /// The facility's reference for the citizen.
    pub patient_reference: String,
    pub care_context: String,
    pub display: String,
    /// Linked from this device (false: a facility linked it, or another app did).
    pub linked_here: bool,
    pub linked_at_ms: i64,
}

impl std::fmt::Debug for CareLink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CareLink")
            .field("hip_id", &self.hip_id)
            .field("care_context", &self.care_context)
            .field("linked_here", &self.linked_here)
            .finish_non_exhaustive()
    }
}

/// The linking handle (`Locker::links`).
pub struct Links<'a>(pub(crate) &'a Locker);

/// A mobile number as facilities match it: ten digits, the first 6–9 (a `+91` or `0` prefix and
/// spaces are dropped).
fn mobile(s: &str) -> Result<String> {
    let digits: String = s.chars().filter(char::is_ascii_digit).collect();
    let d = match digits.len() {
        12 if digits.starts_with("91") => &digits[2..],
        11 if digits.starts_with('0') => &digits[1..],
        _ => &digits[..],
    };
    if d.len() == 10 && matches!(d.as_bytes()[0], b'6'..=b'9') {
        Ok(d.to_string())
    } else {
        Err(Error::InvalidInput("a mobile number is ten digits starting 6 to 9".into()))
    }
}

impl Links<'_> {
    /// Asks `hip_id` which of the citizen's records it holds, finding them by their mobile.
    pub async fn discover(
        &self,
        backbone: &Backbone,
        patient: &str,
        hip_id: &str,
        mobile_no: &str,
    ) -> Result<Discovery> {
        let patient = normal_patient(patient)?;
        if !crate::consent::wire::is_id(hip_id) {
            return Err(Error::InvalidInput("a facility id is letters, digits, '-' and '_'".into()));
        }
        let body = serde_json::json!({
            "hip": { "id": hip_id },
            "unverifiedIdentifiers": [{ "type": "MOBILE", "value": mobile(mobile_no)? }],
        });
        let token = token_of(self.0, &patient)?;
        let rid = crate::crypto::random_uid()?;
        let v = crate::network::with_backbone(self.0, backbone, backbone.discover(&token, &rid, body)).await?;
        let (txn, patients) = wire::read_found(&v)?;
        let attempt = crate::crypto::random_uid()?;
        let found = wire::kept(&patients).to_string();
        self.0.write(|tx| {
            tx.execute(
                "INSERT INTO link_attempts (id, patient, hip_id, transaction_id, found, state, created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, 'found', ?6, ?6)",
                params![attempt, patient, hip_id, txn, found, tx.now()],
            )?;
            tx.audit("link.discover", Some(&attempt), Some(&format!("hip={hip_id} found={}", patients.len())))
        })?;
        Ok(Discovery { attempt, hip_id: hip_id.to_string(), patients })
    }

    /// Starts linking the chosen care contexts (`references`; empty: all that were found). The
    /// facility sends the citizen an OTP.
    pub async fn choose(&self, backbone: &Backbone, attempt: &str, references: &[String]) -> Result<LinkStarted> {
        let (patient, txn, found) = self.attempt(attempt)?;
        let chosen: Vec<FoundPatient> = found
            .into_iter()
            .map(|mut p| {
                if !references.is_empty() {
                    p.care_contexts.retain(|c| references.contains(&c.reference));
                }
                p
            })
            .filter(|p| !p.care_contexts.is_empty())
            .collect();
        if chosen.is_empty() {
            return Err(Error::InvalidInput("choose at least one of the care contexts found".into()));
        }
        let token = token_of(self.0, &patient)?;
        let rid = crate::crypto::random_uid()?;
        let body = wire::init_body(&txn, &chosen);
        let v = crate::network::with_backbone(self.0, backbone, backbone.link_init(&token, &rid, body)).await?;
        let (link_ref, expiry) = wire::read_started(&v)?;
        let chosen = wire::kept(&chosen).to_string();
        let link_ref_kept = link_ref.clone();
        self.0.write(|tx| {
            tx.execute(
                "UPDATE link_attempts SET link_ref = ?2, otp_expires_at = ?3, found = ?4, state = 'otp-sent',
                 updated_at = ?5 WHERE id = ?1",
                params![attempt, link_ref_kept, expiry, chosen, tx.now()],
            )?;
            tx.audit("link.init", Some(attempt), None)
        })?;
        Ok(LinkStarted { attempt: attempt.to_string(), link_reference: link_ref, otp_expires_at_ms: expiry })
    }

    /// Confirms a link with the OTP the citizen received; returns what is now linked.
    pub async fn confirm(&self, backbone: &Backbone, attempt: &str, otp: &str) -> Result<Vec<CareLink>> {
        let otp = otp.trim();
        if otp.is_empty() || otp.len() > 12 || !otp.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(Error::InvalidInput("the OTP is the digits the facility sent".into()));
        }
        let (patient, hip_id, link_ref) = self.0.read(|r| {
            r.conn()
                .query_row(
                    "SELECT patient, hip_id, link_ref FROM link_attempts WHERE id = ?1 AND state = 'otp-sent'",
                    [attempt],
                    |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?)),
                )
                .optional()?
                .ok_or(Error::NotFound("link waiting for its OTP"))
        })?;
        let token = token_of(self.0, &patient)?;
        let rid = crate::crypto::random_uid()?;
        let call = backbone.link_confirm(&token, &rid, &link_ref, otp);
        let v = crate::network::with_backbone(self.0, backbone, call).await?;
        let linked = wire::read_confirmed(&v)?;
        let links: Vec<wire::ListedLink> = linked
            .into_iter()
            .map(|p| wire::ListedLink { hip_id: hip_id.clone(), hip_name: None, patient: p })
            .collect();
        self.0.write(|tx| {
            let now = tx.now();
            let n = store_links(tx, &patient, &links, true, now)?;
            tx.execute(
                "UPDATE link_attempts SET state = 'linked', updated_at = ?2 WHERE id = ?1",
                params![attempt, now],
            )?;
            tx.audit("link.confirm", Some(attempt), Some(&format!("hip={hip_id} care-contexts={n}")))
        })?;
        self.list(Some(&patient)).map(|all| all.into_iter().filter(|l| l.hip_id == hip_id).collect())
    }

    /// What is linked, for one citizen or for all on this device.
    pub fn list(&self, patient: Option<&str>) -> Result<Vec<CareLink>> {
        let patient = patient.map(normal_patient).transpose()?;
        self.0.read(|r| {
            let mut st = r.conn().prepare(
                "SELECT patient, hip_id, hip_name, patient_ref, care_context, coalesce(display, ''), linked_here,
                        linked_at
                 FROM care_links WHERE ?1 IS NULL OR patient = ?1 COLLATE NOCASE
                 ORDER BY patient, hip_id, care_context",
            )?;
            let rows = st.query_map([patient], |r| {
                Ok(CareLink {
                    patient: r.get(0)?,
                    hip_id: r.get(1)?,
                    hip_name: r.get(2)?,
                    patient_reference: r.get(3)?,
                    care_context: r.get(4)?,
                    display: r.get(5)?,
                    linked_here: r.get(6)?,
                    linked_at_ms: r.get(7)?,
                })
            })?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
    }

    /// Pulls the list of links of every citizen signed in here: links a facility made on its own
    /// appear. Returns how many care contexts are new on this device.
    pub async fn refresh(&self, backbone: &Backbone) -> Result<u32> {
        let patients: Vec<String> = self.0.read(|r| {
            let mut st = r.conn().prepare("SELECT patient FROM phr_sessions ORDER BY patient")?;
            let rows = st.query_map([], |r| r.get(0))?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })?;
        let mut new = 0;
        for patient in patients {
            let token = token_of(self.0, &patient)?;
            let v = crate::network::with_backbone(self.0, backbone, backbone.links(&token)).await?;
            let links = wire::read_links(&v)?;
            new += self.0.write(|tx| {
                let now = tx.now();
                let n = store_links(tx, &patient, &links, false, now)?;
                if n > 0 {
                    tx.audit("link.listed", None, Some(&format!("new-care-contexts={n}")))?;
                }
                Ok(n)
            })?;
        }
        Ok(new)
    }

    fn attempt(&self, attempt: &str) -> Result<(String, String, Vec<FoundPatient>)> {
        let (patient, txn, found): (String, String, String) = self.0.read(|r| {
            r.conn()
                .query_row(
                    "SELECT patient, transaction_id, found FROM link_attempts WHERE id = ?1 AND state = 'found'",
                    [attempt],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                )
                .optional()?
                .ok_or(Error::NotFound("discovery"))
        })?;
        Ok((patient, txn, wire::read_kept(serde_json::from_str(&found)?)?))
    }
}

/// Keeps `links` for `patient`; returns how many care contexts were not known before.
fn store_links(
    tx: &rusqlite::Connection,
    patient: &str,
    links: &[wire::ListedLink],
    here: bool,
    now: i64,
) -> Result<u32> {
    let mut new = 0;
    for l in links {
        for c in &l.patient.care_contexts {
            let known: bool = tx.query_row(
                "SELECT EXISTS (SELECT 1 FROM care_links WHERE patient = ?1 AND hip_id = ?2 AND care_context = ?3)",
                params![patient, l.hip_id, c.reference],
                |r| r.get(0),
            )?;
            tx.execute(
                "INSERT INTO care_links (patient, hip_id, care_context, patient_ref, hip_name, display, linked_here,
                                         linked_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
                 ON CONFLICT (patient, hip_id, care_context) DO UPDATE SET
                     hip_name = coalesce(excluded.hip_name, hip_name), display = excluded.display,
                     patient_ref = excluded.patient_ref",
                params![patient, l.hip_id, c.reference, l.patient.reference, l.hip_name, c.display, here, now],
            )?;
            new += u32::from(!known);
        }
    }
    Ok(new)
}
