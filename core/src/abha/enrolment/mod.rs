//! Enrolment as a state machine persisted in the store, so that every step survives the app
//! being killed or the network dropping.
//!
//! - **Online** (`online.rs`): the citizen's own phone. Aadhaar OTP → enrol → mobile
//!   verification (when the mobile differs from the Aadhaar-linked one) → ABHA address → the
//!   profile saved with its ABHA number and address, and the ABHA card kept as an attachment.
//! - **Assisted** (`assisted.rs`): a field worker's session captures many citizens, online or
//!   not; each capture is sealed at once and queued, submitted by demographic enrolment when a
//!   network appears, reconciled, handed over, and then erased from the device.
//!
//! Every backbone call an enrolment makes is recorded as in flight (`step` and its REQUEST-ID)
//! before it is sent. Resumed after a crash or a dropped connection, the same call goes out
//! with the same REQUEST-ID, and the backbone answers it without applying it twice.

mod assisted;
mod citizen;
mod online;

pub use assisted::{ConsentCapture, SubmitReport};
pub use citizen::CitizenDetails;

use crate::error::{Error, Result};
use crate::store::enrolments::EnrolmentRow;
use crate::sync::AbhaProfile;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

/// Seven days: how long a citizen's details may stay on a device when they could not be
/// submitted, or were submitted but never handed over.
pub const DEFAULT_RETENTION_DAYS: u32 = 7;
pub(crate) const DAY_MS: i64 = 86_400_000;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EnrolmentMode {
    Online,
    Assisted,
}

/// Where an enrolment is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EnrolmentState {
    /// Online: captured; the Aadhaar OTP is to be requested.
    Started,
    /// Online: the Aadhaar OTP was sent to the Aadhaar-linked mobile.
    OtpSent,
    /// Online: the ABHA exists; the mobile given differs from the Aadhaar-linked one and is to
    /// be verified.
    MobileUnverified,
    /// Online: an OTP was sent to the new mobile.
    MobileOtpSent,
    /// Online: an ABHA address is to be chosen.
    AddressPending,
    /// Online: the address exists; the profile and card are to be saved.
    AddressCreated,
    /// Online: the profile is saved; nothing personal is left in the enrolment.
    Done,
    /// Assisted: captured and sealed, waiting for a network.
    Queued,
    /// Assisted: the backbone answered with an ABHA; to be handed over to the citizen.
    Submitted,
    /// Assisted: the backbone refused it; `reason` says what the worker can do.
    Rejected,
    /// Assisted: handed over to the citizen and erased from the device.
    HandedOver,
    /// Erased from the device at the end of its retention period.
    Expired,
    /// Given up by the citizen or the worker; erased from the device.
    Cancelled,
}

impl EnrolmentState {
    const ALL: [EnrolmentState; 13] = [
        Self::Started,
        Self::OtpSent,
        Self::MobileUnverified,
        Self::MobileOtpSent,
        Self::AddressPending,
        Self::AddressCreated,
        Self::Done,
        Self::Queued,
        Self::Submitted,
        Self::Rejected,
        Self::HandedOver,
        Self::Expired,
        Self::Cancelled,
    ];

    pub fn code(self) -> &'static str {
        use EnrolmentState::*;
        match self {
            Started => "started",
            OtpSent => "otp_sent",
            MobileUnverified => "mobile_unverified",
            MobileOtpSent => "mobile_otp_sent",
            AddressPending => "address_pending",
            AddressCreated => "address_created",
            Done => "done",
            Queued => "queued",
            Submitted => "submitted",
            Rejected => "rejected",
            HandedOver => "handed_over",
            Expired => "expired",
            Cancelled => "cancelled",
        }
    }

    pub(crate) fn from_code(s: &str) -> Result<EnrolmentState> {
        Self::ALL
            .into_iter()
            .find(|st| st.code() == s)
            .ok_or_else(|| Error::Corrupt("an enrolment has an unknown state".into()))
    }
}

/// What the backbone made of an enrolment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EnrolmentOutcome {
    /// A new ABHA was created.
    Created,
    /// The citizen already had an ABHA; it was returned.
    AlreadyExisted,
    /// Refused; see the enrolment's `reason`.
    Rejected,
    /// Never submitted within the retention period; erased.
    Expired,
}

impl EnrolmentOutcome {
    pub fn code(self) -> &'static str {
        match self {
            EnrolmentOutcome::Created => "created",
            EnrolmentOutcome::AlreadyExisted => "already_existed",
            EnrolmentOutcome::Rejected => "rejected",
            EnrolmentOutcome::Expired => "expired",
        }
    }

    fn from_code(s: &str) -> Option<EnrolmentOutcome> {
        [Self::Created, Self::AlreadyExisted, Self::Rejected, Self::Expired].into_iter().find(|o| o.code() == s)
    }
}

/// An enrolment as the app shows it. The personal fields are `None` once erased.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Enrolment {
    pub id: String,
    pub mode: EnrolmentMode,
    pub state: EnrolmentState,
    pub session_id: Option<String>,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
    /// When the device erases this enrolment's personal details if it is still here.
    pub erase_after_ms: Option<i64>,
    /// Submission tries that failed for want of a network or a healthy backbone.
    pub attempts: u32,
    /// The last such failure, as a code (never personal data).
    pub last_error: Option<String>,
    pub outcome: Option<EnrolmentOutcome>,
    /// For a rejection: what the worker can do about it.
    pub reason: Option<String>,
    pub consent_language: Option<String>,
    pub consent_version: Option<String>,
    pub consent_at_ms: Option<i64>,
    /// The citizen's name, for the worker's list; `None` once erased.
    pub name: Option<String>,
    pub abha_number: Option<String>,
    pub abha_address: Option<String>,
    /// Online: the backbone's transaction id for the OTPs in progress (not personal data).
    pub transaction_id: Option<String>,
    pub erased: bool,
}

/// Everything personal an enrolment holds, in whichever mode; kept in the row's `personal`
/// column as JSON and erased as a whole. Clear Aadhaar numbers and OTPs are never among it:
/// only their sealed forms.
#[derive(Default, Serialize, Deserialize)]
pub(crate) struct Personal {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<CitizenDetails>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sealed_aadhaar: Option<crate::crypto::seal::Sealed>,
    /// Online: the mobile the citizen gave.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mobile: Option<String>,
    /// Online: the relation of the new profile to the locker's owner.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub relation: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub txn_id: Option<String>,
    /// An OTP sealed and not yet answered for (kept so a resumed step can send it again).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending_otp: Option<crate::crypto::seal::Sealed>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<AbhaProfile>,
    /// The `X-TOKEN` for the profile and card routes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
}

impl Drop for Personal {
    fn drop(&mut self) {
        use zeroize::Zeroize;
        for s in [&mut self.mobile, &mut self.txn_id, &mut self.token].into_iter().flatten() {
            s.zeroize();
        }
        if let Some(d) = self.details.as_mut() {
            d.wipe();
        }
        if let Some(p) = self.profile.as_mut() {
            for s in [&mut p.name, &mut p.abha_number] {
                s.zeroize();
            }
            for s in [&mut p.mobile, &mut p.birth_date, &mut p.abha_address].into_iter().flatten() {
                s.zeroize();
            }
        }
    }
}

impl Personal {
    pub(crate) fn read(row: &EnrolmentRow) -> Result<Personal> {
        match &row.personal {
            Some(bytes) => serde_json::from_slice(bytes)
                .map_err(|_| Error::Corrupt("an enrolment's details are unreadable".into())),
            None => Err(Error::NotFound("enrolment details (erased)")),
        }
    }

    pub(crate) fn write(&self, row: &mut EnrolmentRow) -> Result<()> {
        row.personal = Some(Zeroizing::new(serde_json::to_vec(self)?));
        Ok(())
    }
}

/// True for failures that say nothing about the enrolment itself (no network, a backbone in
/// trouble, a session problem): the step stays in flight with its REQUEST-ID.
pub(crate) fn is_transient(e: &Error) -> bool {
    match e {
        // An untrusted certificate is the network's fault (a captive portal, an intercepting
        // proxy), not the citizen's: the work waits for a network that reaches the backbone.
        Error::Offline | Error::Unauthorized | Error::UntrustedBackbone => true,
        Error::Backbone { status, .. } => *status == 429 || *status >= 500 || *status == 200,
        _ => false,
    }
}

/// True for transient failures that say nothing about the citizen and would meet every other
/// queued enrolment too: no network, a server that is not the backbone, our own credentials
/// refused (each refused login counts towards ABDM's lock-out), or the backbone asking for a
/// pause longer than a call waits. A drain stops sending at the first.
pub(crate) fn halts_the_queue(e: &Error) -> bool {
    matches!(e, Error::Offline | Error::UntrustedBackbone | Error::Unauthorized | Error::Backbone { status: 429, .. })
}

/// A short code for a failure, for `last_error` (never personal data).
pub(crate) fn error_code(e: &Error) -> String {
    match e {
        Error::Offline => "offline".into(),
        Error::UntrustedBackbone => "untrusted-backbone".into(),
        Error::Unauthorized => "unauthorized".into(),
        Error::Backbone { status, code } => format!("http-{status}:{code}"),
        other => format!("{other}"),
    }
}

impl EnrolmentRow {
    pub(crate) fn state(&self) -> Result<EnrolmentState> {
        EnrolmentState::from_code(&self.state)
    }

    pub(crate) fn set_state(&mut self, s: EnrolmentState) {
        self.state = s.code().to_string();
    }

    pub(crate) fn expect_state(&self, allowed: &[EnrolmentState]) -> Result<EnrolmentState> {
        let s = self.state()?;
        if allowed.contains(&s) { Ok(s) } else { Err(Error::WrongStep { state: s }) }
    }

    /// The REQUEST-ID for `step`: the one already in flight for that step, or a fresh one.
    pub(crate) fn begin_step(&mut self, step: &str) -> String {
        match (&self.step, &self.request_id) {
            (Some(s), Some(id)) if s == step => id.clone(),
            _ => {
                let id = uuid::Uuid::new_v4().to_string();
                self.step = Some(step.to_string());
                self.request_id = Some(id.clone());
                id
            }
        }
    }

    pub(crate) fn end_step(&mut self) {
        self.step = None;
        self.request_id = None;
    }

    pub(crate) fn view(&self) -> Result<Enrolment> {
        let personal = self.personal.as_ref().map(|_| Personal::read(self)).transpose()?;
        let profile = personal.as_ref().and_then(|p| p.profile.as_ref());
        let name = personal
            .as_ref()
            .and_then(|p| p.details.as_ref().map(|d| d.name.clone()))
            .or_else(|| profile.map(|p| p.name.clone()).filter(|n| !n.is_empty()));
        Ok(Enrolment {
            id: self.id.clone(),
            mode: if self.mode == "online" { EnrolmentMode::Online } else { EnrolmentMode::Assisted },
            state: self.state()?,
            session_id: self.session_id.clone(),
            created_at_ms: self.created_at,
            updated_at_ms: self.updated_at,
            erase_after_ms: self.erase_after,
            attempts: self.attempts.max(0) as u32,
            last_error: self.last_error.clone(),
            outcome: self.outcome.as_deref().and_then(EnrolmentOutcome::from_code),
            reason: self.reason.clone(),
            consent_language: self.consent_language.clone(),
            consent_version: self.consent_version.clone(),
            consent_at_ms: self.consent_at,
            name,
            abha_number: profile.map(|p| p.abha_number.clone()),
            abha_address: profile.and_then(|p| p.abha_address.clone()),
            transaction_id: personal.as_ref().and_then(|p| p.txn_id.clone()),
            erased: self.erased_at.is_some(),
        })
    }
}

/// Which enrolments to list.
#[derive(Clone, Debug, Default)]
pub struct EnrolmentFilter {
    /// Only this worker session's.
    pub session_id: Option<String>,
    /// Only those still holding personal details (not yet erased).
    pub pending_only: bool,
}

impl crate::Locker {
    /// One enrolment.
    pub fn enrolment(&self, id: &str) -> Result<Enrolment> {
        self.store()?.enrolment_row(id)?.view()
    }

    /// Enrolments, oldest first.
    pub fn enrolments(&self, filter: &EnrolmentFilter) -> Result<Vec<Enrolment>> {
        let store = self.store()?;
        let rows = match (&filter.session_id, filter.pending_only) {
            (Some(s), true) => store.enrolment_rows("session_id = ?1 AND erased_at IS NULL", s)?,
            (Some(s), false) => store.enrolment_rows("session_id = ?1", s)?,
            (None, true) => store.enrolment_rows("erased_at IS NULL AND ?1", &1)?,
            (None, false) => store.enrolment_rows("?1", &1)?,
        };
        rows.iter().map(EnrolmentRow::view).collect()
    }

    /// Fetches the backbone's sealing key and keeps it for capture without a network.
    pub async fn refresh_backbone_key(&self, backbone: &crate::sync::Backbone) -> Result<()> {
        let key = backbone.public_key().await?;
        let now = self.now_ms();
        self.store()?.save_backbone_key(&key, now)
    }

    /// Gives an enrolment up (a citizen who changed their mind, a start that went nowhere): its
    /// personal details are erased at once, audited, and the row stays as `Cancelled`. An ABHA
    /// already created stays created; only this device forgets.
    pub fn cancel_enrolment(&self, id: &str) -> Result<Enrolment> {
        let now = self.now_ms();
        let mut store = self.store()?;
        let row = store.enrolment_row(id)?;
        if row.erased_at.is_some() {
            return Err(Error::WrongStep { state: row.state()? });
        }
        store.erase_enrolment(id, EnrolmentState::Cancelled.code(), "cancelled", now)?;
        store.enrolment_row(id)?.view()
    }

    /// Erases every enrolment whose retention period is over, with an audit entry each;
    /// returns how many. Runs by itself at every capture and submission.
    pub fn purge_expired_enrolments(&self) -> Result<u32> {
        let now = self.now_ms();
        let mut store = self.store()?;
        let due = store.enrolment_rows("erased_at IS NULL AND erase_after < ?1", &now)?;
        for row in &due {
            let mut row = row.clone();
            if row.outcome.is_none() {
                row.outcome = Some(EnrolmentOutcome::Expired.code().into());
                row.reason = Some("not submitted within the retention period: capture again".into());
                row.updated_at = now;
                store.update_enrolment(&row, None)?;
            }
            store.erase_enrolment(&row.id, EnrolmentState::Expired.code(), "retention", now)?;
        }
        Ok(due.len() as u32)
    }
}
