//! The core's records and enums as uniffi sees them. These are declarations of the core's own
//! types (uniffi "remote" types), not copies: the compiler checks every field against the
//! core's definition, and values cross without conversion code.

use locker_core::consent::{
    AccessMode, AutoApproval, CareContextRef, ConsentRequest, ConsentStatus, ConsentUse, Decision, Denial, DenyReason,
    Frequency, FrequencyUnit, Grant, GrantChoice, HistoryEntry, Party, PendingDecision, Permission, Permit, Purpose,
    RefreshReport, ReleaseChannel, Released, ReleasedRecord, Revoked, Source, StoredArtefact, StoredRequest,
    SweepReport, Verification,
};
use locker_core::{
    AttachmentInfo, AuditEntry, AuditVerification, CheckReport, CitizenDetails, ConsentCapture, DrainReport, Enrolment,
    EnrolmentFilter, EnrolmentMode, EnrolmentOutcome, EnrolmentState, Gender, HiType, ItemKind, ItemState, KindCount,
    NewProfile, OpenNotice, OutboxItem, OutboxStatus, Preset, Profile, RecordPage, RecordQuery, RecordSummary,
    SubmitReport, WedgedItem, WorkerSession,
};

#[uniffi::remote(Enum)]
pub enum Gender {
    Male,
    Female,
    Other,
    Unknown,
}

#[uniffi::remote(Enum)]
pub enum OpenNotice {
    KeyCheckRewritten { was_damaged: bool },
}

#[uniffi::remote(Enum)]
pub enum HiType {
    OPConsultation,
    Prescription,
    DischargeSummary,
    DiagnosticReport,
    ImmunizationRecord,
    HealthDocumentRecord,
    WellnessRecord,
    Invoice,
}

#[uniffi::remote(Record)]
pub struct NewProfile {
    pub name: String,
    pub gender: Gender,
    pub birth_date: String,
    #[uniffi(default)]
    pub abha_number: Option<String>,
    #[uniffi(default)]
    pub abha_address: Option<String>,
    pub relation: String,
    #[uniffi(default)]
    pub is_owner: bool,
}

#[uniffi::remote(Record)]
pub struct Profile {
    pub id: String,
    pub is_owner: bool,
    pub relation: String,
    pub name: String,
    pub gender: Gender,
    pub birth_date: String,
    pub abha_number: Option<String>,
    pub abha_address: Option<String>,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
}

#[uniffi::remote(Record)]
pub struct RecordSummary {
    pub id: String,
    pub profile_id: String,
    pub hi_type: HiType,
    pub date: Option<String>,
    pub sort_ms: i64,
    pub title: String,
    pub facility: Option<String>,
    pub author: Option<String>,
    pub care_context: Option<String>,
    pub attachments: u32,
    pub imported_at_ms: i64,
}

#[uniffi::remote(Record)]
pub struct RecordQuery {
    #[uniffi(default)]
    pub profile_id: Option<String>,
    #[uniffi(default)]
    pub hi_types: Vec<HiType>,
    #[uniffi(default)]
    pub from_date: Option<String>,
    #[uniffi(default)]
    pub to_date: Option<String>,
    #[uniffi(default)]
    pub text: Option<String>,
    #[uniffi(default = 50)]
    pub limit: u32,
    #[uniffi(default)]
    pub cursor: Option<String>,
}

#[uniffi::remote(Record)]
pub struct RecordPage {
    pub records: Vec<RecordSummary>,
    pub next_cursor: Option<String>,
}

#[uniffi::remote(Record)]
pub struct AttachmentInfo {
    pub id: String,
    pub profile_id: String,
    pub record_id: Option<String>,
    pub media_type: String,
    pub size: u64,
    pub created_at_ms: i64,
}

#[uniffi::remote(Record)]
pub struct AuditEntry {
    pub seq: i64,
    pub at_ms: i64,
    pub action: String,
    pub subject: Option<String>,
    pub detail: Option<String>,
}

#[uniffi::remote(Enum)]
pub enum AuditVerification {
    Intact { entries: u64 },
    Broken { at_seq: i64, reason: String },
}

#[uniffi::remote(Record)]
pub struct CheckReport {
    pub sqlite_problems: Vec<String>,
    pub cipher_page_failures: u64,
    pub search_index_ok: bool,
    pub audit: AuditVerification,
    pub attachments_checked: u64,
    pub damaged_attachments: Vec<String>,
    pub incomplete_records: Vec<String>,
    pub stray_files: Vec<String>,
    pub notes: Vec<String>,
    pub problems: Vec<String>,
}

// ABHA enrolment.

#[uniffi::remote(Enum)]
pub enum EnrolmentMode {
    Online,
    Assisted,
}

#[uniffi::remote(Enum)]
pub enum EnrolmentState {
    Started,
    OtpSent,
    MobileUnverified,
    MobileOtpSent,
    AddressPending,
    AddressCreated,
    Done,
    Queued,
    Submitted,
    Rejected,
    HandedOver,
    Expired,
    Cancelled,
}

#[uniffi::remote(Enum)]
pub enum EnrolmentOutcome {
    Created,
    AlreadyExisted,
    Rejected,
    Expired,
}

#[uniffi::remote(Record)]
pub struct Enrolment {
    pub id: String,
    pub mode: EnrolmentMode,
    pub state: EnrolmentState,
    pub session_id: Option<String>,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
    pub erase_after_ms: Option<i64>,
    pub attempts: u32,
    pub last_error: Option<String>,
    pub outcome: Option<EnrolmentOutcome>,
    pub reason: Option<String>,
    pub consent_language: Option<String>,
    pub consent_version: Option<String>,
    pub consent_at_ms: Option<i64>,
    pub name: Option<String>,
    pub abha_number: Option<String>,
    pub abha_address: Option<String>,
    pub transaction_id: Option<String>,
    pub erased: bool,
}

#[uniffi::remote(Record)]
pub struct CitizenDetails {
    pub name: String,
    pub gender: Gender,
    pub birth_date: String,
    pub mobile: String,
    pub address: String,
    pub state_code: String,
    pub district_code: String,
    pub pin_code: String,
}

#[uniffi::remote(Record)]
pub struct ConsentCapture {
    pub language: String,
    pub text_version: String,
}

#[uniffi::remote(Record)]
pub struct SubmitReport {
    pub created: u32,
    pub already_existed: u32,
    pub rejected: u32,
    pub still_queued: u32,
    pub expired: u32,
    pub halted: Option<String>,
    pub enrolments: Vec<Enrolment>,
}

#[uniffi::remote(Record)]
pub struct WorkerSession {
    pub id: String,
    pub worker_id: String,
    pub device_id: String,
    pub started_at_ms: i64,
    pub ended_at_ms: Option<i64>,
    pub retention_ms: i64,
}

#[uniffi::remote(Record)]
pub struct EnrolmentFilter {
    #[uniffi(default)]
    pub session_id: Option<String>,
    #[uniffi(default)]
    pub pending_only: bool,
}

// The outbox.

#[uniffi::remote(Enum)]
pub enum ItemKind {
    EnrolmentSubmit,
    ConsentApprove,
    ConsentDeny,
    ConsentRevoke,
    ConsentAutoApproval,
    ShareProfile,
    CounterLinkToken,
    PullConsent,
    PullRequest,
    PullNotify,
    HipAnswer,
}

#[uniffi::remote(Enum)]
pub enum ItemState {
    Waiting,
    Wedged,
}

#[uniffi::remote(Record)]
pub struct OutboxItem {
    pub id: i64,
    pub kind: ItemKind,
    pub subject: String,
    pub request_id: String,
    pub lane: Option<String>,
    pub state: ItemState,
    pub attempts: u32,
    pub next_attempt_at_ms: i64,
    pub last_error: Option<String>,
    pub reason: Option<String>,
    pub deadline_ms: Option<i64>,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
}

#[uniffi::remote(Record)]
pub struct KindCount {
    pub kind: ItemKind,
    pub waiting: u32,
    pub wedged: u32,
}

#[uniffi::remote(Record)]
pub struct WedgedItem {
    pub id: i64,
    pub kind: ItemKind,
    pub subject: String,
    pub reason: String,
    pub last_error: Option<String>,
}

#[uniffi::remote(Record)]
pub struct OutboxStatus {
    pub waiting: u32,
    pub wedged: u32,
    pub by_kind: Vec<KindCount>,
    pub oldest_waiting_age_ms: Option<i64>,
    pub wedged_items: Vec<WedgedItem>,
}

#[uniffi::remote(Record)]
pub struct DrainReport {
    pub delivered: u32,
    pub retrying: u32,
    pub wedged: u32,
    pub expired: u32,
    pub halted: Option<String>,
    pub waiting: u32,
    pub touched: Vec<String>,
}

// Consent.

#[uniffi::remote(Enum)]
pub enum Purpose {
    CareManagement,
    BreakTheGlass,
    PublicHealth,
    Payment,
    DiseaseResearch,
    SelfRequested,
}

#[uniffi::remote(Enum)]
pub enum ConsentStatus {
    Requested,
    Granted,
    Denied,
    Expired,
    Revoked,
}

#[uniffi::remote(Enum)]
pub enum AccessMode {
    View,
    Store,
    Query,
    Stream,
}

#[uniffi::remote(Enum)]
pub enum FrequencyUnit {
    Hour,
    Day,
    Week,
    Month,
    Year,
}

#[uniffi::remote(Enum)]
pub enum Verification {
    Verified,
    Unverified,
    Pending,
}

#[uniffi::remote(Record)]
pub struct Frequency {
    pub unit: FrequencyUnit,
    pub value: u32,
    pub repeats: u32,
}

#[uniffi::remote(Record)]
pub struct Permission {
    pub access_mode: AccessMode,
    pub date_from_ms: i64,
    pub date_to_ms: i64,
    pub erase_at_ms: i64,
    pub frequency: Frequency,
}

#[uniffi::remote(Record)]
pub struct CareContextRef {
    pub patient_reference: String,
    pub care_context_reference: String,
}

#[uniffi::remote(Record)]
pub struct Party {
    pub id: String,
    #[uniffi(default)]
    pub name: Option<String>,
}

#[uniffi::remote(Record)]
pub struct ConsentRequest {
    pub id: String,
    pub purpose: Purpose,
    pub patient: String,
    pub hiu: Party,
    pub hip: Option<Party>,
    pub care_contexts: Vec<CareContextRef>,
    pub requester_name: String,
    pub hi_types: Vec<HiType>,
    pub permission: Permission,
    pub status: ConsentStatus,
    pub created_at_ms: i64,
}

#[uniffi::remote(Record)]
pub struct Grant {
    pub id: String,
    pub request_id: Option<String>,
    pub status: ConsentStatus,
    pub patient: String,
    pub hiu: String,
    pub hip: String,
    pub hi_types: Vec<HiType>,
    pub care_contexts: Vec<CareContextRef>,
    pub permission: Permission,
    pub verification: Verification,
}

#[uniffi::remote(Record)]
pub struct GrantChoice {
    pub hip: Party,
    pub hi_types: Vec<HiType>,
    pub care_contexts: Vec<CareContextRef>,
    pub date_from_ms: i64,
    pub date_to_ms: i64,
    pub erase_at_ms: i64,
}

#[uniffi::remote(Enum)]
pub enum PendingDecision {
    Approve,
    Deny,
}

#[uniffi::remote(Enum)]
pub enum Source {
    Device,
    Backbone,
}

#[uniffi::remote(Record)]
pub struct StoredRequest {
    pub request: ConsentRequest,
    pub pending: Option<PendingDecision>,
    pub notice: Option<String>,
}

#[uniffi::remote(Record)]
pub struct StoredArtefact {
    pub grant: Grant,
    pub key_id: Option<String>,
    pub revoke_pending: bool,
    pub erased_at_ms: Option<i64>,
}

#[uniffi::remote(Record)]
pub struct HistoryEntry {
    pub subject: String,
    pub status: ConsentStatus,
    pub source: Source,
    pub note: Option<String>,
    pub at_ms: i64,
}

#[uniffi::remote(Record)]
pub struct ConsentUse {
    pub artefact: String,
    pub hiu: String,
    pub channel: String,
    pub records: Vec<String>,
    pub at_ms: i64,
}

#[uniffi::remote(Enum)]
pub enum ReleaseChannel {
    Share,
    DataRequest,
    Qr,
}

#[uniffi::remote(Enum)]
pub enum DenyReason {
    NoGrant,
    NotConfirmed,
    NotGranted(ConsentStatus),
    Expired,
    AccessMode,
    RangeWiderThanGranted,
    RepeatsUsed,
    TooFrequent,
    OtherPatient,
    HiType,
    OutsideDateRange,
    CareContext,
}

#[uniffi::remote(Record)]
pub struct Permit {
    pub record: String,
    pub artefact: String,
}

#[uniffi::remote(Record)]
pub struct Denial {
    pub record: String,
    pub reason: DenyReason,
}

#[uniffi::remote(Record)]
pub struct Decision {
    pub permitted: Vec<Permit>,
    pub denied: Vec<Denial>,
}

#[uniffi::remote(Record)]
pub struct ReleasedRecord {
    pub id: String,
    pub artefact: String,
    pub bundle: Vec<u8>,
}

#[uniffi::remote(Record)]
pub struct Released {
    pub decision: Decision,
    pub records: Vec<ReleasedRecord>,
}

#[uniffi::remote(Record)]
pub struct Revoked {
    pub request_id: Option<String>,
    pub artefacts: Vec<String>,
}

#[uniffi::remote(Record)]
pub struct SweepReport {
    pub requests_expired: u32,
    pub artefacts_expired: u32,
    pub records_erased: u32,
}

#[uniffi::remote(Record)]
pub struct RefreshReport {
    pub patients: u32,
    pub requests_changed: u32,
    pub artefacts_changed: u32,
    pub artefacts_refused: u32,
    pub unreadable: u32,
    pub swept: SweepReport,
}

#[uniffi::remote(Record)]
pub struct AutoApproval {
    pub patient: String,
    pub hiu: String,
    pub enabled: bool,
    pub policy_id: Option<String>,
    pub synced: bool,
}

// Where the backbone is.

#[uniffi::remote(Enum)]
pub enum Preset {
    AbdmSandbox,
    Local { base: String },
}
