//! The health-information exchange (PROTOCOL.md, Health-information exchange; DESIGN.md, "Pull,
//! not push"): the citizen's records brought home from hospitals, encrypted end to end to a key
//! made on this phone, and doctors' requests for the records held here answered under a grant.
//!
//! - `pull`: the locker asks as a HIU for its own citizen (a self-request, `PATRQT`), then, per
//!   artefact, for the records with a fresh key pair; the private key stays in the store only
//!   until that transfer's push has arrived.
//! - `mailbox`: the phone receives nothing; the relay keeps callbacks and pushes, unopened, until
//!   the phone reads them. Each is applied in one transaction and only then removed from the
//!   relay, so a phone killed at any moment reads it again and applies it at most once.
//! - `pages`: one pushed page decrypted, checked and imported, with its bookkeeping, at once.
//! - `answer`: a doctor's data request to the locker as a HIP: the consent policy picks the
//!   records, which are encrypted to the HIU's key and pushed, and the notify sent.

pub(crate) mod answer;
pub(crate) mod mailbox;
pub(crate) mod pages;
pub(crate) mod pull;

use crate::Locker;
use crate::crypto::fidelius::{KeyForm, KeyMaterial, PublicKey};
use crate::error::Result;
use crate::fhir::HiType;
use serde_json::Value;

pub use mailbox::MailboxReport;
pub use pull::PAGE_GAP_MS;

/// The exchange's handle (`Locker::exchange`).
pub struct Exchange<'a>(pub(crate) &'a Locker);

/// Where a pull is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PullState {
    /// The self-request waits to reach the consent manager.
    Asking,
    /// Asked: waiting for the grant (automatic when the citizen allows it, else theirs to give).
    Waiting,
    /// Granted: records are asked for and arriving.
    Fetching,
    /// Every transfer arrived (or ended) and was notified.
    Done,
    /// Refused, denied or expired: `error_code` says which.
    Failed,
}

impl PullState {
    pub const ALL: [PullState; 5] =
        [PullState::Asking, PullState::Waiting, PullState::Fetching, PullState::Done, PullState::Failed];

    pub fn code(self) -> &'static str {
        match self {
            PullState::Asking => "asking",
            PullState::Waiting => "waiting",
            PullState::Fetching => "fetching",
            PullState::Done => "done",
            PullState::Failed => "failed",
        }
    }

    pub(crate) fn from_code(s: &str) -> Option<PullState> {
        PullState::ALL.into_iter().find(|k| k.code() == s)
    }
}

crate::store::sql_enum::stored_as_text!(PullState);

/// A pull and how far it got.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pull {
    pub id: String,
    pub profile_id: String,
    pub state: PullState,
    pub error_code: Option<String>,
    /// One per facility the grant covers.
    pub transfers: Vec<Transfer>,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
}

/// One facility's transfer within a pull.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Transfer {
    pub id: String,
    pub hip_id: String,
    /// `requested`, `receiving`, `received`, `notified` or `failed`.
    pub state: String,
    pub page_count: Option<u32>,
    pub pages_imported: u32,
    /// Pages whose entries failed their tag: kept, with the key, for another try.
    pub pages_failed: u32,
    pub records_imported: u32,
    /// Entries already held (the same bundle came before).
    pub already_held: u32,
    pub checksum_warnings: u32,
    /// Whether the private key is still kept (until the push has arrived).
    pub key_kept: bool,
}

/// A doctor's data request to this locker as a HIP, and what became of it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HipRequest {
    pub transaction_id: String,
    pub consent_id: String,
    pub hiu: Option<String>,
    /// `received`, `pushing`, `refused` or `notified`.
    pub state: String,
    pub records: u32,
    pub pages_sent: u32,
    /// Why nothing was sent (the policy's reason code), when refused.
    pub refusal: Option<String>,
}

/// A REQUEST-ID made from an item's own for one of its steps: the same on every try (so the
/// backbone applies each step once) and a UUID as the backbone expects.
pub(crate) fn step_id(request_id: &str, step: &str) -> String {
    let mut c = ring::digest::Context::new(&ring::digest::SHA256);
    c.update(request_id.as_bytes());
    c.update(b"|");
    c.update(step.as_bytes());
    let d = c.finish();
    let mut b = [0u8; 16];
    b.copy_from_slice(&d.as_ref()[..16]);
    uuid::Builder::from_random_bytes(b).into_uuid().to_string()
}

/// The `keyMaterial` of a request or a push: our public key in `form`, our nonce, offered until
/// `expiry_ms`.
pub(crate) fn key_material(public: &PublicKey, form: KeyForm, nonce: &[u8; 32], expiry_ms: i64) -> Value {
    KeyMaterial { public_key: *public, nonce: *nonce, expiry: Some(locker_calendar::iso_utc_ms(expiry_ms)) }
        .to_json(form)
}

/// The hiTypes a pull asks for when the caller names none: all of them.
pub(crate) fn all_hi_types() -> Vec<&'static str> {
    HiType::ALL.iter().map(|t| t.as_str()).collect()
}

impl Exchange<'_> {
    /// Pulls and their transfers, newest first.
    pub fn pulls(&self) -> Result<Vec<Pull>> {
        self.0.read(|r| pull::list(r.conn()))
    }

    /// One pull.
    pub fn pull_status(&self, id: &str) -> Result<Pull> {
        self.0.read(|r| pull::one(r.conn(), id))
    }

    /// Doctors' data requests that reached this locker, newest first.
    pub fn hip_requests(&self) -> Result<Vec<HipRequest>> {
        self.0.read(|r| answer::list(r.conn()))
    }
}
