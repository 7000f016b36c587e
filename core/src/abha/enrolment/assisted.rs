//! Assisted enrolment: a field worker's session captures citizens, with or without a network.
//!
//! Capture validates the details, seals the Aadhaar number to the backbone's cached key at
//! once (the clear number is wiped before capture returns), records the citizen's consent
//! (language, time, version of the text), stores the enrolment and queues its submission on the
//! outbox with its REQUEST-ID, all in one transaction. A drain of the outbox submits it by
//! demographic enrolment and reconciles the answer (`submit.rs`): created, already existed, or
//! rejected with a reason the worker can act on. The citizen's details are erased once the ABHA
//! has been handed over, or when the retention period ends.

use super::rows::{self, EnrolmentRow, Erasure, WorkerSession};
use super::{
    CitizenDetails, DAY_MS, DEFAULT_RETENTION_DAYS, Enrolment, EnrolmentMode, EnrolmentOutcome, EnrolmentState,
    Enrolments, Personal,
};
use crate::abha::aadhaar::seal_aadhaar;
use crate::crypto::random_uid;
use crate::error::{Error, Result};
use crate::outbox::{ItemKind, queue};
use crate::sync::Backbone;
use std::collections::HashSet;
use zeroize::Zeroizing;

/// The citizen's consent to enrolment, as the worker recorded it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConsentCapture {
    /// The language the consent text was read in (e.g. `hi`, `en`, `ta`).
    pub language: String,
    /// The version of the consent text shown.
    pub text_version: String,
}

/// What one drain of a worker's queue came to.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SubmitReport {
    pub created: u32,
    pub already_existed: u32,
    pub rejected: u32,
    /// Still queued: the network or the backbone failed them this time.
    pub still_queued: u32,
    /// Erased because their retention period ended before a network came.
    pub expired: u32,
    /// Why the drain stopped early (`offline`, `unauthorized`, …), if it did.
    pub halted: Option<String>,
    /// The enrolments this drain touched, as they now are.
    pub enrolments: Vec<Enrolment>,
}

impl Enrolments<'_> {
    /// Starts a field worker's session on this device. `retention_days` (default 7) bounds how
    /// long a citizen's details may stay here.
    pub fn start_session(
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
            started_at_ms: self.0.now_ms(),
            ended_at_ms: None,
            retention_ms: i64::from(days) * DAY_MS,
        };
        self.0.write(|tx| rows::insert_session(tx, &session))?;
        Ok(session)
    }

    pub fn end_session(&self, session_id: &str) -> Result<()> {
        self.0.write(|tx| rows::end_session(tx, session_id))
    }

    pub fn session(&self, session_id: &str) -> Result<WorkerSession> {
        self.0.read(|r| rows::session(r.conn(), session_id))
    }

    /// Captures one citizen into the session's queue, with no network needed: the Aadhaar
    /// number is sealed to the backbone's cached key before this returns, and never stored or
    /// kept in the clear. Needs the key fetched once (`refresh_backbone_key`).
    pub fn capture(
        &self,
        session_id: &str,
        details: CitizenDetails,
        aadhaar: String,
        consent: &ConsentCapture,
    ) -> Result<Enrolment> {
        // Wiped on every way out of this function, early returns included.
        let mut aadhaar = Zeroizing::new(aadhaar);
        let now = self.0.now_ms();
        let lang_ok =
            |s: &str| (2..=16).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
        let version_ok = |s: &str| (1..=32).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_graphic());
        if !lang_ok(&consent.language) || !version_ok(&consent.text_version) {
            return Err(Error::InvalidInput("consent needs its language code and the text's version".into()));
        }
        let details = details.validated(now)?;
        let (session, key) = self.0.read(|r| {
            let session = rows::session(r.conn(), session_id)?;
            if session.ended_at_ms.is_some() {
                return Err(Error::InvalidInput("the worker session has ended".into()));
            }
            Ok((session, rows::backbone_key(r.conn())?.ok_or(Error::BackboneKeyMissing)?))
        })?;
        let sealed = seal_aadhaar(std::mem::take(&mut *aadhaar), &key)?;
        let mut personal = Personal::default();
        personal.details = Some(details);
        personal.sealed_aadhaar = Some(sealed);
        let mut row = EnrolmentRow::new(EnrolmentMode::Assisted, EnrolmentState::Queued, now)?;
        row.session_id = Some(session.id.clone());
        row.erase_after = Some(now + session.retention_ms);
        row.consent_language = Some(consent.language.clone());
        row.consent_version = Some(consent.text_version.clone());
        row.consent_at = Some(now);
        personal.write(&mut row)?;
        self.0.write(|tx| {
            rows::insert(tx, &row, "enrolment.captured")?;
            queue::enqueue(tx, ItemKind::EnrolmentSubmit, &row.id, None, None)?;
            Ok(())
        })?;
        self.get(&row.id)
    }

    /// Corrects a queued or rejected enrolment: new details, a newly captured Aadhaar number,
    /// or both. Its submission is queued again as a new request (a new REQUEST-ID).
    pub fn correct(&self, id: &str, details: Option<CitizenDetails>, aadhaar: Option<String>) -> Result<Enrolment> {
        let mut aadhaar = aadhaar.map(Zeroizing::new);
        if details.is_none() && aadhaar.is_none() {
            return Err(Error::InvalidInput("a correction needs new details, a new Aadhaar number, or both".into()));
        }
        let now = self.0.now_ms();
        let details = details.map(|d| d.validated(now)).transpose()?;
        // Read, changed and written in one transaction: a submission answered meanwhile (or
        // another correction) is seen, never overwritten.
        self.0.write(|tx| {
            let mut row = rows::get(tx, id)?;
            row.expect_state(&[EnrolmentState::Queued, EnrolmentState::Rejected])?;
            let mut personal = Personal::read(&row)?;
            if let Some(a) = aadhaar.as_mut() {
                let key = rows::backbone_key(tx)?.ok_or(Error::BackboneKeyMissing)?;
                personal.sealed_aadhaar = Some(seal_aadhaar(std::mem::take(&mut **a), &key)?);
            }
            if let Some(d) = details {
                personal.details = Some(d);
            }
            personal.write(&mut row)?;
            row.state = EnrolmentState::Queued;
            row.outcome = None;
            row.reason = None;
            row.updated_at = tx.now();
            rows::update(tx, &row, Some(("enrolment.corrected", "")))?;
            queue::remove_for_subject(tx, ItemKind::EnrolmentSubmit, id)?;
            queue::enqueue(tx, ItemKind::EnrolmentSubmit, id, None, None)?;
            Ok(())
        })?;
        self.get(id)
    }

    /// Submits queued enrolments (of one session, or all) through the outbox, a few at a time,
    /// and reconciles each answer. Stops sending when the network is gone; whatever was not sent
    /// stays queued. Expired ones are erased first.
    pub async fn submit(&self, backbone: &Backbone, session_id: Option<&str>) -> Result<SubmitReport> {
        let expired = self.purge_expired()?;
        let queued: HashSet<String> = self
            .0
            .read(|r| rows::in_state(r.conn(), EnrolmentState::Queued, session_id))?
            .into_iter()
            .map(|row| row.id)
            .collect();
        let scope = crate::outbox::drain::Scope::Subjects(ItemKind::EnrolmentSubmit, &queued);
        let drained = crate::outbox::drain::drain(self.0, backbone, &scope).await?;
        let mut report = SubmitReport { expired, halted: drained.halted, ..SubmitReport::default() };
        for id in &queued {
            let e = self.get(id)?;
            match (e.state, e.outcome) {
                (EnrolmentState::Submitted, Some(EnrolmentOutcome::Created)) => report.created += 1,
                (EnrolmentState::Submitted, _) => report.already_existed += 1,
                (EnrolmentState::Rejected, _) => report.rejected += 1,
                (EnrolmentState::Queued, _) => report.still_queued += 1,
                _ => {}
            }
            report.enrolments.push(e);
        }
        report.enrolments.sort_by(|a, b| (a.created_at_ms, &a.id).cmp(&(b.created_at_ms, &b.id)));
        Ok(report)
    }

    /// The ABHA card (PNG) of a submitted enrolment, to show the citizen.
    pub async fn card(&self, backbone: &Backbone, id: &str) -> Result<Vec<u8>> {
        let token = self.0.read(|r| {
            let row = rows::get(r.conn(), id)?;
            row.expect_state(&[EnrolmentState::Submitted])?;
            Personal::read(&row)?.token.clone().ok_or(Error::NotFound("ABHA card token"))
        })?;
        let token = Zeroizing::new(token);
        crate::network::with_backbone(self.0, backbone, backbone.abha_card(&token)).await
    }

    /// The ABHA card QR payload of a submitted enrolment (PROTOCOL.md's unsigned JSON), to show
    /// the citizen with no network.
    pub fn qr(&self, id: &str) -> Result<String> {
        let row = self.0.read(|r| rows::get(r.conn(), id))?;
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
        self.erase(id, EnrolmentState::HandedOver, Erasure::HandedOver, Some(&[EnrolmentState::Submitted]))
    }
}
