//! Scan & Share's records and enums as uniffi sees them: the core's own types, declared as
//! remote types (see `types.rs`).

use locker_core::Gender;
use locker_core::share::{
    CounterDesk, CounterPatient, CounterToken, CounterVisit, PatientSource, QrCertification, Share, ShareContact,
    ShareStatus, SignedQr,
};

#[uniffi::remote(Enum)]
pub enum ShareStatus {
    Waiting,
    Sent,
    Token,
    Failed,
    Dropped,
}

#[uniffi::remote(Record)]
pub struct Share {
    pub id: String,
    pub profile_id: String,
    pub hip_id: String,
    pub counter_id: String,
    pub status: ShareStatus,
    pub token_number: Option<String>,
    pub valid_until_ms: Option<i64>,
    pub error_code: Option<String>,
    pub created_at_ms: i64,
    pub deadline_ms: i64,
}

#[uniffi::remote(Record)]
pub struct ShareContact {
    #[uniffi(default)]
    pub mobile: Option<String>,
    #[uniffi(default)]
    pub address_line: Option<String>,
    #[uniffi(default)]
    pub district: Option<String>,
    #[uniffi(default)]
    pub state: Option<String>,
    #[uniffi(default)]
    pub pincode: Option<String>,
}

#[uniffi::remote(Record)]
pub struct SignedQr {
    pub text: String,
    pub expires_at_ms: i64,
}

#[uniffi::remote(Record)]
pub struct QrCertification {
    pub not_after_ms: i64,
    pub renewed: bool,
}

#[uniffi::remote(Enum)]
pub enum PatientSource {
    AbhaCard,
    PhrApp,
    Signed,
}

#[uniffi::remote(Record)]
pub struct CounterDesk {
    pub hip_id: String,
    pub counter_id: String,
    pub opened_at_ms: i64,
}

#[uniffi::remote(Record)]
pub struct CounterPatient {
    pub id: String,
    pub abha_number: Option<String>,
    pub abha_address: Option<String>,
    pub name: String,
    pub gender: Gender,
    pub birth: Option<String>,
    pub mobile: Option<String>,
    pub source: PatientSource,
    pub verified: bool,
}

#[uniffi::remote(Record)]
pub struct CounterToken {
    pub number: String,
    pub day: i64,
    pub patient_id: String,
    pub issued_at_ms: i64,
    pub valid_until_ms: i64,
}

#[uniffi::remote(Record)]
pub struct CounterVisit {
    pub patient: CounterPatient,
    pub token: CounterToken,
    pub new_token: bool,
    pub new_patient: bool,
}
