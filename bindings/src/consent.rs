//! The citizen's consent: `locker.consent()`. Requests pulled from the consent manager, the
//! citizen's decisions (applied here at once, heard by the consent manager at the next drain of
//! the outbox), the artefacts and their history, and releases of records, each decided by the
//! core's one policy. Pulling is `async`; everything else is a local call.

use crate::backbone::Backbone;
use crate::error::{LockerError, run, run_async};
use locker_core::consent::{
    AccessMode, AutoApproval, ConsentStatus, ConsentUse, DenyReason, GrantChoice, HistoryEntry, RefreshReport,
    ReleaseChannel, Released, Revoked, StoredArtefact, StoredRequest, SweepReport,
};
use std::sync::Arc;
use zeroize::Zeroizing;

#[derive(uniffi::Object)]
pub struct Consents {
    pub(crate) core: Arc<locker_core::Locker>,
}

/// What is asked to leave the device: these records, to this HIU, for this use, by this
/// channel. The core's `ReleaseAsk`, with its date range as a record (uniffi has no tuples).
#[derive(Clone, Debug, PartialEq, Eq, uniffi::Record)]
pub struct ReleaseAsk {
    pub hiu: String,
    /// The artefact the HIU names (a data request always does).
    #[uniffi(default)]
    pub consent_id: Option<String>,
    pub mode: AccessMode,
    /// The range a data request asks for; it must lie inside the artefact's.
    #[uniffi(default)]
    pub date_range: Option<DateRange>,
    pub records: Vec<String>,
    pub channel: ReleaseChannel,
}

/// From and to, UTC milliseconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, uniffi::Record)]
pub struct DateRange {
    pub from_ms: i64,
    pub to_ms: i64,
}

impl From<ReleaseAsk> for locker_core::consent::ReleaseAsk {
    fn from(a: ReleaseAsk) -> Self {
        locker_core::consent::ReleaseAsk {
            hiu: a.hiu,
            consent_id: a.consent_id,
            mode: a.mode,
            date_range: a.date_range.map(|r| (r.from_ms, r.to_ms)),
            records: a.records,
            channel: a.channel,
        }
    }
}

#[uniffi::export(async_runtime = "tokio")]
impl Consents {
    /// Pulls the requests and artefacts of every citizen signed in here, checks each artefact's
    /// signature where the consent manager's scheme is known, then sweeps what time ended.
    pub async fn refresh(&self, backbone: Arc<Backbone>) -> Result<RefreshReport, LockerError> {
        run_async(self.core.consent().refresh(&backbone.core)).await
    }
}

#[uniffi::export]
impl Consents {
    /// Keeps the citizen's consent-manager login token for `patient` (their ABHA address), valid
    /// for `expires_in_s` seconds. The copy that crossed the FFI is wiped.
    pub fn sign_in(&self, patient: String, token: String, expires_in_s: u64) -> Result<(), LockerError> {
        let token = Zeroizing::new(token);
        run(|| self.core.consent().sign_in(&patient, &token, expires_in_s))
    }

    /// Requests, newest first, of one status or all.
    #[uniffi::method(default(status = None))]
    pub fn requests(&self, status: Option<ConsentStatus>) -> Result<Vec<StoredRequest>, LockerError> {
        run(|| self.core.consent().requests(status))
    }

    pub fn request(&self, id: String) -> Result<StoredRequest, LockerError> {
        run(|| self.core.consent().request(&id))
    }

    /// Artefacts, of one status or all; each says whether its signature was verified.
    #[uniffi::method(default(status = None))]
    pub fn artefacts(&self, status: Option<ConsentStatus>) -> Result<Vec<StoredArtefact>, LockerError> {
        run(|| self.core.consent().artefacts(status))
    }

    pub fn artefact(&self, id: String) -> Result<StoredArtefact, LockerError> {
        run(|| self.core.consent().artefact(&id))
    }

    /// The artefacts granted for a request (those still pending included).
    pub fn artefacts_of(&self, request_id: String) -> Result<Vec<StoredArtefact>, LockerError> {
        run(|| self.core.consent().artefacts_of(&request_id))
    }

    /// Every status change of a request or an artefact, oldest first.
    pub fn history(&self, id: String) -> Result<Vec<HistoryEntry>, LockerError> {
        run(|| self.core.consent().history(&id))
    }

    /// What was released under one artefact (or under all), newest first, by reference only.
    #[uniffi::method(default(artefact = None))]
    pub fn uses(&self, artefact: Option<String>) -> Result<Vec<ConsentUse>, LockerError> {
        run(|| self.core.consent().uses(artefact.as_deref()))
    }

    /// What approving request `id` as asked would grant, for the citizen to narrow.
    pub fn proposal(&self, id: String) -> Result<GrantChoice, LockerError> {
        run(|| self.core.consent().proposal(&id))
    }

    /// Approves request `id` with one grant per HIP, each narrowing what was asked. Applies here
    /// at once; the grants cover nothing until the consent manager confirms them.
    pub fn approve(&self, id: String, choices: Vec<GrantChoice>) -> Result<Vec<StoredArtefact>, LockerError> {
        run(|| self.core.consent().approve(&id, &choices))
    }

    /// Denies request `id`, with an optional reason (at most 100 characters) for the HIU.
    #[uniffi::method(default(reason = None))]
    pub fn deny(&self, id: String, reason: Option<String>) -> Result<(), LockerError> {
        run(|| self.core.consent().deny(&id, reason.as_deref()))
    }

    /// Revokes a request's artefacts, or one artefact: in force on this device at once.
    pub fn revoke(&self, id: String) -> Result<Revoked, LockerError> {
        run(|| self.core.consent().revoke(&id))
    }

    /// Asks the policy whether `ask`'s records may go; records the use and reads out those it
    /// permits. The decision says why each other record stays.
    pub fn release(&self, ask: ReleaseAsk) -> Result<Released, LockerError> {
        run(|| self.core.consent().release(&ask.into()))
    }

    /// Expires what time has ended and erases what was received under ended grants.
    pub fn sweep(&self) -> Result<SweepReport, LockerError> {
        run(|| self.core.consent().sweep())
    }

    /// Turns auto-approval of `patient`'s own requests from `hiu` (their app's HIU id) on or off.
    pub fn set_auto_approval(&self, patient: String, hiu: String, enabled: bool) -> Result<AutoApproval, LockerError> {
        run(|| self.core.consent().set_auto_approval(&patient, &hiu, enabled))
    }

    /// The citizen's auto-approval setting for `patient`, if they ever made one.
    pub fn auto_approval(&self, patient: String) -> Result<Option<AutoApproval>, LockerError> {
        run(|| self.core.consent().auto_approval(&patient))
    }
}

/// Why the policy refused a record, in words for the citizen (the core's own text).
#[uniffi::export]
pub fn deny_reason_explanation(reason: DenyReason) -> String {
    reason.explain()
}

/// Why the policy refused a record, as a stable code (`hi-type`, `not-granted:REVOKED`, …).
#[uniffi::export]
pub fn deny_reason_code(reason: DenyReason) -> String {
    reason.code()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refusal_is_explained_in_the_cores_words() {
        let r = DenyReason::NotGranted(ConsentStatus::Revoked);
        assert_eq!(deny_reason_code(r), "not-granted:REVOKED");
        assert_eq!(deny_reason_explanation(r), r.explain());
    }

    #[test]
    fn a_release_ask_crosses_with_its_date_range_as_the_core_reads_it() {
        let ask = ReleaseAsk {
            hiu: "sbx-hiu-city-hospital".into(),
            consent_id: Some("c-1".into()),
            mode: AccessMode::View,
            date_range: Some(DateRange { from_ms: 1, to_ms: 2 }),
            records: vec!["r-1".into()],
            channel: ReleaseChannel::DataRequest,
        };
        let core = locker_core::consent::ReleaseAsk::from(ask.clone());
        assert_eq!(core.date_range, Some((1, 2)));
        assert_eq!((&core.hiu, &core.consent_id, &core.records), (&ask.hiu, &ask.consent_id, &ask.records));
        assert_eq!((core.mode, core.channel), (ask.mode, ask.channel));
        let open = locker_core::consent::ReleaseAsk::from(ReleaseAsk { date_range: None, ..ask });
        assert_eq!(open.date_range, None);
    }
}
