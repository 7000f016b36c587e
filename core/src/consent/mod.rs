//! Consent: the citizen decides who sees what, and the device enforces it, online or not.
//!
//! The ledger (`ledger.rs`) holds requests and artefacts as this device knows them, their
//! history and every use. Decisions (`decide.rs`) apply here at once and reach the consent
//! manager through the outbox (`deliver.rs`); when it disagrees, its answer wins and the citizen
//! is told. Pulling (`refresh.rs`) brings requests and artefacts, checking signatures where the
//! scheme is known (`signature.rs`). Every release of records asks the one pure policy
//! (`policy.rs`) first (`release.rs`); what ended is erased (`erasure.rs`). Nothing personal
//! reaches the audit log: ids, types and counts only.

/// An enum kept and sent as short text codes: `ALL`, `code()`, `from_code()`, and its SQL form.
macro_rules! codes {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $v:ident = $code:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        pub enum $name { $($(#[$vm])* $v),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$v),+];

            /// Its code, as ABDM spells it (or, for the ledger's own, as stored).
            pub fn code(self) -> &'static str {
                match self { $($name::$v => $code),+ }
            }

            pub(crate) fn from_code(s: &str) -> Option<$name> {
                $name::ALL.iter().copied().find(|v| v.code() == s)
            }
        }

        crate::store::sql_enum::stored_as_text!($name);
    };
}
pub(crate) use codes;

pub(crate) mod auto;
mod decide;
pub(crate) mod deliver;
mod erasure;
pub(crate) mod ledger;
pub mod model;
pub mod policy;
mod refresh;
mod release;
pub(crate) mod signature;
pub mod wire;

pub use auto::AutoApproval;
pub use decide::{MAX_DENY_REASON, Revoked, THIS_DEVICE_HIP};
pub use erasure::SweepReport;
pub use ledger::{ConsentUse, HistoryEntry, PendingDecision, Source, StoredArtefact, StoredRequest};
pub use model::{
    AccessMode, CareContextRef, ConsentRequest, ConsentStatus, Frequency, FrequencyUnit, Grant, GrantChoice, Party,
    Permission, Purpose, Verification,
};
pub use policy::{Decision, Denial, DenyReason, Permit, RecordFacts, Release, UseHistory, decide};
pub use refresh::RefreshReport;
pub use release::{ReleaseAsk, ReleaseChannel, Released, ReleasedRecord};

use crate::Locker;
use crate::error::{Error, Result};
use rusqlite::params;

/// A request nobody answers expires this long after it was made (the reference consent
/// manager's rule, which our sandbox keeps).
pub const REQUEST_LIFETIME_MS: i64 = 60 * 60 * 1000;

/// The citizen's consent: the room [`Locker::consent`] hands out.
pub struct Consents<'a>(pub(crate) &'a Locker);

impl Consents<'_> {
    /// Keeps the citizen's consent-manager login token (`X-AUTH-TOKEN`) for `patient` (their
    /// ABHA address), valid for `expires_in_s` seconds: calls for that patient carry it.
    pub fn sign_in(&self, patient: &str, token: &str, expires_in_s: u64) -> Result<()> {
        let patient = normal_patient(patient)?;
        if token.trim().is_empty() || token.len() > 8192 {
            return Err(Error::InvalidInput("a login token is 1 to 8192 characters".into()));
        }
        let expires_in_ms = i64::try_from(expires_in_s.saturating_mul(1000)).unwrap_or(i64::MAX / 2);
        self.0.write(|tx| {
            tx.execute(
                "INSERT INTO phr_sessions (patient, token, expires_at) VALUES (?1, ?2, ?3)
                 ON CONFLICT (patient) DO UPDATE SET token = excluded.token, expires_at = excluded.expires_at",
                params![patient, token.trim(), tx.now().saturating_add(expires_in_ms)],
            )?;
            tx.audit("consent.sign-in", None, None)
        })
    }

    /// Requests, newest first, optionally of one status (as this device holds them).
    pub fn requests(&self, status: Option<ConsentStatus>) -> Result<Vec<StoredRequest>> {
        self.0.read(|r| ledger::requests(r.conn(), status))
    }

    /// One request.
    pub fn request(&self, id: &str) -> Result<StoredRequest> {
        self.0.read(|r| ledger::request(r.conn(), id))
    }

    /// Artefacts, optionally of one status; each says whether its signature was verified.
    pub fn artefacts(&self, status: Option<ConsentStatus>) -> Result<Vec<StoredArtefact>> {
        self.0.read(|r| ledger::artefacts(r.conn(), status))
    }

    /// One artefact.
    pub fn artefact(&self, id: &str) -> Result<StoredArtefact> {
        self.0.read(|r| ledger::artefact(r.conn(), id))
    }

    /// The artefacts granted for a request (pending ones included).
    pub fn artefacts_of(&self, request_id: &str) -> Result<Vec<StoredArtefact>> {
        self.0.read(|r| ledger::artefacts_of_request(r.conn(), request_id))
    }

    /// Every status change of a request or an artefact, oldest first.
    pub fn history(&self, id: &str) -> Result<Vec<HistoryEntry>> {
        self.0.read(|r| ledger::history_of(r.conn(), id))
    }

    /// What was released under one artefact (or under all), newest first: by reference only.
    pub fn uses(&self, artefact: Option<&str>) -> Result<Vec<ConsentUse>> {
        self.0.read(|r| ledger::uses(r.conn(), artefact))
    }
}

/// An ABHA address as the ledger keys it.
pub(crate) fn normal_patient(s: &str) -> Result<String> {
    Ok(crate::abha::address::AbhaAddress::parse(s)?.to_string())
}

/// The login token kept for `patient` (an ABHA address as stored), or `SignInNeeded`.
pub(crate) fn token_of(locker: &Locker, patient: &str) -> Result<zeroize::Zeroizing<String>> {
    locker.read(|r| token_for(r.conn(), patient))
}

/// The login token kept for `patient`, or `SignInNeeded`.
pub(crate) fn token_for(conn: &rusqlite::Connection, patient: &str) -> Result<zeroize::Zeroizing<String>> {
    use rusqlite::OptionalExtension;
    let token: Option<String> = conn
        .query_row("SELECT token FROM phr_sessions WHERE patient = ?1 COLLATE NOCASE", [patient], |r| r.get(0))
        .optional()?;
    token.map(zeroize::Zeroizing::new).ok_or(Error::SignInNeeded)
}
