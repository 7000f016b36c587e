//! Linking's, the exchange's and sync's records as uniffi sees them: the core's own types,
//! declared as remote types (see `types.rs`).

use locker_core::exchange::{HipRequest, MailboxReport, Pull, PullState, Transfer};
use locker_core::links::{CareLink, Discovery, FoundCareContext, FoundPatient, LinkStarted};
use locker_core::{DrainReport, SyncBudget, SyncProgress, SyncReport, SyncStage};

#[uniffi::remote(Record)]
pub struct FoundCareContext {
    pub reference: String,
    pub display: String,
}

#[uniffi::remote(Record)]
pub struct FoundPatient {
    pub reference: String,
    pub care_contexts: Vec<FoundCareContext>,
    pub hi_type: Option<String>,
}

#[uniffi::remote(Record)]
pub struct Discovery {
    pub attempt: String,
    pub hip_id: String,
    pub patients: Vec<FoundPatient>,
}

#[uniffi::remote(Record)]
pub struct LinkStarted {
    pub attempt: String,
    pub link_reference: String,
    pub otp_expires_at_ms: Option<i64>,
}

#[uniffi::remote(Record)]
pub struct CareLink {
    pub patient: String,
    pub hip_id: String,
    pub hip_name: Option<String>,
    pub patient_reference: String,
    pub care_context: String,
    pub display: String,
    pub linked_here: bool,
    pub linked_at_ms: i64,
}

#[uniffi::remote(Enum)]
pub enum PullState {
    Asking,
    Waiting,
    Fetching,
    Done,
    Failed,
}

#[uniffi::remote(Record)]
pub struct Transfer {
    pub id: String,
    pub hip_id: String,
    pub state: String,
    pub page_count: Option<u32>,
    pub pages_imported: u32,
    pub pages_failed: u32,
    pub records_imported: u32,
    pub already_held: u32,
    pub checksum_warnings: u32,
    pub key_kept: bool,
}

#[uniffi::remote(Record)]
pub struct Pull {
    pub id: String,
    pub profile_id: String,
    pub state: PullState,
    pub error_code: Option<String>,
    pub transfers: Vec<Transfer>,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
}

#[uniffi::remote(Record)]
pub struct HipRequest {
    pub transaction_id: String,
    pub consent_id: String,
    pub hiu: Option<String>,
    pub state: String,
    pub records: u32,
    pub pages_sent: u32,
    pub refusal: Option<String>,
}

#[uniffi::remote(Record)]
pub struct SyncBudget {
    #[uniffi(default = 540000)]
    pub max_millis: u64,
    #[uniffi(default = 67108864)]
    pub max_bytes: u64,
}

#[uniffi::remote(Enum)]
pub enum SyncStage {
    Outbox,
    Consent,
    Links,
    Tokens,
    Mailbox,
    Pulls,
    Done,
}

#[uniffi::remote(Record)]
pub struct SyncProgress {
    pub stage: SyncStage,
    pub items: u64,
    pub bytes: u64,
}

#[uniffi::remote(Record)]
pub struct MailboxReport {
    pub messages: u32,
    pub bytes: u64,
    pub pages: u32,
    pub records_imported: u32,
    pub already_held: u32,
    pub entries_failed: u32,
    pub checksum_warnings: u32,
    pub data_requests: u32,
    pub duplicates: u32,
    pub budget_spent: bool,
}

#[uniffi::remote(Record)]
pub struct SyncReport {
    pub outbox: DrainReport,
    pub consent_changed: u32,
    pub links_new: u32,
    pub tokens: u32,
    pub mailbox: MailboxReport,
    pub pull_requests: u32,
    pub items: u64,
    pub bytes: u64,
    pub stopped: Option<String>,
    pub failed: Vec<String>,
}
