//! Enrolment as a state machine persisted in the store, so that every step survives the app
//! being killed or the network dropping.
//!
//! - **Online** (`online.rs`): the citizen's own phone. Aadhaar OTP → enrol → mobile
//!   verification (when the mobile differs from the Aadhaar-linked one) → ABHA address → the
//!   profile saved with its ABHA number and address, and the ABHA card kept as an attachment.
//!   Each step is a call the person waits on, sent at once; it is recorded as in flight (its
//!   step and REQUEST-ID) before it is sent, so a retried or resumed step goes out with the same
//!   REQUEST-ID and the backbone answers it without applying it twice.
//! - **Assisted** (`assisted.rs`): a field worker's session captures many citizens, online or
//!   not; each capture is sealed at once and its submission queued on the outbox in the same
//!   transaction. The outbox delivers it (`submit.rs` builds the call and records the answer);
//!   the citizen's ABHA is handed over, and then their details are erased from the device.
//!
//! The state machine lives here; delivery is the outbox's, with its one retry policy and one
//! classification of failures.

mod assisted;
mod citizen;
mod online;
mod rows;
pub(crate) mod submit;

pub use assisted::{ConsentCapture, SubmitReport};
pub use citizen::CitizenDetails;
pub use rows::WorkerSession;

use crate::Locker;
use crate::error::{Error, Result};
use crate::outbox::{ItemKind, OutboxItem, queue};
use crate::sync::{AbhaProfile, Backbone};
use rows::{EnrolmentRow, Erasure};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::fmt;
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

impl EnrolmentMode {
    pub fn code(self) -> &'static str {
        match self {
            EnrolmentMode::Online => "online",
            EnrolmentMode::Assisted => "assisted",
        }
    }

    pub(crate) fn from_code(s: &str) -> Option<EnrolmentMode> {
        [EnrolmentMode::Online, EnrolmentMode::Assisted].into_iter().find(|m| m.code() == s)
    }
}

crate::store::sql_enum::stored_as_text!(EnrolmentMode);

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
    /// Assisted: captured and sealed, its submission waiting in the outbox.
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

    pub(crate) fn from_code(s: &str) -> Option<EnrolmentState> {
        Self::ALL.into_iter().find(|st| st.code() == s)
    }
}

crate::store::sql_enum::stored_as_text!(EnrolmentState);

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

    pub(crate) fn from_code(s: &str) -> Option<EnrolmentOutcome> {
        [Self::Created, Self::AlreadyExisted, Self::Rejected, Self::Expired].into_iter().find(|o| o.code() == s)
    }
}

crate::store::sql_enum::stored_as_text!(EnrolmentOutcome);

/// An enrolment as the app shows it. The personal fields are `None` once erased; `Debug` shows
/// none of them.
#[derive(Clone, PartialEq, Eq)]
pub struct Enrolment {
    pub id: String,
    pub mode: EnrolmentMode,
    pub state: EnrolmentState,
    pub session_id: Option<String>,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
    /// When the device erases this enrolment's personal details if it is still here.
    pub erase_after_ms: Option<i64>,
    /// Tries that failed for want of a network or a healthy backbone.
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

impl fmt::Debug for Enrolment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Enrolment")
            .field("id", &self.id)
            .field("mode", &self.mode)
            .field("state", &self.state)
            .field("outcome", &self.outcome)
            .field("erased", &self.erased)
            .finish_non_exhaustive()
    }
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

/// An enrolment as the app shows it; an assisted one's tries are its outbox item's.
pub(crate) fn view(row: &EnrolmentRow, item: Option<&OutboxItem>) -> Result<Enrolment> {
    let personal = row.personal.as_ref().map(|_| Personal::read(row)).transpose()?;
    let profile = personal.as_ref().and_then(|p| p.profile.as_ref());
    let name = personal
        .as_ref()
        .and_then(|p| p.details.as_ref().map(|d| d.name.clone()))
        .or_else(|| profile.map(|p| p.name.clone()).filter(|n| !n.is_empty()));
    let (attempts, last_error) = match item {
        Some(i) => (i.attempts, i.last_error.clone()),
        None => (row.attempts.max(0) as u32, row.last_error.clone()),
    };
    Ok(Enrolment {
        id: row.id.clone(),
        mode: row.mode,
        state: row.state,
        session_id: row.session_id.clone(),
        created_at_ms: row.created_at,
        updated_at_ms: row.updated_at,
        erase_after_ms: row.erase_after,
        attempts,
        last_error,
        outcome: row.outcome,
        reason: row.reason.clone(),
        consent_language: row.consent_language.clone(),
        consent_version: row.consent_version.clone(),
        consent_at_ms: row.consent_at,
        name,
        abha_number: profile.map(|p| p.abha_number.clone()),
        abha_address: profile.and_then(|p| p.abha_address.clone()),
        transaction_id: personal.as_ref().and_then(|p| p.txn_id.clone()),
        erased: row.erased_at.is_some(),
    })
}

/// Which enrolments to list.
#[derive(Clone, Debug, Default)]
pub struct EnrolmentFilter {
    /// Only this worker session's.
    pub session_id: Option<String>,
    /// Only those still holding personal details (not yet erased).
    pub pending_only: bool,
}

/// ABHA enrolment: the room [`Locker::enrolment`] hands out. Online steps are in `online.rs`,
/// a field worker's in `assisted.rs`.
pub struct Enrolments<'a>(pub(crate) &'a Locker);

impl Enrolments<'_> {
    /// One enrolment.
    pub fn get(&self, id: &str) -> Result<Enrolment> {
        self.0.read(|r| {
            let row = rows::get(r.conn(), id)?;
            let item = queue::for_subject(r.conn(), ItemKind::EnrolmentSubmit, id)?;
            view(&row, item.as_ref())
        })
    }

    /// Enrolments, oldest first.
    pub fn list(&self, filter: &EnrolmentFilter) -> Result<Vec<Enrolment>> {
        self.0.read(|r| {
            let items: HashMap<String, OutboxItem> = queue::all(r.conn())?
                .into_iter()
                .filter(|i| i.kind == ItemKind::EnrolmentSubmit)
                .map(|i| (i.subject.clone(), i))
                .collect();
            rows::list(r.conn(), filter)?.iter().map(|row| view(row, items.get(&row.id))).collect()
        })
    }

    /// Fetches the backbone's sealing key and keeps it for capture without a network.
    pub async fn refresh_backbone_key(&self, backbone: &Backbone) -> Result<()> {
        let key = crate::network::with_backbone(self.0, backbone, backbone.public_key()).await?;
        self.0.write(|tx| rows::save_backbone_key(tx, &key))
    }

    /// Gives an enrolment up (a citizen who changed their mind, a start that went nowhere): its
    /// personal details are erased at once, its queued submission with them, audited, and the
    /// row stays as `Cancelled`. An ABHA already created stays created; only this device forgets.
    pub fn cancel(&self, id: &str) -> Result<Enrolment> {
        self.erase(id, EnrolmentState::Cancelled, Erasure::Cancelled, None)
    }

    /// Erases every enrolment whose retention period is over, with an audit entry each;
    /// returns how many. Runs by itself before every submission.
    pub fn purge_expired(&self) -> Result<u32> {
        let now = self.0.now_ms();
        if self.0.read(|r| rows::past_retention(r.conn(), now))?.is_empty() {
            return Ok(0);
        }
        // Read again in the transaction that erases: one submitted or handed over meanwhile
        // keeps its outcome.
        let purged = self.0.write(|tx| {
            let due = rows::past_retention(tx, now)?;
            for row in &due {
                if row.outcome.is_none() {
                    let mut row = row.clone();
                    row.outcome = Some(EnrolmentOutcome::Expired);
                    row.reason = Some("not submitted within the retention period: capture again".into());
                    row.updated_at = tx.now();
                    rows::update(tx, &row, None)?;
                }
                rows::erase(tx, &row.id, EnrolmentState::Expired, Erasure::Retention)?;
            }
            Ok(due.len() as u32)
        })?;
        self.0.scrub_wal()?;
        Ok(purged)
    }

    /// Erases `id`'s details (from one of `from`, or any state not yet erased), leaving it at
    /// `to`, and scrubs the write-ahead log.
    fn erase(&self, id: &str, to: EnrolmentState, why: Erasure, from: Option<&[EnrolmentState]>) -> Result<Enrolment> {
        self.0.write(|tx| {
            let row = rows::get(tx, id)?;
            if row.erased_at.is_some() {
                return Err(Error::WrongStep { state: row.state.code().into() });
            }
            if let Some(allowed) = from {
                row.expect_state(allowed)?;
            }
            rows::erase(tx, id, to, why)
        })?;
        self.0.scrub_wal()?;
        self.get(id)
    }
}
