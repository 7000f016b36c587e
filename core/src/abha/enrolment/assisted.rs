//! Assisted enrolment: a field worker's session captures citizens, with or without a network.
//!
//! Capture validates the details, seals the Aadhaar number to the backbone's cached key at
//! once (the clear number is wiped before capture returns), records the citizen's consent
//! (language, time, version of the text) and queues the enrolment with its REQUEST-ID, all in
//! one transaction. Submission drains the queue through demographic enrolment and reconciles
//! each answer: created, already existed, or rejected with a reason the worker can act on. The
//! citizen's details are erased once the ABHA has been handed over, or when the retention
//! period ends.

use super::{
    CitizenDetails, DAY_MS, DEFAULT_RETENTION_DAYS, Enrolment, EnrolmentOutcome, EnrolmentState, Personal, error_code,
    halts_the_queue, is_transient,
};
use crate::abha::aadhaar::seal_aadhaar;
use crate::crypto::random_uid;
use crate::error::{Error, Result};
use crate::store::enrolments::{EnrolmentRow, WorkerSession};
use crate::sync::Backbone;
use crate::sync::abha_api::Demographics;
use futures_util::StreamExt;
use std::sync::atomic::{AtomicBool, Ordering};
use zeroize::Zeroizing;

/// What became of one submission.
enum Submission {
    /// The backbone answered for this citizen: created, already existed or rejected.
    Answered(EnrolmentOutcome),
    /// It stays queued; `halt` when the same failure would meet every other one too.
    Waiting { halt: bool },
}

/// Submissions a drain keeps in flight at once.
const SUBMISSIONS_IN_FLIGHT: usize = 4;

/// The citizen's consent to enrolment, as the worker recorded it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConsentCapture {
    /// The language the consent text was read in (e.g. `hi`, `en`, `ta`).
    pub language: String,
    /// The version of the consent text shown.
    pub text_version: String,
}

/// What one drain of the queue came to.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SubmitReport {
    pub created: u32,
    pub already_existed: u32,
    pub rejected: u32,
    /// Still queued: the network or the backbone failed them this time.
    pub still_queued: u32,
    /// Erased because their retention period ended before a network came.
    pub expired: u32,
    /// The enrolments this drain touched, as they now are.
    pub enrolments: Vec<Enrolment>,
}

/// What the worker can do about a refusal (never personal data).
fn rejection_reason(e: &Error) -> String {
    match e {
        Error::SealedValueRejected => {
            "the backbone's key changed since capture: capture the Aadhaar number again".into()
        }
        Error::Backbone { code, .. } if code == "ABDM-1115" => {
            "the details do not match the Aadhaar record: check name, year of birth and gender".into()
        }
        Error::Backbone { code, .. } if code == "ABDM-1117" => "a required detail is missing or impossible".into(),
        Error::Backbone { code, .. } if code == "ABDM-1114" => {
            "the Aadhaar number is not valid: capture it again".into()
        }
        Error::Backbone { code, .. } if code == "ABDM-1403" => "this device's client is not allowed to enrol".into(),
        other => format!("the backbone refused it ({})", error_code(other)),
    }
}

impl crate::Locker {
    /// Starts a field worker's session on this device. `retention_days` (default 7) bounds how
    /// long a citizen's details may stay here.
    pub fn start_worker_session(
        &self,
        worker_id: &str,
        device_id: &str,
        retention_days: Option<u32>,
    ) -> Result<WorkerSession> {
        let ok = |s: &str| !s.is_empty() && s.len() <= 64 && s.bytes().all(|b| b.is_ascii_graphic());
        if !ok(worker_id) || !ok(device_id) {
            return Err(Error::InvalidInput("worker and device ids are 1 to 64 printable characters".into()));
        }
        let days = retention_days.unwrap_or(DEFAULT_RETENTION_DAYS);
        if !(1..=90).contains(&days) {
            return Err(Error::InvalidInput("retention is 1 to 90 days".into()));
        }
        let session = WorkerSession {
            id: random_uid()?,
            worker_id: worker_id.to_string(),
            device_id: device_id.to_string(),
            started_at_ms: self.now_ms(),
            ended_at_ms: None,
            retention_ms: i64::from(days) * DAY_MS,
        };
        self.store()?.insert_worker_session(&session)?;
        Ok(session)
    }

    pub fn end_worker_session(&self, session_id: &str) -> Result<()> {
        let now = self.now_ms();
        self.store()?.end_worker_session(session_id, now)
    }

    pub fn worker_session(&self, session_id: &str) -> Result<WorkerSession> {
        self.store()?.worker_session(session_id)
    }

    /// Captures one citizen into the session's queue, with no network needed: the Aadhaar
    /// number is sealed to the backbone's cached key before this returns, and never stored or
    /// kept in the clear. Needs the key fetched once (`refresh_backbone_key`).
    pub fn capture_enrolment(
        &self,
        session_id: &str,
        details: CitizenDetails,
        aadhaar: String,
        consent: &ConsentCapture,
    ) -> Result<Enrolment> {
        // Wiped on every way out of this function, early returns included.
        let mut aadhaar = Zeroizing::new(aadhaar);
        let now = self.now_ms();
        let lang_ok =
            |s: &str| (2..=16).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
        let version_ok = |s: &str| (1..=32).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_graphic());
        if !lang_ok(&consent.language) || !version_ok(&consent.text_version) {
            return Err(Error::InvalidInput("consent needs its language code and the text's version".into()));
        }
        let details = details.validated(now)?;
        let (session, key) = {
            let store = self.store()?;
            let session = store.worker_session(session_id)?;
            if session.ended_at_ms.is_some() {
                return Err(Error::InvalidInput("the worker session has ended".into()));
            }
            (session, store.backbone_key()?.ok_or(Error::BackboneKeyMissing)?)
        };
        let sealed = seal_aadhaar(std::mem::take(&mut *aadhaar), &key)?;
        let mut personal = Personal::default();
        personal.details = Some(details);
        personal.sealed_aadhaar = Some(sealed);
        let mut row = EnrolmentRow {
            id: random_uid()?,
            mode: "assisted".into(),
            session_id: Some(session.id.clone()),
            created_at: now,
            updated_at: now,
            erase_after: Some(now + session.retention_ms),
            consent_language: Some(consent.language.clone()),
            consent_version: Some(consent.text_version.clone()),
            consent_at: Some(now),
            ..EnrolmentRow::default()
        };
        row.set_state(EnrolmentState::Queued);
        row.begin_step("submit");
        personal.write(&mut row)?;
        self.store()?.insert_enrolment(&row, "enrolment.captured")?;
        row.view()
    }

    /// Corrects a queued or rejected enrolment: new details, a newly captured Aadhaar number,
    /// or both. It is queued again under a new REQUEST-ID.
    pub fn correct_enrolment(
        &self,
        id: &str,
        details: Option<CitizenDetails>,
        aadhaar: Option<String>,
    ) -> Result<Enrolment> {
        let mut aadhaar = aadhaar.map(Zeroizing::new);
        let now = self.now_ms();
        let (mut row, key, details) = {
            let store = self.store()?;
            let row = store.enrolment_row(id)?;
            row.expect_state(&[EnrolmentState::Queued, EnrolmentState::Rejected])?;
            let key = store.backbone_key()?.ok_or(Error::BackboneKeyMissing)?;
            (row, key, details.map(|d| d.validated(now)).transpose()?)
        };
        let mut personal = Personal::read(&row)?;
        if let Some(a) = aadhaar.as_mut() {
            personal.sealed_aadhaar = Some(seal_aadhaar(std::mem::take(&mut **a), &key)?);
        }
        if let Some(d) = details {
            personal.details = Some(d);
        }
        personal.write(&mut row)?;
        row.set_state(EnrolmentState::Queued);
        row.end_step();
        row.begin_step("submit");
        row.outcome = None;
        row.reason = None;
        row.updated_at = now;
        self.store()?.update_enrolment(&row, Some(("enrolment.corrected", "")))?;
        row.view()
    }

    /// Submits queued enrolments (of one session, or all), a few at a time, and reconciles each
    /// answer. Stops sending when the network is gone; whatever was not sent stays queued.
    /// Expired ones are erased first.
    pub async fn submit_enrolments(&self, backbone: &Backbone, session_id: Option<&str>) -> Result<SubmitReport> {
        let mut report = SubmitReport { expired: self.purge_expired_enrolments()?, ..SubmitReport::default() };
        let queued = {
            let store = self.store()?;
            match session_id {
                Some(s) => store.enrolment_rows("state = 'queued' AND session_id = ?1", &s)?,
                None => store.enrolment_rows("state = ?1", &"queued")?,
            }
        };
        // A few submissions in flight at once: a slow answer or a `Retry-After` holds up one
        // citizen, not the queue. Once one fails in a way every other one would too (no
        // network, a server that is not the backbone, our credentials refused, the backbone
        // asking for a long pause), no further one is sent.
        let halted = AtomicBool::new(false);
        let halted = &halted;
        let mut results = futures_util::stream::iter(queued)
            .map(|mut row| async move {
                if halted.load(Ordering::SeqCst) {
                    return Ok((row, None));
                }
                let done = match self.submit_one(backbone, &mut row).await? {
                    Submission::Answered(outcome) => Some(outcome),
                    Submission::Waiting { halt } => {
                        if halt {
                            halted.store(true, Ordering::SeqCst);
                        }
                        None
                    }
                };
                Ok::<_, Error>((row, done))
            })
            .buffer_unordered(SUBMISSIONS_IN_FLIGHT);
        while let Some(result) = results.next().await {
            let (row, done) = result?;
            match done {
                Some(EnrolmentOutcome::Created) => report.created += 1,
                Some(EnrolmentOutcome::AlreadyExisted) => report.already_existed += 1,
                Some(_) => report.rejected += 1,
                None => report.still_queued += 1,
            }
            report.enrolments.push(row.view()?);
        }
        report.enrolments.sort_by(|a, b| (a.created_at_ms, &a.id).cmp(&(b.created_at_ms, &b.id)));
        Ok(report)
    }

    /// Sends one queued enrolment and records what became of it.
    async fn submit_one(&self, backbone: &Backbone, row: &mut EnrolmentRow) -> Result<Submission> {
        let mut personal = Personal::read(row)?;
        let rid = row.begin_step("submit");
        let answer = {
            let (Some(d), Some(sealed)) = (personal.details.as_ref(), personal.sealed_aadhaar.as_ref()) else {
                return Err(Error::Corrupt("a queued enrolment lacks its details".into()));
            };
            let demographics = Demographics {
                sealed_aadhaar: sealed,
                name: &d.name,
                gender: d.gender.code(),
                birth_date: &d.birth_date,
                mobile: &d.mobile,
                address: &d.address,
                state_code: &d.state_code,
                district_code: &d.district_code,
                pin_code: &d.pin_code,
                consent_version: row.consent_version.as_deref().unwrap_or(""),
                consent_language: row.consent_language.as_deref().unwrap_or(""),
                consent_at_ms: row.consent_at.unwrap_or(row.created_at),
            };
            backbone.enrol_by_demographics(&rid, &demographics).await
        };
        row.updated_at = self.now_ms();
        let (outcome, detail) = match answer {
            Ok(enrolled) => {
                let outcome =
                    if enrolled.is_new { EnrolmentOutcome::Created } else { EnrolmentOutcome::AlreadyExisted };
                personal.profile = Some(enrolled.profile);
                personal.token = enrolled.token.map(|t| t.to_string());
                personal.write(row)?;
                row.set_state(EnrolmentState::Submitted);
                row.last_error = None;
                (outcome, format!("outcome={}", outcome.code()))
            }
            Err(e) if is_transient(&e) => {
                row.attempts += 1;
                row.last_error = Some(error_code(&e));
                self.store()?.update_enrolment(row, None)?;
                return Ok(Submission::Waiting { halt: halts_the_queue(&e) });
            }
            Err(e) => {
                row.set_state(EnrolmentState::Rejected);
                row.reason = Some(rejection_reason(&e));
                row.last_error = Some(error_code(&e));
                row.end_step();
                (EnrolmentOutcome::Rejected, format!("outcome=rejected code={}", error_code(&e)))
            }
        };
        row.outcome = Some(outcome.code().to_string());
        self.store()?.update_enrolment(row, Some(("enrolment.submitted", &detail)))?;
        Ok(Submission::Answered(outcome))
    }

    /// The ABHA card (PNG) of a submitted enrolment, to show the citizen.
    pub async fn enrolment_card(&self, backbone: &Backbone, id: &str) -> Result<Vec<u8>> {
        let token = {
            let row = self.store()?.enrolment_row(id)?;
            row.expect_state(&[EnrolmentState::Submitted])?;
            Personal::read(&row)?.token.clone().ok_or(Error::NotFound("ABHA card token"))?
        };
        backbone.abha_card(&token).await
    }

    /// The ABHA card QR payload of a submitted enrolment (PROTOCOL.md's unsigned JSON), to show
    /// the citizen with no network.
    pub fn enrolment_qr(&self, id: &str) -> Result<String> {
        let row = self.store()?.enrolment_row(id)?;
        row.expect_state(&[EnrolmentState::Submitted])?;
        let personal = Personal::read(&row)?;
        let (Some(d), Some(p)) = (personal.details.as_ref(), personal.profile.as_ref()) else {
            return Err(Error::NotFound("ABHA details"));
        };
        let dob = match crate::time::parse_date(&d.birth_date) {
            Some((y, m, day)) if d.birth_date.len() == 10 => format!("{day}/{m}/{y}"),
            _ => d.birth_date.clone(),
        };
        Ok(serde_json::json!({
            "hidn": p.abha_number, "hid": p.abha_address, "name": d.name, "gender": d.gender.code(),
            "statelgd": d.state_code, "distlgd": d.district_code, "dob": dob,
            "mobile": d.mobile, "address": d.address,
        })
        .to_string())
    }

    /// Records that the citizen has their ABHA (card or QR shown), and erases their details
    /// from the device for good.
    pub fn confirm_handover(&self, id: &str) -> Result<Enrolment> {
        let now = self.now_ms();
        let mut store = self.store()?;
        store.enrolment_row(id)?.expect_state(&[EnrolmentState::Submitted])?;
        store.erase_enrolment(id, EnrolmentState::HandedOver.code(), "handed_over", now)?;
        store.enrolment_row(id)?.view()
    }
}
